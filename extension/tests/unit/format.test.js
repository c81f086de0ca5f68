const test = require("node:test");
const assert = require("node:assert/strict");
const format = require("../../src/lib/format.js");

test("money in the currency's own symbol", () => {
  assert.equal(format.money(150), "$1.50");
  assert.equal(format.money(5, "GBP"), "£0.05");
  assert.equal(format.money(1234, "CAD"), "12.34 CAD");
  assert.equal(format.money(NaN), "?");
});

test("every band has a text label, unknown ones too", () => {
  for (const band of ["good", "ok", "low", "avoid", "unknown"]) assert.ok(format.bandLabel(band).length > 2);
  assert.equal(format.bandLabel("weird"), "Pay unknown");
});

test("basis says where the figure comes from and how many samples", () => {
  assert.equal(format.basisText({ basis: "task", n: 12 }), "12 workers timed it");
  assert.equal(format.basisText({ basis: "task", n: 1 }), "1 worker timed it");
  assert.equal(format.basisText({ basis: "requester", n: 3 }), "from this requester's other tasks (3 timings)");
  assert.equal(format.basisText({ basis: "stated", n: 0 }), "from the requester's own time estimate");
  assert.equal(format.basisText({ basis: "unknown", n: 0 }), "no timings yet");
  assert.equal(format.basisText(undefined), "no timings yet");
});

test("requester scores and outcomes", () => {
  const requester = {
    reviews: 23, rejections: 2, blocks: 1,
    scores: { pay: { mean: 4.21, n: 20 }, fairness: { mean: 4.5, n: 23 }, speed: { mean: null, n: 0 }, communication: { mean: 3, n: 2 } },
  };
  assert.equal(format.scoresText(requester), "Pay 4.2 · Fair 4.5 · Comm 3.0 (23 reviews)");
  assert.equal(format.scoresText({ reviews: 0, scores: {} }), "No reviews yet");
  assert.equal(format.outcomesText(requester), "2 rejections · 1 block reported");
  assert.equal(format.outcomesText({ rejections: 0, blocks: 0 }), "No rejections or blocks reported");
  assert.equal(format.outcomesText({ rejections: 1, blocks: 0 }), "1 rejection reported");
});

test("flags: labels, warnings, task's and requester's once each", () => {
  assert.equal(format.flagLabel("personal_data"), "asks for personal data");
  assert.equal(format.flagLabel("new_flag_from_server"), "new flag from server");
  assert.equal(format.isWarning("broken"), true);
  assert.equal(format.isWarning("screen_reader_ok"), false);
  assert.deepEqual(format.allFlags({ flags: ["broken", "captcha"], requester: { flags: ["captcha", "underpaid"] } }),
    ["broken", "captcha", "underpaid"]);
});

test("hidden rows say why", () => {
  assert.equal(format.hiddenText({ hidden: true, reasons: [{ code: "below_min_hourly", message: "below your $9.00/h minimum" }] }),
    "Hidden: below your $9.00/h minimum");
  assert.equal(format.hiddenText({ hidden: true, reasons: [{ code: "a", message: "one" }, { code: "b", message: "two" }] }),
    "Hidden: one; two");
  assert.equal(format.hiddenText({ hidden: true, reasons: [] }), "Hidden by your filters");
});

test("button names and minutes", () => {
  assert.equal(format.buttonName("Review", "Survey  about\nshopping "), "Review: Survey about shopping");
  assert.equal(format.buttonName("Show", ""), "Show");
  assert.equal(format.minutesFromSeconds(89), "1");
  assert.equal(format.minutesFromSeconds(20), "1");
  assert.equal(format.minutesFromSeconds(0), "");
});

test("bonus words are the server's, shown only when the figure counts a bonus", () => {
  const words = "with typical bonuses of $0.25; $4.00/h without";
  assert.equal(format.bonusText({ label: "$5.00/h", bonus: words }), words);
  assert.equal(format.bonusText({ label: "$5.00/h", bonus: "" }), "");
  assert.equal(format.bonusText({ label: "$5.00/h" }), ""); // an older server says nothing of bonuses
  assert.equal(format.bonusText({ bonus: null }), "");
  assert.equal(format.bonusText({ bonus: 25 }), ""); // not words
  assert.equal(format.bonusText(undefined), "");
  assert.equal(format.bonusText({ bonus: "x".repeat(500) }).length, 200); // a junk answer cannot flood a row
});
