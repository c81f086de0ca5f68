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

const AXE_SOURCE = require('node:fs').readFileSync(require.resolve('axe-core'), 'utf8');

async function axeDialog(page) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => axe.run({ include: [['dialog.ff-dialog']] },
    { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }));
  return result.violations.map((v) => `${v.id}: ${v.nodes.length} (${v.help})`);
}

const reviewRow = (comment) => stack.server.sql(
  `select rv.*, tt.title, r.external_id as requester, w.handle from reviews rv left join task_types tt on tt.id = rv.task_type_id
   join requesters r on r.id = rv.requester_id join workers w on w.id = rv.worker_id where rv.comment = ?`, [comment]);

/** Which radio or control has the keyboard focus: its label's words. */
const focusedLabel = (page) => page.evaluate(() => {
  const el = document.activeElement;
  return (el.labels && el.labels[0] ? el.labels[0].textContent : el.textContent).trim();
});

test('a review from the page, operated by keyboard, arrives in the database; opened again, it is edited', async () => {
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
    assert.match(await dialog.locator('h2').textContent(), new RegExp(`^Review ${task.requester_name}`));
    const facts = await dialog.locator('dd').allTextContents();
    assert.deepEqual(facts, [task.requester_name, task.title, `$${(task.reward_cents / 100).toFixed(2)}`]);

    // Keyboard only: first what the review is about (this task), then Tab to the pay rating; arrows pick one.
    assert.equal(await focusedLabel(page), 'This task');
    await page.keyboard.press('Tab');
    assert.equal(await focusedLabel(page), 'n/a');
    await page.keyboard.press('ArrowRight'); // n/a → 1
    await page.keyboard.press('ArrowRight'); // → 2
    await dialog.getByLabel('Minutes worked').fill('12');
    await dialog.getByLabel('Outcome').selectOption('pending');
    await dialog.getByLabel('underpaid').check();
    const comment = `Sent from the page ${Date.now()}`;
    await dialog.getByLabel('Comment (plain text)').fill(comment);
    await dialog.getByRole('button', { name: 'Send review' }).press('Enter');
    await dialog.getByText('Thank you: your review is saved.').waitFor();

    const [stored] = await reviewRow(comment);
    assert.ok(stored, 'the review is in the database');
    assert.equal(stored.handle, 'timed_worker');
    assert.equal(stored.requester, task.requester_id);
    assert.equal(stored.title, task.title);
    assert.equal(stored.rating_pay, 2);
    assert.equal(stored.rating_fairness, null);
    assert.equal(stored.worked_seconds, 720);
    assert.equal(stored.outcome, 'pending');
    assert.deepEqual(JSON.parse(stored.flags), ['underpaid']);

    // Close returns the focus; opened again, the form shows the review to edit, and sends only what changed.
    await dialog.getByRole('button', { name: 'Close' }).press('Enter');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('ff-review-button')), true);
    await opener.press('Enter');
    const edit = page.getByRole('dialog');
    await edit.getByText(/your review is shown/).waitFor();
    assert.match(await edit.locator('h2').textContent(), new RegExp(`^Edit your review of ${task.requester_name}`));
    assert.equal(await edit.getByLabel('Comment (plain text)').inputValue(), comment);
    assert.equal(await edit.getByLabel('Minutes worked').inputValue(), '12');
    assert.equal(await edit.getByLabel('Outcome').inputValue(), 'pending');
    assert.equal(await edit.locator(`fieldset:nth-of-type(2) input:checked`).inputValue(), '2', 'pay 2 is checked');
    assert.equal(await edit.getByLabel('underpaid').isChecked(), true);
    assert.deepEqual(await axeDialog(page), []);
    await edit.getByRole('button', { name: 'Save changes' }).press('Enter');
    await edit.getByText('Nothing changed: your review stays as it was.').waitFor();
    await edit.getByLabel('Outcome').selectOption('approved');
    await edit.getByLabel('Comment (plain text)').fill(`${comment} (edited)`);
    await edit.getByRole('button', { name: 'Save changes' }).press('Enter');
    await edit.getByText('Saved: your review is updated.').waitFor();
    const [edited] = await reviewRow(`${comment} (edited)`);
    assert.equal(edited.id, stored.id, 'the same review, edited');
    assert.equal(edited.outcome, 'approved');
    assert.equal(edited.rating_pay, 2);
    const revisions = await stack.server.sql('select snapshot from review_revisions where review_id = ?', [stored.id]);
    assert.equal(revisions.length, 1, 'one edit, its earlier version kept by the server');
    await page.keyboard.press('Escape');
    await edit.waitFor({ state: 'detached' });
    assert.equal((await stack.server.sql('select count(*) as n from reviews where worker_id = ? and task_type_id = ?',
      [stored.worker_id, stored.task_type_id]))[0].n, 1);
  });
});

