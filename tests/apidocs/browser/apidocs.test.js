// The API documentation (/schema, /schema/swagger) in Debian's Chromium with no network at all: every request
// that is not to the server under test is aborted, so the viewer must come from the server itself. Run by
// tests/apidocs/test_apidocs_browser.py. Checks that Swagger UI renders the operations, that its policy refuses
// nothing, axe-core WCAG 2.2 A/AA in light and dark, and that the keyboard reaches the operations.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { launchChromium, recordCspViolations } = require('../../browser_support.js');

const ORIGIN = process.env.DOCS_ORIGIN;
if (!ORIGIN) throw new Error('set DOCS_ORIGIN to a running server');
const AXE_PATH = require.resolve('axe-core');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let browser;
test.before(async () => { browser = await launchChromium(); });
test.after(async () => { if (browser) await browser.close(); });

async function open(path, options = {}) {
  const context = await browser.newContext({ bypassCSP: Boolean(options.bypassCSP) });
  await recordCspViolations(context);
  const elsewhere = [];
  await context.route((url) => !url.href.startsWith(ORIGIN), (route) => {
    elsewhere.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  if (options.colorScheme) await page.emulateMedia({ colorScheme: options.colorScheme });
  const problems = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  const response = await page.goto(ORIGIN + path);
  await page.locator('.opblock-tag').first().waitFor({ timeout: 20_000 });
  return { context, page, response, problems, elsewhere };
}

for (const path of ['/schema', '/schema/swagger']) {
  test(`${path}: Swagger UI renders from this server with no network, under its policy`, async () => {
    const { context, page, response, problems, elsewhere } = await open(path);
    try {
      assert.equal(response.status(), 200);
      const policy = response.headers()['content-security-policy'];
      assert.match(policy, /script-src 'self';/);
      assert.doesNotMatch(policy, /https?:|'unsafe-eval'|script-src[^;]*'unsafe-inline'/);
      // the operations are drawn: the tags and the annotate call
      assert.ok(await page.locator('.opblock-tag').count() > 5);
      assert.ok(await page.getByText('/api/v1/annotate', { exact: true }).count() >= 1);
      assert.equal(await page.locator('h1').first().textContent(), 'Fairfinder API ' + (await (await page.request.get(ORIGIN + '/')).json()).version);
      assert.equal(await page.locator('#loading').count(), 0, 'the loading line is gone once the viewer starts');
      assert.deepEqual(elsewhere, [], 'nothing was asked of another host');
      assert.deepEqual(await page.evaluate(() => window.__csp), []);
      assert.deepEqual(problems, []);
    } finally { await context.close(); }
  });
}

for (const colorScheme of ['light', 'dark']) {
  test(`/schema: no axe WCAG 2.2 A/AA violations, ${colorScheme}, an operation opened too`, async () => {
    const { context, page } = await open('/schema', { bypassCSP: true, colorScheme });
    try {
      await page.locator('.opblock-summary-control').first().click();
      await page.locator('.opblock-body').first().waitFor();
      await page.addScriptTag({ path: AXE_PATH });
      const result = await page.evaluate((tags) => globalThis.axe.run(document, { runOnly: { type: 'tag', values: tags } }), TAGS);
      const violations = result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join(', ')}`);
      assert.deepEqual(violations, []);
    } finally { await context.close(); }
  });
}

test('/schema: keyboard only, the skip link first, then an operation opens with Enter', async () => {
  const { context, page } = await open('/schema');
  try {
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), '#main');
    let opened = false;
    for (let i = 0; i < 40 && !opened; i++) {
      await page.keyboard.press('Tab');
      const isOperation = await page.evaluate(() => document.activeElement.classList.contains('opblock-summary-control'));
      if (isOperation) {
        await page.keyboard.press('Enter');
        await page.locator('.opblock-body').first().waitFor();
        opened = true;
      }
    }
    assert.ok(opened, 'an operation was reached and opened by keyboard');
  } finally { await context.close(); }
});
