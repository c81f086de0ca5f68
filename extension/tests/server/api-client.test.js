'use strict';
// The extension's API client (src/lib/api.js) against a real Fairfinder server process: the calls the
// background and the options page make, and how failures reach them (code, message, field, offline).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { FairfinderServer, freePort } = require('../support/stack.js');
const { Client, ServerError } = require('../../src/lib/api.js');
const pageReport = require('../../src/lib/page-report.js');

let server;
let tmp;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fairfinder-api-'));
  fs.mkdirSync(path.join(tmp, 'var'));
  server = new FairfinderServer({ dataDir: path.join(tmp, 'var'), port: await freePort(),
    env: { FAIRFINDER_RATE_LIMITS: 'on', FAIRFINDER_RATE_LIMIT_REPORTS: '10/hour' } });
  await server.cli('migrate');
  await server.start();
});

after(async () => {
  await server?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const task = { platform: 'mturk', requester_id: 'A1CLIENTTEST', requester_name: 'Client Lab', title: 'Client survey', reward_cents: 50 };

test('register, me, filters, annotate and timings round-trip', async () => {
  const anonymous = new Client({ serverUrl: `${server.url}/` });
  const registered = await anonymous.register({ handle: 'client_test' });
  assert.match(registered.token, /^ff_/);
  const client = new Client({ serverUrl: server.url, token: registered.token });
  assert.equal((await client.me()).handle, 'client_test');

  const saved = await client.putFilters({ min_hourly_cents: 900, block: [{ pattern: 'Client*', match: 'wildcard' }] });
  assert.equal(saved.min_hourly_cents, 900);
  assert.deepEqual((await client.getFilters()).block.map((r) => r.pattern), ['Client*']);

  const annotated = await client.annotate('mturk', { tasks: [task] });
  assert.equal(annotated.filters_from, 'saved');
  assert.equal(annotated.tasks[0].verdict.hidden, true);
  const withLocal = await anonymous.annotate('mturk', { tasks: [task] }, { min_reward_cents: 100 });
  assert.equal(withLocal.filters_from, 'request');
  assert.equal(withLocal.tasks[0].verdict.reasons[0].code, 'below_min_reward');

  const ended = Date.now() - 60_000;
  const timing = { ...task, assignment_id: 'ASCLIENT1', accepted_at: new Date(ended - 300_000).toISOString(),
    ended_at: new Date(ended).toISOString(), outcome: 'submitted' };
  const stored = await client.postTiming(timing);
  assert.equal(stored.seconds, 300);
  const again = await client.postTiming(timing);
  assert.equal(again.id, stored.id, 'sending twice stores once');
  const page = await client.listTimings();
  assert.deepEqual(page.items.map((t) => t.assignment_id), ['ASCLIENT1']);
  assert.equal(await client.deleteTiming(stored.id), null);
  assert.deepEqual((await client.listTimings()).items, []);
});

test('own reviews: listed (one requester, or all), edited, and the 409 of a second review is found among them', async () => {
  const { token } = await new Client({ serverUrl: server.url }).register({ handle: 'client_reviewer' });
  const client = new Client({ serverUrl: server.url, token });
  const review = { platform: 'mturk', requester_id: task.requester_id, requester_name: task.requester_name,
    task: { title: task.title, reward_cents: task.reward_cents }, ratings: { pay: 2 }, outcome: 'pending' };
  const first = await client.postReview(review);
  const whole = await client.postReview({ ...review, task: undefined, outcome: undefined });
  await assert.rejects(client.postReview(review), { status: 409, code: 'review_exists' });
  const mine = await client.listOwnReviews({ platform: 'mturk', requester: task.requester_id });
  assert.deepEqual(mine.items.map((r) => r.id), [whole.id, first.id]);
  assert.equal(mine.items[0].task, null);
  assert.equal((await client.listOwnReviews({ limit: 1 })).next_cursor !== null, true);
  const edited = await client.patchReview(first.id, { outcome: 'approved', ratings: { pay: 4 } });
  assert.equal(edited.outcome, 'approved');
  assert.equal(edited.ratings.pay, 4);
  assert.equal(edited.edits, 1);
  await assert.rejects(client.patchReview(first.id, {}), { status: 422, code: 'nothing_to_change' });
  assert.deepEqual((await client.listHistory({ state: 'approved' })).items, []);
});

test('a one-time sign-in link: made for a page, opens it signed in once, then says it was used', async () => {
  const { token } = await new Client({ serverUrl: server.url }).register({ handle: 'client_linker' });
  const client = new Client({ serverUrl: server.url, token });
  const link = await client.signInLink('/listen');
  assert.equal(link.next, '/listen');
  assert.match(link.path, /^\/sign-in\/[A-Za-z0-9_-]{20,}$/);
  assert.equal(link.url, `${server.url}${link.path}`);
  assert.ok(!link.url.includes(token), 'the token is never in the address');
  const first = await fetch(link.url, { redirect: 'manual' });
  assert.equal(first.status, 303);
  assert.equal(first.headers.get('location'), '/listen');
  assert.ok(first.headers.get('set-cookie'), 'the browser is signed in by a cookie');
  const again = await fetch(link.url, { redirect: 'manual' });
  assert.equal(again.status, 410);
  assert.match(await again.text(), /has been used/);
  assert.equal((await client.signInLink()).next, '/me', '/me when no page is named');
  await assert.rejects(client.signInLink('https://elsewhere.example/'), { status: 422, field: 'next' });
  await assert.rejects(new Client({ serverUrl: server.url }).signInLink('/me'), { status: 401 });
});

test('server refusals arrive as ServerError with its code, message and field', async () => {
  const client = new Client({ serverUrl: server.url });
  await assert.rejects(client.annotate('mturk', { tasks: [{ ...task, reward_cents: -1 }] }), (error) => {
    assert.ok(error instanceof ServerError);
    assert.equal(error.status, 422);
    assert.equal(error.code, 'invalid_field');
    assert.equal(error.field, 'tasks[0].reward_cents');
    assert.equal(error.offline, false);
    return true;
  });
  await assert.rejects(client.me(), { status: 401, code: 'unauthorized' });
  await assert.rejects(new Client({ serverUrl: server.url, token: 'ff_nope' }).me(), { status: 401, code: 'invalid_token' });
});

test('an unreachable, slow or foreign server is reported as such', async () => {
  const closed = new Client({ serverUrl: `http://127.0.0.1:${await freePort()}` });
  await assert.rejects(closed.health(), { code: 'unreachable', offline: true, status: 0 });

  const foreign = http.createServer((req, res) => {
    if (req.url.startsWith('/slow')) return setTimeout(() => res.end('{}'), 2000);
    if (req.url.startsWith('/html')) { res.writeHead(200, { 'content-type': 'text/html' }); return res.end('<h1>hi</h1>'); }
    res.writeHead(502, { 'content-type': 'text/html' });
    return res.end('<h1>Bad gateway</h1>');
  });
  await new Promise((resolve) => foreign.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${foreign.address().port}`;
  try {
    await assert.rejects(new Client({ serverUrl: `${base}/slow`, timeoutMs: 200 }).health(), { code: 'timeout', offline: true });
    await assert.rejects(new Client({ serverUrl: `${base}/html` }).health(), { code: 'not_json', offline: false });
    await assert.rejects(new Client({ serverUrl: base }).health(), { code: 'http_502', status: 502, offline: true });
  } finally {
    foreign.closeAllConnections();
    await new Promise((resolve) => foreign.close(resolve));
  }
});

test('a page-shape report: stored exactly as built, refused with the field, limited with the wait', async () => {
  const anonymous = new Client({ serverUrl: server.url });
  const report = pageReport.build({
    platform: 'prolific', extensionVersion: '0.1.0', browser: 'firefox', pathname: '/studies', problem: 'no_tasks',
    counts: { rows_seen: 0, tasks_read: 0, data_items: 12 }, probes: { study_cards: 0, studies_json: 12 },
    entries: [{ tag: 'LI', classes: ['list-item'], testid: 'study-676eda540ac41cc075b4e578' }, { tag: 'SPAN', classes: ['amount'], testid: null }],
  });
  const answer = await anonymous.postPageReport(report);
  assert.equal(answer.stored, true);
  assert.match(answer.fingerprint, /^[0-9a-f]{64}$/);
  const [row] = await server.sql('SELECT * FROM page_reports');
  assert.deepEqual({
    schema: Number(row.schema_version), platform: row.platform, extension_version: row.extension_version, browser: row.browser,
    page: row.page, problem: row.problem, counts: JSON.parse(row.counts), probes: JSON.parse(row.probes), elements: JSON.parse(row.elements),
  }, report);
  assert.deepEqual(Object.keys(row).sort(), ['browser', 'counts', 'day', 'elements', 'extension_version', 'fingerprint', 'id',
    'page', 'platform', 'probes', 'problem', 'schema_version']);

  // A forged report (the id the builder would have replaced) is refused, naming the field.
  const forged = { ...report, elements: [{ tag: 'li', classes: [], testid: 'study-676eda540ac41cc075b4e578', count: 1 }] };
  const refused = await anonymous.postPageReport(forged).catch((e) => e);
  assert.ok(refused instanceof ServerError);
  assert.deepEqual([refused.status, refused.code, refused.field], [422, 'looks_identifying', 'elements[0].testid']);
  assert.match(pageReport.sendWords({ ok: false, error: refused.toJSON() }).message, /^Not stored: your Fairfinder server refused the report\. It says: “elements\[0\]\.testid: /);

  // 10 reports an hour per address (FAIRFINDER_RATE_LIMIT_REPORTS, its default, set above); the refusal counted too.
  let sent = 2;
  let limited = null;
  while (!limited && sent < 20) {
    limited = await anonymous.postPageReport(report).then(() => null, (e) => e);
    sent += 1;
  }
  assert.equal(sent, 11, 'the eleventh report of the hour is refused');
  assert.deepEqual([limited.status, limited.code], [429, 'rate_limited']);
  assert.ok(limited.waitSeconds >= 1 && limited.waitSeconds <= 3600, String(limited.waitSeconds));
  assert.match(pageReport.sendWords({ ok: false, error: limited.toJSON() }).message, /has had them\. Try again in (\d+ seconds|about \d+ (minutes|hours?))\.$/);
  assert.equal(Number((await server.sql('SELECT count(*) AS n FROM page_reports'))[0].n), 9);
});
