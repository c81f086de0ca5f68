'use strict';
// A review sent from a task row arrives in the server's database; accepting and then submitting or
// returning a task posts a timing; with timing off, nothing is sent. Real Chromium or Firefox, real server.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../support/stack.js');

let stack;
let account;

before(async () => {
  stack = await startStack({ demo: true });
  account = await stack.server.register({ handle: 'timed_worker' });
  await stack.configure({ settings: { serverUrl: stack.server.url, token: account.token, handle: 'timed_worker', onboarded: true } });
});

after(async () => {
  await stack?.close();
});

test('the first run opens the plain-words explanation of timing, which is off until the worker turns it on', async () => {
  const welcome = await until('the welcome tab', async () => (await stack.pages())
    .find(({ href }) => href === `${stack.extensionOrigin}/src/options/options.html#welcome`)?.page);
  const text = await welcome.locator('body').innerText();
  assert.match(text, /timing/i);
  assert.match(text, /never sent/i, 'says what is not sent');
  const { settings } = await stack.storage();
  assert.equal(settings.timingEnabled ?? false, false, 'timing is opt-in');
});

async function until(what, check, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A list task in the shape the extension reads it (the fake platform keeps MTurk's own shape). */
function taskAt(index) {
  const t = stack.platform.tasks[index];
  return { requester_id: t.requester_id, requester_name: t.requester_name, title: t.title,
    reward_cents: Math.round(t.monetary_reward.amount_in_dollars * 100) };
}

/** The n-th task the worker is qualified for (the fake platform refuses to accept the others). */
function qualified(n) {
  const indexes = stack.platform.tasks.map((t, i) => (t.caller_meets_requirements ? i : -1)).filter((i) => i >= 0);
  return indexes[n];
}

async function openList(page) {
  await page.goto('https://worker.mturk.com/');
  await page.waitForFunction(() => document.querySelectorAll('li.table-row > .ff-annotation').length === 27, null, { timeout: 15_000 });
}

const timingsOf = (assignmentId) => stack.server.sql(
  `select t.*, tt.title, r.external_id as requester from timings t join task_types tt on tt.id = t.task_type_id
   join requesters r on r.id = tt.requester_id where t.assignment_id = ?`, [assignmentId]);

test('a review from the page, operated by keyboard, arrives in the database', async () => {
  await stack.withPage(async (page) => {
    await openList(page);
    const task = taskAt(4);
    const row = page.locator('li.table-row').nth(4);
    const opener = row.locator('.ff-review-button');
    await opener.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.equal(await dialog.getAttribute('aria-labelledby') !== null, true);
    assert.match(await dialog.locator('h2').textContent(), new RegExp(`Review ${task.requester_name}`));
    const facts = await dialog.locator('dd').allTextContents();
    assert.deepEqual(facts, [task.requester_name, task.title, `$${(task.reward_cents / 100).toFixed(2)}`]);

    // Keyboard only: the first radio group has focus; arrow keys pick a rating.
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('type')), 'radio');
    await page.keyboard.press('ArrowRight'); // n/a → 1
    await page.keyboard.press('ArrowRight'); // → 2
    await dialog.getByLabel('Minutes worked').fill('12');
    await dialog.getByLabel('Outcome').selectOption('approved');
    await dialog.getByLabel('underpaid').check();
    const comment = `Sent from the page ${Date.now()}`;
    await dialog.getByLabel('Comment (plain text)').fill(comment);
    await dialog.getByRole('button', { name: 'Send review' }).press('Enter');
    await dialog.getByText('Thank you: your review is saved.').waitFor();

    const [stored] = await stack.server.sql(
      `select rv.*, tt.title, r.external_id as requester, w.handle from reviews rv join task_types tt on tt.id = rv.task_type_id
       join requesters r on r.id = rv.requester_id join workers w on w.id = rv.worker_id where rv.comment = ?`, [comment]);
    assert.ok(stored, 'the review is in the database');
    assert.equal(stored.handle, 'timed_worker');
    assert.equal(stored.requester, task.requester_id);
    assert.equal(stored.title, task.title);
    assert.equal(stored.rating_pay, 2);
    assert.equal(stored.rating_fairness, null);
    assert.equal(stored.worked_seconds, 720);
    assert.equal(stored.outcome, 'approved');
    assert.deepEqual(JSON.parse(stored.flags), ['underpaid']);

    // A second review of the same task is refused with words, and Escape closes and returns focus.
    await dialog.getByRole('button', { name: 'Close' }).press('Enter');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('ff-review-button')), true);
    await opener.press('Enter');
    await page.getByRole('dialog').getByLabel('Comment (plain text)').fill('again');
    await page.getByRole('dialog').getByRole('button', { name: 'Send review' }).click();
    await page.getByRole('dialog').getByText('You have already reviewed this task.').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    const count = await stack.server.sql('select count(*) as n from reviews where comment = ?', ['again']);
    assert.equal(count[0].n, 0);
  });
});

test('signed out, the form says to sign in and nothing is stored', async () => {
  await stack.configure({ settings: { token: null } });
  try {
    await stack.withPage(async (page) => {
      await openList(page);
      await page.locator('li.table-row').nth(2).locator('.ff-review-button').click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Comment (plain text)').fill('signed out review');
      await dialog.getByRole('button', { name: 'Send review' }).click();
      await dialog.getByText(/Sign in first/).waitFor();
      assert.equal((await stack.server.sql('select count(*) as n from reviews where comment = ?', ['signed out review']))[0].n, 0);
    });
  } finally {
    await stack.configure({ settings: { token: account.token } });
  }
});

