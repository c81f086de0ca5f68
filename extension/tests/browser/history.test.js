'use strict';
// The worker's own history: the options page's MTurk sync (45 days, page by page, progress announced)
// and the passive Prolific capture, against the fake worker.mturk.com / app.prolific.com and a real
// Fairfinder server. What arrives is checked through the server's own GET /api/v1/me/history.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startStack } = require('../support/stack.js');
const { DEFAULT_SETTINGS, DEFAULT_FILTERS } = require('../../src/lib/settings.js');
const { mturkDays } = require('../../src/lib/history.js');

let stack;
let fake;

before(async () => {
  stack = await startStack();
  fake = stack.platform;
});

after(async () => {
  if (stack) await stack.close();
});

async function reset({ settings = {} } = {}) {
  await stack.configure({
    settings: { ...DEFAULT_SETTINGS, serverUrl: stack.server.url, onboarded: true, ...settings },
    filters: { ...DEFAULT_FILTERS },
    historySync: null,
    prolificImport: null,
  });
}

async function signedInWorker(settings = {}) {
  const { worker, token } = await stack.server.register();
  await reset({ settings: { token, handle: worker.handle, ...settings } });
  return { worker, token };
}

async function openOptions() {
  const page = await stack.openOptions();
  await page.waitForSelector('html[data-ready="true"]');
  return page;
}

async function statusSays(page, selector, text, timeout = 60_000) {
  const region = page.locator(selector).filter({ hasText: text });
  try {
    await region.waitFor({ timeout });
  } catch {
    throw new Error(`${selector} never said "${text}"; it says "${await page.locator(selector).textContent()}"`);
  }
  return region.textContent();
}

/** Every item of GET /api/v1/me/history (all pages), optionally of one platform. */
async function serverHistory(token, platform = null) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const url = new URL(`${stack.server.url}/api/v1/me/history`);
    url.searchParams.set('limit', '100');
    if (platform) url.searchParams.set('platform', platform);
    if (cursor) url.searchParams.set('cursor', cursor);
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    const text = await response.text();
    assert.equal(response.status, 200, `GET /api/v1/me/history: ${text}`);
    const page = JSON.parse(text);
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) return items;
  }
  throw new Error('GET /api/v1/me/history never ended');
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core'), 'utf8');

