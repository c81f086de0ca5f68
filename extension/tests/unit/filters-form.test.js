"use strict";
const { test, describe } = require("node:test");
const assert = require("node:assert/strict");

const ff = require("../../src/lib/filters-form.js");
const { DEFAULT_FILTERS } = require("../../src/lib/settings.js");

describe("parseMoney", () => {
  const ok = [
    ["7.25", 725],
    ["$9", 900],
    ["9", 900],
    ["9,50", 950],
    ["9,5", 950],
    [" $ 12.5 ", 1250],
    ["0", 0],
    ["0.07", 7],
    [".5", 50],
    ["10.", 1000],
    ["1,250.00", 125000],
    ["1,250", 125000],
    ["15/h", 1500],
    ["$15 / hour", 1500],
  ];
  for (const [text, cents] of ok) {
    test(`${JSON.stringify(text)} → ${cents}`, () => assert.equal(ff.parseMoney(text), cents));
  }

  test("empty is null", () => {
    assert.equal(ff.parseMoney(""), null);
    assert.equal(ff.parseMoney("   "), null);
    assert.equal(ff.parseMoney(undefined), null);
  });

  test("refuses negatives with a message", () => {
    assert.throws(() => ff.parseMoney("-5"), { name: "FieldError", message: /negative/ });
    assert.throws(() => ff.parseMoney("$-5"), /negative/);
  });

  test("refuses junk, fractions of a cent and huge amounts", () => {
    for (const junk of ["abc", "7.2.5", "1e3", "nine", "$", "12,34,56", "1,2345", "0x10"]) {
      assert.throws(() => ff.parseMoney(junk), ff.FieldError, junk);
    }
    assert.throws(() => ff.parseMoney("7.255"), /two decimal places/);
    assert.throws(() => ff.parseMoney("99999999999999999999"), /too large/);
  });

  test("formatMoney is its inverse for the form", () => {
    assert.equal(ff.formatMoney(725), "7.25");
    assert.equal(ff.formatMoney(900), "9");
    assert.equal(ff.formatMoney(905), "9.05");
    assert.equal(ff.formatMoney(0), "0");
    assert.equal(ff.formatMoney(null), "");
    for (const cents of [0, 1, 99, 100, 725, 950, 123456]) assert.equal(ff.parseMoney(ff.formatMoney(cents)), cents);
  });
});

describe("parseMinutes", () => {
  test("whole minutes", () => {
    assert.equal(ff.parseMinutes("30"), 30);
    assert.equal(ff.parseMinutes(" 45 min"), 45);
    assert.equal(ff.parseMinutes(""), null);
    assert.equal(ff.formatMinutes(30), "30");
    assert.equal(ff.formatMinutes(null), "");
  });
  test("refuses fractions, negatives and junk", () => {
    assert.throws(() => ff.parseMinutes("1.5"), /whole minutes/);
    assert.throws(() => ff.parseMinutes("-3"), /negative/);
    assert.throws(() => ff.parseMinutes("half an hour"), /number of minutes/);
  });
});

describe("keywords", () => {
  test("one per line, trimmed, blank lines left out", () => {
    assert.deepEqual(ff.parseLines("survey\r\n  transcription \n\n\nc++\n"), ["survey", "transcription", "c++"]);
    assert.deepEqual(ff.parseLines(""), []);
    assert.equal(ff.formatLines(["a", "b"]), "a\nb");
  });
});

describe("expiry dates", () => {
  test("date ⇄ expires_at at the start of that day, UTC", () => {
    assert.equal(ff.parseExpiry("2026-03-31"), "2026-03-31T00:00:00Z");
    assert.equal(ff.parseExpiry(""), null);
    assert.equal(ff.formatExpiry("2026-03-31T00:00:00Z"), "2026-03-31");
    assert.equal(ff.formatExpiry("2026-03-31T23:30:00-05:00"), "2026-04-01");
    assert.equal(ff.formatExpiry(null), "");
  });
  test("refuses impossible dates", () => {
    assert.throws(() => ff.parseExpiry("2026-02-30"), /date like/);
    assert.throws(() => ff.parseExpiry("31/03/2026"), /date like/);
  });
  test("an untouched date keeps the stored time", () => {
    const row = ff.ruleToRow({ pattern: "A1", match: "exact", expires_at: "2026-05-01T12:34:56Z", note: "" });
    assert.equal(row.expires, "2026-05-01");
    assert.equal(ff.rowToRule(row).expires_at, "2026-05-01T12:34:56Z");
    assert.equal(ff.rowToRule({ ...row, expires: "2026-06-01" }).expires_at, "2026-06-01T00:00:00Z");
    assert.equal(ff.rowToRule({ ...row, expires: "" }).expires_at, null);
  });
});

