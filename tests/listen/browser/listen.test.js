// Real-browser checks of GET /listen (run by tests/listen/test_listen_browser.py against a live demo server):
// axe-core WCAG 2.2 AA in every state, 320 px reflow, dark mode, a keyboard-only walk with visible focus,
// the progressive-enhancement script, and an ARIA snapshot of <main> compared with a golden file.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { launchChromium, recordCspViolations } = require('../../browser_support.js');

const BASE = process.env.LISTEN_URL;
if (!BASE) throw new Error('set LISTEN_URL to the /listen page of a running demo server');
const GOLDEN = path.join(__dirname, 'listen.aria.yml');
const AXE_PATH = require.resolve('axe-core');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const STATES = {
  full: '',
  filtered: '?min_hourly=5&hide=needs_sight',
  empty: '?min_hourly=1000',
  error: '?min_hourly=abc',
};

let browser;
test.before(async () => {
  browser = await launchChromium();
});
test.after(async () => { if (browser) await browser.close(); });

async function open(query = '', options = {}) {
  // bypassCSP: the page's CSP (script-src 'self') would refuse axe-core's injected script tag.
  const context = await browser.newContext({ viewport: options.viewport || { width: 1024, height: 800 }, bypassCSP: true });
  const page = await context.newPage();
  if (options.colorScheme) await page.emulateMedia({ colorScheme: options.colorScheme });
  const response = await page.goto(BASE + query);
  return { context, page, status: response.status() };
}

async function axe(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate((tags) => globalThis.axe.run(document, { runOnly: { type: 'tag', values: tags } }), TAGS);
  return result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

for (const [name, query] of Object.entries(STATES)) {
  for (const colorScheme of ['light', 'dark']) {
    test(`axe: no WCAG 2.2 AA violations, ${name} list, ${colorScheme}`, async () => {
      const { context, page, status } = await open(query, { colorScheme });
      try {
        assert.equal(status, name === 'error' ? 400 : 200);
        assert.deepEqual(await axe(page), []);
      } finally { await context.close(); }
    });
  }
  test(`320 px wide: no horizontal scroll and no axe violations, ${name} list`, async () => {
    const { context, page } = await open(query, { viewport: { width: 320, height: 640 } });
    try {
      assert.equal(await horizontalOverflow(page), 0);
      // open every hidden task too: long reasons must wrap as well
      await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
      assert.equal(await horizontalOverflow(page), 0);
      assert.deepEqual(await axe(page), []);
    } finally { await context.close(); }
  });
}

test('the states look as expected', async () => {
  const { context, page } = await open('');
  try {
    assert.equal(await page.locator('h1').textContent(), 'Tasks, best paid first');
    const articles = await page.locator('main article').count();
    assert.ok(articles > 0);
    assert.equal(await page.locator('main article h2').count(), articles);
    await page.goto(BASE + STATES.filtered);
    assert.ok(await page.locator('#hidden details').count() > 0);
    assert.equal(await page.locator('#hidden details[open]').count(), 0, 'hidden tasks start collapsed');
    await page.goto(BASE + STATES.empty);
    assert.equal(await page.locator('main article').count(), 0);
    assert.match(await page.locator('.summary').textContent(), /No tasks on MTurk match your filters/);
    await page.goto(BASE + STATES.error);
    assert.match(await page.locator('[role=alert]').textContent(), /number of dollars/);
    await page.locator('[role=alert] a').first().click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'min_hourly', 'error links move to the field');
  } finally { await context.close(); }
});