async function accept(page, index) {
  await openList(page);
  await page.locator('li.table-row').nth(index).locator('.actions-column a', { hasText: 'Accept' }).click();
  await page.waitForURL(/assignment_id=/);
  const assignmentId = new URL(page.url()).searchParams.get('assignment_id');
  await until('the extension to note the accepted task', async () => (await stack.storage()).assignments?.[assignmentId]);
  return assignmentId;
}

test('accept then submit posts a timing with the measured time; the review form offers the minutes', async () => {
  await stack.configure({ settings: { timingEnabled: true } });
  await stack.withPage(async (page) => {
    const index = qualified(7);
    const task = taskAt(index);
    const assignmentId = await accept(page, index);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // work on it
    const frame = page.frameLocator('iframe[title="HIT"]');
    await frame.locator('textarea').fill('my answer');
    await frame.getByRole('button', { name: 'Submit' }).click();
    await page.waitForURL(/\/projects(\?|$)/);
    assert.deepEqual(stack.platform.history.at(-1).outcome, 'submitted');

    const timing = await until('the timing in the database', async () => (await timingsOf(assignmentId))[0]);
    assert.equal(timing.outcome, 'submitted');
    assert.equal(timing.title, task.title);
    assert.equal(timing.requester, task.requester_id);
    assert.ok(timing.seconds >= 1.5 && timing.seconds < 60, `seconds ${timing.seconds}`);
    // The background settles the outbox once the server's answer reaches it, a moment after the row lands.
    const storage = await until('the outbox to empty', async () => {
      const now = await stack.storage();
      return now.outbox?.length === 0 ? now : null;
    });
    assert.deepEqual(storage.assignments, {}, 'no open task left');

    await page.waitForFunction(() => document.querySelectorAll('li.table-row > .ff-annotation').length === 27);
    await page.locator('li.table-row').nth(index).locator('.ff-review-button').click();
    assert.equal(await page.getByRole('dialog').getByLabel(/Minutes worked/).inputValue(), '1');
    await page.keyboard.press('Escape');
  });
});

test('accept then return posts a returned timing', async () => {
  await stack.withPage(async (page) => {
    const assignmentId = await accept(page, qualified(9));
    await page.getByRole('button', { name: 'Return' }).click();
    await page.waitForURL(/\/projects(\?|$)/);
    const timing = await until('the returned timing', async () => (await timingsOf(assignmentId))[0]);
    assert.equal(timing.outcome, 'returned');
  });
});

test('a return sent by a confirm script (form.submit(), no submit event) is still a returned timing', async () => {
  // mturk-suite's confirm-return-hit.js stops the submit event and sends the form itself: nobody else sees an
  // event. The worker's click on Return is seen, and the assignment then leaves the queue.
  await stack.configure({ settings: { timingEnabled: true } });
  stack.platform.setConfirmReturn(true);
  try {
    await stack.withPage(async (page) => {
      const assignmentId = await accept(page, qualified(10));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await page.getByRole('button', { name: 'Return' }).click();
      await page.waitForURL(/\/projects(\?|$)/);
      assert.deepEqual(stack.platform.history.at(-1), { ...stack.platform.history.at(-1), assignment_id: assignmentId, outcome: 'returned' });
      // The list page that loads next sees the assignment gone from the queue.
      const timing = await until('the returned timing', async () => (await timingsOf(assignmentId))[0]);
      assert.equal(timing.outcome, 'returned');
      assert.ok(timing.seconds >= 1 && timing.seconds < 60, `seconds ${timing.seconds}`);
    });
  } finally {
    stack.platform.setConfirmReturn(false);
  }
});

test('timings wait in the outbox while the server is down, and arrive later', async () => {
  await stack.withPage(async (page) => {
    const assignmentId = await accept(page, qualified(11));
    await stack.server.stop();
    try {
      await page.getByRole('button', { name: 'Return' }).click();
      await page.waitForURL(/\/projects(\?|$)/);
      await until('the timing in the outbox', async () => (await stack.storage()).outbox?.some((t) => t.assignment_id === assignmentId));
    } finally {
      await stack.server.start();
    }
    // The next timing sent flushes the outbox (so does the background's five-minute alarm).
    const second = await accept(page, qualified(12));
    await page.getByRole('button', { name: 'Return' }).click();
    await until('both timings in the database', async () => (await timingsOf(assignmentId)).length && (await timingsOf(second)).length);
    await until('the outbox to empty', async () => (await stack.storage()).outbox?.length === 0);
  });
});

test('with timing off (the default), accepting and submitting sends nothing', async () => {
  await stack.configure({ settings: { timingEnabled: false } });
  await stack.withPage(async (page) => {
    await openList(page);
    await page.locator('li.table-row').nth(qualified(13)).locator('.actions-column a', { hasText: 'Accept' }).click();
    await page.waitForURL(/assignment_id=/);
    const assignmentId = new URL(page.url()).searchParams.get('assignment_id');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await page.getByRole('button', { name: 'Return' }).click();
    await page.waitForURL(/\/projects(\?|$)/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal((await stack.storage()).assignments?.[assignmentId], undefined);
    assert.deepEqual(await timingsOf(assignmentId), []);
  });
});
