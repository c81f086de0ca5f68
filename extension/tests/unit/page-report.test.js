const test = require("node:test");
const assert = require("node:assert/strict");
const pageReport = require("../../src/lib/page-report.js");

const entries = [
  { tag: "DIV", classes: ["hit-grid"], testid: null },
  ...Array.from({ length: 3 }, () => ({ tag: "DIV", classes: ["hit-card", "col-xs-12"], testid: null })),
  { tag: "LI", classes: ["list-item"], testid: "study-676eda540ac41cc075b4e578" },
  { tag: "LI", classes: ["list-item"], testid: "study-6790a1b2c3d4e5f601234501" },
  { tag: "SPAN", classes: ["amount"], testid: "study-tag-reward" },
  { tag: "A", classes: ["requester-A2P2MT8IK72CVZ", "ff-review-button"], testid: null }, // ours: left out
  { tag: "SPAN", classes: ["ref-123456789"], testid: "host name" },
  { tag: "my-widget", classes: [], testid: "" },
  { tag: "bad tag!", classes: ["<script>"], testid: null },
];

test("safeName keeps class names and test ids, and replaces the parts that identify", () => {
  assert.equal(pageReport.safeName("hit-set-table-row"), "hit-set-table-row");
  assert.equal(pageReport.safeName("col-xs-12"), "col-xs-12");
  assert.equal(pageReport.safeName("study-676eda540ac41cc075b4e578"), "study-#");
  assert.equal(pageReport.safeName("requester-A2P2MT8IK72CVZ"), "requester-#");
  assert.equal(pageReport.safeName("order-1234567"), "order-#");
  assert.equal(pageReport.safeName("available-studies-section"), "available-studies-section");
  for (const junk of ["", "  ", "has space", "<script>", "a".repeat(300), null, undefined, "é-accent"]) {
    assert.equal(pageReport.safeName(junk), null, String(junk));
  }
  assert.equal(pageReport.safeName("x".repeat(60)).length, 48);
});

test("pageKind names the page from its path only", () => {
  assert.equal(pageReport.pageKind("mturk", "/"), "search");
  assert.equal(pageReport.pageKind("mturk", "/projects"), "search");
  assert.equal(pageReport.pageKind("mturk", "/requesters/A2P2MT8IK72CVZ/projects"), "requester");
  assert.equal(pageReport.pageKind("mturk", "/tasks"), "queue");
  assert.equal(pageReport.pageKind("mturk", "/projects/3X/tasks"), "other");
  assert.equal(pageReport.pageKind("prolific", "/studies"), "studies");
  assert.equal(pageReport.pageKind("prolific", "/submissions"), "other");
});

test("a report holds shape and counts only: merged, cleaned, ours left out, the most frequent first", () => {
  const report = pageReport.build({
    platform: "mturk", extensionVersion: "0.1.0", browser: "firefox", pathname: "/requesters/A2P2MT8IK72CVZ/projects",
    problem: "no_tasks", counts: { rows_seen: 0, tasks_read: 0, data_items: 27, extra: 5 },
    probes: { hitset_table: 1, rows: 0, "Bad Name": 3, title_cells: -4 }, entries,
  });
  assert.deepEqual(Object.keys(report), ["schema", "platform", "extension_version", "browser", "page", "problem", "counts", "probes", "elements"]);
  assert.equal(report.schema, 1);
  assert.equal(report.page, "requester");
  assert.deepEqual(report.counts, { rows_seen: 0, tasks_read: 0, data_items: 27 });
  assert.deepEqual(report.probes, { hitset_table: 1, rows: 0, title_cells: 0 });
  assert.deepEqual(report.elements[0], { tag: "div", classes: ["col-xs-12", "hit-card"], testid: null, count: 3 });
  assert.deepEqual(report.elements.find((e) => e.testid === "study-#"), { tag: "li", classes: ["list-item"], testid: "study-#", count: 2 });
  assert.ok(report.elements.some((e) => e.tag === "other"), "an odd tag name is not repeated");
  const json = JSON.stringify(report);
  for (const secret of ["A2P2MT8IK72CVZ", "676eda540ac41cc075b4e578", "ff-review-button", "host name", "123456789", "<script>", "requesters/"]) {
    assert.ok(!json.includes(secret), secret);
  }
});

test("unknown values become their safe defaults; an unknown platform is refused", () => {
  const report = pageReport.build({ platform: "prolific", extensionVersion: "1.0.0-beta; drop", browser: "lynx", pathname: "/x?q=1", problem: "boom" });
  assert.deepEqual([report.extension_version, report.browser, report.page, report.problem], ["0", "other", "other", "no_tasks"]);
  assert.throws(() => pageReport.build({ platform: "upwork" }), /unknown platform/);
});

