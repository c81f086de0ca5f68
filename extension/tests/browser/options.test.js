'use strict';
// The options page and the popup against a real Fairfinder server: what a worker sees and what arrives.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startStack } = require('../support/stack.js');
const { DEFAULT_SETTINGS, DEFAULT_FILTERS } = require('../../src/lib/settings.js');

let stack;

before(async () => {
  stack = await startStack({ demo: true });
});

after(async () => {
  if (stack) await stack.close();
});

/** Storage as a fresh install pointed at the test server (onboarded unless told otherwise). */
async function reset({ settings = {}, filters = {} } = {}) {
  await stack.configure({
    settings: { ...DEFAULT_SETTINGS, serverUrl: stack.server.url, onboarded: true, ...settings },
    filters: { ...DEFAULT_FILTERS, ...filters },
    reviewUpdates: null,
  });
}

async function call(method, path, { token, body } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${stack.server.url}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, data: text ? JSON.parse(text) : null };
}

async function signedInWorker() {
  const { worker, token } = await stack.server.register();
  await reset({ settings: { token, handle: worker.handle } });
  return { worker, token };
}

async function openOptions() {
  const page = await stack.openOptions();
  await page.waitForSelector('html[data-ready="true"]');
  return page;
}

async function openPopup() {
  const page = await stack.openPopup();
  await page.waitForSelector('html[data-ready="true"]');
  return page;
}

/**
 * What the page's "Export lists" offers for download: the link's file name and the Blob it points to. Read in
 * the page (Firefox over WebDriver BiDi has no download events), by watching URL.createObjectURL and the
 * link's click.
 */
async function exported(page, press) {
  await page.evaluate(() => {
    const original = URL.createObjectURL;
    window.__ffBlobs = new Map();
    window.__ffDownloads = [];
    URL.createObjectURL = function (blob) { const url = original.call(URL, blob); window.__ffBlobs.set(url, blob); return url; };
    // The click on the download link is recorded instead of saving a file.
    HTMLAnchorElement.prototype.click = function () { if (this.download) window.__ffDownloads.push({ name: this.download, href: this.href }); };
  });
  await press();
  await page.waitForFunction(() => window.__ffDownloads.length > 0);
  return page.evaluate(async () => {
    const [download] = window.__ffDownloads;
    return { name: download.name, text: await window.__ffBlobs.get(download.href).text() };
  });
}

/** Wait until a live region says something containing `text`; returns its whole text. */
async function statusSays(page, selector, text) {
  const region = page.locator(selector).filter({ hasText: text });
  try {
    await region.waitFor({ timeout: 10_000 });
  } catch (error) {
    const said = await page.locator(selector).textContent();
    throw new Error(`${selector} never said "${text}"; it says "${said}"`);
  }
  return region.textContent();
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core'), 'utf8');

async function axe(page) {
  // Not page.addScriptTag: extension pages' CSP (script-src 'self') refuses an inline <script>; evaluating
  // through the DevTools protocol is not subject to it.
  if (!(await page.evaluate(() => Boolean(globalThis.axe)))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => globalThis.axe.run(document, {
    runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'],
  }));
  return result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

const savedFilters = async (token) => (await call('GET', '/api/v1/me/filters', { token })).data;

test('creating an account from the page shows the token once and signs in', async () => {
  await reset();
  const page = await openOptions();
  try {
    assert.equal(await page.locator('#welcome').isVisible(), false, 'no welcome once onboarded');
    await page.getByRole('button', { name: 'Create a pseudonymous account' }).click();
    await statusSays(page, '#account-status', 'Account created');
    const token = await page.getByLabel('Token', { exact: true }).inputValue();
    assert.match(token, /^ff_/);
    assert.match(await page.locator('#new-token').textContent(), /shown only once.*another browser/s);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'new-token-heading');

    const { settings } = await stack.storage();
    assert.equal(settings.token, token);
    assert.match(settings.handle, /^worker-/);
    assert.equal(await page.locator('#handle').textContent(), settings.handle);
    const me = await call('GET', '/api/v1/me', { token });
    assert.equal(me.status, 200);
    assert.equal(me.data.handle, settings.handle);
    const rows = await stack.server.sql('SELECT handle FROM workers WHERE handle = ?', [settings.handle]);
    assert.equal(rows.length, 1);

    // The timings section belongs to signed-in workers; signing out hides it and keeps the filters.
    assert.equal(await page.locator('#timings').isVisible(), true);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await statusSays(page, '#account-status', 'Signed out');
    assert.equal(await page.locator('#new-token').isVisible(), false, 'the token is not shown again');
    assert.equal(await page.locator('#timings').isVisible(), false);
    const after = (await stack.storage()).settings;
    assert.equal(after.token, null);
    assert.equal(after.handle, null);
  } finally {
    await page.close();
  }
});

test('signing in with a pasted token loads the filters saved on the server', async () => {
  const { worker, token } = await stack.server.register();
  const put = await call('PUT', '/api/v1/me/filters', { token, body: { ...DEFAULT_FILTERS, min_reward_cents: 75, keywords_include: ['audio'] } });
  assert.equal(put.status, 200);
  await reset();
  const page = await openOptions();
  try {
    await page.getByLabel('Your token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.locator('#token-input-error').textContent(), /starts with ff_/);
    assert.equal(await page.getAttribute('#token-input', 'aria-invalid'), 'true');

    await page.getByLabel('Your token').fill('ff_wrongwrongwrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#token-input-error').filter({ hasText: 'did not accept' }).waitFor();

    await page.getByLabel('Your token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await statusSays(page, '#account-status', `Signed in as ${worker.handle}`);
    assert.equal(await page.locator('#min-reward').inputValue(), '0.75');
    assert.equal(await page.locator('#keywords-include').inputValue(), 'audio');
    const { settings, filters } = await stack.storage();
    assert.equal(settings.token, token);
    assert.equal(settings.handle, worker.handle);
    assert.equal(filters.min_reward_cents, 75);
    assert.deepEqual(filters.keywords_include, ['audio']);
  } finally {
    await page.close();
  }
});

test('filters saved while signed in arrive on the server and in storage', async () => {
  const { token } = await signedInWorker();
  const page = await openOptions();
  try {
    await page.getByLabel('Minimum hourly pay ($ per hour)').fill('$9');
    // The rule editor by keyboard: Enter on "Add", Space on "Unblock", focus always somewhere sensible.
    await page.locator('#block-add').focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'block-0-pattern', 'focus goes to the new rule');
    await page.getByRole('button', { name: 'Unblock rule 1' }).focus();
    await page.keyboard.press('Space');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'block-add');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'block-0-pattern');
    await page.locator('#block-0-pattern').fill('Spam*Surveys');
    await page.locator('#block-0-match').selectOption('wildcard');
    await page.locator('#block-0-expires').fill('2030-01-31');
    await page.locator('#block-0-note').fill('rejected me twice');
    await page.getByLabel('Hide tasks that mention any of these (one per line)').fill('webcam\n\n  sensitive  \n');
    await page.getByLabel('CAPTCHAs').check();
    await page.getByLabel('Hide Masters-only tasks').check();
    await page.getByRole('button', { name: 'Save filters' }).click();
    await statusSays(page, '#filters-status', 'Saved.');

    const expected = {
      ...DEFAULT_FILTERS,
      min_hourly_cents: 900,
      block: [{ pattern: 'Spam*Surveys', match: 'wildcard', expires_at: '2030-01-31T00:00:00Z', note: 'rejected me twice' }],
      keywords_exclude: ['webcam', 'sensitive'],
      hide_masters: true,
      hide_needs: ['captcha'],
    };
    assert.deepEqual(await savedFilters(token), expected);
    assert.deepEqual((await stack.storage()).filters, expected);
    assert.equal(await page.locator('#min-hourly').inputValue(), '9', 'the form shows what was saved');
  } finally {
    await page.close();
  }
});

