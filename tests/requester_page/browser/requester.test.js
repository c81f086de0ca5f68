// Real-browser checks of GET /r/{platform}/{requester_id} (run by tests/requester_page/test_requester_browser.py
// against a live demo server): axe-core WCAG 2.2 AA in light and dark, on the requester page, its 404 and the
// lookup form; 320 px reflow; 200 % zoom and 200 % text; a keyboard-only walk with visible focus that reaches the
// platform link; the chart's text alternative; escaped comments; and the page without JavaScript.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { launchChromium, narrowTables, recordCspViolations } = require('../../browser_support.js');

const PAGE = process.env.REQUESTER_URL;
if (!PAGE) throw new Error('set REQUESTER_URL to the /r/mturk/<id> page of a seeded requester on a running server');
const ORIGIN = new URL(PAGE).origin;
const PAGES = {
  requester: { url: PAGE, status: 200 },
  'not found': { url: `${ORIGIN}/r/mturk/ANOBODYKNOWS`, status: 404 },
  'unknown platform': { url: `${ORIGIN}/r/nowhere/A1`, status: 404 },
  lookup: { url: `${ORIGIN}/r/`, status: 200 },
  'lookup error': { url: `${ORIGIN}/r/?q=`, status: 400 },  // an empty search says what to enter
};
const AXE_PATH = require.resolve('axe-core');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let browser;
test.before(async () => {
  browser = await launchChromium();
});
test.after(async () => { if (browser) await browser.close(); });

async function open(url, options = {}) {
  // bypassCSP: the page's CSP would refuse axe-core's injected script tag.
  const context = await browser.newContext({
    viewport: options.viewport || { width: 1024, height: 800 }, deviceScaleFactor: options.scale || 1,
    bypassCSP: options.bypassCSP !== false, javaScriptEnabled: options.javaScriptEnabled !== false,
  });
  const page = await context.newPage();
  const external = [];
  page.on('request', (request) => { if (!request.url().startsWith(ORIGIN)) external.push(request.url()); });
  if (options.colorScheme) await page.emulateMedia({ colorScheme: options.colorScheme });
  const response = await page.goto(url);
  return { context, page, status: response.status(), external };
}

async function axe(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate((tags) => globalThis.axe.run(document, { runOnly: { type: 'tag', values: tags } }), TAGS);
  return result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

for (const [name, { url, status }] of Object.entries(PAGES)) {
  for (const colorScheme of ['light', 'dark']) {
    test(`axe: no WCAG 2.2 AA violations, ${name} page, ${colorScheme}`, async () => {
      const { context, page, status: got, external } = await open(url, { colorScheme });
      try {
        assert.equal(got, status);
        assert.deepEqual(await axe(page), []);
        assert.deepEqual(external, [], 'nothing is loaded from elsewhere');
        assert.equal(await page.locator('h1').count(), 1);
      } finally { await context.close(); }
    });
  }
  test(`320 px wide: no horizontal page scroll and no axe violations, ${name} page`, async () => {
    const { context, page } = await open(url, { viewport: { width: 320, height: 640 } });
    try {
      assert.equal(await horizontalOverflow(page), 0);
      assert.deepEqual(await axe(page), []);
    } finally { await context.close(); }
  });
}

test('the requester page shows every section, and the chart matches its table', async () => {
  const { context, page } = await open(PAGE);
  try {
    const h2 = await page.locator('main h2').allTextContents();
    assert.deepEqual(h2, ['Ratings and reliability', 'Hourly pay by task', 'Hourly pay over time',
      'From other communities', 'Recent reviews']);
    assert.match(await page.locator('#summary').textContent(), /^Pays about \$\d+\.\d\d an hour across \d+ timed task types? \(the median of their median rates\);/);
    // the chart: an image named by its <title>, described by its <desc>, with a table of the same months
    const chart = page.getByRole('img', { name: /Effective hourly pay by month/ });
    assert.equal(await chart.count(), 1);
    assert.equal(await chart.getAttribute('aria-describedby'), 'chart-desc');
    const description = await page.locator('#chart-desc').textContent();
    assert.match(description, /effective hourly pay/);
    const rows = await page.locator('#history table tbody tr').count();
    assert.ok(rows >= 2, 'the demo data spans several months');
    assert.equal(await page.locator('#history svg circle.point').count(), rows);
    const dash = await page.locator('#history svg line.target').getAttribute('stroke-dasharray');
    assert.ok(dash, 'the target line is dashed, not told apart by colour alone');
    // tables have captions and header cells with a scope
    for (const table of await page.locator('main table').all()) {
      assert.ok((await table.locator('caption').textContent()).trim());
      assert.equal(await table.locator('th:not([scope])').count(), 0);
    }
    assert.match(await page.locator('#communities').textContent(), /From Turkopticon/);
    assert.ok(await page.locator('#reviews article').count() > 0);
  } finally { await context.close(); }
});

test('comments are text: a <script> in one is shown, not run', async () => {
  const { context, page } = await open(PAGE, { bypassCSP: false });
  try {
    assert.equal(await page.evaluate(() => window.__injected), undefined);
    const comments = await page.locator('#reviews .comment').allTextContents();
    assert.ok(comments.some((c) => c.includes('<script>window.__injected = true</script>Paid, eventually.')));
    assert.ok(comments.some((c) => c.includes('<img src=x onerror=alert(1)>')));
  } finally { await context.close(); }
});

test('keyboard only: skip link, every link and scrolling table, the platform link, visible focus at every step', async () => {
  const { context, page } = await open(PAGE);
  try {
    const steps = [];
    for (let i = 0; i < 200; i++) {
      await page.keyboard.press('Tab');
      const step = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return {
          tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute('href'), text: el.textContent.trim().slice(0, 80),
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
    const platform = steps.find((s) => s.id === 'platform-link');
    assert.ok(platform, 'Tab reaches the link to the requester on MTurk');
    assert.match(platform.href, /^https:\/\/worker\.mturk\.com\/requesters\/[^/]+\/projects$/);
    assert.match(platform.text, /’s tasks on MTurk$/);
    for (const href of ['#scores-heading', '#tasks-heading', '#history-heading', '#communities-heading', '#reviews-heading']) {
      assert.ok(steps.some((s) => s.href === href), `Tab never reached the in-page link ${href}`);
    }
    assert.ok(steps.filter((s) => s.tag === 'div').length >= 3, 'tables that may scroll can be reached to scroll them');
    // the skip link moves focus to main; Enter on an in-page link moves to its section
    await page.goto(PAGE);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  } finally { await context.close(); }
});

test('200 % zoom: no horizontal scroll, everything reachable, the platform link by keyboard', async () => {
  // Browser zoom to 200 % on a 1280 px window is a 640 CSS px viewport at twice the pixel density.
  const { context, page } = await open(PAGE, { viewport: { width: 640, height: 400 }, scale: 2 });
  try {
    assert.equal(await horizontalOverflow(page), 0);
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement.id === 'platform-link');
    }
    assert.ok(reached, 'Tab reaches the platform link at 200 % zoom');
    const box = await page.locator('#platform-link').boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 640, 'the focused link is inside the viewport');
    assert.deepEqual(await axe(page), []);
  } finally { await context.close(); }
});