test('keyboard only: skip link, form, every task link, visible focus at every step', async () => {
  const { context, page } = await open(STATES.filtered);
  try {
    const steps = [];
    for (let i = 0; i < 300; i++) {
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
        };
      });
      if (step === null) break;
      if (steps.length && step.id && step.id === steps[0].id && step.href === steps[0].href) break;
      assert.ok(step.outline || step.shadow, `focus not visible on ${JSON.stringify(step)}`);
      assert.ok(step.visible, `focused element has no size: ${JSON.stringify(step)}`);
      steps.push(step);
    }
    assert.equal(steps[0].href, '#main', 'the first Tab reaches the skip link');
    const ids = steps.map((s) => s.id);
    for (const id of ['platform', 'verbosity', 'min_hourly', 'hide-needs_sight', 'hide-adult_content', 'refresh', 'token']) {
      assert.ok(ids.includes(id), `Tab never reached #${id}`);
    }
    assert.ok(steps.some((s) => s.tag === 'button' && s.text === 'Show tasks'));
    assert.ok(steps.some((s) => s.tag === 'summary'), 'hidden tasks can be opened from the keyboard');
    assert.ok(steps.some((s) => s.text === 'Preview “Label street signs” on MTurk'), 'link names include the title');
    const taskLinks = await page.locator('main article a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    assert.ok(taskLinks.length >= 2, 'the test server has a task with Preview and Accept links');
    for (const href of taskLinks) assert.ok(steps.some((s) => s.href === href), `Tab never reached ${href}`);

    // the skip link moves focus to main
    await page.goto(BASE + STATES.filtered);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  } finally { await context.close(); }
});

test('script: j/k move between task headings, not while typing, and can be turned off (remembered)', async () => {
  const { context, page } = await open('');
  try {
    await page.waitForFunction(() => !document.getElementById('enhanced-controls').hidden);
    const headings = await page.locator('main article h2').evaluateAll((hs) => hs.map((h) => h.id));
    const active = () => page.evaluate(() => document.activeElement.id);
    await page.keyboard.press('j');
    assert.equal(await active(), headings[0]);
    await page.keyboard.press('j');
    assert.equal(await active(), headings[1]);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none');
    await page.keyboard.press('k');
    assert.equal(await active(), headings[0]);
    await page.focus('#min_hourly');
    await page.keyboard.type('jk');
    assert.equal(await page.inputValue('#min_hourly'), 'jk', 'typing in a field is not a shortcut');
    assert.equal(await active(), 'min_hourly');
    await page.uncheck('#shortcuts');
    await page.reload();
    await page.waitForFunction(() => !document.getElementById('enhanced-controls').hidden);
    assert.equal(await page.isChecked('#shortcuts'), false, 'the choice is remembered');
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    await page.keyboard.press('j');
    assert.notEqual(await active(), headings[0]);
  } finally { await context.close(); }
});

test('script: refresh announces the count; auto-refresh is off until turned on, then paused and resumed', async () => {
  const { context, page } = await open(STATES.filtered);
  try {
    await page.waitForFunction(() => !document.getElementById('enhanced-controls').hidden);
    const count = await page.locator('main article').count();
    const live = page.locator('#live');
    assert.equal(await live.getAttribute('role'), 'status');
    assert.equal(await live.getAttribute('aria-live'), 'polite');
    assert.equal(await page.getAttribute('#auto-refresh', 'data-state'), 'off');
    assert.equal((await page.textContent('#auto-refresh')).trim(), 'Turn on auto-refresh (every 60 seconds)',
      'never on: not "Resume"');
    await page.click('#refresh');
    await page.waitForFunction((n) => document.getElementById('live').textContent === `List updated: ${n} ${n === 1 ? 'task' : 'tasks'}`, count);
    assert.equal(await page.locator('main article').count(), count);
    await page.click('#auto-refresh');
    assert.equal(await page.getAttribute('#auto-refresh', 'data-state'), 'running');
    assert.equal((await page.textContent('#auto-refresh')).trim(), 'Pause auto-refresh');
    await page.click('#auto-refresh');
    assert.equal(await page.getAttribute('#auto-refresh', 'data-state'), 'paused');
    assert.equal((await page.textContent('#auto-refresh')).trim(), 'Resume auto-refresh (every 60 seconds)');
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    await page.evaluate(() => { document.getElementById('live').textContent = ''; });
    await page.keyboard.press('r');
    await page.waitForFunction(() => document.getElementById('live').textContent.startsWith('List updated'));
  } finally { await context.close(); }
});