test('ratings from other communities: "Count them half" is saved, per-source weights are kept', async () => {
  const { worker, token } = await signedInWorker();
  // Set through the API: a weight the page does not offer, and per-source weights it does not show.
  const before = { ...DEFAULT_FILTERS, other_communities_weight: 0.7, source_weights: { turkopticon: 0.25 } };
  assert.equal((await call('PUT', '/api/v1/me/filters', { token, body: before })).status, 200);
  await stack.configure({ filters: before });
  const page = await openOptions();
  try {
    const group = page.getByRole('group', { name: 'Ratings from other communities' });
    assert.match(await group.textContent(), /import ratings from other worker communities/);
    const labels = await group.getByRole('radio').evaluateAll((radios) => radios.map((r) => r.labels[0].textContent));
    assert.deepEqual(labels, ['Count them fully', 'Count them half', 'Count them a little', 'Do not count them', 'Custom (70%)']);
    assert.equal(await group.getByRole('radio', { name: 'Custom (70%)' }).isChecked(), true, 'the stored value is not lost');

    // By keyboard: arrows move through the choices.
    await group.getByRole('radio', { name: 'Count them fully' }).focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await group.getByRole('radio', { name: 'Count them half' }).isChecked(), true);
    await page.getByRole('button', { name: 'Save filters' }).click();
    await statusSays(page, '#filters-status', 'Saved.');

    const expected = { ...before, other_communities_weight: 0.5 };
    assert.deepEqual(await savedFilters(token), expected);
    const rows = await stack.server.sql(
      'SELECT f.filters FROM saved_filters f JOIN workers w ON w.id = f.worker_id WHERE w.handle = ?', [worker.handle]);
    assert.equal(rows.length, 1);
    const stored = JSON.parse(rows[0].filters);
    assert.equal(stored.other_communities_weight, 0.5);
    assert.deepEqual(stored.source_weights, { turkopticon: 0.25 });
    assert.deepEqual((await stack.storage()).filters, expected);
    assert.equal(await group.getByRole('radio').count(), 4, 'no custom choice once a listed one is saved');
    assert.equal(await group.getByRole('radio', { name: 'Count them half' }).isChecked(), true);

    // A value the server refuses: its message shows at the group, the focus on the chosen radio.
    await stack.configure({ filters: { ...expected, other_communities_weight: 1.5 } });
    await group.getByRole('radio', { name: 'Custom (150%)' }).waitFor();
    await page.getByRole('button', { name: 'Save filters' }).click();
    await statusSays(page, '#filters-status', 'Not saved');
    assert.match(await page.locator('#other-weight-error').textContent(), /^Ratings from other communities: must be a number from 0/);
    assert.match(await page.getAttribute('#other-weight', 'aria-describedby'), /\bother-weight-error\b/);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'other-weight-custom');
    assert.deepEqual(await axe(page), [], 'the group with its error');
    assert.deepEqual(await savedFilters(token), expected);
  } finally {
    await page.close();
  }
});

