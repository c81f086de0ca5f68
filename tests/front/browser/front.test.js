// The front door's pages (/, /join and the page it answers, a sign-in link that does not work) in Debian's
// Chromium against a live server: axe-core WCAG 2.2 A/AA in light and dark, and an account made by keyboard only.
// Run by tests/front/test_front_browser.py.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { launchChromium, recordCspViolations } = require('../../browser_support.js');

const ORIGIN = process.env.FRONT_ORIGIN;
if (!ORIGIN) throw new Error('set FRONT_ORIGIN to a running server');
const AXE_PATH = require.resolve('axe-core');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let browser;
test.before(async () => { browser = await launchChromium(); });
test.after(async () => { if (browser) await browser.close(); });

async function axe(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate((tags) => globalThis.axe.run(document, { runOnly: { type: 'tag', values: tags } }), TAGS);
  return result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join(', ')}`);
}

async function open(colorScheme, { bypassCSP = false } = {}) {
  const context = await browser.newContext({ bypassCSP });
  await recordCspViolations(context);
  const page = await context.newPage();
  await page.emulateMedia({ colorScheme });
  return { context, page };
}

let joined = 0;
for (const colorScheme of ['light', 'dark']) {
  test(`front pages: no axe WCAG 2.2 A/AA violations, ${colorScheme}`, async () => {
    const { context, page } = await open(colorScheme, { bypassCSP: true });
    try {
      for (const [path, status, heading] of [['/', 200, null], ['/join', 200, 'Make an account'],
        ['/sign-in/not-a-code-this-server-made', 404, 'This sign-in link does not work']]) {
        const response = await page.goto(ORIGIN + path);
        assert.equal(response.status(), status, path);
        if (heading) assert.equal((await page.locator('h1').textContent()).trim(), heading);
        assert.deepEqual(await axe(page), [], `${path} (${colorScheme})`);
      }
      await page.goto(ORIGIN + '/join');
      await page.getByLabel('Your pseudonym').fill(`axe_${colorScheme}_${++joined}`);
      await page.getByRole('button', { name: /make/i }).click();
      await page.locator('h1', { hasText: 'Your account is ready' }).waitFor();
      assert.deepEqual(await axe(page), [], `the account page (${colorScheme})`);
    } finally { await context.close(); }
  });
}

test('keyboard only: from the start page to a new account, signed in', async () => {
  const { context, page } = await open('light');
  try {
    await page.goto(ORIGIN + '/');
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement.getAttribute('href') === '/join');
    }
    assert.ok(reached, 'the link to /join is reached by Tab');
    await Promise.all([page.waitForURL(`${ORIGIN}/join`), page.keyboard.press('Enter')]);
    let onHandle = false;
    for (let i = 0; i < 20 && !onHandle; i++) {
      await page.keyboard.press('Tab');
      onHandle = await page.evaluate(() => document.activeElement.id === 'handle');
    }
    assert.ok(onHandle, 'the handle field is reached by Tab');
    await page.keyboard.type('keyboard_joiner');
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: 'Your account is ready' }).waitFor();
    assert.match(await page.locator('#token').inputValue(), /^ff_/);
    await page.goto(ORIGIN + '/me');
    assert.ok((await page.locator('body').textContent()).includes('keyboard_joiner'), 'signed in on /me');
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
  } finally { await context.close(); }
});
