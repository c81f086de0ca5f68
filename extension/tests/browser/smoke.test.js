'use strict';
// The harness itself: server + fake platform + Chromium with the extension, wired together.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const { startStack } = require('../support/stack.js');

let stack;

before(async () => {
  stack = await startStack({ demo: true });
});

after(async () => {
  if (stack) await stack.close();
});

const { unpackedExtensionId } = require('../support/browser.js');

function portIsClosed(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(true));
  });
}

const queueJson = (page) => page.evaluate(async () => (await fetch('/tasks?format=json')).json());

test('the extension is loaded, its background answers, and its pages have the expected address', async () => {
  if (stack.browserName === 'chromium') {
    assert.equal(stack.extensionOrigin, `chrome-extension://${unpackedExtensionId(stack.extensionDir)}`);
  } else {
    assert.match(stack.extensionOrigin, /^moz-extension:\/\/[0-9a-f-]{36}$/);
  }
  const seen = await stack.inExtension(async () => {
    const ext = globalThis.browser ?? globalThis.chrome;
    const answer = await ext.runtime.sendMessage({ type: 'open-assignments' });
    return { version: ext.runtime.getManifest().version, origin: location.origin, answer };
  });
  assert.equal(seen.version, '0.1.0');
  assert.equal(seen.origin, stack.extensionOrigin);
  assert.deepEqual(seen.answer, { ok: true, assignments: [] }, 'the background script answers messages');
});

test('https://worker.mturk.com/ is the fake task list, rows matching the embedded JSON', async () => {
  await stack.withPage(async (page) => {
    const response = await page.goto('https://worker.mturk.com/');
    assert.equal(response.status(), 200);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.ok((await page.title()).length > 0);
    assert.equal(await page.locator('li.table-row').count(), 27);
    assert.equal(await page.locator('ol.hit-set-table > li').count(), 28, 'one element before the rows [panda]');
    const props = await page.getAttribute("[data-react-class*='hitSetTable/HitSetTable']", 'data-react-props');
    const { bodyData } = JSON.parse(props);
    assert.equal(bodyData.length, 27);
    assert.ok(bodyData.every((r) => r.requester_id.startsWith('ADEMO')), 'demo requester ids');
    assert.ok(bodyData.every((r) => /^[A-Z0-9]{30}$/.test(r.hit_set_id)), 'hit_set_id shape');
    assert.deepEqual(bodyData.map((r) => r.hit_set_id), stack.platform.tasks.map((t) => t.hit_set_id));
    assert.equal(bodyData.filter((r) => !r.caller_meets_requirements).length, 2);
    assert.equal(bodyData.filter((r) => r.project_requirements.some((q) => q.qualification_type_id === '2F1QJWKUDD8XADTFD2Q0G6UTO95ALH')).length, 1);
    // The title is the plain text of .project-name-column; the first /projects/ link of a row is Preview.
    const titles = await page.locator('li.table-row .project-name-column').allTextContents();
    assert.deepEqual(titles, bodyData.map((r) => r.title));
    assert.equal(await page.locator('li.table-row .project-name-column a').count(), 0);
    const firstLinks = await page.$$eval('li.table-row', (rows) => rows.map((row) => row.querySelector("a[href*='/projects/']").textContent));
    assert.ok(firstLinks.every((text) => text === 'Preview'));
    assert.deepEqual(await page.locator('li.table-row .task-column').allTextContents(), bodyData.map((r) => String(r.assignable_hits_count)));
    const pagination = await page.getAttribute("[data-react-class*='navigation/Pagination']", 'data-react-props');
    assert.deepEqual(JSON.parse(pagination), { lastPage: 1, currentPage: 1 });

    // The same requesters exist in the server's demo seed.
    const rows = await stack.server.sql("select external_id from requesters where platform = 'mturk'");
    const seeded = new Set(rows.map((r) => r.external_id));
    assert.ok(bodyData.every((r) => seeded.has(r.requester_id)), 'every list requester is in the server database');

    const json = await page.evaluate(async () => (await fetch('/?format=json&page_size=10&page_number=3')).json());
    assert.deepEqual([json.page_number, json.num_results, json.total_num_results], [3, 7, 27]);

    const requester = bodyData[0].requester_id;
    await page.goto(`https://worker.mturk.com/requesters/${requester}/projects`);
    const own = stack.platform.tasks.filter((t) => t.requester_id === requester).length;
    assert.equal(await page.locator('li.table-row').count(), own);

    stack.platform.setEmbedJson(false);
    try {
      await page.goto('https://worker.mturk.com/projects');
      assert.equal(await page.locator('li.table-row').count(), 27);
      assert.equal(await page.locator('[data-react-props*="bodyData"]').count(), 0);
    } finally {
      stack.platform.setEmbedJson(true);
    }

    assert.equal((await page.goto('https://worker.mturk.com/no/such/page')).status(), 404);
  });
});

