const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const formats = require("../../src/lib/list-formats.js");
const { parseListsFile } = require("../../src/lib/filters-form.js");

const FIXTURES = path.join(__dirname, "..", "support", "fixtures", "lists");
const fixture = (name) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8"));
const rule = (pattern, match, note) => ({ pattern, match, expires_at: null, note });

test("each tool's file is told apart by its shape", () => {
  assert.equal(formats.detect(fixture("mts-backup-20181001-block-list.json")), "mturk-suite");
  assert.equal(formats.detect(fixture("mts-backup-20181001-include-list.json")), "mturk-suite");
  assert.equal(formats.detect(fixture("hitscraper_settings.json")), "hitscraper");
  assert.equal(formats.detect(fixture("mturk-engine-backup-3_22_2018.json")), "mturk-engine");
  assert.equal(formats.detect({ block: [], include: [] }), "fairfinder");
  for (const other of [null, [], "x", {}, { a: 1 }, { a: { name: "x" } }]) assert.equal(formats.detect(other), null);
  assert.equal(formats.readOther({ block: [] }), null, "Fairfinder's own files are filters-form's");
});

test("MTurk Suite's block list: strict is exact, loose is contains, a HIT group becomes its title, a nameless entry is skipped", () => {
  const read = formats.readOther(fixture("mts-backup-20181001-block-list.json"));
  assert.equal(read.format, "mturk-suite");
  assert.equal(read.list, "block");
  assert.deepEqual(read.lists, ["block"]);
  assert.deepEqual(read.block, [
    rule("AZSDQB5BKA694", "exact", "MTurk Suite: Itemizecorp"),
    rule("Write the words shown in an image", "exact", "MTurk Suite: HIT group 3NAD71TD7UI89BIBCT9L6XX5UBA2LT"),
    rule("Transcribe", "substring", "MTurk Suite: transcription"),
  ]);
  assert.deepEqual(read.include, []);
  assert.deepEqual(read.notes, [
    "1 entry: named a HIT group; its title is matched instead.",
    "Left out 1 entry: entries without both a name and a match (MTurk Suite skips them too).",
  ]);
});

test("MTurk Suite's include list goes to the include list", () => {
  const read = formats.readOther(fixture("mts-backup-20181001-include-list.json"));
  assert.equal(read.list, "include");
  assert.deepEqual(read.include, [rule("A3RRY7BIF8JDCS", "exact", "MTurk Suite: ScoutIt")]);
  assert.deepEqual(read.block, []);
});

test("HIT Scraper: entries split on ^, * makes a wildcard, group ids are left out, the include list is exact", () => {
  const read = formats.readOther(fixture("hitscraper_settings.json"));
  assert.equal(read.format, "hitscraper");
  assert.equal(read.block.length, 12);
  assert.deepEqual(read.block.slice(0, 2), [rule("oscar smith", "exact", "HIT Scraper"), rule("diamond tip research llc", "exact", "HIT Scraper")]);
  assert.deepEqual(read.block.at(-1), rule("*receipt*", "wildcard", "HIT Scraper"));
  assert.deepEqual(read.include, [rule("copytext inc.", "exact", "HIT Scraper")]);
  assert.deepEqual(read.lists, ["block", "include"]);
  assert.deepEqual(formats.readOther({ ignore_list: "a" }).lists, ["block"], "a file without an include list leaves that list alone");
  assert.deepEqual(read.notes, ["Left out 1 entry: HIT group ids (HIT Scraper keeps no title beside them; Fairfinder matches titles, not group ids)."]);
  // With "Allow Wildcards" off, a * is just a character; a lone * would block everything and is refused.
  const literal = formats.readOther({ settings: JSON.stringify({ wildblocks: false }), ignore_list: "a*b^*" });
  assert.deepEqual(literal.block, [rule("a*b", "exact", "HIT Scraper"), rule("*", "exact", "HIT Scraper")]);
  const wild = formats.readOther({ ignore_list: " spaced   out ^*^^" });
  assert.deepEqual(wild.block, [rule("spaced out", "exact", "HIT Scraper")]);
  assert.match(wild.notes[0], /would block every task/);
});

test("Mturk Engine's backup: transit JSON of Immutable maps, requesters by id and blocked HITs by title", () => {
  const read = formats.readOther(fixture("mturk-engine-backup-3_22_2018.json"));
  assert.equal(read.format, "mturk-engine");
  assert.deepEqual(read.block, [
    rule("AGVV5AWLJY7H2", "exact", "Mturk Engine: Ibotta Turk, blocked 2018-03-20"),
    rule("AKEBQYX32KM19", "exact", "Mturk Engine: Crowdsurf Support, blocked 2018-03-21"),
    rule("Classify Receipt", "exact", "Mturk Engine: HIT group 37ZHE2JT1D250TKIB56TICN73UQ88W by ScoutIt"),
    rule("Rate Business Profile Photos", "exact", "Mturk Engine: HIT group 3IBVVLBPOMK2BLJIHHAXIF6HE49JT0 by Ben Peterson"),
  ]);
  assert.deepEqual(read.notes, ["2 entries: blocked a HIT group; its title is matched instead."]);
  assert.deepEqual(read.lists, ["block"]);
  assert.throws(() => formats.readOther({ "reduxPersist:tab": 0 }), /holds no blocklist/);
  assert.throws(() => formats.readOther({ "reduxPersist:requesterBlocklist": "not json" }), /not JSON/);
});