describe("formToFilters / filtersToForm", () => {
  const full = {
    target_cents_per_hour: 1200,
    min_hourly_cents: 900,
    min_reward_cents: 50,
    max_minutes: 30,
    block: [
      { pattern: "A1B2C3", match: "exact", expires_at: null, note: "rejects everything" },
      { pattern: "Survey*Inc", match: "wildcard", expires_at: "2026-12-31T00:00:00Z", note: "" },
    ],
    include: [{ pattern: "transcri", match: "substring", expires_at: null, note: "" }],
    keywords_include: ["audio", "survey"],
    keywords_exclude: ["webcam"],
    qualified_only: true,
    hide_masters: true,
    hide_below_target: true,
    hide_unknown_pay: false,
    hide_needs: ["needs_hearing", "captcha"],
  };

  test("defaults round-trip", () => {
    const { filters, errors } = ff.formToFilters(ff.filtersToForm(DEFAULT_FILTERS));
    assert.deepEqual(errors, []);
    assert.deepEqual(filters, { ...DEFAULT_FILTERS });
  });

  test("every field round-trips (Filters → form → Filters)", () => {
    const form = ff.filtersToForm(full);
    assert.equal(form.target, "12");
    assert.equal(form.min_hourly, "9");
    assert.equal(form.min_reward, "0.50");
    assert.equal(form.max_minutes, "30");
    assert.equal(form.keywords_include, "audio\nsurvey");
    assert.equal(form.block[1].expires, "2026-12-31");
    const { filters, errors } = ff.formToFilters(form);
    assert.deepEqual(errors, []);
    assert.deepEqual(filters, full);
    assert.deepEqual(Object.keys(filters), Object.keys(DEFAULT_FILTERS));
  });

  test("form → Filters → form", () => {
    const form = {
      target: "$10.50", min_hourly: "9", min_reward: "", max_minutes: "",
      hide_below_target: false, hide_unknown_pay: true, qualified_only: false, hide_masters: false,
      hide_needs: ["captcha", "needs_sight"],
      keywords_include: "", keywords_exclude: "adult\nwebcam",
      block: [{ pattern: "Bad*", match: "wildcard", expires: "2027-01-02", note: "n" }],
      include: [],
    };
    const { filters } = ff.formToFilters(form);
    assert.equal(filters.target_cents_per_hour, 1050);
    assert.deepEqual(filters.hide_needs, ["needs_sight", "captcha"], "the server's order");
    const back = ff.filtersToForm(filters);
    assert.equal(back.target, "10.50");
    assert.deepEqual(back.hide_needs, ["needs_sight", "captcha"]);
    assert.equal(back.keywords_exclude, form.keywords_exclude);
    assert.deepEqual(back.block, [{ pattern: "Bad*", match: "wildcard", expires: "2027-01-02", note: "n", expires_at: "2027-01-02T00:00:00Z" }]);
  });

  test("blank rule rows are left out and rows maps server indexes to form rows", () => {
    const form = ff.filtersToForm(DEFAULT_FILTERS);
    form.block = [
      { pattern: "", match: "exact", expires: "", note: "" },
      { pattern: " A1 ", match: "exact", expires: "", note: "" },
    ];
    const { filters, rows } = ff.formToFilters(form);
    assert.deepEqual(filters.block, [{ pattern: "A1", match: "exact", expires_at: null, note: "" }]);
    assert.deepEqual(rows.block, [1]);
    assert.equal(ff.controlFor("block[0].pattern", rows), "block-1-pattern");
    assert.equal(ff.fieldLabel("block[0].pattern", rows), "Block list, rule 2, pattern");
  });

  test("errors name the field and point at its control, in form order", () => {
    const form = ff.filtersToForm(DEFAULT_FILTERS);
    form.target = "";
    form.min_hourly = "lots";
    form.max_minutes = "1.5";
    form.include = [{ pattern: "x", match: "exact", expires: "2026-13-01", note: "" }];
    const { filters, errors } = ff.formToFilters(form);
    assert.equal(filters, null);
    assert.deepEqual(errors.map((e) => e.control), ["target", "min-hourly", "max-minutes", "include-0-expires"]);
    assert.match(errors[0].message, /^Target wage: /);
    assert.match(errors[1].message, /^Minimum hourly pay: enter an amount/);
    assert.match(errors[2].message, /^Maximum duration: enter whole minutes/);
    assert.match(errors[3].message, /^Include list, rule 1, expiry date: enter a date/);
  });

  test("does not second-guess the server: odd values pass through for it to judge", () => {
    const form = ff.filtersToForm(DEFAULT_FILTERS);
    form.target = "0";
    form.max_minutes = "0";
    form.block = [{ pattern: "*", match: "wildcard", expires: "", note: "" }];
    const { filters, errors } = ff.formToFilters(form);
    assert.deepEqual(errors, []);
    assert.equal(filters.target_cents_per_hour, 0);
    assert.equal(filters.max_minutes, 0);
    assert.equal(filters.block[0].pattern, "*");
  });
});

