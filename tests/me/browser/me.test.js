// Real-browser checks of GET /me (run by tests/me/test_me_browser.py against a live server with the worked example
// of docs/earnings.md): signing in through the form, axe-core WCAG 2.2 AA in light and dark on the signed-out, the
// signed-in and the error page, 320 px reflow, 200 % zoom, the charts' text alternatives and their tables, a
// keyboard walk with visible focus, the period form and the history delete without JavaScript, and no CSP violation.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { launchChromium, narrowTables, recordCspViolations } = require('../../browser_support.js');

const ORIGIN = process.env.ME_ORIGIN;
const TOKEN = process.env.ME_TOKEN;
if (!ORIGIN || !TOKEN) throw new Error('set ME_ORIGIN (a running server) and ME_TOKEN (a worker with the worked example)');
const PERIOD = `${ORIGIN}/me?from=2026-01-12&to=2026-01-18&tz=UTC`;
// with the longest holder name allowed, one unbreakable word (100 characters): it must wrap, not widen the page
const LONG_NAME = 'Maximilianus'.repeat(8) + 'Ward';
const EVERY_SECTION = `${ORIGIN}/me/certificate?sent=1&section=kinds&section=approval&section=hours&section=earnings&section=feedback&holder_name=${LONG_NAME}`;
const AXE_PATH = require.resolve('axe-core');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let browser;
test.before(async () => { browser = await launchChromium(); });
test.after(async () => { if (browser) await browser.close(); });

async function newPage(options = {}) {
  // bypassCSP: the page's CSP would refuse axe-core's injected script tag.
  const context = await browser.newContext({
    viewport: options.viewport || { width: 1024, height: 800 }, deviceScaleFactor: options.scale || 1,
    bypassCSP: options.bypassCSP !== false, javaScriptEnabled: options.javaScriptEnabled !== false,
  });
  const page = await context.newPage();
  const external = [];
  page.on('request', (request) => { if (!request.url().startsWith(ORIGIN)) external.push(request.url()); });
  if (options.colorScheme) await page.emulateMedia({ colorScheme: options.colorScheme });
  return { context, page, external };
}