test("at most 150 distinct elements are kept, and counts are capped", () => {
  const many = Array.from({ length: 400 }, (_, i) => ({ tag: "div", classes: [`c${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`], testid: null }));
  const report = pageReport.build({ platform: "mturk", extensionVersion: "0.1.0", pathname: "/", entries: many });
  assert.equal(report.elements.length, pageReport.MAX_ELEMENTS);
  assert.equal(pageReport.build({ platform: "mturk", extensionVersion: "0.1.0", counts: { rows_seen: 1e12 } }).counts.rows_seen, 100000);
});

test("sanitize gives back exactly what build made (what the worker saw is what is sent), and cleans anything else", () => {
  const report = pageReport.build({ platform: "prolific", extensionVersion: "0.1.0", browser: "chromium", pathname: "/studies",
    problem: "partial", counts: { rows_seen: 12, tasks_read: 9, data_items: 12 }, probes: { study_cards: 12 }, entries });
  assert.deepEqual(pageReport.sanitize(JSON.parse(JSON.stringify(report)), { extensionVersion: "0.1.0" }), report);
  const forged = { ...report, text: "secret", page: "/studies?worker=A1", extension_version: "9.9", elements: [
    { tag: "div", classes: ["worker-A1B2C3D4E5"], testid: "study-676eda540ac41cc075b4e578", count: 2, title: "secret" },
    { tag: "div", classes: ["worker-A1B2C3D4E5"], testid: "study-aaaaaaaaaaaaaaaaaaaa1", count: 3 }],
  };
  const clean = pageReport.sanitize(forged, { extensionVersion: "0.1.0" });
  assert.equal(clean.extension_version, "0.1.0");
  assert.equal(clean.page, "other");
  assert.equal("text" in clean, false);
  assert.deepEqual(clean.elements, [{ tag: "div", classes: ["worker-#"], testid: "study-#", count: 5 }]);
});

test("preview is the JSON that is sent, indented", () => {
  const report = pageReport.build({ platform: "mturk", extensionVersion: "0.1.0", pathname: "/" });
  assert.deepEqual(JSON.parse(pageReport.preview(report)), report);
  assert.match(pageReport.preview(report), /\n  "platform": "mturk"/);
});

test("waitWords says a wait as people do", () => {
  assert.equal(pageReport.waitWords(1), "1 second");
  assert.equal(pageReport.waitWords(40), "40 seconds");
  assert.equal(pageReport.waitWords(89), "89 seconds");
  assert.equal(pageReport.waitWords(90), "about 2 minutes");
  assert.equal(pageReport.waitWords(1800), "about 30 minutes");
  assert.equal(pageReport.waitWords(3600), "about 1 hour");
  assert.equal(pageReport.waitWords(7200), "about 2 hours");
  assert.equal(pageReport.waitWords(null), "1 second");
});

test("sendWords: each answer of the server in words, the server's own quoted when it refused", () => {
  const words = (answer) => pageReport.sendWords(answer);
  assert.deepEqual(words({ ok: true, stored: { stored: true } }),
    { ok: true, message: "Thank you: the report was sent. It holds no text, ids or addresses." });
  assert.equal(words({ ok: false, error: { status: 404, code: "not_found", message: "There is nothing at this address." } }).message,
    "Your Fairfinder server does not take page reports yet. Nothing was sent.");
  assert.equal(words({ ok: false, error: { status: 429, code: "rate_limited", message: "Too many requests; try again in 1800 seconds.", wait_seconds: 1800 } }).message,
    "Not stored: your Fairfinder server takes only a few page reports an hour from one connection, and has had them. Try again in about 30 minutes.");
  assert.match(words({ ok: false, error: { status: 429, code: "rate_limited", message: "x" } }).message, /Try again later\.$/);
  assert.equal(words({ ok: false, error: { status: 413, code: "payload_too_large", message: "A page report can be at most 98304 bytes of JSON; this one is larger, so nothing was stored." } }).message,
    "Not stored: the report is larger than your Fairfinder server takes. It says: “A page report can be at most 98304 bytes of JSON; this one is larger, so nothing was stored.”");
  assert.equal(words({ ok: false, error: { status: 422, code: "looks_identifying", field: "elements[0].testid", message: "elements[0].testid: holds a run of 5 or more digits" } }).message,
    "Not stored: your Fairfinder server refused the report. It says: “elements[0].testid: holds a run of 5 or more digits”");
  assert.equal(words({ ok: false, busy: true, retryAfter: 20, error: { status: 503, code: "server_busy", message: "The Fairfinder server is busy; trying again in 20 s." } }).message,
    "Not sent: your Fairfinder server is busy. Try again in 20 seconds.");
  assert.equal(words({ ok: false, offline: true, error: { status: 0, code: "unreachable", message: "The Fairfinder server could not be reached." } }).message,
    "The report could not be sent: The Fairfinder server could not be reached.");
  for (const answer of [{ ok: false }, null, undefined, { ok: false, error: {} }]) {
    assert.equal(words(answer).ok, false);
    assert.match(words(answer).message, /^The report could not be sent: /);
  }
});