async function axe(page) {
  if (!(await page.evaluate(() => Boolean(globalThis.axe)))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => globalThis.axe.run(document, {
    runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'],
  }));
  return result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** The status_details pages the fake was asked for since `from`, as "date#page". */
function pagesAsked(from) {
  return fake.historyRequests.slice(from)
    .filter((r) => r.path.startsWith('/status_details/'))
    .map((r) => {
      const url = new URL(r.path, 'https://worker.mturk.com');
      return `${url.pathname.split('/').pop()}#${url.searchParams.get('page_number')}`;
    });
}

const STATES = { Submitted: 'pending', Pending: 'pending', Approved: 'approved', Paid: 'approved', Rejected: 'rejected' };

test('signed out of Fairfinder, the sync button says to sign in first and reads nothing', async () => {
  await reset();
  const asked = fake.historyRequests.length;
  const page = await openOptions();
  try {
    const section = page.getByRole('region', { name: 'Your work history' });
    const button = section.getByRole('button', { name: 'Sync the last 45 days from MTurk' });
    assert.equal(await button.getAttribute('aria-disabled'), 'true');
    assert.match(await button.getAttribute('aria-describedby'), /\bhistory-sign-in-hint\b/);
    assert.match(await page.locator('#history-sign-in-hint').textContent(), /Sign in to Fairfinder first/);
    assert.equal(await page.locator('#history-sign-in-hint').isVisible(), true);
    // aria-disabled, not disabled: it keeps the focus and, pressed, says why nothing happens.
    await button.focus();
    await page.keyboard.press('Enter');
    await statusSays(page, '#history-status', 'Sign in to Fairfinder first');
    assert.equal(await page.getAttribute('#history-status', 'aria-live'), 'polite');
    assert.equal(fake.historyRequests.length, asked, 'MTurk was not asked anything');
    assert.equal((await stack.storage()).historySync, null);
  } finally {
    await page.close();
  }
});

test('a sync reads the days with work page by page, announces progress, and the server lists exactly those tasks', async () => {
  const { token } = await signedInWorker();
  fake.setSignedIn(true);
  const asked = fake.historyRequests.length;
  const page = await openOptions();
  try {
    assert.equal(await page.getByRole('link', { name: 'Open my earnings' }).getAttribute('href'), `${stack.server.url}/me`);
    // What the live region says, in order (each change of its text).
    await page.evaluate(() => {
      globalThis.said = [];
      const region = document.getElementById('history-status');
      new MutationObserver(() => { if (region.textContent) globalThis.said.push(region.textContent); })
        .observe(region, { childList: true, characterData: true, subtree: true });
    });
    const today = mturkDays()[0];
    await page.getByRole('button', { name: 'Sync the last 45 days from MTurk' }).click();
    await page.getByRole('button', { name: 'Cancel the sync' }).waitFor({ timeout: 5000 }); // Cancel while it runs
    const summary = await statusSays(page, '#history-status', 'Synced');

    const fixture = fake.workHistory.all();
    const busyDays = [...new Set(fixture.map((r) => r.date))];
    assert.equal(busyDays.length, 3);
    const daysTotal = new Set([today, ...busyDays]).size;
    assert.equal(summary, `Synced ${daysTotal} days: ${fixture.length} tasks, ${fixture.length} new, 0 updated.`);
    const said = await page.evaluate(() => globalThis.said);
    assert.ok(said.includes(`Syncing day 1 of ${daysTotal} (${today})…`), `announced: ${said.join(' | ')}`);
    assert.ok(said.some((text) => text.startsWith(`Syncing day ${daysTotal} of ${daysTotal}`)), `announced: ${said.join(' | ')}`);

    // MTurk: the dashboard first, then today and the dashboard's busy days, newest first; the busy day's
    // second page because the server said has_more; at most about one request a second.
    const requests = fake.historyRequests.slice(asked);
    assert.equal(requests[0].path, '/dashboard?format=json');
    const pages = fixture.reduce((map, r) => map.set(r.date, (map.get(r.date) || 0) + 1), new Map());
    const expected = [...new Set([today, ...busyDays])].sort().reverse()
      .flatMap((day) => Array.from({ length: Math.max(1, Math.ceil((pages.get(day) || 0) / 20)) }, (_, i) => `${day}#${i + 1}`));
    assert.deepEqual(pagesAsked(asked), expected);
    assert.ok(expected.some((p) => p.endsWith('#2')), 'one day has two pages');
    for (let i = 1; i < requests.length; i++) {
      assert.ok(requests[i].at - requests[i - 1].at >= 900, `request ${i} came ${requests[i].at - requests[i - 1].at} ms after the one before`);
    }

    // The page when done: progress full, Cancel gone, the button usable again.
    assert.equal(await page.locator('#history-progress').evaluate((p) => p.value === p.max && p.max === Number(p.getAttribute('max'))), true);
    assert.equal(await page.locator('#history-progress-label').textContent(), `${daysTotal} of ${daysTotal} days synced`);
    assert.equal(await page.locator('#history-cancel').isVisible(), false);
    assert.equal(await page.getAttribute('#history-sync', 'aria-disabled'), null);
    assert.match(await page.locator('#history-last').textContent(), /^Last sync ended /);
    assert.deepEqual(await axe(page), [], 'the history section after a sync');

    const { historySync } = await stack.storage();
    assert.equal(historySync.running, false);
    assert.equal(historySync.outcome, 'done');
    assert.equal(historySync.added, fixture.length);
    assert.equal(historySync.pages, expected.length);

    // The server has exactly the fake's tasks, as MTurk showed them.
    const items = await serverHistory(token);
    assert.deepEqual(items.map((i) => i.assignment_id).sort(), fixture.map((r) => r.assignment_id).sort());
    for (const result of fixture) {
      const item = items.find((i) => i.assignment_id === result.assignment_id);
      assert.equal(item.platform, 'mturk');
      assert.equal(item.title, result.title);
      assert.equal(item.requester_id, result.requester_id);
      assert.equal(item.reward_cents, Math.round(result.reward.amount_in_dollars * 100));
      assert.equal(item.state, STATES[result.state]);
      assert.equal(item.work_date, result.date);
    }
  } finally {
    await page.close();
  }
});

test('syncing again adds nothing; a task MTurk has since decided is updated; a bad page is reported and skipped', async () => {
  const { token } = await signedInWorker();
  const page = await openOptions();
  try {
    await page.getByRole('button', { name: 'Sync the last 45 days from MTurk' }).click();
    await statusSays(page, '#history-status', 'Synced');
    const fixture = fake.workHistory.all();
    const pending = fixture.find((r) => r.state === 'Submitted' || r.state === 'Pending');
    fake.workHistory.update(pending.assignment_id, { state: 'Approved' });

    await page.getByRole('button', { name: 'Sync the last 45 days from MTurk' }).click();
    const again = await statusSays(page, '#history-status', 'Synced');
    assert.match(again, new RegExp(`: ${fixture.length} tasks, 0 new, 1 updated\\.$`));
    const items = await serverHistory(token);
    assert.equal(items.length, fixture.length, 'no duplicates');
    assert.equal(items.find((i) => i.assignment_id === pending.assignment_id).state, 'approved');

    // MTurk shows a state the server does not know: that day is reported, the others still sync.
    const smallDay = fixture.filter((r) => r.date !== fixture[0].date).at(-1);
    const before = smallDay.state;
    fake.workHistory.update(smallDay.assignment_id, { state: 'Teleported' });
    try {
      await page.getByRole('button', { name: 'Sync the last 45 days from MTurk' }).click();
      const text = await statusSays(page, '#history-status', 'could not be read');
      const lost = fixture.filter((r) => r.date === smallDay.date).length;
      assert.match(text, new RegExp(`: ${fixture.length - lost} tasks, 0 new, 0 updated\\. 1 day could not be read: ${smallDay.date}\\.$`));
      const failed = await page.locator('#history-failed li').allTextContents();
      assert.equal(failed.length, 1);
      assert.match(failed[0], new RegExp(`^${smallDay.date}: page 1: the Fairfinder server could not import it \\(\\S*results\\[\\d+\\]\\.state\\)`));
      assert.equal((await serverHistory(token)).length, fixture.length, 'nothing changed on the server');
    } finally {
      fake.workHistory.update(smallDay.assignment_id, { state: before });
    }
  } finally {
    await page.close();
  }
});

test('after a sync, reviews whose task the history has since decided are listed and updated in one step, by keyboard', async () => {
  const { token } = await signedInWorker();
  const fixture = fake.workHistory.all();
  const find = (title) => fixture.find((r) => r.title === title);
  const review = async (result, changes) => {
    const body = { platform: 'mturk', requester_id: result.requester_id, requester_name: result.requester_name,
      task: { title: result.title, reward_cents: Math.round(result.reward.amount_in_dollars * 100) }, ratings: { pay: 3 }, ...changes };
    const response = await fetch(`${stack.server.url}/api/v1/reviews`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    assert.equal(response.status, 201, await response.clone().text());
    return response.json();
  };
  // Reviewed while pending: approved since. Reviewed without an outcome: one assignment rejected since.
  // Still pending: nothing to say. The requester as a whole: not a task.
  const transcribe = await review(find('Transcribe a 45-second audio clip of a phone call'), { outcome: 'pending' });
  const write = await review(find('Write a two-sentence product description for a kitchen item'), {});
  const survey = await review(find('Decision making survey about everyday choices (about 10 minutes)'), { outcome: 'pending' });
  await review(find('Decision making survey about everyday choices (about 10 minutes)'), { task: null, outcome: 'pending' });
  const outcomeOf = async (id) => (await (await fetch(`${stack.server.url}/api/v1/reviews/${id}`)).json()).outcome;

  const page = await openOptions();
  try {
    await page.getByRole('button', { name: 'Sync the last 45 days from MTurk' }).click();
    await statusSays(page, '#history-status', 'Synced');
    // The background compares as soon as the sync ends; the page lists what it found.
    await statusSays(page, '#updates-status', '2 of your reviews can be updated from your history.');
    const items = page.locator('#updates-list > li');
    assert.deepEqual(await items.allTextContents(), [
      `${write.task.title} (${write.requester_name})Your review gives no outcome; your history now shows it rejected (1 rejected).Update to rejectedNot now`,
      `${transcribe.task.title} (${transcribe.requester_name})Your review says pending; your history now shows it approved (1 approved).Update to approvedNot now`,
    ]);
    assert.deepEqual(await axe(page), [], 'the reviews to update');
    const stored = (await stack.storage()).reviewUpdates;
    assert.deepEqual(stored.changes.map((c) => [c.review_id, c.outcome]), [[write.id, 'rejected'], [transcribe.id, 'approved']]);

    // One step, by keyboard: the review on the server says approved; the focus goes to the next one's button.
    await page.getByRole('button', { name: `Update to approved: ${transcribe.task.title}` }).focus();
    await page.keyboard.press('Enter');
    await statusSays(page, '#updates-status', `Updated your review of “${transcribe.task.title}”: approved.`);
    assert.equal(await outcomeOf(transcribe.id), 'approved');
    assert.equal(await items.count(), 1);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), `Update to rejected: ${write.task.title}`);
    // "Not now": put aside, not offered again; the focus goes to "Check my reviews now".
    await page.getByRole('button', { name: `Not now: ${write.task.title}` }).press('Enter');
    await statusSays(page, '#updates-status', `Put aside: “${write.task.title}”.`);
    assert.equal(await outcomeOf(write.id), null, 'not changed');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'updates-check');
    assert.equal(await page.locator('#updates-list').isVisible(), false);
    await page.keyboard.press('Enter');
    await statusSays(page, '#updates-status', 'None of your reviews needs updating (3 task reviews checked).');
    assert.equal(await outcomeOf(survey.id), 'pending', 'a task still pending is left alone');
  } finally {
    await page.close();
  }
});