/** Signs in through the page's own form, as a worker would: paste the token, press Sign in. */
async function signIn(page) {
  await page.goto(`${ORIGIN}/me`);
  await page.getByLabel('Your Fairfinder token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Not waitForURL: the form already lives at /me, so that would return before the POST's answer arrives.
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.equal(await page.locator('h1').textContent(), 'Your earnings');
}

async function axe(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate((tags) => globalThis.axe.run(document, { runOnly: { type: 'tag', values: tags } }), TAGS);
  return result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** The innermost elements that reach past the viewport's right edge, so a failing reflow check names its cause. */
async function overflowing(page) {
  return page.evaluate(() => {
    const edge = document.documentElement.clientWidth;
    const wide = [...document.body.querySelectorAll('*')].filter((el) => el.getBoundingClientRect().right > edge + 0.5);
    return wide.filter((el) => !wide.some((other) => other !== el && el.contains(other))).map((el) => {
      const box = el.getBoundingClientRect();
      const name = el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') + [...el.classList].map((c) => `.${c}`).join('');
      return `${name} "${el.textContent.trim().slice(0, 40)}" ends at ${Math.round(box.right)} px (${Math.round(box.width)} px wide)`;
    });
  });
}

const PAGES = {
  'signed out': { signedIn: false, url: `${ORIGIN}/me`, status: 200 },
  'signed in': { signedIn: true, url: PERIOD, status: 200 },
  'bad period': { signedIn: true, url: `${ORIGIN}/me?from=soon&gap_minutes=500`, status: 400 },
  'certificate form': { signedIn: true, url: `${ORIGIN}/me/certificate`, status: 200 },
  'certificate, self-reported left out': { signedIn: true, url: `${ORIGIN}/me/certificate?sent=1&section=kinds&self_reported=omit`, status: 200 },
  'certificate, every section': { signedIn: true, url: EVERY_SECTION, status: 200 },
  'certificate, bad self-reported choice': { signedIn: true, url: `${ORIGIN}/me/certificate?sent=1&self_reported=hide`, status: 400 },
};

for (const [name, { signedIn, url, status }] of Object.entries(PAGES)) {
  for (const colorScheme of ['light', 'dark']) {
    test(`axe: no WCAG 2.2 AA violations, ${name}, ${colorScheme}`, async () => {
      const { context, page, external } = await newPage({ colorScheme });
      try {
        if (signedIn) await signIn(page);
        const response = await page.goto(url);
        assert.equal(response.status(), status);
        assert.deepEqual(await axe(page), []);
        assert.deepEqual(external, [], 'nothing is loaded from elsewhere');
        assert.equal(await page.locator('h1').count(), 1);
      } finally { await context.close(); }
    });
  }
  test(`320 px wide: no horizontal page scroll and no axe violations, ${name}`, async () => {
    const { context, page } = await newPage({ viewport: { width: 320, height: 640 } });
    try {
      if (signedIn) await signIn(page);
      await page.goto(url);
      assert.equal(await horizontalOverflow(page), 0, (await overflowing(page)).join('\n'));
      assert.deepEqual(await axe(page), []);
    } finally { await context.close(); }
  });
}

test('the signed-in page: sections, the plain-words hourly, charts named and described, tables', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page);
    await page.goto(PERIOD);
    assert.deepEqual(await page.locator('main h2').allTextContents(), ['Summary', 'By day', 'By week', 'By requester',
      'By task type', 'Unpaid time', 'Your history', 'Your work certificate']);
    assert.equal((await page.locator('.sentence').textContent()).trim(),
      'You earned $6.00 an hour while working, $3.00 an hour counting returned work and time spent searching.');
    const days = page.getByRole('img', { name: 'Money earned by day, in USD' });
    assert.equal(await days.count(), 1);
    assert.equal(await page.locator('#c1-days-desc').textContent(),
      'Highest day: 14 January 2026, $1.00 earned. 1 day of 7 had tasks.');
    // the accessible description reaches assistive technology
    const description = await days.evaluate((el) => document.getElementById(el.getAttribute('aria-describedby')).textContent);
    assert.match(description, /^Highest day/);
    assert.equal(await page.getByRole('img', { name: 'Money earned by week, in USD' }).count(), 1);
    for (const table of await page.locator('main table').all()) {
      assert.ok((await table.locator('caption').textContent()).trim());
      assert.equal(await table.locator('th:not([scope])').count(), 0);
    }
    const dayRow = await page.locator('table:has(#c1-days-caption) tbody tr').first().locator('th, td').allTextContents();
    assert.deepEqual(dayRow, ['14 January 2026', '4', '$1.00', '$0.50', '$0.40', '$6.00/h', '$3.00/h', '25 min']);
    // the two series differ without colour: the pending part is a hatch pattern
    assert.equal(await page.locator('#c1-days rect.bar.hatched[fill="url(#c1-days-hatch)"]').count(), 2);
    const box = await days.boundingBox();
    assert.ok(box && box.width > 200 && box.height > 80, 'the chart is drawn');
  } finally { await context.close(); }
});

test('390×844 phone: the tables reflow (no sideways scroll, every cell on screen under its column header), still tables to assistive technology, and axe clean', async () => {
  const { context, page } = await newPage({ viewport: { width: 390, height: 844 } });
  try {
    await signIn(page);
    await page.goto(PERIOD);
    const report = await narrowTables(page);
    assert.ok(report.scrollWidth <= report.innerWidth, `page scrolls sideways: ${report.scrollWidth} > ${report.innerWidth}`);
    assert.ok(report.tables >= 5 && report.cells > 0, JSON.stringify(report));
    assert.deepEqual(report.problems, []);
    // Chromium still exposes real tables: every table, and a cell for every data cell, named by its value only
    assert.equal(report.roles.table, report.tables, JSON.stringify(report.roles));
    assert.ok(report.roles.columnheader > 0 && report.roles.rowheader > 0, JSON.stringify(report.roles));
    assert.equal(report.roles.cell, report.cells, JSON.stringify(report.roles));
    assert.ok(report.cellNames.every((name) => !/^(Tasks|Earned|Average|Reward|Samples)\b/.test(name)), report.cellNames.join(' | '));
    assert.deepEqual(await axe(page), []);
  } finally { await context.close(); }
});