test('script: self-voicing is off by default and speaks the task sentence on focus when on', async () => {
  const { context, page } = await open('');
  try {
    await page.addInitScript(() => {});
    await page.evaluate(() => {
      window.__spoken = [];
      window.speechSynthesis.speak = (u) => window.__spoken.push(u.text);
      window.speechSynthesis.cancel = () => {};
    });
    await page.waitForFunction(() => !document.getElementById('enhanced-controls').hidden);
    assert.equal(await page.isChecked('#self-voicing'), false);
    await page.keyboard.press('j');
    assert.deepEqual(await page.evaluate(() => window.__spoken), []);
    await page.check('#self-voicing');
    await page.focus('main article h2');
    const sentence = (await page.locator('main article .sentence').first().textContent()).trim();
    assert.deepEqual(await page.evaluate(() => window.__spoken), [sentence]);
  } finally { await context.close(); }
});

test('works without JavaScript: the same tasks are readable', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(BASE);
    assert.ok(await page.locator('main article h2').count() > 0);
    assert.equal(await page.locator('#enhanced-controls').isVisible(), false, 'script-only controls stay hidden');
    await page.fill('#min_hourly', '1000');
    await page.click('button:has-text("Show tasks")');
    assert.equal(await page.locator('main article').count(), 0);
    assert.ok(await page.locator('#hidden details').count() > 0);
  } finally { await context.close(); }
});

test('ARIA snapshot of <main> matches the golden file', async () => {
  const { context, page } = await open(STATES.filtered);
  try {
    await page.waitForFunction(() => !document.getElementById('enhanced-controls').hidden);
    const snapshot = (await page.locator('main').ariaSnapshot()).trim() + '\n';
    if (process.env.UPDATE_GOLDEN === '1') {
      fs.writeFileSync(GOLDEN, snapshot);
      return;
    }
    assert.ok(fs.existsSync(GOLDEN), `${GOLDEN} is missing: run with UPDATE_GOLDEN=1 once`);
    assert.equal(snapshot, fs.readFileSync(GOLDEN, 'utf8'), 'the ARIA tree changed; if intended, rerun with UPDATE_GOLDEN=1');
  } finally { await context.close(); }
});

test('no Content-Security-Policy violations in any state, with the script running and a refresh', async () => {
  // The policy is enforced here (no bypassCSP). Violations are caught twice: the page's securitypolicyviolation
  // events, recorded from before the first byte is parsed, and Chromium's console errors.
  const context = await browser.newContext();
  await recordCspViolations(context);
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) consoleErrors.push(m.text()); });
  try {
    for (const [name, query] of Object.entries(STATES)) {
      const response = await page.goto(BASE + query);
      assert.match(response.headers()['content-security-policy'], /script-src 'self'/, name);
      await page.waitForFunction(() => !document.getElementById('enhanced-controls').hidden);  // listen.js ran
      assert.deepEqual(await page.evaluate(() => window.__csp), [], `violations in the ${name} state`);
    }
    await page.goto(BASE + STATES.filtered);
    await page.waitForFunction(() => !document.getElementById('enhanced-controls').hidden);
    await page.click('#refresh');  // fetch() of the list: connect-src
    await page.waitForFunction(() => document.getElementById('live').textContent.startsWith('List updated'));
    assert.deepEqual(await page.evaluate(() => window.__csp), []);
    assert.deepEqual(consoleErrors, []);
    // the detector itself works: an inline style is refused and seen
    await page.evaluate(() => { const s = document.createElement('style'); s.textContent = 'p{}'; document.head.append(s); });
    await page.waitForFunction(() => window.__csp.length > 0);
    assert.match((await page.evaluate(() => window.__csp))[0], /^style-src/);
  } finally { await context.close(); }
});