test("a bad value shows the server's message at its field and changes nothing", async () => {
  const { token } = await signedInWorker();
  const before = { ...DEFAULT_FILTERS, min_hourly_cents: 500 };
  assert.equal((await call('PUT', '/api/v1/me/filters', { token, body: before })).status, 200);
  await stack.configure({ filters: before });
  const page = await openOptions();
  try {
    // Text the page cannot read as a number never leaves the page.
    await page.locator('#min-hourly').fill('lots');
    await page.getByRole('button', { name: 'Save filters' }).click();
    await statusSays(page, '#filters-status', 'Not saved');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'min-hourly');
    assert.equal(await page.getAttribute('#min-hourly', 'aria-invalid'), 'true');
    assert.match(await page.getAttribute('#min-hourly', 'aria-describedby'), /\bmin-hourly-error\b/);
    assert.match(await page.locator('#min-hourly-error').textContent(), /^Minimum hourly pay: /);

    // A wildcard that blocks everything: only the server knows that rule.
    await page.locator('#min-hourly').fill('6');
    await page.getByRole('button', { name: 'Add a block rule' }).click();
    await page.locator('#block-0-pattern').fill('*');
    await page.locator('#block-0-match').selectOption('wildcard');
    await page.getByRole('button', { name: 'Save filters' }).click();
    await statusSays(page, '#filters-status', 'would block every task');
    assert.equal(await page.locator('#min-hourly-error').count(), 0, 'the earlier error is gone');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'block-0-pattern');
    assert.equal(await page.getAttribute('#block-0-pattern', 'aria-invalid'), 'true');
    assert.equal(await page.locator('#block-0-pattern-error').textContent(),
      'Block list, rule 1, pattern: would block every task');

    assert.deepEqual(await savedFilters(token), before);
    assert.deepEqual((await stack.storage()).filters, before);
  } finally {
    await page.close();
  }
});

test('signed out, filters are checked by the server and saved on this computer', async () => {
  await reset();
  const page = await openOptions();
  try {
    await page.getByLabel('Target wage ($ per hour)').fill('12,50');
    await page.getByRole('button', { name: 'Add an include rule' }).click();
    await page.locator('#include-0-pattern').fill('transcri');
    await page.locator('#include-0-match').selectOption('substring');
    await page.getByRole('button', { name: 'Save filters' }).click();
    await statusSays(page, '#filters-status', 'Saved on this computer.');
    let { filters } = await stack.storage();
    assert.equal(filters.target_cents_per_hour, 1250);
    assert.deepEqual(filters.include, [{ pattern: 'transcri', match: 'substring', expires_at: null, note: '' }]);

    // The annotate check refuses what PUT would refuse, at the same field.
    await page.getByRole('button', { name: 'Add a block rule' }).click();
    await page.locator('#block-0-pattern').fill('?*');
    await page.locator('#block-0-match').selectOption('wildcard');
    await page.getByRole('button', { name: 'Save filters' }).click();
    await page.locator('#block-0-pattern-error').filter({ hasText: 'would block every task' }).waitFor();
    assert.deepEqual((await stack.storage()).filters.block, []);

    // No server: saved here anyway, and the page says so.
    await page.getByRole('button', { name: 'Unblock rule 1' }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'block-add');
    await stack.configure({ settings: { serverUrl: 'http://127.0.0.1:9' } });
    await page.getByLabel('Maximum duration (minutes)').fill('20');
    await page.getByRole('button', { name: 'Save filters' }).click();
    await statusSays(page, '#filters-status', 'Saved on this computer only');
    ({ filters } = await stack.storage());
    assert.equal(filters.max_minutes, 20);
    assert.equal(filters.target_cents_per_hour, 1250);
  } finally {
    await page.close();
  }
});