test('keyboard only: skip link first, visible focus on every stop, the period form and the delete form reachable', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page);
    await page.goto(PERIOD);
    const steps = [];
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      const step = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return {
          tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute('href'), text: el.textContent.trim().slice(0, 60),
          outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
          shadow: style.boxShadow !== 'none', visible: box.width > 0 && box.height > 0,
          inView: box.bottom > 0 && box.top < window.innerHeight,
        };
      });
      if (step === null) break;
      if (steps.length && step.tag === steps[0].tag && step.href === steps[0].href && step.id === steps[0].id) break;
      assert.ok(step.outline || step.shadow, `focus not visible on ${JSON.stringify(step)}`);
      assert.ok(step.visible && step.inView, `focused element not on screen: ${JSON.stringify(step)}`);
      steps.push(step);
    }
    assert.equal(steps[0].href, '#main', 'the first Tab reaches the skip link');
    for (const id of ['from', 'to', 'tz', 'gap_minutes', 'confirm']) {
      assert.ok(steps.some((s) => s.id === id), `Tab never reached #${id}`);
    }
    assert.ok(steps.some((s) => s.href === '/me/certificate'), 'Tab reaches the certificate link');
    assert.ok(steps.filter((s) => s.tag === 'div').length >= 4, 'tables that may scroll can be reached to scroll them');
  } finally { await context.close(); }
});

test('keyboard only: the certificate form\'s self-reported choice is reached, changed with the arrow keys and sent', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page);
    await page.goto(`${ORIGIN}/me/certificate`);
    const group = page.getByRole('group', { name: 'Tasks you entered yourself' });
    assert.equal(await group.getByRole('radio').count(), 2);
    assert.ok(await page.locator('#self-reported-label').isChecked(), 'labelled is the default');
    let reached = false;
    for (let i = 0; i < 80 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement && document.activeElement.name === 'self_reported');
    }
    assert.ok(reached, 'Tab reaches the self-reported radio buttons');
    const outline = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement);
      return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
    });
    assert.ok(outline, 'the focused radio button shows its focus');
    await page.keyboard.press('ArrowDown');  // a radio group: the arrow keys move the choice
    assert.ok(await page.locator('#self-reported-omit').isChecked());
    await Promise.all([page.waitForURL(/self_reported=omit/), page.keyboard.press('Enter')]);  // Enter sends the form
    assert.ok(await page.locator('#self-reported-omit').isChecked(), 'the choice is kept after sending');
    assert.match(await page.locator('#download-json').getAttribute('href'), /self_reported=omit/);
  } finally { await context.close(); }
});

test('200 % zoom: no horizontal scroll, the charts fit', async () => {
  const { context, page } = await newPage({ viewport: { width: 640, height: 400 }, scale: 2 });
  try {
    await signIn(page);
    await page.goto(PERIOD);
    assert.equal(await horizontalOverflow(page), 0);
    const box = await page.locator('#c1-days').boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 640);
    assert.deepEqual(await axe(page), []);
  } finally { await context.close(); }
});