test('signed out of MTurk, the sync stops at once and says so in plain words', async () => {
  const { token } = await signedInWorker();
  const asked = fake.historyRequests.length;
  fake.setSignedIn(false);
  const page = await openOptions();
  try {
    await page.getByRole('button', { name: 'Sync the last 45 days from MTurk' }).click();
    const text = await statusSays(page, '#history-status', 'Stopped');
    assert.match(text, /^Stopped: you are signed out of MTurk .*Open worker\.mturk\.com, sign in, then start the sync again\.$/);
    assert.equal(await page.locator('#history-status').evaluate((r) => r.classList.contains('status-error')), true);
    assert.equal(fake.historyRequests.length - asked, 1, 'only the dashboard was asked');
    assert.equal((await stack.storage()).historySync.error.code, 'mturk_signed_out');
    assert.deepEqual(await serverHistory(token), []);
    for (const colorScheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme });
      assert.deepEqual(await axe(page), [], `the history section with an error (${colorScheme})`);
    }
  } finally {
    fake.setSignedIn(true);
    await page.close();
  }
});

test('Cancel stops after the current request; the popup shows a running sync and links to the dashboard', async () => {
  await signedInWorker();
  const page = await openOptions();
  const popup = await stack.openPopup();
  try {
    await popup.waitForSelector('html[data-ready="true"]');
    assert.equal(await popup.getByRole('link', { name: 'Open my earnings' }).getAttribute('href'), `${stack.server.url}/me`);
    assert.equal(await popup.locator('#history-line').textContent(), '');

    await page.getByRole('button', { name: 'Sync the last 45 days from MTurk' }).click();
    await popup.locator('#history-line').filter({ hasText: /^Syncing your MTurk history: day 2 of \d+\.$/ }).waitFor({ timeout: 20_000 });
    const cancel = page.getByRole('button', { name: 'Cancel the sync' });
    await cancel.focus();
    await page.keyboard.press('Enter');
    const text = await statusSays(page, '#history-status', 'Cancelled after');
    assert.match(text, /^Cancelled after \d of \d+ days: \d+ tasks, \d+ new, 0 updated\.$/);
    assert.equal(await cancel.isVisible(), false);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'history-sync', 'focus goes back to the sync button');
    const { historySync } = await stack.storage();
    assert.equal(historySync.outcome, 'cancelled');
    assert.ok(historySync.daysDone < historySync.daysTotal);
    await popup.waitForFunction(() => document.getElementById('history-line').textContent === '', null, { timeout: 5000 });
  } finally {
    await popup.close();
    await page.close();
  }
});