test('export then import round-trips the block and include lists', async () => {
  const lists = {
    block: [
      { pattern: 'A1B2C3D4', match: 'exact', expires_at: null, note: 'never pays' },
      { pattern: 'Spam*', match: 'wildcard', expires_at: '2031-05-01T12:30:00Z', note: '' },
    ],
    include: [{ pattern: 'Good Requester', match: 'substring', expires_at: null, note: 'fast approvals' }],
  };
  await reset({ filters: lists });
  const page = await openOptions();
  try {
    const download = await exported(page, () => page.getByRole('button', { name: 'Export lists' }).click());
    assert.equal(download.name, 'fairfinder-lists.json');
    const file = `${stack.tmp}/fairfinder-lists.json`;
    fs.writeFileSync(file, download.text);
    assert.deepEqual(JSON.parse(download.text), lists);

    // A bad file: a clear message at the file field, the lists untouched.
    await page.getByLabel('Import a list file').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('hello') });
    await page.locator('#import-file-error').filter({ hasText: 'not JSON' }).waitFor();
    assert.equal(await page.getAttribute('#import-file', 'aria-invalid'), 'true');
    assert.equal(await page.locator('#block-rows > li').count(), 2);

    // Empty both lists with the keyboard-operable Unblock and Remove buttons, import, save.
    for (let i = 0; i < 2; i += 1) await page.getByRole('button', { name: 'Unblock rule 1' }).click();
    await page.getByRole('button', { name: 'Remove include rule 1' }).click();
    assert.equal(await page.locator('#block-rows > li').count(), 0);
    await page.getByLabel('Import a list file').setInputFiles(file);
    await statusSays(page, '#lists-status', 'Added 2 block rules and 1 include rule from fairfinder-lists.json');
    assert.equal(await page.locator('#import-file-error').count(), 0);
    assert.equal(await page.locator('#block-1-expires').inputValue(), '2031-05-01');
    await page.getByRole('button', { name: 'Save filters' }).click();
    await statusSays(page, '#filters-status', 'Saved on this computer.');
    const { filters } = await stack.storage();
    assert.deepEqual({ block: filters.block, include: filters.include }, lists, 'expiry times kept to the minute');

    // Importing again with "merge" adds nothing new; "replace" keeps only the file's rules.
    await page.getByLabel('Import a list file').setInputFiles(file);
    await statusSays(page, '#lists-status', 'skipped');
    assert.equal(await page.locator('#block-rows > li').count(), 2);
    await page.getByLabel('Replace my lists with the file’s').check();
    await page.getByLabel('Import a list file').setInputFiles({
      name: 'other.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ block: [{ pattern: 'Z9' }] })),
    });
    await statusSays(page, '#lists-status', 'Replaced your lists with 1 block rule and 0 include rules');
    assert.equal(await page.locator('#block-rows > li').count(), 1);
    assert.equal(await page.locator('#include-rows > li').count(), 0);
  } finally {
    await page.close();
  }
});

/** Poll `check` (every 100 ms, up to 15 s) until it is true. */
async function waitUntil(what, check, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether the fake MTurk list shows a requester's rows (false: every one of them is collapsed to our bar). */
async function rowsShown(page, requesterId) {
  return page.evaluate((id) => [...document.querySelectorAll('li.table-row')]
    .filter((row) => row.querySelector(`.requester-column a[href*="/requesters/${id}/"]`))
    .map((row) => !row.classList.contains('ff-hidden-row')), requesterId);
}

async function waitForRows(page, requesterId, shown) {
  await page.waitForFunction(({ id, want }) => {
    const rows = [...document.querySelectorAll('li.table-row')].filter((row) => row.querySelector(`.requester-column a[href*="/requesters/${id}/"]`));
    return rows.length > 0 && rows.every((row) => row.querySelector(':scope > .ff-annotation') && row.classList.contains('ff-hidden-row') !== want);
  }, { id: requesterId, want: shown });
}

test('the block list: searched, unblocked from a search, switched off for a while (its end shown) and back on; the task list follows', async () => {
  const { token } = await signedInWorker();
  const [first, second] = stack.platform.tasks;
  const rule = (pattern, note, match = 'exact') => ({ pattern, match, expires_at: null, note });
  const block = [rule(first.requester_id, 'rejected me twice'), rule('Itemizecorp', 'slow to approve'),
    rule('copy*', 'boring', 'wildcard'), rule('Never Pays Inc', '')];
  assert.equal((await call('PUT', '/api/v1/me/filters', { token, body: { ...DEFAULT_FILTERS, block } })).status, 200);
  await stack.configure({ filters: { ...DEFAULT_FILTERS, block } });
  const list = await stack.newPage();
  const page = await openOptions();
  try {
    await list.goto('https://worker.mturk.com/projects?page_size=27');
    await waitForRows(list, first.requester_id, false);
    assert.ok((await rowsShown(list, second.requester_id)).every(Boolean));

    // Search: only the matching rules stay in view, and the page says how many.
    await page.getByLabel('Search the block list').fill('rejected');
    await statusSays(page, '#block-search-status', '1 of 4 block rules match “rejected”.');
    assert.equal(await page.locator('#block-rows > li:not([hidden])').count(), 1);
    assert.equal(await page.locator('#block-0-pattern').inputValue(), first.requester_id);
    await page.getByLabel('Search the block list').fill('  SLOW   to ');
    await statusSays(page, '#block-search-status', '1 of 4 block rules match “SLOW   to”.');
    assert.equal(await page.locator('#block-1-pattern').isVisible(), true);
    await page.getByLabel('Search the block list').press('Enter'); // a search, not "Save filters"
    assert.equal(await page.locator('#filters-status').textContent(), '');

    // Switched off for an hour, by keyboard: the end is shown, the rules stay (here and on the server).
    await page.getByLabel('Switch the block list off').selectOption('60');
    const before = Date.now();
    await page.getByRole('button', { name: 'Switch off' }).press('Enter');
    await statusSays(page, '#block-off-state', 'The block list is off in this browser until');
    const after = Date.now();
    const until = Date.parse((await stack.storage()).settings.blockOffUntil);
    assert.ok(until >= before + 3600_000 && until <= after + 3600_000, `off for an hour: ${new Date(until).toISOString()}`);
    assert.equal(await page.locator('#block-off-state time').getAttribute('datetime'), new Date(until).toISOString());
    assert.ok((await page.locator('#block-off-state time').textContent()).length > 4, 'the end in words');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'block-on', 'focus on "Switch … back on now"');
    await waitForRows(list, first.requester_id, true);
    assert.equal((await savedFilters(token)).block.length, 4, 'the account keeps every rule');
    assert.equal((await stack.storage()).filters.block.length, 4);
    const popup = await openPopup();
    try {
      assert.match(await popup.locator('#block-off-line').innerText(), /^Your block list is off until .+\./);
      assert.equal(await popup.locator('#block-off-until').getAttribute('datetime'), new Date(until).toISOString());
    } finally {
      await popup.close();
    }
    assert.deepEqual(await axe(page), [], 'the block list off, a search in progress');

    // Back on: the list applies again, at once.
    await page.getByRole('button', { name: 'Switch the block list back on now' }).press('Enter');
    await statusSays(page, '#block-off-state', 'The block list is on.');
    assert.equal((await stack.storage()).settings.blockOffUntil, null);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'block-off-for');
    await waitForRows(list, first.requester_id, false);

    // A switch whose time has passed (the browser was closed then) is put back on, and the list applies.
    await stack.configure({ settings: { blockOffUntil: new Date(Date.now() - 60_000).toISOString() } });
    await page.waitForFunction(() => document.getElementById('block-off-state').textContent === 'The block list is on.');
    await waitUntil('the background to put the block list back on', async () => (await stack.storage()).settings.blockOffUntil === null);
    assert.ok((await rowsShown(list, first.requester_id)).every((shown) => !shown));

    // Unblock from a search: the rule goes, the focus stays in the search; saved, the task shows again.
    await page.getByLabel('Search the block list').fill('rejected');
    await page.getByRole('button', { name: 'Unblock rule 1' }).focus();
    await page.keyboard.press('Enter');
    await statusSays(page, '#filters-status', `Unblocked rule 1 (${first.requester_id}). Save the filters to keep the change.`);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'block-search');
    await statusSays(page, '#block-search-status', '0 of 3 block rules match “rejected”.');
    await page.getByRole('button', { name: 'Save filters' }).click();
    await statusSays(page, '#filters-status', 'Saved.');
    assert.deepEqual((await savedFilters(token)).block.map((r) => r.pattern), ['Itemizecorp', 'copy*', 'Never Pays Inc']);
    await waitForRows(list, first.requester_id, true);
  } finally {
    await page.close();
    await list.close();
  }
});