test('the certificate preview with every section: its tables reflow at phone width; nothing scrolls sideways from 320 to 1280 px, at 200 % zoom or at 200 % text size', async () => {
  const { context, page } = await newPage({ viewport: { width: 390, height: 844 } });
  try {
    await signIn(page);
    await page.goto(EVERY_SECTION);
    assert.equal(await page.locator('.certificate-preview .holder strong').textContent(), LONG_NAME);
    assert.deepEqual(await page.locator('.certificate-preview table caption').allTextContents(), ['Tasks by platform',
      'Approved tasks by kind of work (from the task titles)', 'Measured working time', 'Earnings by currency']);
    const report = await narrowTables(page);
    assert.deepEqual(report.problems, []);
    assert.equal(report.tables, 4, JSON.stringify(report));
    assert.equal(report.roles.table, report.tables, JSON.stringify(report.roles));
    assert.equal(report.roles.cell, report.cells, JSON.stringify(report.roles));
    for (const width of [320, 360, 480, 640, 641, 720, 800, 1024, 1280]) {
      await page.setViewportSize({ width, height: 800 });
      assert.equal(await horizontalOverflow(page), 0, `${width} px: ${(await overflowing(page)).join('; ')}`);
    }
    await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
    assert.equal(await horizontalOverflow(page), 0, `200 % text: ${(await overflowing(page)).join('; ')}`);
  } finally { await context.close(); }
  const zoomed = await newPage({ viewport: { width: 640, height: 400 }, scale: 2 });
  try {
    await signIn(zoomed.page);
    await zoomed.page.goto(EVERY_SECTION);
    assert.equal(await horizontalOverflow(zoomed.page), 0, `200 % zoom: ${(await overflowing(zoomed.page)).join('; ')}`);
    assert.deepEqual(await axe(zoomed.page), []);
  } finally { await zoomed.context.close(); }
});

test('without JavaScript: the period form, an error and the history delete work', async () => {
  const { context, page } = await newPage({ javaScriptEnabled: false, bypassCSP: false });
  try {
    await signIn(page);
    await page.getByLabel('First day').fill('2026-01-12');
    await page.getByLabel('Last day').fill('2026-01-18');
    await page.getByRole('button', { name: 'Show this period' }).click();
    assert.match(page.url(), /from=2026-01-12&to=2026-01-18/);
    assert.equal(await page.locator('table:has(#c1-days-caption) tbody tr').count(), 1);
    await page.getByLabel('Search-gap limit').fill('999');
    await page.getByRole('button', { name: 'Show this period' }).click();
    assert.match(await page.locator('#error-summary').textContent(), /whole number of minutes from 0 to 120/);
    assert.equal(await page.getByLabel('Search-gap limit').getAttribute('aria-invalid'), 'true');
    // delete: refused without the confirmation, done with it
    await page.goto(PERIOD);
    await page.getByRole('button', { name: 'Delete my imported history' }).click();
    assert.match(await page.locator('#error-summary').textContent(), /Nothing was deleted/);
    await page.getByLabel('Yes, delete my imported history').check();
    await page.getByRole('button', { name: 'Delete my imported history' }).click();
    assert.match(await page.locator('#notice').textContent(), /Your imported work history was deleted\. 3 tasks removed\./);
    assert.match(await page.locator('#history').textContent(), /No work history is imported yet/);
  } finally { await context.close(); }
});

test('no Content-Security-Policy violations, and signing out ends the session', async () => {
  const context = await browser.newContext();
  await recordCspViolations(context);
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) consoleErrors.push(m.text()); });
  try {
    await signIn(page);
    for (const url of [PERIOD, `${ORIGIN}/me?from=soon`]) {
      const response = await page.goto(url);
      assert.match(response.headers()['content-security-policy'], /default-src 'none'/);
      assert.equal(response.headers()['cache-control'], 'no-store');
      await page.waitForLoadState('load');
      assert.deepEqual(await page.evaluate(() => window.__csp), [], url);
    }
    assert.deepEqual(consoleErrors, []);
    await page.goto(PERIOD);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await page.locator('h1').textContent(), 'Your earnings: sign in');
    const cookies = await context.cookies(ORIGIN + '/me');
    assert.equal(cookies.filter((c) => c.name === 'ff_me').length, 0);
  } finally { await context.close(); }
});