test('app.prolific.com/studies renders the API\'s studies late, as cards naming the researcher only by name', async () => {
  await stack.withPage(async (page) => {
    await page.goto('https://app.prolific.com/studies');
    assert.equal(await page.locator("li[data-testid^='study-']").count(), 0, 'nothing before the data arrives');
    await page.locator("[data-testid='studies-list'] li.list-item").first().waitFor();
    assert.equal(await page.locator("ul.list > li.list-item[data-testid^='study-']").count(), 12);
    const first = page.locator('li.list-item').first();
    assert.equal(await first.getAttribute('data-testid'), 'study-676eda540ac41cc075b4e578');
    assert.equal(await first.locator("[data-testid='title']").textContent(), 'Background survey');
    assert.equal(await first.locator("[data-testid='host']").innerText(), 'By columbia.edu');
    assert.equal(await first.locator("[data-testid='study-tag-reward']").textContent(), '$0.80');
    assert.equal(await first.locator("[data-testid='study-tag-completion-time']").textContent(), '3 mins');
    assert.equal(await first.locator("[data-testid='study-tag-places']").textContent(), '640 places');
    const html = await page.evaluate(() => document.querySelector("[data-testid='studies-list']").outerHTML);
    assert.ok(!html.includes(stack.platform.studies[0].researcher.id), 'no researcher id in the DOM');
    assert.ok(await page.locator("[data-testid^='study-']").count() > 12 * 4, 'the prefix also matches tags and panels');
    // The app asked its API with a token, and the API answered the JSON the extension reads.
    assert.ok(stack.platform.prolific.requests.some((r) => r.path === '/api/v1/participant/studies/' && r.status === 200));
  });
});

test('the server answers /health and registers workers', async () => {
  const health = await fetch(`${stack.server.url}/health`);
  assert.equal(health.status, 200);
  const registered = await stack.server.register();
  assert.match(registered.token, /^ff_/);
  const rows = await stack.server.sql('select handle from workers where handle = ?', [registered.worker.handle]);
  assert.deepEqual(rows, [{ handle: registered.worker.handle }]);
});

test('accept, submit through the HIT frame, accept and return', async () => {
  const task = stack.platform.tasks.find((t) => t.caller_meets_requirements);
  await stack.withPage(async (page) => {
    await page.goto(`https://worker.mturk.com${task.accept_project_task_url}`);
    const url = new URL(page.url());
    assert.match(url.pathname, new RegExp(`^/projects/${task.hit_set_id}/tasks/[A-Z0-9]{30}$`));
    const assignmentId = url.searchParams.get('assignment_id');
    assert.match(assignmentId, /^[A-Z0-9]{30}$/);
    let queue = await queueJson(page);
    assert.equal(queue.tasks.length, 1);
    assert.equal(queue.tasks[0].assignment_id, assignmentId);
    assert.equal(queue.tasks[0].project.hit_set_id, task.hit_set_id);
    assert.ok(Array.isArray(queue.tasks[0].project.hit_requirements));
    assert.deepEqual(stack.platform.queue().map((t) => t.assignment_id), [assignmentId]);

    const hit = page.frameLocator('iframe[title="HIT"]');
    await hit.locator('textarea').fill('done');
    await Promise.all([page.waitForURL('https://worker.mturk.com/projects'), hit.getByRole('button', { name: 'Submit' }).click()]);
    queue = await queueJson(page);
    assert.equal(queue.tasks.length, 0);
    assert.deepEqual(stack.platform.history.map(({ assignment_id, outcome }) => ({ assignment_id, outcome })),
      [{ assignment_id: assignmentId, outcome: 'submitted' }]);

    await page.goto(`https://worker.mturk.com${task.accept_project_task_url}`);
    const second = new URL(page.url()).searchParams.get('assignment_id');
    await Promise.all([page.waitForURL('https://worker.mturk.com/projects'), page.getByRole('button', { name: 'Return' }).click()]);
    assert.equal(stack.platform.queue().length, 0);
    assert.deepEqual(stack.platform.history.at(-1).outcome, 'returned');
    assert.equal(stack.platform.history.at(-1).assignment_id, second);

    const gone = await page.goto(`https://worker.mturk.com/projects/${task.hit_set_id}/tasks/X?assignment_id=${second}`);
    assert.equal(gone.status(), 404);
  });
});

test('configure merges into storage.local; openOptions opens the options page', async () => {
  await stack.configure({ settings: { serverUrl: stack.server.url } });
  await stack.configure({ settings: { handle: 'smoke' }, filters: { target_cents_per_hour: 1200 } });
  const stored = await stack.storage();
  assert.equal(stored.settings.serverUrl, stack.server.url);
  assert.equal(stored.settings.handle, 'smoke');
  assert.equal(stored.filters.target_cents_per_hour, 1200);

  const options = await stack.openOptions();
  try {
    assert.equal(await options.evaluate(() => location.href), `${stack.extensionOrigin}/src/options/options.html`);
  } finally {
    await options.close();
  }
});

test('the server stops and starts again on the same port with the same data', async () => {
  const before = await stack.server.sql('select count(*) as n from reviews');
  await stack.server.stop();
  await assert.rejects(fetch(`${stack.server.url}/health`));
  await stack.server.start();
  assert.equal((await fetch(`${stack.server.url}/health`)).status, 200);
  assert.deepEqual(await stack.server.sql('select count(*) as n from reviews'), before);
  assert.ok(before[0].n > 0);
});

test('close() stops everything and removes the temporary folder', async () => {
  const { tmp } = stack;
  const serverPort = stack.server.port;
  const platformPort = stack.platform.port;
  assert.ok(fs.existsSync(tmp));
  await stack.close();
  assert.equal(fs.existsSync(tmp), false);
  assert.ok(await portIsClosed(serverPort), 'server port closed');
  assert.ok(await portIsClosed(platformPort), 'platform port closed');
  await stack.close(); // a second close is harmless
});