test("other tools' lists: MTurk Suite, HIT Scraper and Mturk Engine files are imported; MTurk Suite and HIT Scraper files are written", async () => {
  const { token } = await signedInWorker();
  const fixtures = require('node:path').resolve(__dirname, '..', 'support', 'fixtures', 'lists');
  const page = await openOptions();
  try {
    const importFile = async (name) => page.getByLabel('Import a list file').setInputFiles(`${fixtures}/${name}`);
    await importFile('mts-backup-20181001-block-list.json');
    const suite = await statusSays(page, '#lists-status', 'Added 3 block rules from mts-backup-20181001-block-list.json (MTurk Suite)');
    assert.match(suite, /1 entry: named a HIT group; its title is matched instead\. Left out 1 entry: entries without both a name and a match/);
    assert.equal(await page.locator('#block-1-pattern').inputValue(), 'Write the words shown in an image');
    assert.equal(await page.locator('#block-1-note').inputValue(), 'MTurk Suite: HIT group 3NAD71TD7UI89BIBCT9L6XX5UBA2LT');
    assert.equal(await page.locator('#block-2-match').inputValue(), 'substring');
    await importFile('mts-backup-20181001-include-list.json');
    await statusSays(page, '#lists-status', 'Added 1 include rule from mts-backup-20181001-include-list.json (MTurk Suite)');
    assert.equal(await page.locator('#block-rows > li').count(), 3, 'an include list file leaves the block list alone');

    // "Replace" with HIT Scraper's file (it holds both lists): its group id is left out, and said.
    await page.getByLabel('Replace my lists with the file’s').check();
    await importFile('hitscraper_settings.json');
    const scraper = await statusSays(page, '#lists-status', 'Replaced your lists with 12 block rules and 1 include rule from hitscraper_settings.json (HIT Scraper)');
    assert.match(scraper, /Left out 1 entry: HIT group ids/);
    assert.equal(await page.locator('#block-11-pattern').inputValue(), '*receipt*');
    assert.equal(await page.locator('#block-11-match').inputValue(), 'wildcard');
    assert.equal(await page.locator('#include-0-pattern').inputValue(), 'copytext inc.');
    await page.getByLabel('Add the file’s rules to my lists').check();
    await importFile('mturk-engine-backup-3_22_2018.json');
    await statusSays(page, '#lists-status', 'Added 4 block rules from mturk-engine-backup-3_22_2018.json (Mturk Engine)');
    assert.equal(await page.locator('#include-rows > li').count(), 1, 'a backup without an include list leaves that list alone');
    await page.getByRole('button', { name: 'Save filters' }).click();
    await statusSays(page, '#filters-status', 'Saved.');
    const saved = await savedFilters(token);
    assert.equal(saved.block.length, 16);
    assert.deepEqual(saved.include.map((r) => r.pattern), ['copytext inc.']);

    // On the real HITs of the sample list: the requesters and titles blocked in Mturk Engine are hidden.
    stack.platform.setCatalogue('sample');
    try {
      await stack.withPage(async (list) => {
        await list.goto('https://worker.mturk.com/projects?page_size=40');
        await waitForRows(list, 'AGVV5AWLJY7H2', false); // Ibotta Turk, blocked by id
        const classify = await list.evaluate(() => [...document.querySelectorAll('li.table-row')]
          .filter((row) => row.querySelector('.project-name-column').textContent === 'Classify Receipt')
          .map((row) => row.classList.contains('ff-hidden-row')));
        assert.ok(classify.length > 0 && classify.every(Boolean), 'the blocked HIT group, by its title');
      });
    } finally {
      stack.platform.setCatalogue('demo');
    }

    // Written in their shapes: what they cannot hold is said.
    await page.getByLabel('File to write').selectOption('mturk-suite:block');
    const suiteFile = await exported(page, () => page.getByRole('button', { name: 'Export lists' }).click());
    assert.match(suiteFile.name, /^mts-backup-\d{8}-block-list\.json$/);
    const written = JSON.parse(suiteFile.text);
    assert.equal(Object.keys(written).length, 15, 'every rule but the wildcard');
    assert.deepEqual(written.AGVV5AWLJY7H2, { name: 'Mturk Engine: Ibotta Turk, blocked 2018-03-20', match: 'AGVV5AWLJY7H2', strict: true });
    await statusSays(page, '#lists-status', 'Left out 1 wildcard rule: MTurk Suite has no wildcards.');
    await page.getByLabel('File to write').selectOption('hitscraper');
    const scraperFile = await exported(page, () => page.getByRole('button', { name: 'Export lists' }).click());
    assert.equal(scraperFile.name, 'hitscraper_settings.json');
    const settings = JSON.parse(scraperFile.text);
    assert.equal(settings.ignore_list.split('^').length, 16);
    assert.ok(settings.ignore_list.split('^').includes('*receipt*'));
    assert.equal(settings.include_list, 'copytext inc.');
    assert.equal('settings' in settings, false, "HIT Scraper's own settings are left as they are");
    assert.deepEqual(await axe(page), [], 'the lists section after imports and exports');
  } finally {
    await page.close();
  }
});

