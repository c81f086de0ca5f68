'use strict';
// worker.mturk.com drawn the ways public evidence shows (tests/support/fake-mturk.js): every row annotated with
// its OWN task, with the HitSetTable props, without them, when the rows arrive late, after client-side
// pagination replaces the table (props left stale), and on the 100-row page of real HITs. A page whose rows
// the reader cannot read says so, shows its anonymous page-shape report, and sends it only when asked: the real
// server then holds exactly the report shown, and what it refuses is said in words.
// Real Chromium or Firefox (FF_BROWSER), real Fairfinder server (through a counting proxy).
const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../support/stack.js');
const { startCountingProxy } = require('../support/proxy.js');
const format = require('../../src/lib/format.js');

let stack;
let proxy;
const ROWS = 'li.hit-set-table-row';
const REPORTS = '/api/v1/page-reports';

before(async () => {
  stack = await startStack({ demo: true });
  proxy = await startCountingProxy(stack.server.url);
  await stack.configure({ settings: { serverUrl: proxy.url, onboarded: true }, filters: { min_hourly_cents: null, block: [] } });
});

after(async () => {
  await proxy?.close();
  await stack?.close();
});

beforeEach(() => stack.platform.resetListMode());

/** Each row: its title (the plain text of .project-name-column), its hit_set_id, and what our box names. */
async function rowsShown(page) {
  return page.$$eval('li.hit-set-table-row', (rows) => rows.map((row) => ({
    title: row.querySelector('.project-name-column').childNodes[0]?.textContent ?? '',
    hitSetId: (row.querySelector("a[href*='/projects/']").getAttribute('href').match(/\/projects\/([A-Z0-9]+)\//) || [])[1],
    named: row.querySelector(':scope > .ff-annotation .ff-review-button')?.getAttribute('aria-label') ?? null,
    hidden: row.querySelector(':scope > .ff-bar .ff-hidden-title')?.textContent ?? null,
  })));
}

async function waitForAnnotations(page, count, timeout = 20_000) {
  await page.waitForFunction((n) => document.querySelectorAll('li.hit-set-table-row').length === n
    && document.querySelectorAll('li.hit-set-table-row > .ff-annotation').length === n, count, { timeout });
}

/** Every row is annotated, and with its own task: the title our box names is the row's own title. */
function assertOwnTitles(shown, tasks) {
  assert.equal(shown.length, tasks.length);
  const byId = new Map(tasks.map((t) => [t.hit_set_id, t]));
  shown.forEach((row, i) => {
    const task = byId.get(row.hitSetId);
    assert.ok(task, `row ${i}: ${row.hitSetId} is a task of the page`);
    assert.equal(row.title, task.title, `row ${i} shows its title`);
    assert.equal(row.named, format.buttonName('Review', task.title), `row ${i} is annotated with its own task, not "${row.named}"`);
  });
  assert.ok(!shown.some((row) => /^Review: (Preview|Accept)/.test(row.named)), 'no row is titled after a button');
}

async function serverTitles() {
  return new Set((await stack.server.sql("select title from task_types tt join requesters r on r.id = tt.requester_id where r.platform = 'mturk'")).map((r) => r.title));
}

test('with the HitSetTable props, the 100 real HITs are each annotated with their own title', async () => {
  stack.platform.setCatalogue('sample');
  const tasks = stack.platform.tasks;
  assert.equal(tasks.length, 100);
  // Signed in, as a worker using the extension is: an anonymous page may record only a few never-seen tasks a
  // minute (FAIRFINDER_RECORD_ANONYMOUS), and this test checks that every one of 100 is recorded at first sight.
  const { settings } = await stack.storage();
  const { token } = await stack.server.register({ handle: 'mturk_reader' });
  await stack.configure({ settings: { ...settings, token } });
  try {
    await stack.withPage(async (page) => {
      const before = proxy.count('/api/v1/annotate', 'POST');
      await page.goto('https://worker.mturk.com/projects?page_size=100');
      assert.ok(await page.getAttribute("[data-react-class*='hitSetTable/HitSetTable']", 'data-react-props'));
      await waitForAnnotations(page, 100);
      assertOwnTitles(await rowsShown(page), tasks);
      assert.equal(proxy.count('/api/v1/annotate', 'POST') - before, 1, 'one annotate request for the page');
    });
  } finally {
    await stack.configure({ settings: { ...settings, token: settings.token ?? null } });
  }
  const stored = await serverTitles();
  assert.ok(tasks.every((t) => stored.has(t.title)), 'the server recorded every task under its real title');
});

test('without props, the rows are read from their cells: the title, not the Preview button', async () => {
  stack.platform.setCatalogue('sample');
  stack.platform.setListMode({ props: false });
  await stack.withPage(async (page) => {
    await page.goto('https://worker.mturk.com/projects?page_size=100');
    assert.equal(await page.getAttribute("[data-react-class*='hitSetTable/HitSetTable']", 'data-react-props'), null);
    await waitForAnnotations(page, 100);
    const shown = await rowsShown(page);
    assertOwnTitles(shown, stack.platform.tasks);
    // The reward and requester of each row were read from its cells: the box's hourly is in dollars.
    const hourly = await page.$$eval(`${ROWS} > .ff-annotation .ff-hourly`, (els) => els.map((e) => e.textContent));
    // A figure resting only on the requester's statement says so: "claims $6.44/h" (docs/evidence.md).
    assert.ok(hourly.every((h) => /^((claims )?\$\d+\.\d\d\/h|\?\/h)$/.test(h)), hourly.find((h) => !/^((claims )?\$|\?)/.test(h)));
  });
  // Keyword filters work on the real titles: blocking one title word hides exactly the rows with it.
  await stack.configure({ filters: { block: [{ pattern: 'receipt', match: 'substring', note: '' }] } });
  try {
    await stack.withPage(async (page) => {
      await page.goto('https://worker.mturk.com/projects?page_size=100');
      await waitForAnnotations(page, 100);
      const hidden = await page.$$eval(`${ROWS}.ff-hidden-row .project-name-column`, (els) => els.map((e) => e.childNodes[0].textContent));
      const expected = stack.platform.tasks.filter((t) => /receipt/i.test(`${t.title} ${t.requester_name}`)).map((t) => t.title);
      assert.ok(expected.length > 0);
      assert.deepEqual(hidden.sort(), expected.sort());
    });
  } finally {
    await stack.configure({ filters: { block: [] } });
  }
});

test('rows that arrive 1.5 s after load are annotated, with and without props', async () => {
  for (const props of [true, false]) {
    stack.platform.setListMode({ late: true, delayMs: 1500, props });
    await stack.withPage(async (page) => {
      await page.goto('https://worker.mturk.com/');
      assert.equal(await page.locator(ROWS).count(), 0, 'no rows at load');
      await waitForAnnotations(page, 27);
      assertOwnTitles(await rowsShown(page), stack.platform.tasks);
      assert.equal(await page.locator('#ff-notice').count(), 0, 'no "cannot read" notice for a late list');
    });
  }
});

test('client-side pagination replaces the table (props left stale): the new rows are annotated with their own tasks', async () => {
  stack.platform.setCatalogue('sample');
  stack.platform.setListMode({ clientPagination: true, pageSize: 20 });
  await stack.withPage(async (page) => {
    await page.goto('https://worker.mturk.com/projects');
    await waitForAnnotations(page, 20);
    const first = await rowsShown(page);
    const loads = [];
    page.on('load', () => loads.push(Date.now()));
    await page.locator('.pagination a.page-link', { hasText: '3' }).click();
    await page.waitForFunction(() => /page_number=3/.test(location.search));
    await page.waitForFunction((old) => {
      const rows = [...document.querySelectorAll('li.hit-set-table-row')];
      return rows.length === 20 && !rows.some((r) => r.textContent.includes(old))
        && rows.every((r) => r.querySelector(':scope > .ff-annotation'));
    }, first[0].title, { timeout: 20_000 });
    assert.deepEqual(loads, [], 'no page load: the table was re-rendered');
    const props = JSON.parse(await page.getAttribute("[data-react-class*='hitSetTable/HitSetTable']", 'data-react-props'));
    assert.equal(props.bodyData[0].hit_set_id, stack.platform.tasks[0].hit_set_id, 'the props still describe page 1');
    assertOwnTitles(await rowsShown(page), stack.platform.tasks.slice(40, 60));
  });
});

test('a re-render of the same rows (new nodes) keeps the overlay and asks the server nothing new', async () => {
  await stack.withPage(async (page) => {
    await page.goto('https://worker.mturk.com/');
    await waitForAnnotations(page, 27);
    const before = proxy.count('/api/v1/annotate', 'POST');
    await page.evaluate(() => window.__fakeMturk.rerender());
    assert.equal(await page.locator(`${ROWS} > .ff-annotation`).count(), 0, 'the re-render dropped our boxes');
    await waitForAnnotations(page, 27);
    assertOwnTitles(await rowsShown(page), stack.platform.tasks);
    // Expanding a row (MTurk adds an .expanded-row) changes nothing of ours.
    await page.locator(`${ROWS} .task-column`).first().click();
    await page.locator('.expanded-row').first().waitFor();
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.equal(await page.locator(`${ROWS} > .ff-annotation`).count(), 27);
    assert.equal(proxy.count('/api/v1/annotate', 'POST') - before, 0, 'answered from the cache');
  });
});

test('a requester page is annotated with its own tasks', async () => {
  stack.platform.setListMode({ props: false });
  const requesterId = stack.platform.tasks[0].requester_id;
  const own = stack.platform.tasks.filter((t) => t.requester_id === requesterId);
  await stack.withPage(async (page) => {
    await page.goto(`https://worker.mturk.com/requesters/${requesterId}/projects`);
    await waitForAnnotations(page, own.length);
    assertOwnTitles(await rowsShown(page), own);
  });
});

test('a page whose rows cannot be read says so in words and with the badge, and shows exactly the report it would send', async () => {
  stack.platform.setListMode({ broken: true });
  await stack.withPage(async (page) => {
    await page.goto('https://worker.mturk.com/');
    const notice = page.locator('#ff-notice');
    await notice.filter({ hasText: 'cannot read the tasks on this page' }).waitFor({ timeout: 15_000 });
    assert.equal(await notice.getAttribute('role'), 'status');
    assert.match(await notice.textContent(), /nothing here is rated/);
    const badge = await stack.inExtension(async () => {
      const ext = globalThis.browser ?? globalThis.chrome;
      const [tab] = (await ext.tabs.query({})).filter((t) => /worker\.mturk\.com/.test(t.url || ''));
      return { text: await ext.action.getBadgeText({ tabId: tab.id }), title: await ext.action.getTitle({ tabId: tab.id }) };
    });
    assert.deepEqual(badge, { text: '!', title: 'Fairfinder cannot read all tasks on this page' });

    await page.getByRole('button', { name: 'What would be reported…' }).click();
    const dialog = page.getByRole('dialog', { name: "Report this page's shape" });
    await dialog.waitFor();
    const json = await dialog.locator('pre').textContent();
    const report = JSON.parse(json);
    assert.equal(report.platform, 'mturk');
    assert.equal(report.page, 'search');
    assert.equal(report.problem, 'no_tasks');
    assert.equal(report.extension_version, '0.1.0');
    assert.equal(report.browser, stack.browserName);
    assert.deepEqual(report.counts, { rows_seen: 0, tasks_read: 0, data_items: 27 });
    assert.equal(report.probes.hitset_table, 1);
    assert.equal(report.probes.rows, 0);
    assert.ok(report.elements.some((e) => e.tag === 'div' && e.classes.includes('hit-card') && e.count === 27), 'the new shape is described');
    // Nothing personal or identifying: no title, requester, id or address.
    for (const task of stack.platform.tasks) {
      assert.ok(!json.includes(task.title) && !json.includes(task.requester_id) && !json.includes(task.hit_set_id), task.title);
    }
    assert.ok(!/worker\.mturk\.com|https?:|\?|filters/.test(json), 'no address or query');

    // Send: the real server holds exactly what was shown — no more, no less — and nothing of the worker, who is
    // signed in but whose token does not go with the report.
    const { settings } = await stack.storage();
    const { token } = await stack.server.register({ handle: 'reporting_worker' });
    await stack.configure({ settings: { serverUrl: proxy.url, token } });
    try {
      const before = proxy.count(REPORTS, 'POST');
      await dialog.getByRole('button', { name: 'Send this report' }).click();
      await dialog.getByText('Thank you: the report was sent.').waitFor();
      assert.equal(proxy.count(REPORTS, 'POST') - before, 1);
      assert.deepEqual(proxy.requests(REPORTS).filter((r) => r.method === 'POST').slice(before).map((r) => r.auth), [null],
        'anonymous: no token');
      const rows = await stack.server.sql('SELECT * FROM page_reports');
      assert.equal(rows.length, 1);
      const [row] = rows;
      assert.deepEqual(Object.keys(row).sort(), ['browser', 'counts', 'day', 'elements', 'extension_version', 'fingerprint',
        'id', 'page', 'platform', 'probes', 'problem', 'schema_version']);
      assert.deepEqual({
        schema: Number(row.schema_version), platform: row.platform, extension_version: row.extension_version,
        browser: row.browser, page: row.page, problem: row.problem, counts: JSON.parse(row.counts),
        probes: JSON.parse(row.probes), elements: JSON.parse(row.elements),
      }, report, 'the server holds the report the worker was shown');
      assert.match(row.day, /^\d{4}-\d{2}-\d{2}$/, 'a day, no time');
      assert.ok(!JSON.stringify(row).includes(token) && !JSON.stringify(row).includes('reporting_worker'));
    } finally {
      await stack.configure({ settings: { ...settings, token: settings.token ?? null } });
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });
});

// What the server may answer besides "stored", said in words in the dialog (the proxy answers in the server's
// shape: an older server without the route, its rate limit, its size limit, a refusal naming the field).
const REFUSALS = [
  ['an older server without page reports', { status: 404, body: '{"status": 404, "code": "not_found", "message": "There is nothing at this address."}' },
    'Your Fairfinder server does not take page reports yet. Nothing was sent.'],
  ['the rate limit', { status: 429, headers: { 'retry-after': '1800' }, body: '{"status": 429, "code": "rate_limited", "message": "Too many requests; try again in 1800 seconds."}' },
    'Not stored: your Fairfinder server takes only a few page reports an hour from one connection, and has had them. Try again in about 30 minutes.'],
  ['the size limit', { status: 413, body: '{"status": 413, "code": "payload_too_large", "message": "A page report can be at most 98304 bytes of JSON; this one is larger, so nothing was stored."}' },
    'Not stored: the report is larger than your Fairfinder server takes. It says: “A page report can be at most 98304 bytes of JSON; this one is larger, so nothing was stored.”'],
  ['a refused field', { status: 422, body: '{"status": 422, "code": "looks_identifying", "message": "elements[0].testid: holds a run of 5 or more digits", "field": "elements[0].testid"}' },
    'Not stored: your Fairfinder server refused the report. It says: “elements[0].testid: holds a run of 5 or more digits”'],
];

test('what the server refuses is said in words, and the report can be sent again', async () => {
  stack.platform.setListMode({ broken: true });
  await stack.withPage(async (page) => {
    await page.goto('https://worker.mturk.com/');
    await page.getByRole('button', { name: 'What would be reported…' }).click({ timeout: 15_000 });
    const dialog = page.getByRole('dialog', { name: "Report this page's shape" });
    const status = dialog.locator('[role="status"]');
    for (const [what, answer, words] of REFUSALS) {
      proxy.answer(answer);
      try {
        const before = proxy.count(REPORTS, 'POST');
        await dialog.getByRole('button', { name: 'Send this report' }).click();
        await dialog.getByText(words, { exact: true }).waitFor();
        assert.equal(proxy.count(REPORTS, 'POST') - before, 1, what);
        assert.equal(await status.getAttribute('class'), 'ff-form-status ff-error', what);
      } finally {
        proxy.answer(null);
      }
    }
    // Still open, its button back: the worker may send it once the server takes it.
    const rowsBefore = (await stack.server.sql('SELECT count(*) AS n FROM page_reports'))[0].n;
    await dialog.getByRole('button', { name: 'Send this report' }).click();
    await dialog.getByText('Thank you: the report was sent.').waitFor();
    assert.equal(Number((await stack.server.sql('SELECT count(*) AS n FROM page_reports'))[0].n), Number(rowsBefore) + 1);
  });
});

test('rows and tasks that disagree (some rows unreadable) are said, with how many were read', async () => {
  stack.platform.setListMode({ props: false });
  await stack.withPage(async (page) => {
    await page.goto('https://worker.mturk.com/');
    await waitForAnnotations(page, 27);
    // The platform changes three rows' reward cell into something unreadable.
    await page.evaluate(() => {
      [...document.querySelectorAll('li.hit-set-table-row')].slice(0, 3).forEach((row) => { row.querySelector('.reward-column').textContent = 'see details'; });
      window.__fakeMturk.rerender = null;
      const rows = document.querySelector('ol.hit-set-table');
      const copy = rows.cloneNode(true);
      copy.querySelectorAll('.ff-annotation').forEach((box) => box.remove()); // the platform draws its own rows
      rows.replaceWith(copy);
    });
    await page.locator('#ff-notice').filter({ hasText: 'could read only 24 of the 27 tasks' }).waitFor({ timeout: 15_000 });
    // The 24 readable rows are annotated; the three others are not, and no stale box is left on them.
    await page.waitForFunction(() => document.querySelectorAll('li.hit-set-table-row > .ff-annotation').length === 24);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await page.locator(`${ROWS} > .ff-annotation`).count(), 24);
    assert.equal(await page.locator(`${ROWS}:nth-child(-n+4) > .ff-annotation`).count(), 0);
  });
});
