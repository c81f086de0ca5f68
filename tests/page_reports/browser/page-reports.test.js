// Real-browser checks of /admin/page-reports (run by tests/page_reports/test_page_reports_browser.py against a real
// server with reports posted through the API): axe-core WCAG 2.2 A/AA in light and dark on every page (sign-in and
// its error, the 403 for a worker, the reports with a shape opened, a filtered empty list, a 400 page); 320 px
// reflow and 200 % zoom; a keyboard-only walk that signs in, filters by platform and opens a shape, with visible
// focus at every step; no CSP violations; nothing loaded from elsewhere.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { launchChromium, recordCspViolations } = require('../../browser_support.js');

const BASE = process.env.PAGE_REPORTS_URL;
const SEED = JSON.parse(process.env.PAGE_REPORTS_SEED || 'null');
if (!BASE || !SEED) throw new Error('set PAGE_REPORTS_URL (…/admin/page-reports of a running server) and PAGE_REPORTS_SEED');
const ORIGIN = new URL(BASE).origin;
const AXE_PATH = require.resolve('axe-core');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
// Pages of a signed-in admin: [name, query, status].
const PAGES = [
  ['reports', '', 200],
  ['reports of 30 days', '?days=30', 200],
  ['MTurk only', '?platform=mturk&days=7', 200],
  ['an empty choice', `?platform=prolific&version=${SEED.mturkOnlyVersion}&days=1`, 200],
  ['no such period', '?days=365', 400],
];

let browser;
test.before(async () => { browser = await launchChromium(); });
test.after(async () => { if (browser) await browser.close(); });

async function open(options = {}) {
  // bypassCSP: the page's CSP would refuse axe-core's injected script tag (the CSP test turns it off).
  const context = await browser.newContext({
    viewport: options.viewport || { width: 1024, height: 800 }, deviceScaleFactor: options.scale || 1,
    bypassCSP: options.bypassCSP !== false,
  });
  const page = await context.newPage();
  const external = [];
  page.on('request', (request) => { if (!request.url().startsWith(ORIGIN)) external.push(request.url()); });
  if (options.colorScheme) await page.emulateMedia({ colorScheme: options.colorScheme });
  return { context, page, external };
}

async function signIn(page, token = SEED.adminToken) {
  const response = await page.goto(BASE);
  assert.equal(response.status(), 200);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(/notice=signed-in/), page.click('form[action="/admin/page-reports/sign-in"] button')]);
}

async function axe(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate((tags) => globalThis.axe.run(document, { runOnly: { type: 'tag', values: tags } }), TAGS);
  return result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function openAllShapes(page) {
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
}

function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

for (const colorScheme of ['light', 'dark']) {
  test(`axe: no WCAG 2.2 A/AA violations on any page, ${colorScheme}`, async () => {
    const problems = {};
    const check = async (name, page) => {
      const found = await axe(page);
      if (found.length) problems[name] = found;
      assert.equal(await page.locator('h1').count(), 1, `one h1 on the ${name} page`);
    };
    let { context, page, external } = await open({ colorScheme });
    try {
      await page.goto(BASE);
      await check('sign-in', page);
      await page.click('form[action="/admin/page-reports/sign-in"] button');
      await page.waitForSelector('#token[aria-invalid="true"]');
      await check('sign-in error', page);
      await page.fill('#token', SEED.workerToken);
      await page.click('form[action="/admin/page-reports/sign-in"] button');
      await page.waitForSelector('h1:has-text("Admins only")');
      await check('403 for a worker', page);
      assert.deepEqual(external, []);
    } finally { await context.close(); }

    ({ context, page, external } = await open({ colorScheme }));
    try {
      await signIn(page);
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(background, colorScheme === 'dark' ? 'rgb(18, 18, 18)' : 'rgb(255, 255, 255)');
      for (const [name, query, status] of PAGES) {
        const response = await page.goto(`${BASE}${query}`);
        assert.equal(response.status(), status, name);
        await openAllShapes(page);
        await check(name, page);
      }
      assert.deepEqual(external, [], 'nothing is loaded from elsewhere');
    } finally { await context.close(); }
    assert.deepEqual(problems, {});
  });
}

test('the reports say what was seen: shapes, first and last seen, days, versions, the shape itself', async () => {
  const { context, page } = await open();
  try {
    await signIn(page);
    await page.goto(`${BASE}?days=30`);
    const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    assert.match(text, new RegExp(`${SEED.reports} reports in the last 30 days`));
    assert.match(text, /MTurk search page: no task could be read/);
    assert.match(text, /Prolific studies list: no task could be read/);
    const shape = page.locator(`#shape-${SEED.mturkShape.slice(0, 12)}`);
    assert.match(await shape.innerText(), new RegExp(`First seen\\s+${SEED.firstSeenText}`));
    // The shape's elements, behind a disclosure the keyboard opens (tested below).
    assert.equal(await shape.locator('table.elements').isVisible(), false);
    await shape.locator('summary').click();
    assert.equal(await shape.locator('table.elements tbody tr').count(), SEED.mturkElements);
  } finally { await context.close(); }
});

test('320 px wide and 200 % zoom: no horizontal page scroll, no axe violations', async () => {
  for (const options of [{ viewport: { width: 320, height: 640 } }, { viewport: { width: 640, height: 400 }, scale: 2 }]) {
    const { context, page } = await open(options);
    try {
      await signIn(page);
      for (const [name, query] of PAGES) {
        await page.goto(`${BASE}${query}`);
        await openAllShapes(page);
        assert.equal(await horizontalOverflow(page), 0, `${name} at ${options.viewport.width} px`);
        assert.deepEqual(await axe(page), [], name);
      }
    } finally { await context.close(); }
  }
});

async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return {
      tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute('href'), text: el.textContent.trim().slice(0, 60),
      outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
      visible: box.width > 0 && box.height > 0, inView: box.bottom > 0 && box.top < window.innerHeight,
    };
  });
}