test('200 % text size: nothing overflows the page, the chart still fits', async () => {
  const { context, page } = await open(PAGE, { viewport: { width: 1280, height: 800 } });
  try {
    await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
    assert.equal(await horizontalOverflow(page), 0);
    const chart = await page.locator('#history svg').boundingBox();
    assert.ok(chart && chart.width > 0 && chart.x + chart.width <= 1280);
    // headings and summary are not clipped
    const clipped = await page.evaluate(() => [...document.querySelectorAll('h1, h2, .summary')]
      .filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.textContent.slice(0, 40)));
    assert.deepEqual(clipped, []);
  } finally { await context.close(); }
});

test('works without JavaScript: the same content is there', async () => {
  const { context, page } = await open(PAGE, { javaScriptEnabled: false, bypassCSP: false });
  try {
    assert.equal(await page.locator('h1').count(), 1);
    assert.ok(await page.locator('#task-types tbody tr').count() > 0);
    assert.ok(await page.locator('#history svg').isVisible());
    await page.goto(`${ORIGIN}/r/`);
    await page.fill('#lookup-q', new URL(PAGE).pathname.split('/').pop());
    await page.click('button:has-text("Search")');
    await page.click(`.result-list a[href="${new URL(PAGE).pathname}"]`);  // the search lists the requester
    assert.equal(page.url(), PAGE);
  } finally { await context.close(); }
});

test('no Content-Security-Policy violations on any page', async () => {
  // The policy is enforced here (bypassCSP off); violations are caught from the page's securitypolicyviolation
  // events (recorded before the first byte is parsed) and from Chromium's console errors.
  const context = await browser.newContext();
  await recordCspViolations(context);
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) consoleErrors.push(m.text()); });
  try {
    for (const [name, { url, status }] of Object.entries(PAGES)) {
      const response = await page.goto(url);
      assert.equal(response.status(), status, name);
      assert.match(response.headers()['content-security-policy'], /default-src 'none'/, name);
      assert.equal(response.headers()['x-frame-options'], 'DENY', name);
      await page.waitForLoadState('load');
      assert.deepEqual(await page.evaluate(() => window.__csp), [], `violations on the ${name} page`);
    }
    assert.deepEqual(consoleErrors, []);
    // the detector itself works: an inline style is refused and seen
    await page.evaluate(() => { const s = document.createElement('style'); s.textContent = 'p{}'; document.head.append(s); });
    await page.waitForFunction(() => window.__csp.length > 0);
    assert.match((await page.evaluate(() => window.__csp))[0], /^style-src/);
  } finally { await context.close(); }
});

test('390×844 phone: the tables reflow (no sideways scroll, every cell on screen under its column header), still tables to assistive technology, and axe clean', async () => {
  const { context, page } = await open(PAGE, { viewport: { width: 390, height: 844 } });
  try {
    const report = await narrowTables(page);
    assert.ok(report.scrollWidth <= report.innerWidth, `page scrolls sideways: ${report.scrollWidth} > ${report.innerWidth}`);
    assert.ok(report.tables >= 3 && report.cells > 0, JSON.stringify(report));
    assert.deepEqual(report.problems, []);
    // Chromium still exposes real tables: every table, and a cell for every data cell, named by its value only
    assert.equal(report.roles.table, report.tables, JSON.stringify(report.roles));
    assert.ok(report.roles.columnheader > 0 && report.roles.rowheader > 0, JSON.stringify(report.roles));
    assert.equal(report.roles.cell, report.cells, JSON.stringify(report.roles));
    assert.ok(report.cellNames.every((name) => !/^(Tasks|Earned|Average|Reward|Samples)\b/.test(name)), report.cellNames.join(' | '));
    assert.deepEqual(await axe(page), []);
  } finally { await context.close(); }
});
