'use strict';
// app.prolific.com drawn the way public evidence shows (tests/support/fake-prolific.js): a Vue-like app that
// fetches internal-api.prolific.com/api/v1/participant/studies/ (sometimes answered 429 first), renders its
// cards late with the researcher only by name, and re-renders them with new nodes. Every card is annotated
// with its own study, from the JSON the app fetched, signed out of Fairfinder and signed in; the overlay
// survives re-renders; a changed page says it cannot read. Real Chromium or Firefox, real Fairfinder server.
const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../support/stack.js');
const { startCountingProxy } = require('../support/proxy.js');
const format = require('../../src/lib/format.js');

let stack;
let proxy;
let account;
const CARDS = "li.list-item[data-testid^='study-']";

before(async () => {
  stack = await startStack({ demo: true });
  proxy = await startCountingProxy(stack.server.url);
  account = await stack.server.register({ handle: 'prolific_worker' });
  await stack.configure({ settings: { serverUrl: proxy.url, onboarded: true }, filters: { min_hourly_cents: null, block: [] } });
});

after(async () => {
  await proxy?.close();
  await stack?.close();
});

beforeEach(() => stack.platform.prolific.reset());

async function waitForCards(page, count = 12, timeout = 20_000) {
  await page.waitForFunction((n) => document.querySelectorAll("li.list-item[data-testid^='study-']").length === n
    && document.querySelectorAll("li.list-item[data-testid^='study-'] > .ff-annotation").length === n, count, { timeout });
}

/** Each card: its study id, its title, and the title and figures our box shows. */
async function cardsShown(page) {
  return page.$$eval("li.list-item[data-testid^='study-']", (cards) => cards.map((card) => ({
    id: card.getAttribute('data-testid').slice('study-'.length),
    title: card.querySelector("[data-testid='title']").textContent,
    reward: card.querySelector("[data-testid='study-tag-reward']").textContent,
    named: card.querySelector(':scope > .ff-annotation .ff-review-button')?.getAttribute('aria-label') ?? null,
    hourly: card.querySelector(':scope > .ff-annotation .ff-hourly')?.textContent ?? null,
    basis: card.querySelector(':scope > .ff-annotation .ff-basis')?.textContent ?? null,
  })));
}

function assertOwnStudies(shown) {
  const studies = stack.platform.studies;
  assert.equal(shown.length, studies.length);
  shown.forEach((card, i) => {
    const study = studies.find((s) => s.id === card.id);
    assert.ok(study, `card ${i} is a study of the API's answer`);
    assert.equal(card.title, study.name);
    assert.equal(card.named, format.buttonName('Review', study.name), `card ${i} is annotated with its own study`);
    // Nobody has timed these: the figure is the researcher's claim (the server's words), in the reward's currency.
    assert.equal(card.basis, "the requester's claim");
    assert.match(card.hourly, /^claims /, `${card.hourly}: a claim says so`);
    assert.equal(card.hourly.slice('claims '.length)[0], card.reward[0], `${card.hourly} in the currency of ${card.reward}`);
  });
}

test('every study card is annotated with its own study, read from the JSON the app fetched (signed out)', async () => {
  await stack.withPage(async (page) => {
    const before = proxy.count('/api/v1/annotate', 'POST');
    await page.goto('https://app.prolific.com/studies');
    await waitForCards(page);
    assertOwnStudies(await cardsShown(page));
    assert.equal(proxy.count('/api/v1/annotate', 'POST') - before, 1, 'one annotate request');
    assert.equal(await page.locator('#ff-notice').count(), 0);
    // The box names its figure's basis in words and its band in words.
    const bands = await page.$$eval(`${CARDS} > .ff-annotation .ff-band`, (els) => els.map((e) => e.textContent));
    assert.ok(bands.every((b) => Object.values(format.BAND_LABELS).includes(b)));
  });
  // The researcher ids the server now knows are the API's (the DOM has only names).
  const rows = await stack.server.sql("select external_id, name from requesters where platform = 'prolific'");
  const known = new Map(rows.map((r) => [r.external_id, r.name]));
  for (const study of stack.platform.studies) assert.equal(known.get(study.researcher.id), study.researcher.name);
});