test('my timings: a timing sent through the API is listed and deleting it removes it on the server', async () => {
  const { token } = await signedInWorker();
  const now = Date.now();
  const timing = {
    platform: 'mturk', requester_id: 'AOPTIONSTEST1', requester_name: 'Options Test Lab', title: 'Label 20 photos of birds',
    reward_cents: 60, assignment_id: 'OPT-ASSIGN-1',
    accepted_at: new Date(now - 12 * 60_000).toISOString(), ended_at: new Date(now - 2 * 60_000).toISOString(), outcome: 'submitted',
  };
  const created = await call('POST', '/api/v1/timings', { token, body: timing });
  assert.equal(created.status, 201);
  const page = await openOptions();
  try {
    const row = page.locator('#timings-rows tr', { hasText: 'Label 20 photos of birds' });
    await row.waitFor();
    const cells = await row.locator('th, td').allTextContents();
    assert.equal(cells[0], 'Label 20 photos of birds');
    assert.equal(cells[1], 'AOPTIONSTEST1');
    assert.equal(cells[2], '10');
    assert.equal(cells[3], 'Submitted');
    assert.ok(cells[4].length > 0, 'a date is shown');

    await page.getByRole('button', { name: 'Delete timing for Label 20 photos of birds' }).click();
    await statusSays(page, '#timings-status', 'Deleted the timing for Label 20 photos of birds');
    assert.equal(await row.count(), 0);
    assert.equal(await page.locator('#timings-empty').isVisible(), true);
    const listed = await call('GET', '/api/v1/me/timings', { token });
    assert.deepEqual(listed.data.items, []);
    assert.deepEqual(await stack.server.sql('SELECT id FROM timings WHERE id = ?', [created.data.id]), []);
  } finally {
    await page.close();
  }
});

test('my timings: "Load more" follows next_cursor', async () => {
  const { token } = await signedInWorker();
  const now = Date.now();
  for (let i = 0; i < 27; i += 1) {
    const response = await call('POST', '/api/v1/timings', {
      token,
      body: {
        platform: 'mturk', requester_id: 'AOPTIONSTEST2', title: `Bulk task ${i}`, reward_cents: 10,
        accepted_at: new Date(now - (100 - i) * 60_000).toISOString(), ended_at: new Date(now - (99 - i) * 60_000).toISOString(),
        outcome: 'returned',
      },
    });
    assert.equal(response.status, 201);
  }
  const page = await openOptions();
  try {
    await page.locator('#timings-rows tr').first().waitFor();
    assert.equal(await page.locator('#timings-rows tr').count(), 25);
    await page.getByRole('button', { name: 'Load more' }).click();
    await statusSays(page, '#timings-status', 'Loaded 2 more timings');
    assert.equal(await page.locator('#timings-rows tr').count(), 27);
    assert.equal(await page.locator('#timings-more').isVisible(), false);
    assert.equal(await page.locator('#timings-rows tr').last().locator('th').textContent(), 'Bulk task 0');
  } finally {
    await page.close();
  }
});