/** Tab until `done(step)`; every focused element shows its focus and is on screen. */
async function tabTo(page, done, limit = 120) {
  const steps = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const step = await focused(page);
    assert.ok(step.outline, `focus not visible on ${JSON.stringify(step)}`);
    assert.ok(step.visible && step.inView, `focused element not on screen: ${JSON.stringify(step)}`);
    steps.push(step);
    if (done(step)) return steps;
  }
  assert.fail(`not reached in ${limit} Tabs: ${JSON.stringify(steps.slice(-3))}`);
}

test('keyboard only: sign in, choose a platform, open a shape; focus visible at every step', async () => {
  const { context, page } = await open({ bypassCSP: false });
  try {
    await page.goto(BASE);
    let steps = await tabTo(page, (s) => s.id === 'token');
    assert.equal(steps[0].href, '#main', 'the first Tab reaches the skip link');
    await page.keyboard.type(SEED.adminToken);
    await Promise.all([page.waitForURL(/notice=signed-in/), page.keyboard.press('Enter')]);
    assert.equal((await page.locator('#notice').textContent()).trim(), 'You are signed in.');

    steps = await tabTo(page, (s) => s.id === 'platform');
    assert.ok(steps.some((s) => s.text === 'Sign out'), 'the sign-out button is reachable');
    // A closed select takes the keyboard: the first letter chooses "MTurk".
    await page.keyboard.type('M');
    assert.equal(await page.locator('#platform').inputValue(), 'mturk');
    await tabTo(page, (s) => s.id === 'days');
    await page.keyboard.type('The last 30');
    assert.equal(await page.locator('#days').inputValue(), '30');
    await tabTo(page, (s) => s.tag === 'button' && s.text === 'Show the reports');
    await Promise.all([page.waitForURL(/platform=mturk/), page.keyboard.press('Enter')]);
    assert.match(page.url(), /days=30/);
    const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    assert.match(text, /MTurk search page/);
    assert.doesNotMatch(text, /Prolific studies list/);

    // The shape's disclosure opens with Enter, and its tables' scrolling regions take focus.
    await tabTo(page, (s) => s.tag === 'summary');
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('details').first().evaluate((d) => d.open), true);
    steps = await tabTo(page, (s) => s.tag === 'div' && s.id === '' && s.text.includes('Kinds of element'));
    assert.ok(steps.length >= 1);
  } finally { await context.close(); }
});

test('no Content-Security-Policy violations on any page, and the policy is enforced', async () => {
  const { context, page } = await open({ bypassCSP: false });
  await recordCspViolations(context);
  try {
    await page.goto(BASE);
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'sign-in page');
    await signIn(page);
    for (const [name, query, status] of PAGES) {
      const response = await page.goto(`${BASE}${query}`);
      assert.equal(response.status(), status, name);
      assert.match(response.headers()['content-security-policy'], /default-src 'none'/, name);
      assert.equal(response.headers()['cache-control'], 'no-store', name);
      assert.equal(response.headers()['x-robots-tag'], 'noindex, nofollow', name);
      await page.waitForLoadState('load');
      assert.deepEqual(await page.evaluate(() => window.__csp), [], `violations on the ${name} page`);
    }
    await page.evaluate(() => { const s = document.createElement('style'); s.textContent = 'p{}'; document.head.append(s); });
    await page.waitForFunction(() => window.__csp.length > 0);
    assert.match((await page.evaluate(() => window.__csp))[0], /^style-src/);
  } finally { await context.close(); }
});
