'use strict';
// "Open my earnings" and the other server pages from the popup and the options page: the page opens in a new tab
// already signed in, through a one-time link (POST /api/v1/me/sign-in-links, GET /sign-in/<code>), with nothing
// pasted and no token in any address; the link is dead afterwards. Signed out, the page opens with its own sign-in.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../support/stack.js');
const { DEFAULT_SETTINGS, DEFAULT_FILTERS } = require('../../src/lib/settings.js');

let stack;

before(async () => {
  stack = await startStack({ demo: true });
});

after(async () => {
  if (stack) await stack.close();
});

async function reset(settings = {}) {
  await stack.configure({
    settings: { ...DEFAULT_SETTINGS, serverUrl: stack.server.url, onboarded: true, ...settings },
    filters: { ...DEFAULT_FILTERS },
  });
}

/** The tab that opens after `action`, once it has left /sign-in/…: [page, its address]. */
async function newTabAfter(action, wanted) {
  const before = new Set((await stack.pages()).map(({ page }) => page));
  await action();
  for (let i = 0; i < 150; i++) {
    for (const { page, href } of await stack.pages()) {
      if (before.has(page) || !href.startsWith(stack.server.url)) continue;
      const url = new URL(href);
      if (url.pathname === wanted) {
        await page.waitForSelector('h1');
        return [page, href];
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no tab on ${wanted} opened`);
}

async function signedInWorker(handle) {
  const { token } = await stack.server.register({ handle });
  await reset({ token, handle });
  return token;
}

async function linksMade() {
  return (await stack.server.sql('select used_at, next_path from sign_in_links order by id'));
}

// First, while this browser has no page session yet (the links below leave one, as they should).
test('signed out: the popup opens /me with its own sign-in form, and makes no link', async () => {
  await reset({ token: null, handle: null });
  const before = (await linksMade()).length;
  const popup = await stack.openPopup();
  try {
    await popup.waitForSelector('html[data-ready="true"]');
    const [page] = await newTabAfter(() => popup.getByRole('link', { name: 'Open my earnings' }).click(), '/me');
    try {
      assert.equal(await page.locator('h1').textContent(), 'Your earnings: sign in');
    } finally { await page.close(); }
  } finally { await popup.close(); }
  assert.equal((await linksMade()).length, before);
});

test('popup: "Open my earnings" opens /me signed in, with nothing pasted and no token in the address', async () => {
  const token = await signedInWorker('popup-opener');
  const popup = await stack.openPopup();
  try {
    await popup.waitForSelector('html[data-ready="true"]');
    const [page, href] = await newTabAfter(() => popup.getByRole('link', { name: 'Open my earnings' }).click(), '/me');
    try {
      assert.equal(href, `${stack.server.url}/me`, 'the tab ends on /me itself');
      assert.equal(await page.locator('h1').textContent(), 'Your earnings', 'signed in: not the sign-in form');
      assert.ok((await page.locator('body').textContent()).includes('popup-opener'));
      assert.ok(!href.includes(token) && !href.includes('sign-in'));
      const links = await linksMade();
      assert.equal(links.length, 1);
      assert.ok(links[0].used_at, 'the link was used, once');
      assert.equal(links[0].next_path, '/me');
    } finally { await page.close(); }
    await popup.locator('#open-status').filter({ hasText: 'Opened, signed in.' }).waitFor();
  } finally { await popup.close(); }
});

test('options: the voice view and the certificate open signed in, each through a link of its own', async () => {
  await signedInWorker('options-opener');
  const options = await stack.openOptions();
  try {
    const [listen] = await newTabAfter(() => options.getByRole('link', { name: 'Open the voice view (tasks by ear)' }).click(),
      '/listen');
    try {
      assert.ok((await listen.locator('.who').textContent()).includes('Signed in as options-opener'));
    } finally { await listen.close(); }
    const [certificate] = await newTabAfter(() => options.getByRole('link', { name: 'Open my work certificate' }).click(),
      '/me/certificate');
    try {
      assert.ok((await certificate.locator('body').textContent()).includes('options-opener'));
    } finally { await certificate.close(); }
    // One link per page opened, each used once, each for the page asked for.
    const links = (await linksMade()).slice(-2);
    assert.deepEqual(links.map((link) => link.next_path), ['/listen', '/me/certificate']);
    assert.ok(links.every((link) => link.used_at), 'every link was used');
  } finally { await options.close(); }
});