test('the welcome explains timing and the opt-in is off until chosen', async () => {
  await reset({ settings: { onboarded: false } });
  const page = await openOptions();
  try {
    const welcome = page.getByRole('region', { name: 'Welcome to Fairfinder' });
    assert.equal(await welcome.isVisible(), true);
    assert.match(await welcome.textContent(), /Your platform worker ID is never\s+sent\. Others only see averages\./);
    const optIn = page.getByLabel('Yes, time my tasks automatically and send the timings');
    assert.equal(await optIn.isChecked(), false);
    await optIn.check();
    await page.waitForFunction(async () => (await (globalThis.browser ?? globalThis.chrome).storage.local.get('settings')).settings.timingEnabled === true);
    assert.equal(await page.getByLabel('Time my tasks automatically and send the timings', { exact: true }).isChecked(), true, 'Privacy shows the same setting');
    await page.getByRole('button', { name: 'Done' }).click();
    await welcome.waitFor({ state: 'hidden' });
    assert.equal((await stack.storage()).settings.onboarded, true);

  } finally {
    await page.close();
  }
  // #welcome brings it back; the Privacy switch turns timing off again.
  const again = await stack.openOptions('#welcome');
  try {
    await again.waitForSelector('html[data-ready="true"]');
    assert.equal(await again.locator('#welcome').isVisible(), true);
    await again.getByLabel('Time my tasks automatically and send the timings', { exact: true }).uncheck();
    await statusSays(again, '#timing-status', 'Automatic timing is off');
    assert.equal((await stack.storage()).settings.timingEnabled, false);
  } finally {
    await again.close();
  }
});