test("the transit reader: cache codes for map keys and tags, dates, escapes", () => {
  const decoded = formats.readTransit(["~#iM", ["k1", ["^ ", "name", "~~tilde", "when", "~m0"], "k2", ["^ ", "^1", "x", "^2", "~m1000"],
    "k3", ["^0", ["a", "b"]]]]);
  assert.equal(decoded.tag, "iM");
  const [k1, v1, k2, v2, k3, v3] = decoded.rep;
  assert.deepEqual([k1, k2, k3], ["k1", "k2", "k3"]);
  assert.equal(v1.name, "~tilde");
  assert.equal(v1.when.getTime(), 0);
  assert.equal(v2.name, "x");
  assert.equal(v2.when.getTime(), 1000);
  assert.equal(v3.tag, "iM", "a cached tag is a tag again");
  assert.throws(() => formats.readTransit(["^ ", "^5", 1]), /does not hold/);
});

test("export to MTurk Suite and back: exact and contains rules survive; wildcards and expiry dates are said to be lost", () => {
  const rules = [rule("AZSDQB5BKA694", "exact", "Itemizecorp"), rule("Transcribe", "substring", ""),
    rule("*survey*", "wildcard", ""), { ...rule("A1", "exact", ""), expires_at: "2026-12-31T00:00:00Z" }];
  const out = formats.toMturkSuite(rules);
  assert.deepEqual(JSON.parse(out.text), {
    AZSDQB5BKA694: { name: "Itemizecorp", match: "AZSDQB5BKA694", strict: true },
    Transcribe: { name: "Transcribe", match: "Transcribe", strict: false },
    A1: { name: "A1", match: "A1", strict: true },
  });
  assert.equal(out.count, 3);
  assert.deepEqual(out.notes, ["Left out 1 wildcard rule: MTurk Suite has no wildcards.", "1 rule lost its expiry date: MTurk Suite keeps none."]);
  const back = formats.readOther(JSON.parse(out.text));
  assert.deepEqual(back.block.map((r) => [r.pattern, r.match]), [["AZSDQB5BKA694", "exact"], ["Transcribe", "substring"], ["A1", "exact"]]);
  const include = JSON.parse(formats.toMturkSuite([rule("A3RRY7BIF8JDCS", "exact", "ScoutIt")], { list: "include" }).text);
  assert.deepEqual(include.A3RRY7BIF8JDCS, { name: "ScoutIt", match: "A3RRY7BIF8JDCS", strict: true, sound: true, alarm: false, pushbullet: false, notification: true });
  assert.equal(formats.readOther(include).list, "include");
});

test("export to HIT Scraper and back: contains becomes *text*, what it cannot hold is left out and said", () => {
  const out = formats.toHitScraper({
    block: [rule("Oscar  Smith", "exact", ""), rule("receipt", "substring", ""), rule("a?c*", "wildcard", ""), rule("x^y", "exact", "")],
    include: [rule("CopyText Inc.", "exact", ""), rule("copy", "substring", "")],
  });
  assert.deepEqual(JSON.parse(out.text), { ignore_list: "Oscar Smith^*receipt*", include_list: "CopyText Inc." });
  assert.equal(out.count, 3);
  assert.equal(out.notes.length, 4);
  assert.match(out.notes.join(" "), /"\^"/);
  assert.match(out.notes.join(" "), /Allow Wildcards/);
  const back = formats.readOther(JSON.parse(out.text));
  assert.deepEqual(back.block.map((r) => [r.pattern, r.match]), [["Oscar Smith", "exact"], ["*receipt*", "wildcard"]]);
  // Nothing to write: no key at all, so an older HIT Scraper keeps its own lists.
  assert.deepEqual(JSON.parse(formats.toHitScraper({ block: [], include: [] }).text), {});
});

test("file names follow each tool's own naming; the date comes from the injected clock", () => {
  const now = new Date(2026, 11, 3, 14, 0).getTime();
  assert.equal(formats.fileName("mturk-suite", now), "mts-backup-20261203-block-list.json");
  assert.equal(formats.fileName("mturk-suite", now, { list: "include" }), "mts-backup-20261203-include-list.json");
  assert.equal(formats.fileName("hitscraper", now), "hitscraper_settings.json");
  assert.equal(formats.fileName("fairfinder", now), "fairfinder-lists.json");
});

test("more rules than a server keeps are imported, with a warning rather than dropped", () => {
  const many = Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`A${i}`, { name: `R${i}`, match: `A${i}`, strict: true }]));
  const read = formats.readOther(many);
  assert.equal(read.block.length, 501);
  assert.match(read.notes.at(-1), /at most 500/);
  // Fairfinder's own export still reads as before.
  assert.deepEqual(parseListsFile(JSON.stringify({ block: [rule("A1", "exact", "")], include: [] })).block, [rule("A1", "exact", "")]);
});