describe("server errors", () => {
  test("annotate's filters.-prefixed field and PUT's field both land at the control", () => {
    const put = ff.serverFieldError({ status: 422, field: "block[0].pattern", message: "block[0].pattern: would block every task" });
    assert.deepEqual(put, { field: "block[0].pattern", control: "block-0-pattern", message: "Block list, rule 1, pattern: would block every task" });
    const annotate = ff.serverFieldError({ field: "filters.block[0].pattern", message: "filters.block[0].pattern: would block every task" });
    assert.equal(annotate.control, "block-0-pattern");
    assert.equal(annotate.message, put.message);
  });
  test("scalar fields, keywords, needs, whole lists", () => {
    assert.equal(ff.serverFieldError({ field: "target_cents_per_hour", message: "target_cents_per_hour: must be positive" }).message,
      "Target wage: must be positive");
    assert.equal(ff.controlFor("keywords_exclude[3]"), "keywords-exclude");
    assert.equal(ff.fieldLabel("keywords_exclude[3]"), "Keywords to exclude, keyword 4");
    assert.equal(ff.controlFor("hide_needs[0]"), "need-needs_sight");
    assert.equal(ff.controlFor("include"), "include-add");
    assert.equal(ff.controlFor("block[0].expires_at"), "block-0-expires");
    assert.equal(ff.controlFor("block[7].pattern", { block: [0] }), "block-add");
  });
  test("unknown fields keep the server's message as it is", () => {
    assert.deepEqual(ff.serverFieldError({ field: "platform", message: "platform: bad" }), { field: "platform", control: null, message: "platform: bad" });
    assert.equal(ff.serverFieldError({ message: "Nope" }).control, null);
  });
});