test('the server address is checked, saved and its connection tested', async () => {
  await reset();
  const page = await openOptions();
  try {
    assert.equal(await page.getByLabel('Server address').inputValue(), stack.server.url);
    await page.getByLabel('Server address').fill('ftp://example.org');
    await page.getByRole('button', { name: 'Save address' }).click();
    assert.match(await page.locator('#server-url-error').textContent(), /https:\/\//);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'server-url');
    assert.equal((await stack.storage()).settings.serverUrl, stack.server.url);

    const other = stack.server.url.replace('127.0.0.1', 'localhost');
    await page.getByLabel('Server address').fill(`${other}/`);
    await page.getByRole('button', { name: 'Save address' }).click();
    await statusSays(page, '#server-status', 'Connected');
    assert.equal((await stack.storage()).settings.serverUrl, other);
    assert.equal(await page.locator('#server-url-error').count(), 0);

    await page.getByLabel('Server address').fill('http://127.0.0.1:9');
    await page.getByRole('button', { name: 'Check connection' }).click();
    await statusSays(page, '#server-status', 'No connection');
  } finally {
    await page.close();
  }
});

test('"Forget everything on this computer" asks first, then clears storage', async () => {
  await signedInWorker();
  await stack.configure({ filters: { min_hourly_cents: 1000 } });
  const page = await openOptions();
  try {
    await page.getByRole('button', { name: 'Forget everything on this computer' }).click();
    const dialog = page.getByRole('dialog', { name: 'Forget everything on this computer?' });
    assert.equal(await dialog.isVisible(), true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.ok((await stack.storage()).settings.token, 'Cancel keeps everything');

    await page.getByRole('button', { name: 'Forget everything on this computer' }).click();
    await dialog.getByRole('button', { name: 'Forget everything' }).click();
    await statusSays(page, '#forget-status', 'was removed');
    assert.deepEqual(await stack.storage(), {});
    assert.equal(await page.locator('#min-hourly').inputValue(), '');
    assert.equal(await page.locator('#signed-out').isVisible(), true);
    assert.equal(await page.locator('#welcome').isVisible(), true, 'a fresh start shows the welcome again');
  } finally {
    await page.close();
  }
});

test('the popup shows the handle and saves the target wage to the account', async () => {
  const { worker, token } = await signedInWorker();
  const page = await openPopup();
  try {
    assert.equal(await page.locator('#who').textContent(), `Signed in as ${worker.handle}`);
    assert.equal(await page.locator('#server-url').textContent(), stack.server.url);
    assert.equal(await page.getByRole('link', { name: 'Voice-friendly task list' }).getAttribute('href'), `${stack.server.url}/listen`);
    await statusSays(page, '#server-state', 'The server answers');
    assert.equal(await page.getByLabel('Target wage ($ per hour)').inputValue(), '7.25');

    await page.getByLabel('Target wage ($ per hour)').fill('-3');
    await page.getByRole('button', { name: 'Save' }).click();
    assert.match(await page.locator('#target-error').textContent(), /negative/);
    await page.getByLabel('Target wage ($ per hour)').fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#target-error').filter({ hasText: 'must be positive' }).waitFor();

    await page.getByLabel('Target wage ($ per hour)').fill('11');
    await page.getByRole('button', { name: 'Save' }).click();
    await statusSays(page, '#target-status', 'Saved.');
    assert.equal(await page.locator('#target-error').count(), 0);
    assert.equal((await savedFilters(token)).target_cents_per_hour, 1100);
    assert.equal((await stack.storage()).filters.target_cents_per_hour, 1100);

    await page.getByLabel('Time my tasks automatically').check();
    await statusSays(page, '#timing-status', 'on');
    assert.equal((await stack.storage()).settings.timingEnabled, true);

    // The browser may focus an options tab that is already open (the install's welcome tab, which the tests use
    // to reach storage) instead of opening one: either way, the options page is shown.
    const before = new Set((await stack.pages()).map(({ page: open }) => open));
    await page.getByRole('button', { name: 'All settings' }).click();
    let shown = null;
    for (let i = 0; i < 100 && !shown; i++) {
      for (const { page: open, href } of await stack.pages()) {
        if (!href.startsWith(`${stack.extensionOrigin}/src/options/options.html`)) continue;
        const visible = await open.evaluate(() => document.visibilityState === 'visible').catch(() => false);
        if (!before.has(open) || visible) shown = open;
      }
      if (!shown) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(shown, 'an options page was opened or brought forward');
    if (!before.has(shown)) await shown.close();
  } finally {
    await page.close();
  }
});

test('the popup when signed out and the server is down', async () => {
  await reset({ settings: { serverUrl: 'http://127.0.0.1:9' } });
  const page = await openPopup();
  try {
    assert.equal(await page.locator('#who').textContent(), 'Not signed in');
    await statusSays(page, '#server-state', 'does not answer');
    await page.getByLabel('Target wage ($ per hour)').fill('8');
    await page.getByRole('button', { name: 'Save' }).click();
    await statusSays(page, '#target-status', 'Saved on this computer only');
    assert.equal((await stack.storage()).filters.target_cents_per_hour, 800);
  } finally {
    await page.close();
  }
});

test('axe finds no WCAG 2.2 AA violations on the options page and popup, light and dark', async () => {
  const { token } = await signedInWorker();
  await stack.configure({
    filters: {
      block: [{ pattern: 'A1', match: 'exact', expires_at: '2030-01-01T00:00:00Z', note: 'n' }],
      include: [{ pattern: 'good', match: 'substring', expires_at: null, note: '' }],
      other_communities_weight: 0.7, // the extra "Custom (70%)" choice is checked too
    },
    // The block list switched off, and a review to update: their colours are checked too.
    settings: { onboarded: false, blockOffUntil: new Date(Date.now() + 3600_000).toISOString() },
    reviewUpdates: { at: new Date().toISOString(), reviews: 1, history: 2, truncated: false, error: null, changes: [{
      review_id: 1, platform: 'mturk', requester_id: 'AAXE1', requester_name: 'Axe Lab', title: 'Axe task', was: 'pending',
      outcome: 'approved', counts: { approved: 2, rejected: 0, pending: 0 }, reviewed_at: new Date().toISOString() }] },
  });
  const now = Date.now();
  await call('POST', '/api/v1/timings', {
    token,
    body: {
      platform: 'mturk', requester_id: 'AAXE1', title: 'Axe task', reward_cents: 10, outcome: 'submitted',
      accepted_at: new Date(now - 5 * 60_000).toISOString(), ended_at: new Date(now - 60_000).toISOString(),
    },
  });
  for (const colorScheme of ['light', 'dark']) {
    const page = await openOptions();
    try {
      await page.emulateMedia({ colorScheme });
      await page.locator('#timings-rows tr').first().waitFor();
      await page.locator('#updates-list li').first().waitFor();
      assert.equal(await page.locator('#block-on').isVisible(), true, 'the block list is shown off');
      // Show an error and a status too, so their colours are checked.
      await page.locator('#min-hourly').fill('abc');
      await page.getByRole('button', { name: 'Save filters' }).click();
      await statusSays(page, '#filters-status', 'Not saved');
      assert.deepEqual(await axe(page), [], `options page (${colorScheme})`);
    } finally {
      await page.close();
    }
    const popup = await openPopup();
    try {
      await popup.emulateMedia({ colorScheme });
      await statusSays(popup, '#server-state', 'answers');
      await statusSays(popup, '#updates-line', '1 of your reviews can be updated');
      assert.equal(await popup.locator('#block-off-line').isVisible(), true);
      await popup.getByLabel('Target wage ($ per hour)').fill('x');
      await popup.getByRole('button', { name: 'Save' }).click();
      await popup.locator('#target-error').waitFor();
      assert.deepEqual(await axe(popup), [], `popup (${colorScheme})`);
    } finally {
      await popup.close();
    }
  }
});

test('at 200% zoom (640 CSS pixels wide) nothing needs scrolling sideways', async () => {
  await signedInWorker();
  await stack.configure({ filters: { block: [{ pattern: 'A1', match: 'exact', expires_at: null, note: 'a note' }] } });
  for (const open of [openOptions, openPopup]) {
    const page = await open();
    try {
      await page.setViewportSize({ width: open === openOptions ? 640 : 320, height: 600 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${page.url()} is ${overflow}px too wide`);
    } finally {
      await page.close();
    }
  }
});

test('the pages use no inline scripts, no external resources and no innerHTML', async () => {
  const dir = `${stack.extensionDir}/src`;
  for (const file of ['options/options.html', 'popup/popup.html']) {
    const html = fs.readFileSync(`${dir}/${file}`, 'utf8');
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, `${file}: inline script`);
    assert.doesNotMatch(html, /\son[a-z]+=/, `${file}: inline event handler`);
    // Resources the page loads (links a worker follows may point anywhere).
    assert.doesNotMatch(html, /<(script|link|img|iframe|audio|video|source)\b[^>]*\b(src|href)="(https?:)?\/\//, `${file}: external resource`);
  }
  for (const file of ['options/options.js', 'popup/popup.js', 'lib/filters-form.js', 'lib/list-formats.js', 'lib/reviews.js', 'content/review-form.js']) {
    assert.doesNotMatch(fs.readFileSync(`${dir}/${file}`, 'utf8'), /innerHTML|outerHTML|insertAdjacentHTML/, file);
  }
});
