// Real-browser checks of /moderation (run by tests/moderation/test_moderation_browser.py against a real server
// with a seeded queue): axe-core WCAG 2.2 AA in light and dark on every page (the queues, the log, a review with
// its versions, the sign-in form and its error, the 403 page, a form error, 400 and 404 pages); 320 px reflow;
// 200 % zoom and 200 % text; a keyboard-only walk to a review's Hide form that types a note and hides it, with
// visible focus at every step; escaped user text; the forms without JavaScript; and no CSP violations.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { launchChromium, recordCspViolations } = require('../../browser_support.js');

const BASE = process.env.MODERATION_URL;
const SEED = JSON.parse(process.env.MODERATION_SEED || 'null');
if (!BASE || !SEED) throw new Error('set MODERATION_URL (…/moderation of a running server) and MODERATION_SEED');
const ORIGIN = new URL(BASE).origin;
const AXE_PATH = require.resolve('axe-core');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
// Pages of a signed-in moderator: [name, path after /moderation, status].
const PAGES = [
  ['flagged queue', '', 200],
  ['held queue', '?kind=held', 200],
  ['hidden queue', '?kind=hidden', 200],
  ['log', '/log', 200],
  ['review with versions', `/reviews/${SEED.editedReview}`, 200],
  ['no such queue', '?kind=everything', 400],
  ['missing review', '/reviews/999999', 404],
];

let browser;
test.before(async () => {
  browser = await launchChromium();
});
test.after(async () => { if (browser) await browser.close(); });