test('after a 409 (reviewed meanwhile elsewhere) the form edits the existing review; what was typed is kept', async () => {
  await stack.withPage(async (page) => {
    await openList(page);
    const task = taskAt(5);
    await page.locator('li.table-row').nth(5).locator('.ff-review-button').click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.locator('h2').textContent(), /^Review /, 'no review of this task yet');
    // Meanwhile, the same worker reviews the task from another browser.
    const elsewhere = `From another browser ${Date.now()}`;
    const response = await fetch(`${stack.server.url}/api/v1/reviews`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
      body: JSON.stringify({ platform: 'mturk', requester_id: task.requester_id, requester_name: task.requester_name,
        task: { title: task.title, reward_cents: task.reward_cents }, ratings: { pay: 5 }, comment: elsewhere }),
    });
    assert.equal(response.status, 201);
    const typed = `Typed here ${Date.now()}`;
    await dialog.getByLabel('Comment (plain text)').fill(typed);
    await dialog.getByRole('button', { name: 'Send review' }).click();
    await dialog.getByText(/You already reviewed this task/).waitFor();
    assert.equal(await dialog.locator('.ff-form-status').getAttribute('role'), 'alert');
    assert.match(await dialog.locator('h2').textContent(), /^Edit your review of /);
    assert.equal(await dialog.getByLabel('Comment (plain text)').inputValue(), typed, 'nothing typed is lost');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Save changes');
    assert.deepEqual(await axeDialog(page), []);
    // "Load my earlier review" shows it; the worker changes it and saves: one review, edited.
    await dialog.getByRole('button', { name: 'Load my earlier review' }).press('Enter');
    assert.equal(await dialog.getByLabel('Comment (plain text)').inputValue(), elsewhere);
    await dialog.getByLabel('Comment (plain text)').fill(`${elsewhere}, and here`);
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.getByText('Saved: your review is updated.').waitFor();
    const rows = await stack.server.sql(`select rv.comment, rv.rating_pay from reviews rv join task_types tt on tt.id = rv.task_type_id
      join workers w on w.id = rv.worker_id where w.handle = 'timed_worker' and tt.title = ?`, [task.title]);
    assert.deepEqual(rows, [{ comment: `${elsewhere}, and here`, rating_pay: 5 }]);
    await page.keyboard.press('Escape');
  });
});

test('a requester as a whole is reviewed from any of its rows, and edited the same way', async () => {
  await stack.withPage(async (page) => {
    await openList(page);
    const index = 10;
    const task = taskAt(index);
    await page.locator('li.table-row').nth(index).locator('.ff-review-button').focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.equal(await focusedLabel(page), 'This task');
    await page.keyboard.press('ArrowRight'); // → the requester as a whole
    assert.equal(await focusedLabel(page), `${task.requester_name} as a whole`);
    assert.equal(await dialog.getByText(task.title, { exact: true }).isVisible(), false, 'no task facts');
    assert.equal(await dialog.getByLabel('Minutes worked').isVisible(), false, 'no minutes for a requester');
    await page.keyboard.press('Tab');
    await page.keyboard.press('ArrowLeft'); // n/a → 5
    const comment = `About the requester ${Date.now()}`;
    await dialog.getByLabel('Outcome').selectOption('blocked');
    await dialog.getByLabel('Comment (plain text)').fill(comment);
    await dialog.getByRole('button', { name: 'Send review' }).press('Enter');
    await dialog.getByText('Thank you: your review is saved.').waitFor();
    const [stored] = await reviewRow(comment);
    assert.equal(stored.task_type_id, null, 'about the requester, no task');
    assert.equal(stored.requester, task.requester_id);
    assert.equal(stored.rating_pay, 5);
    assert.equal(stored.outcome, 'blocked');
    assert.equal(stored.worked_seconds, null);
    await page.keyboard.press('Escape');

    // Another row of the same requester (or the same row): "as a whole" finds the review to edit.
    await page.locator('li.table-row').nth(index).locator('.ff-review-button').click();
    const again = page.getByRole('dialog');
    await again.waitFor();
    assert.match(await again.locator('h2').textContent(), /^Review /, 'this task itself is not reviewed yet');
    await again.getByLabel(`${task.requester_name} as a whole`).check();
    await again.getByText(/your review is shown/).waitFor();
    assert.equal(await again.getByLabel('Comment (plain text)').inputValue(), comment);
    await again.getByLabel('Comment (plain text)').fill(`${comment}, edited`);
    await again.getByRole('button', { name: 'Save changes' }).click();
    await again.getByText('Saved: your review is updated.').waitFor();
    assert.equal((await reviewRow(`${comment}, edited`))[0].id, stored.id);
    await page.keyboard.press('Escape');
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
