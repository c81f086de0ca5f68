const test = require("node:test");
const assert = require("node:assert/strict");
const settings = require("../../src/lib/settings.js");

test("server addresses are made canonical", () => {
  assert.equal(settings.normalizeServerUrl(" https://ratings.example.org/ "), "https://ratings.example.org");
  assert.equal(settings.normalizeServerUrl("https://example.org/ff//"), "https://example.org/ff");
  assert.equal(settings.normalizeServerUrl("http://127.0.0.1:8000"), "http://127.0.0.1:8000");
  assert.equal(settings.normalizeServerUrl("http://localhost:8000/"), "http://localhost:8000");
});

test("unusable addresses are refused with a reason", () => {
  for (const [text, words] of [["", "Enter"], ["example.org", "not a web address"], ["http://example.org", "https"],
    ["https://u:p@example.org", "passwords"], ["https://example.org/?x=1", "Leave"], ["ftp://example.org", "https"]]) {
    assert.throws(() => settings.normalizeServerUrl(text), (error) => error.message.includes(words), text);
  }
});

test("stored values are completed with defaults; unknown keys are dropped", () => {
  const merged = settings.withDefaults({ token: "ff_x", junk: 1 }, settings.DEFAULT_SETTINGS);
  assert.equal(merged.token, "ff_x");
  assert.equal(merged.serverUrl, settings.DEFAULT_SERVER_URL);
  assert.equal("junk" in merged, false);
  assert.equal(settings.withDefaults(null, settings.DEFAULT_FILTERS).target_cents_per_hour, 725);
  assert.equal(settings.originPattern("http://127.0.0.1:8000/x"), "http://127.0.0.1/*");
});

test("stored filters keep the server's fields this version does not know", () => {
  const stored = { min_hourly_cents: 900, source_weights: { turkopticon: 0.5 }, a_newer_field: [1] };
  const filters = settings.filtersWithDefaults(stored);
  assert.equal(filters.min_hourly_cents, 900);
  assert.equal(filters.target_cents_per_hour, 725);
  assert.equal(filters.other_communities_weight, 1);
  assert.deepEqual(filters.source_weights, { turkopticon: 0.5 });
  assert.deepEqual(filters.a_newer_field, [1]);
  assert.deepEqual(settings.filtersWithDefaults(null), { ...settings.DEFAULT_FILTERS });
  assert.deepEqual(settings.filtersWithDefaults([1, 2]), { ...settings.DEFAULT_FILTERS });
});

test("a block list switched off for a while: the server is asked without its rules until then, and only then", () => {
  const now = Date.UTC(2026, 11, 3, 14, 0); // an injected clock
  const filters = { min_hourly_cents: 900, block: [{ pattern: "A1", match: "exact", expires_at: null, note: "" }] };
  const off = { blockOffUntil: settings.blockOffFor(60, now) };
  assert.equal(off.blockOffUntil, "2026-12-03T15:00:00.000Z");
  assert.equal(settings.blockOffUntil(off, now), Date.UTC(2026, 11, 3, 15, 0));
  assert.deepEqual(settings.effectiveFilters(filters, off, now), { min_hourly_cents: 900, block: [] });
  assert.deepEqual(filters.block.length, 1, "the stored rules are left as they are");
  // At the expiry and after it, the rules apply again; a missing or unreadable value means "on".
  assert.equal(settings.effectiveFilters(filters, off, Date.UTC(2026, 11, 3, 15, 0)), filters);
  assert.equal(settings.blockOffUntil(off, Date.UTC(2026, 11, 4)), null);
  assert.equal(settings.effectiveFilters(filters, { blockOffUntil: null }, now), filters);
  assert.equal(settings.effectiveFilters(filters, { blockOffUntil: "soon" }, now), filters);
  assert.deepEqual(settings.BLOCK_OFF_CHOICES.map(([minutes]) => minutes), [60, 240, 1440, 10080]);
});