test('signed in, the cards are annotated the same way', async () => {
  await stack.configure({ settings: { token: account.token, handle: 'prolific_worker' } });
  try {
    await stack.withPage(async (page) => {
      await page.goto('https://app.prolific.com/studies');
      await waitForCards(page);
      assertOwnStudies(await cardsShown(page));
    });
  } finally {
    await stack.configure({ settings: { token: null, handle: null } });
  }
});

test('the app re-renders its cards with new nodes: the overlay comes back, and the server is not asked again', async () => {
  await stack.withPage(async (page) => {
    await page.goto('https://app.prolific.com/studies');
    await waitForCards(page);
    const before = proxy.count('/api/v1/annotate', 'POST');
    const renders = Number(await page.evaluate(() => document.documentElement.dataset.renders));
    for (let i = 0; i < 3; i++) {
      await page.evaluate(() => window.__fakeProlific.rerender());
      assert.equal(await page.locator(`${CARDS} > .ff-annotation`).count(), 0, 'new nodes, without our boxes');
      await waitForCards(page);
    }
    assert.equal(Number(await page.evaluate(() => document.documentElement.dataset.renders)), renders + 3);
    assertOwnStudies(await cardsShown(page));
    assert.equal(proxy.count('/api/v1/annotate', 'POST') - before, 0, 'answered from the cache');
  });
});

test('the app polls its API and re-renders on its own: the cards stay annotated', async () => {
  stack.platform.prolific.setMode({ pollMs: 700, renderDelayMs: 100 });
  await stack.withPage(async (page) => {
    await page.goto('https://app.prolific.com/studies');
    await waitForCards(page);
    await page.waitForFunction(() => Number(document.documentElement.dataset.renders) >= 4, null, { timeout: 10_000 });
    await waitForCards(page);
    assertOwnStudies(await cardsShown(page));
  });
});

test('a 429 from the API: the app waits and asks again; the capture passes on only the good answer', async () => {
  stack.platform.prolific.setMode({ throttle: 1 });
  const asked = stack.platform.prolific.requests.length;
  await stack.withPage(async (page) => {
    await page.goto('https://app.prolific.com/studies');
    await waitForCards(page);
    assertOwnStudies(await cardsShown(page));
    assert.equal(await page.locator('#ff-notice').count(), 0);
  });
  const answers = stack.platform.prolific.requests.slice(asked).filter((r) => r.path === '/api/v1/participant/studies/');
  assert.deepEqual(answers.map((r) => r.status), [429, 200]);
});

test('a page whose cards no longer carry their study id says it cannot read, and shows its report', async () => {
  stack.platform.prolific.setMode({ changedIds: true });
  await stack.withPage(async (page) => {
    await page.goto('https://app.prolific.com/studies');
    await page.locator('#ff-notice').filter({ hasText: 'cannot read the tasks on this page' }).waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('.ff-annotation').count(), 0);
    await page.getByRole('button', { name: 'What would be reported…' }).click();
    const dialog = page.getByRole('dialog', { name: "Report this page's shape" });
    const json = await dialog.locator('pre').textContent();
    const report = JSON.parse(json);
    assert.equal(report.platform, 'prolific');
    assert.equal(report.page, 'studies');
    assert.equal(report.counts.data_items, 12, 'the app\'s data arrived; its cards could not be matched');
    assert.equal(report.probes.study_cards, 0);
    assert.ok(report.elements.some((e) => e.tag === 'li' && e.testid === 'study-card' && e.count === 12));
    for (const study of stack.platform.studies) {
      assert.ok(!json.includes(study.name) && !json.includes(study.id) && !json.includes(study.researcher.name), study.name);
    }
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });
});
