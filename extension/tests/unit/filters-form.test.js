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
    other_communities_weight: 0.25,
    source_weights: { turkopticon: 0, "ratings.example.org": 0.8 },
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
    assert.equal(form.other_communities_weight, 0.25);
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

describe("ratings from other communities", () => {
  test("each choice round-trips, from the radio's value text too", () => {
    for (const [value] of ff.COMMUNITY_WEIGHTS) {
      const form = ff.filtersToForm({ ...DEFAULT_FILTERS, other_communities_weight: value });
      assert.equal(form.other_communities_weight, value);
      assert.equal(ff.formToFilters(form).filters.other_communities_weight, value);
      assert.equal(ff.formToFilters({ ...form, other_communities_weight: String(value) }).filters.other_communities_weight, value);
    }
    assert.equal(DEFAULT_FILTERS.other_communities_weight, 1);
    assert.equal(ff.filtersToForm({}).other_communities_weight, 1, "missing: counted fully, as the server's default");
    const { filters } = ff.formToFilters({ ...ff.filtersToForm(DEFAULT_FILTERS), other_communities_weight: undefined });
    assert.equal(filters.other_communities_weight, 1);
  });

  test("the choices, with the current one preselected", () => {
    assert.deepEqual(ff.COMMUNITY_WEIGHTS.map(([value, , label]) => [value, label]), [
      [1, "Count them fully"], [0.5, "Count them half"], [0.25, "Count them a little"], [0, "Do not count them"],
    ]);
    const half = ff.weightChoices(0.5);
    assert.equal(half.length, 4);
    assert.deepEqual(half.filter((c) => c.checked).map((c) => c.label), ["Count them half"]);
    assert.deepEqual(ff.weightChoices(0).filter((c) => c.checked).map((c) => c.id), ["other-weight-none"]);
    assert.equal(new Set(half.map((c) => c.id)).size, 4, "ids are unique");
  });

  test("a stored value not in the list is offered as a custom choice and kept", () => {
    const choices = ff.weightChoices(0.7);
    assert.equal(choices.length, 5);
    assert.deepEqual(choices.at(-1), { value: 0.7, id: "other-weight-custom", label: "Custom (70%)", checked: true, custom: true });
    assert.equal(choices.filter((c) => c.checked).length, 1);
    assert.equal(ff.weightLabel(0.125), "Custom (12.5%)");
    assert.equal(ff.weightLabel(0.25), "Count them a little");
    // Saved again untouched (the radio's value is the number as text): still 0.7.
    const form = ff.filtersToForm({ ...DEFAULT_FILTERS, other_communities_weight: 0.7 });
    assert.equal(ff.formToFilters({ ...form, other_communities_weight: String(choices.at(-1).value) }).filters.other_communities_weight, 0.7);
  });

  test("an unreadable choice is an error at the group; range checks are the server's", () => {
    const form = { ...ff.filtersToForm(DEFAULT_FILTERS), other_communities_weight: "lots" };
    const { filters, errors } = ff.formToFilters(form);
    assert.equal(filters, null);
    assert.deepEqual(errors.map((e) => [e.field, e.control]), [["other_communities_weight", "other-weight"]]);
    assert.match(errors[0].message, /^Ratings from other communities: /);
    assert.equal(ff.formToFilters({ ...form, other_communities_weight: "1.5" }).filters.other_communities_weight, 1.5);
  });

  test("the server's 422 for the weight lands at the group, with words for people", () => {
    const message = "other_communities_weight: must be a number from 0 (do not count) to 1 (count like this community's own)";
    const error = ff.serverFieldError({ status: 422, field: "other_communities_weight", message });
    assert.deepEqual(error, {
      field: "other_communities_weight",
      control: "other-weight",
      message: "Ratings from other communities: must be a number from 0 (do not count) to 1 (count like this community's own)",
    });
    assert.equal(ff.serverFieldError({ field: "filters.other_communities_weight", message: `filters.${message}` }).message, error.message);
    const source = ff.serverFieldError({ field: "source_weights.turkopticon.info", message: "source_weights.turkopticon.info: must be a number" });
    assert.equal(source.control, "other-weight");
    assert.equal(source.message, "Ratings from other communities, by source, “turkopticon.info”: must be a number");
  });
});

describe("fields the form does not show", () => {
  const loaded = {
    ...DEFAULT_FILTERS,
    min_hourly_cents: 900,
    other_communities_weight: 0.5,
    source_weights: { turkopticon: 0.25, "other.example.org": 0 },
    a_newer_servers_field: { on: true, list: [1, 2] },
  };

  test("source_weights and unknown fields survive load → form → save", () => {
    const form = ff.filtersToForm(loaded);
    assert.deepEqual(form.kept, { source_weights: loaded.source_weights, a_newer_servers_field: loaded.a_newer_servers_field });
    form.min_hourly = "10"; // the worker edits something the form shows
    form.other_communities_weight = "0";
    const { filters, errors } = ff.formToFilters(form);
    assert.deepEqual(errors, []);
    assert.deepEqual(filters, { ...loaded, min_hourly_cents: 1000, other_communities_weight: 0 });
    assert.deepEqual(Object.keys(filters), [...Object.keys(DEFAULT_FILTERS), "a_newer_servers_field"], "known fields first, in the server's order");
  });

  test("kept values are copies, not the loaded objects", () => {
    const form = ff.filtersToForm(loaded);
    form.kept.source_weights.turkopticon = 1;
    assert.equal(loaded.source_weights.turkopticon, 0.25);
    const { filters } = ff.formToFilters(ff.filtersToForm(loaded));
    assert.notEqual(filters.source_weights, loaded.source_weights);
    assert.deepEqual(filters.source_weights, loaded.source_weights);
  });

  test("keptFields takes what the form does not show; without it the defaults are saved", () => {
    assert.deepEqual(ff.keptFields(loaded), { source_weights: loaded.source_weights, a_newer_servers_field: loaded.a_newer_servers_field });
    assert.deepEqual(ff.keptFields(DEFAULT_FILTERS), { source_weights: {} });
    assert.ok(ff.FORM_FIELDS.includes("other_communities_weight"));
    assert.ok(!ff.FORM_FIELDS.includes("source_weights"));
    const { kept, ...bare } = ff.filtersToForm(loaded);
    assert.ok(kept);
    assert.deepEqual(ff.formToFilters(bare).filters.source_weights, {});
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