async function open(options = {}) {
  // bypassCSP: the page's CSP would refuse axe-core's injected script tag (tests of the CSP turn it off).
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

async function signIn(page, token = SEED.moderatorToken) {
  const response = await page.goto(BASE);
  assert.equal(response.status(), 200);
  await page.fill('#token', token);
  await page.click('form[action="/moderation/sign-in"] button');
  // Not waitForURL: the sign-in form already lives at /moderation, so that would return before the POST's answer.
  await page.waitForSelector('form[action="/moderation/sign-out"]');
}

async function go(page, path) {
  const response = await page.goto(`${BASE}${path}`);
  return response.status();
}

async function axe(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate((tags) => globalThis.axe.run(document, { runOnly: { type: 'tag', values: tags } }), TAGS);
  return result.violations.map((v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

// The same note textarea of the edited review, filled past its limit and sent: the page comes back with errors.
async function formErrorPage(page) {
  await go(page, `/reviews/${SEED.editedReview}`);
  await page.fill(`#note-${SEED.editedReview}`, 'x'.repeat(501));
  await Promise.all([page.waitForLoadState('load'), page.click(`#review-${SEED.editedReview} button[value="hide"]`)]);
  await page.waitForSelector('#error-summary');
}

for (const colorScheme of ['light', 'dark']) {
  test(`axe: no WCAG 2.2 AA violations on any page, ${colorScheme}`, async () => {
    const problems = {};
    const check = async (name, page) => {
      const found = await axe(page);
      if (found.length) problems[name] = found;
      assert.equal(await page.locator('h1').count(), 1, `one h1 on the ${name} page`);
    };
    // signed out: the sign-in form, and its error
    let { context, page, external } = await open({ colorScheme });
    try {
      await go(page, '');
      await check('sign-in', page);
      await page.click('form[action="/moderation/sign-in"] button');
      await page.waitForSelector('#token[aria-invalid="true"]');
      await check('sign-in error', page);
      // a worker's token: the 403 page
      await page.fill('#token', SEED.workerToken);
      await page.click('form[action="/moderation/sign-in"] button');
      await page.waitForSelector('h1:has-text("Moderators only")');
      await check('403 for a worker', page);
      assert.deepEqual(external, []);
    } finally { await context.close(); }

    ({ context, page, external } = await open({ colorScheme }));
    try {
      await signIn(page);
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(background, colorScheme === 'dark' ? 'rgb(18, 18, 18)' : 'rgb(255, 255, 255)');
      for (const [name, path, status] of PAGES) {
        assert.equal(await go(page, path), status, name);
        await check(name, page);
      }
      await formErrorPage(page);
      await check('form error', page);
      assert.deepEqual(external, [], 'nothing is loaded from elsewhere');
    } finally { await context.close(); }
    assert.deepEqual(problems, {});
  });
}

test('320 px wide: no horizontal page scroll and no axe violations', async () => {
  const { context, page } = await open({ viewport: { width: 320, height: 640 } });
  try {
    await signIn(page);
    for (const [name, path] of PAGES) {
      await go(page, path);
      assert.equal(await horizontalOverflow(page), 0, name);
      assert.deepEqual(await axe(page), [], name);
    }
    await formErrorPage(page);
    assert.equal(await horizontalOverflow(page), 0, 'form error');
  } finally { await context.close(); }
});

test('200 % zoom: no horizontal scroll; the Hide button of a review is reached by keyboard and fits', async () => {
  // Browser zoom to 200 % on a 1280 px window is a 640 CSS px viewport at twice the pixel density.
  const { context, page } = await open({ viewport: { width: 640, height: 400 }, scale: 2 });
  try {
    await signIn(page);
    await go(page, '');
    assert.equal(await horizontalOverflow(page), 0);
    const target = `#review-${SEED.editedReview} button[value="hide"]`;
    let reached = false;
    for (let i = 0; i < 150 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate((selector) => document.activeElement === document.querySelector(selector), target);
    }
    assert.ok(reached, 'Tab reaches the Hide button at 200 % zoom');
    const box = await page.locator(target).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 640, 'the focused button is inside the viewport');
    assert.deepEqual(await axe(page), []);
  } finally { await context.close(); }
});

test('200 % text size: nothing overflows the page', async () => {
  const { context, page } = await open({ viewport: { width: 1280, height: 800 } });
  try {
    await signIn(page);
    for (const [name, path] of PAGES.slice(0, 5)) {
      await go(page, path);
      await page.evaluate(() => { document.documentElement.style.fontSize = '200%'; });
      assert.equal(await horizontalOverflow(page), 0, name);
      const clipped = await page.evaluate(() => [...document.querySelectorAll('h1, h2, h3, button, label, legend')]
        .filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.textContent.slice(0, 40)));
      assert.deepEqual(clipped, [], name);
    }
  } finally { await context.close(); }
});

test('user text is shown, not run: a <script> comment and an <img onerror> flag note', async () => {
  // bypassCSP on purpose: were the text not escaped, the script would run despite the policy.
  const { context, page } = await open();
  try {
    await signIn(page);
    await go(page, '');
    assert.equal(await page.evaluate(() => window.__injected), undefined);
    const item = page.locator(`#review-${SEED.injectedReview}`);
    assert.equal((await item.locator('.comment').textContent()).trim(),
      '<script>window.__injected = true</script>Paid late, and rude about it.');
    assert.match(await item.locator('.flags').textContent(), /Note: <img src=x onerror="window.__injected = true">/);
    assert.equal(await item.locator('img').count(), 0);
  } finally { await context.close(); }
});

test('without JavaScript: sign in, dismiss flags through the form, read the notice', async () => {
  const { context, page } = await open({ javaScriptEnabled: false, bypassCSP: false });
  try {
    await signIn(page);
    assert.equal((await page.locator('#notice').textContent()).trim(), 'You are signed in.');
    const id = SEED.keepReview;
    await page.fill(`#note-${id}`, 'On topic after all.');
    await Promise.all([page.waitForURL(/notice=dismiss/), page.click(`#review-${id} button[value="dismiss"]`)]);
    assert.equal((await page.locator('#notice').textContent()).trim(),
      `Flags on review ${id} dismissed: the review is visible. 1 open flag closed.`);
    assert.equal(await page.locator(`#review-${id}`).count(), 0, 'it left the flagged queue');
  } finally { await context.close(); }
});

test('no Content-Security-Policy violations on any page, nor when a form is sent', async () => {
  // The policy is enforced here (bypassCSP off); violations are caught from the page's securitypolicyviolation
  // events (recorded before the first byte is parsed) and from Chromium's console errors.
  const { context, page } = await open({ bypassCSP: false });
  await recordCspViolations(context);
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) consoleErrors.push(m.text()); });
  try {
    await go(page, '');
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'sign-in page');
    await signIn(page);
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'after sign-in');
    for (const [name, path, status] of PAGES) {
      const response = await page.goto(`${BASE}${path}`);
      assert.equal(response.status(), status, name);
      assert.match(response.headers()['content-security-policy'], /default-src 'none'/, name);
      assert.match(response.headers()['content-security-policy'], /script-src 'self'(;|$)/, name);
      assert.equal(response.headers()['x-frame-options'], 'DENY', name);
      assert.equal(response.headers()['cache-control'], 'no-store', name);
      await page.waitForLoadState('load');
      assert.deepEqual(await page.evaluate(() => window.__csp), [], `violations on the ${name} page`);
    }
    await formErrorPage(page);
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'form error page');
    // the script ran under the policy: it moved focus to the error summary
    assert.equal(await page.evaluate(() => document.activeElement.id), 'error-summary');
    // its link leads to the field, with the field's label in view above it
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), `note-${SEED.editedReview}`);
    const label = await page.locator(`label[for="note-${SEED.editedReview}"]`).boundingBox();
    assert.ok(label && label.y > -1 && label.y + label.height < 800, `the label is on screen: ${JSON.stringify(label)}`);
    assert.deepEqual(consoleErrors.filter((text) => !/status of 40[04]/.test(text)), []);
    // the detector itself works: an inline style is refused and seen
    await page.evaluate(() => { const s = document.createElement('style'); s.textContent = 'p{}'; document.head.append(s); });
    await page.waitForFunction(() => window.__csp.length > 0);
    assert.match((await page.evaluate(() => window.__csp))[0], /^style-src/);
  } finally { await context.close(); }
});