describe("list files", () => {
  const lists = {
    block: [{ pattern: "A1", match: "exact", expires_at: null, note: "" }, { pattern: "Spam*", match: "wildcard", expires_at: "2026-12-31T00:00:00Z", note: "until new year" }],
    include: [{ pattern: "good", match: "substring", expires_at: null, note: "" }],
  };

  test("export → import round-trips", () => {
    const text = ff.exportLists({ ...DEFAULT_FILTERS, ...lists });
    assert.deepEqual(JSON.parse(text), lists);
    assert.deepEqual(ff.parseListsFile(text), lists);
  });

  test("fills defaults for short rules and a missing list", () => {
    assert.deepEqual(ff.parseListsFile('{"block": [{"pattern": "A1"}, "B2"]}'), {
      block: [{ pattern: "A1", match: "exact", expires_at: null, note: "" }, { pattern: "B2", match: "exact", expires_at: null, note: "" }],
      include: [],
    });
    assert.deepEqual(ff.parseListsFile('\uFEFF{"include": []}'), { block: [], include: [] });
  });

  test("bad files get messages for people", () => {
    const cases = [
      ["", /empty/],
      ["not json", /not JSON/],
      ["[1,2]", /does not hold Fairfinder lists/],
      ['{"filters": {}}', /no "block" or "include"/],
      ['{"block": {}}', /"block" must be a list/],
      ['{"block": [42]}', /Block list, rule 1 is not a rule/],
      ['{"block": [{"pattern": ""}]}', /Block list, rule 1 needs a "pattern"/],
      ['{"include": [{"pattern": "a"}, {"pattern": "b", "match": "regex"}]}', /Include list, rule 2: "match" must be/],
      ['{"block": [{"pattern": "a", "expires_at": "soon"}]}', /"expires_at" must be a date/],
      ['{"block": [{"pattern": "a", "note": 5}]}', /"note" must be text/],
      ['{"block": [{"pattern": "a", "colour": "red"}]}', /unknown key "colour"/],
    ];
    for (const [text, message] of cases) assert.throws(() => ff.parseListsFile(text), message, text);
    assert.throws(() => ff.parseListsFile("x".repeat(1024 * 1024 + 1)), /too large/);
  });

  test("replace and merge", () => {
    const current = { block: [{ pattern: "A1", match: "exact", expires_at: null, note: "mine" }], include: [] };
    const imported = { block: [{ pattern: "a1", match: "exact", expires_at: null, note: "theirs" }, { pattern: "Z9", match: "exact", expires_at: null, note: "" }], include: [lists.include[0]] };
    assert.deepEqual(ff.mergeLists(current, imported, "replace"), imported);
    const merged = ff.mergeLists(current, imported, "merge");
    assert.deepEqual(merged.block.map((r) => [r.pattern, r.note]), [["A1", "mine"], ["Z9", ""]]);
    assert.deepEqual(merged.include, imported.include);
  });
});

describe("checkWithServer", () => {
  const filters = { ...DEFAULT_FILTERS };
  const failing = (error) => ({ putFilters: async () => { throw error; }, annotate: async () => { throw error; } });

  test("signed in: PUT /me/filters", async () => {
    const calls = [];
    const client = { putFilters: async (f) => calls.push(["put", f]), annotate: async () => calls.push(["annotate"]) };
    assert.deepEqual(await ff.checkWithServer(client, filters, { signedIn: true }), { outcome: "saved", error: null });
    assert.deepEqual(calls, [["put", filters]]);
  });

  test("signed out: annotate with no tasks and the filters", async () => {
    const calls = [];
    const client = { annotate: async (...args) => calls.push(args) };
    assert.equal((await ff.checkWithServer(client, filters, { signedIn: false })).outcome, "checked");
    assert.deepEqual(calls, [["mturk", { tasks: [] }, filters]]);
  });

  test("422, offline and other errors", async () => {
    assert.equal((await ff.checkWithServer(failing({ status: 422, field: "max_minutes" }), filters, { signedIn: true })).outcome, "invalid");
    assert.equal((await ff.checkWithServer(failing({ status: 0, offline: true }), filters, { signedIn: false })).outcome, "offline");
    assert.equal((await ff.checkWithServer(failing({ status: 503, offline: true }), filters, { signedIn: true })).outcome, "offline");
    assert.equal((await ff.checkWithServer(failing({ status: 401, code: "invalid_token" }), filters, { signedIn: true })).outcome, "error");
  });
});

test("needs and match kinds cover the server's names", () => {
  assert.deepEqual(ff.NEEDS.map(([n]) => n), ["needs_sight", "needs_hearing", "unextendable_time_limit", "captcha",
    "webcam_or_phone", "download_or_install", "personal_data", "adult_content"]);
  assert.deepEqual(ff.MATCH_KINDS.map(([n]) => n), ["exact", "substring", "wildcard"]);
});
