// The API client and a busy server: 503 with Retry-After closes the server's gate for that long, and nothing is
// sent until then (a fake fetch and an injected clock: no network, no wall clock).
const test = require("node:test");
const assert = require("node:assert/strict");
const { Client, ServerError, Gate, retryAfterSeconds, DEFAULT_BUSY_SECONDS, MAX_BUSY_SECONDS } = require("../../src/lib/api.js");

function fakeServer(answers) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url, method: init.method, auth: init.headers.Authorization || null });
    const next = answers.shift();
    return new Response(next.body ?? "{}", { status: next.status, headers: next.headers || { "content-type": "application/json" } });
  };
  return { calls, fetch };
}

test("Retry-After in seconds or as a date, bounded; a default when missing or unreadable", () => {
  const now = Date.parse("2026-12-01T10:00:00Z");
  assert.equal(retryAfterSeconds("120", now), 120);
  assert.equal(retryAfterSeconds("Tue, 01 Dec 2026 10:01:30 GMT", now), 90);
  assert.equal(retryAfterSeconds("Tue, 01 Dec 2026 09:00:00 GMT", now), 1, "a date in the past: ask again soon, not at once");
  assert.equal(retryAfterSeconds("0", now), 1);
  assert.equal(retryAfterSeconds(null, now), DEFAULT_BUSY_SECONDS);
  assert.equal(retryAfterSeconds("soon", now), DEFAULT_BUSY_SECONDS);
  assert.equal(retryAfterSeconds("99999999", now), MAX_BUSY_SECONDS);
});

test("a 503 closes the gate for Retry-After seconds: no request goes out until then, whoever asks", async () => {
  let now = Date.parse("2026-12-01T10:00:00Z");
  const gate = new Gate(() => now);
  const server = fakeServer([
    { status: 503, headers: { "retry-after": "20", "content-type": "text/html" }, body: "<h1>busy</h1>" },
    { status: 200, body: '{"tasks": []}' },
  ]);
  const client = new Client({ serverUrl: "http://127.0.0.1:9", fetch: server.fetch, gate });
  const other = new Client({ serverUrl: "http://127.0.0.1:9", token: "ff_x", fetch: server.fetch, gate });
  const busy = await client.annotate("mturk", { tasks: [] }).catch((e) => e);
  assert.ok(busy instanceof ServerError);
  assert.deepEqual([busy.status, busy.code, busy.retryAfter, busy.busy, busy.offline], [503, "server_busy", 20, true, true]);
  assert.deepEqual(busy.toJSON().retry_after, 20);
  now += 19_000;
  for (const ask of [() => client.annotate("mturk", { tasks: [] }), () => other.postTiming({}), () => other.postPageReport({})]) {
    const error = await ask().catch((e) => e);
    assert.equal(error.code, "server_busy");
    assert.equal(error.retryAfter, 1);
  }
  assert.equal(server.calls.length, 1, "nothing was sent while busy");
  now += 1_000;
  assert.deepEqual(await client.annotate("mturk", { tasks: [] }), { tasks: [] });
  assert.equal(server.calls.length, 2);
});

test("page reports go without the worker's token", async () => {
  const server = fakeServer([{ status: 201, body: '{"stored": true}' }]);
  const client = new Client({ serverUrl: "http://127.0.0.1:9/", token: "ff_secret", fetch: server.fetch });
  assert.deepEqual(await client.postPageReport({ schema: 1 }), { stored: true });
  assert.deepEqual(server.calls, [{ url: "http://127.0.0.1:9/api/v1/page-reports", method: "POST", auth: null }]);
});

test("a 429 carries the wait its Retry-After names, and is not a busy server", async () => {
  const now = Date.parse("2026-12-01T10:00:00Z");
  const gate = new Gate(() => now);
  const server = fakeServer([
    { status: 429, headers: { "retry-after": "1800", "content-type": "application/json" },
      body: '{"status": 429, "code": "rate_limited", "message": "Too many requests; try again in 1800 seconds."}' },
    { status: 201, body: '{"stored": true}' },
  ]);
  const client = new Client({ serverUrl: "http://127.0.0.1:9", fetch: server.fetch, gate });
  const limited = await client.postPageReport({ schema: 1 }).catch((e) => e);
  assert.deepEqual([limited.status, limited.code, limited.waitSeconds, limited.busy], [429, "rate_limited", 1800, false]);
  assert.equal(limited.toJSON().wait_seconds, 1800);
  assert.equal(gate.wait(), 0, "the server is not busy: other calls go on");
  assert.deepEqual(await client.postPageReport({ schema: 1 }), { stored: true });
});