test('keyboard only: reach a review\'s note, type it, Hide; focus visible at every step, then on the notice', async () => {
  const { context, page } = await open({ bypassCSP: false });
  try {
    await signIn(page);
    await go(page, '?kind=flagged');  // a fresh page: focus starts at the top
    const id = SEED.targetReview;
    const steps = [];
    for (let i = 0; i < 200; i++) {
      await page.keyboard.press('Tab');
      const step = await page.evaluate(() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return {
          tag: el.tagName.toLowerCase(), id: el.id, href: el.getAttribute('href'), text: el.textContent.trim().slice(0, 60),
          outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
          visible: box.width > 0 && box.height > 0, inView: box.bottom > 0 && box.top < window.innerHeight,
        };
      });
      assert.ok(step.outline, `focus not visible on ${JSON.stringify(step)}`);
      assert.ok(step.visible && step.inView, `focused element not on screen: ${JSON.stringify(step)}`);
      steps.push(step);
      if (step.id === `note-${id}`) break;
    }
    assert.equal(steps[0].href, '#main', 'the first Tab reaches the skip link');
    assert.ok(steps.some((s) => s.text === 'Sign out'), 'the sign-out button is reachable');
    assert.ok(steps.some((s) => s.href === '/moderation?kind=held'), 'the queue links are reachable');
    assert.equal(steps.at(-1).id, `note-${id}`, 'Tab reaches the note of the review');
    await page.keyboard.type('Typed with the keyboard.');
    await page.keyboard.press('Tab');
    const button = await page.evaluate(() => ({ value: document.activeElement.value, text: document.activeElement.textContent }));
    assert.deepEqual(button, { value: 'hide', text: `Hide review ${id}` });
    await Promise.all([page.waitForURL(/notice=hide/), page.keyboard.press('Enter')]);
    assert.equal((await page.locator('#notice').textContent()).trim(), `Review ${id} hidden. 1 open flag closed.`);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'notice', 'the notice has focus');
    assert.equal(await page.locator(`#review-${id}`).count(), 0, 'it left the flagged queue');
    await go(page, '?kind=hidden');
    assert.match(await page.locator(`#review-${id}`).textContent(), /Hidden by mod on .*“Typed with the keyboard\.”/s);
  } finally { await context.close(); }
});