test('Prolific submissions the worker opens are imported only when the switch is on', async () => {
  const { token } = await signedInWorker();
  const submissions = fake.prolificSubmissions.flatMap((p) => p.results);
  // Off (the default): the app loads its submissions, nothing reaches the server.
  await stack.withPage(async (prolific) => {
    await prolific.goto('https://app.prolific.com/submissions');
    await prolific.locator('#loaded').filter({ hasText: `Loaded ${submissions.length} submissions` }).waitFor();
    await prolific.waitForTimeout(1500);
  });
  assert.deepEqual(await serverHistory(token, 'prolific'), []);
  assert.equal((await stack.storage()).prolificImport, null);

  const page = await openOptions();
  try {
    const box = page.getByLabel('Import my Prolific submissions when I open them');
    assert.equal(await box.isChecked(), false);
    await box.check();
    await statusSays(page, '#prolific-status', 'On: the submissions you open on Prolific are added to your history.');
    assert.equal((await stack.storage()).settings.prolificImport, true);

    // On: page 1 (fetched) and page 2 (XMLHttpRequest) both arrive.
    await stack.withPage(async (prolific) => {
      await prolific.goto('https://app.prolific.com/submissions');
      await prolific.locator('#loaded').filter({ hasText: `Loaded ${submissions.length} submissions` }).waitFor();
      // The app itself works as before.
      assert.equal(await prolific.locator('#submissions li').count(), submissions.length);
    });
    await statusSays(page, '#prolific-status', `Last Prolific import: ${submissions.length} submissions, `);
    let items = [];
    for (let i = 0; i < 50 && items.length < submissions.length; i++) {
      items = await serverHistory(token, 'prolific');
      if (items.length < submissions.length) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const importable = submissions.filter((s) => !['ACTIVE', 'RESERVED'].includes(s.status));
    assert.deepEqual(items.map((i) => i.assignment_id).sort(), importable.map((s) => s.id).sort());
    // Page 1 is in the current shape: submission_reward, submission_bonuses and an adjustment (both are pay).
    const approved = items.find((i) => i.assignment_id === submissions[0].id);
    assert.equal(approved.state, 'approved');
    assert.equal(approved.reward_cents, submissions[0].submission_reward.amount);
    assert.equal(approved.bonus_cents, submissions[0].submission_bonuses[0].amount + submissions[0].submission_adjustments[0].amount);
    assert.equal(approved.currency, 'GBP');
    assert.equal(approved.title, submissions[0].study.name);
    // A screen-out was paid its screening payment.
    const screened = items.find((i) => i.state === 'screened_out');
    assert.equal(screened.reward_cents, submissions.find((s) => s.id === screened.assignment_id).screened_out_payments[0].amount);
    // Page 2 is in the older shape: reward as an integer, bonus_payments.
    const older = fake.prolificSubmissions[1].results[0];
    const fromOlder = items.find((i) => i.assignment_id === older.id);
    assert.equal(fromOlder.reward_cents, older.reward);
    assert.equal(fromOlder.bonus_cents, older.bonus_payments.reduce((a, b) => a + b, 0));
  } finally {
    await page.close();
  }
});
