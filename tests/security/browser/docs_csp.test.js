// The OpenAPI viewers (/schema: Scalar, /schema/swagger: Swagger UI) under their own Content-Security-Policy, in
// Debian's Chromium (run by tests/security/test_docs_csp_browser.py). The tests have no network, so jsDelivr is
// answered by stand-ins that do what the real bundles do at start: read their config from the page, inject a
// <style>, fetch the OpenAPI document. What is checked is the policy: the pages' inline scripts run (their hashes
// are right), the CDN is allowed, and nothing is refused.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { launchChromium, recordCspViolations } = require('../../browser_support.js');

const ORIGIN = process.env.DOCS_ORIGIN;
if (!ORIGIN) throw new Error('set DOCS_ORIGIN to a running server');

const STAND_INS = {
  'swagger-ui-bundle.js': `
    window.SwaggerUIBundle = Object.assign(function (config) {
      window.__viewer = { spec: Boolean(config.spec && config.spec.openapi) };
      const style = document.createElement('style'); style.textContent = '.swagger-ui{}'; document.head.append(style);
      return { initOAuth() {} };
    }, { presets: { apis: {} }, plugins: { DownloadUrl: {} }, SwaggerUIStandalonePreset: {} });`,
  'swagger-ui-standalone-preset.js': 'window.SwaggerUIStandalonePreset = {};',
  'api-reference': `
    (async () => {
      const url = document.getElementById('api-reference').dataset.url;
      const style = document.createElement('style'); style.textContent = '.scalar{}'; document.head.append(style);
      const spec = await (await fetch(url)).json();
      window.__viewer = { spec: Boolean(spec.openapi) };
    })();`,
};

let browser;
test.before(async () => {
  browser = await launchChromium();
});
test.after(async () => { if (browser) await browser.close(); });

async function open(path) {
  const context = await browser.newContext();  // the policy is enforced
  await recordCspViolations(context);
  const cdn = [];
  await context.route('https://cdn.jsdelivr.net/**', (route) => {
    const url = route.request().url();
    cdn.push(url);
    const name = Object.keys(STAND_INS).find((key) => url.includes(key));
    if (name) return route.fulfill({ contentType: 'text/javascript', body: STAND_INS[name] });
    if (url.endsWith('.css')) return route.fulfill({ contentType: 'text/css', body: 'body{}' });
    return route.fulfill({ status: 404, body: '' });
  });
  await context.route((url) => !url.href.startsWith(ORIGIN) && !url.href.startsWith('https://cdn.jsdelivr.net/'),
    (route) => route.abort());
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  const response = await page.goto(ORIGIN + path);
  return { context, page, response, problems, cdn };
}

for (const path of ['/schema', '/schema/swagger']) {
  test(`${path}: the viewer starts under the docs policy, nothing refused`, async () => {
    const { context, page, response, problems, cdn } = await open(path);
    try {
      assert.equal(response.status(), 200);
      const policy = response.headers()['content-security-policy'];
      assert.match(policy, /script-src 'self' https:\/\/cdn\.jsdelivr\.net 'sha256-/);
      assert.doesNotMatch(policy, /'unsafe-eval'|script-src[^;]*'unsafe-inline'/);
      await page.waitForFunction(() => window.__viewer !== undefined, null, { timeout: 10_000 });
      assert.deepEqual(await page.evaluate(() => window.__viewer), { spec: true });
      assert.ok(cdn.some((url) => url.endsWith('.js') || url.includes('api-reference')), 'the CDN script was asked for');
      assert.deepEqual(await page.evaluate(() => window.__csp), []);
      assert.deepEqual(problems, []);
      // the detector itself works: an inline script the page did not ship is refused and seen
      await page.evaluate(() => { const s = document.createElement('script'); s.textContent = 'window.__x = 1'; document.body.append(s); });
      await page.waitForFunction(() => window.__csp.length > 0);
      assert.match((await page.evaluate(() => window.__csp))[0], /^script-src/);
      assert.equal(await page.evaluate(() => window.__x), undefined);
    } finally { await context.close(); }
  });
}
