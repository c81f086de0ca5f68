'use strict';
// The browsers of the extension's browser suite, both driven by puppeteer-core: Debian's Chromium over CDP and
// Debian's Firefox ESR over WebDriver BiDi (/work/shared/notes/browser-testing.md), each with this folder loaded
// as an unpacked extension. Tests talk to one small page API, a subset of Playwright's (locators with
// getByRole / getByLabel / getByText, auto-waiting actions), implemented here once for both browsers, so the
// same test file runs in both: FF_BROWSER=chromium|firefox picks one (default chromium).
//
// Everything a locator needs is computed inside the page by one self-contained function (inPage below): it is
// passed to the browser's own "call this function" command, which extension pages' CSP does not block.

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const EXECUTABLES = { chromium: '/usr/bin/chromium', firefox: '/usr/bin/firefox-esr' };
const PACKAGES = { chromium: 'chromium', firefox: 'firefox-esr' };
const DEFAULT_TIMEOUT = 15_000;
const FIREFOX_EXTENSION_ID = 'extension@fairfinder.org';

function browserName() {
  const name = (process.env.FF_BROWSER || 'chromium').toLowerCase();
  if (!EXECUTABLES[name]) throw new Error(`FF_BROWSER must be chromium or firefox, not ${name}`);
  return name;
}

function requireBrowser(name) {
  const file = EXECUTABLES[name];
  if (!fs.existsSync(file)) {
    throw new Error(`${name} not found at ${file}: install Debian's ${PACKAGES[name]} (\`make system-deps\` installs it)`);
  }
  return file;
}

/** Chromium's id for an unpacked extension: sha256 of its absolute path, first 32 hex digits as a..p. */
function unpackedExtensionId(dir) {
  const hex = crypto.createHash('sha256').update(dir).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode('a'.charCodeAt(0) + parseInt(c, 16))).join('');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------------------------------------ in the page

/**
 * Runs in the page: resolves a locator's steps to elements and performs `op` on them. Self-contained (no
 * closure), because its source is sent to the page.
 */
function inPage(steps, op, arg) {
  const norm = (s) => String(s == null ? '' : s).replace(/\s+/g, ' ').trim();
  const matches = (value, want) => {
    const text = norm(value);
    if (want && want.regex) return new RegExp(want.regex, want.flags).test(text);
    if (want && want.exact) return text === want.text;
    return text.toLowerCase().includes(norm(want.text).toLowerCase());
  };
  const hiddenForA11y = (el) => {
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      if (node.hidden || node.getAttribute('aria-hidden') === 'true') return true;
      const style = getComputedStyle(node);
      if (style.display === 'none') return true;
      if (node === el && style.visibility === 'hidden') return true;
    }
    return false;
  };
  const textOf = (el) => norm(el.textContent);
  const labelsOf = (el) => {
    const found = [];
    if (el.id) for (const label of el.ownerDocument.querySelectorAll('label')) if (label.htmlFor === el.id) found.push(label);
    const wrapping = el.closest && el.closest('label');
    if (wrapping && !found.includes(wrapping)) found.push(wrapping);
    return found;
  };
  const byIds = (el, attr) => (el.getAttribute(attr) || '').split(/\s+/).filter(Boolean)
    .map((id) => el.ownerDocument.getElementById(id)).filter(Boolean);
  const roleOf = (el) => {
    const explicit = (el.getAttribute('role') || '').split(/\s+/)[0];
    if (explicit) return explicit;
    const tag = el.tagName.toLowerCase();
    const type = (el.getAttribute('type') || 'text').toLowerCase();
    if (tag === 'a' && el.hasAttribute('href')) return 'link';
    if (tag === 'button') return 'button';
    if (tag === 'input') {
      if (['button', 'submit', 'reset', 'image'].includes(type)) return 'button';
      if (type === 'checkbox') return 'checkbox';
      if (type === 'radio') return 'radio';
      if (type === 'range') return 'slider';
      if (type === 'number') return 'spinbutton';
      if (type === 'search') return 'searchbox';
      if (['text', 'email', 'url', 'tel', 'password'].includes(type)) return 'textbox';
      return null;
    }
    if (tag === 'textarea') return 'textbox';
    if (tag === 'select') return el.multiple || el.size > 1 ? 'listbox' : 'combobox';
    if (/^h[1-6]$/.test(tag)) return 'heading';
    if (tag === 'dialog') return 'dialog';
    if (tag === 'section') return el.hasAttribute('aria-label') || el.hasAttribute('aria-labelledby') ? 'region' : null;
    if (tag === 'nav') return 'navigation';
    if (tag === 'main') return 'main';
    if (tag === 'form') return 'form';
    if (tag === 'ul' || tag === 'ol') return 'list';
    if (tag === 'li') return 'listitem';
    if (tag === 'table') return 'table';
    if (tag === 'progress') return 'progressbar';
    if (tag === 'output') return 'status';
    if (tag === 'fieldset') return 'group';
    if (tag === 'option') return 'option';
    if (tag === 'img') return el.getAttribute('alt') === '' ? 'presentation' : 'img';
    return null;
  };
  const nameOf = (el) => {
    const labelled = byIds(el, 'aria-labelledby');
    if (labelled.length) return norm(labelled.map(textOf).join(' '));
    if (el.getAttribute('aria-label')) return norm(el.getAttribute('aria-label'));
    const tag = el.tagName.toLowerCase();
    if (['input', 'select', 'textarea'].includes(tag)) {
      const labels = labelsOf(el);
      if (labels.length) return norm(labels.map(textOf).join(' '));
      if (tag === 'input' && ['button', 'submit', 'reset'].includes((el.type || '').toLowerCase())) return norm(el.value);
      return norm(el.getAttribute('title') || el.getAttribute('placeholder') || '');
    }
    if (tag === 'fieldset') {
      const legend = el.querySelector(':scope > legend');
      if (legend) return textOf(legend);
    }
    if (tag === 'img') return norm(el.getAttribute('alt'));
    const fromContent = ['button', 'link', 'heading', 'checkbox', 'radio', 'listitem', 'option', 'tab', 'menuitem', 'cell', 'switch'];
    if (fromContent.includes(roleOf(el))) return textOf(el);
    return norm(el.getAttribute('title') || '');
  };
  const unique = (list) => [...new Set(list)];
  const descendants = (root) => [...root.querySelectorAll('*')];
  let set = [document];
  for (const step of steps) {
    if (step.css) set = unique(set.flatMap((root) => [...root.querySelectorAll(step.css)]));
    else if (step.role) {
      set = unique(set.flatMap(descendants)).filter((el) => roleOf(el) === step.role && !hiddenForA11y(el)
        && (!step.name || matches(nameOf(el), step.name))
        && (step.checked === undefined || el.checked === step.checked));
    } else if (step.label) {
      set = unique(set.flatMap(descendants)).filter((el) => {
        if (['label', 'legend'].includes(el.tagName.toLowerCase())) return false;
        const names = [];
        if (el.getAttribute('aria-label')) names.push(el.getAttribute('aria-label'));
        const labelled = byIds(el, 'aria-labelledby');
        if (labelled.length) names.push(labelled.map(textOf).join(' '));
        if (['input', 'select', 'textarea'].includes(el.tagName.toLowerCase())) names.push(...labelsOf(el).map(textOf));
        return names.some((n) => matches(n, step.label));
      });
    } else if (step.text) {
      const all = unique(set.flatMap(descendants)).filter((el) => !['script', 'style'].includes(el.tagName.toLowerCase()) && matches(el.textContent, step.text));
      set = all.filter((el) => ![...el.children].some((child) => matches(child.textContent, step.text)));
    } else if (step.hasText) set = set.filter((el) => el !== document && matches(el.textContent, step.hasText));
    else if (step.nth !== undefined) set = set.at(step.nth) ? [set.at(step.nth)] : [];
  }
  set = set.filter((el) => el !== document);
  const visible = (el) => {
    if (!el.isConnected) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const first = set[0];
  switch (op) {
    case 'count': return set.length;
    case 'handle': return first || null;
    case 'all': return set;
    case 'exists': return Boolean(first);
    case 'visible': return Boolean(first) && visible(first);
    case 'text': return first ? first.textContent : null;
    case 'innerText': return first ? first.innerText : null;
    case 'texts': return set.map((el) => el.textContent);
    case 'attr': return first ? first.getAttribute(arg) : null;
    case 'value': return first ? first.value : null;
    case 'checked': return first ? Boolean(first.checked || first.getAttribute('aria-checked') === 'true') : null;
    case 'fill': {
      if (!first) return false;
      first.focus();
      const proto = first.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : first.tagName === 'SELECT' ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
      Object.getOwnPropertyDescriptor(proto, 'value').set.call(first, arg);
      first.dispatchEvent(new Event('input', { bubbles: true }));
      first.dispatchEvent(new Event('change', { bubbles: true }));
      return true;
    }
    case 'select': {
      if (!first) return null;
      const wanted = [].concat(arg);
      const option = [...first.options].find((o) => wanted.includes(o.value) || wanted.includes(norm(o.textContent)));
      if (!option) return null;
      first.value = option.value;
      first.dispatchEvent(new Event('input', { bubbles: true }));
      first.dispatchEvent(new Event('change', { bubbles: true }));
      return [option.value];
    }
    case 'focus': if (first) first.focus(); return Boolean(first);
    default: throw new Error(`unknown op ${op}`);
  }
}

// ------------------------------------------------------------------------------------------------ locators

function textStep(value, exact = false) {
  if (value instanceof RegExp) return { regex: value.source, flags: value.flags };
  return { text: String(value), exact: Boolean(exact) };
}

/** A Playwright-style locator: resolved again (in the page) each time it is used. */
class Locator {
  constructor(page, frameOf, steps) {
    this.page = page; // the PageShim (keyboard, timeouts)
    this.frameOf = frameOf; // async () => puppeteer Frame
    this.steps = steps;
  }

  with(step) {
    return new Locator(this.page, this.frameOf, [...this.steps, step]);
  }

  locator(css, { hasText } = {}) {
    const next = this.with({ css });
    return hasText === undefined ? next : next.with({ hasText: textStep(hasText) });
  }

  getByRole(role, { name, exact, checked } = {}) {
    return this.with({ role, name: name === undefined ? undefined : textStep(name, exact), checked });
  }

  getByLabel(text, { exact } = {}) { return this.with({ label: textStep(text, exact) }); }
  getByText(text, { exact } = {}) { return this.with({ text: textStep(text, exact) }); }
  filter({ hasText }) { return this.with({ hasText: textStep(hasText) }); }
  first() { return this.with({ nth: 0 }); }
  last() { return this.with({ nth: -1 }); }
  nth(i) { return this.with({ nth: i }); }

  async run(op, arg) {
    const frame = await this.frameOf();
    return frame.evaluate(inPage, this.steps, op, arg ?? null);
  }

  async until(check, what, timeout = DEFAULT_TIMEOUT) {
    const deadline = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        last = await check();
        if (last) return last;
      } catch (error) {
        if (!/context|detached|navigat|destroyed|Target closed|No frame|Cannot find context/i.test(String(error?.message))) throw error;
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}: ${JSON.stringify(this.steps)}`);
      await sleep(50);
    }
  }

  async handle({ visible = false, timeout } = {}) {
    return this.until(async () => {
      if (visible && !(await this.run('visible'))) return null;
      const frame = await this.frameOf();
      const handle = await frame.evaluateHandle(inPage, this.steps, 'handle', null);
      const element = handle.asElement();
      if (!element) {
        await handle.dispose();
        return null;
      }
      return element;
    }, visible ? 'a visible element' : 'an element', timeout);
  }

  count() { return this.run('count'); }
  isVisible() { return this.run('visible'); }
  isChecked() { return this.run('checked'); }
  allTextContents() { return this.run('texts'); }

  async textContent({ timeout } = {}) {
    await this.until(() => this.run('exists'), 'an element', timeout);
    return this.run('text');
  }

  async innerText({ timeout } = {}) {
    await this.until(() => this.run('exists'), 'an element', timeout);
    return this.run('innerText');
  }

  async getAttribute(name, { timeout } = {}) {
    await this.until(() => this.run('exists'), 'an element', timeout);
    return this.run('attr', name);
  }

  async inputValue({ timeout } = {}) {
    await this.until(() => this.run('exists'), 'an element', timeout);
    return this.run('value');
  }

  async waitFor({ state = 'visible', timeout } = {}) {
    const checks = {
      visible: () => this.run('visible'),
      attached: () => this.run('exists'),
      detached: async () => !(await this.run('exists')),
      hidden: async () => !(await this.run('visible')),
    };
    await this.until(checks[state], `state ${state}`, timeout);
  }

  async click({ timeout } = {}) {
    await this.page.front();
    const element = await this.handle({ visible: true, timeout });
    try {
      await element.click();
    } finally {
      await element.dispose();
    }
  }

  async focus({ timeout } = {}) {
    await this.page.front();
    await this.until(() => this.run('focus'), 'an element to focus', timeout);
  }

  async press(key, { timeout } = {}) {
    await this.focus({ timeout });
    await this.page.keyboard.press(key);
  }

  async fill(value, { timeout } = {}) {
    await this.until(() => this.run('visible'), 'a visible field', timeout);
    await this.run('fill', String(value));
  }

  async selectOption(value, { timeout } = {}) {
    return this.until(() => this.run('select', value), `an option ${value}`, timeout);
  }

  async check({ timeout } = {}) {
    if (!(await this.until(async () => (await this.run('exists')) && { checked: await this.run('checked') }, 'a checkbox', timeout)).checked) await this.click({ timeout });
  }

  async uncheck({ timeout } = {}) {
    if ((await this.until(async () => (await this.run('exists')) && { checked: await this.run('checked') }, 'a checkbox', timeout)).checked) await this.click({ timeout });
  }

  async boundingBox() {
    const element = await this.handle();
    try {
      return await element.boundingBox();
    } finally {
      await element.dispose();
    }
  }

  /** fn(element, arg) in the page, on the first match. */
  async evaluate(fn, arg) {
    const element = await this.handle();
    try {
      return await element.evaluate(fn, arg);
    } finally {
      await element.dispose();
    }
  }

  /** fn(elements, arg) in the page, on every match (possibly none). */
  async evaluateAll(fn, arg) {
    const frame = await this.frameOf();
    const all = await frame.evaluateHandle(inPage, this.steps, 'all', null);
    try {
      return await all.evaluate(fn, arg);
    } finally {
      await all.dispose();
    }
  }

  /** Files for an <input type="file">: paths, or {name, mimeType, buffer} objects (written to a temporary file). */
  async setInputFiles(files) {
    const list = [].concat(files).map((file) => {
      if (typeof file === 'string') return file;
      const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'ff-upload-'));
      const target = path.join(dir, file.name);
      fs.writeFileSync(target, file.buffer);
      return target;
    });
    const element = await this.handle();
    try {
      await element.uploadFile(...list);
    } finally {
      await element.dispose();
    }
  }
}

// ------------------------------------------------------------------------------------------------ pages

const KEY_NAMES = { ArrowRight: 'ArrowRight', ArrowLeft: 'ArrowLeft', ArrowUp: 'ArrowUp', ArrowDown: 'ArrowDown' };

/** A page with the part of Playwright's Page API the suite uses. */
class PageShim {
  constructor(driver, page) {
    this.driver = driver;
    this.raw = page;
    this.keyboard = {
      press: async (combo) => {
        await this.front();
        const keys = combo.split('+').map((k) => KEY_NAMES[k] || k);
        const key = keys.pop();
        for (const modifier of keys) await page.keyboard.down(modifier);
        await page.keyboard.press(key);
        for (const modifier of keys.reverse()) await page.keyboard.up(modifier);
      },
      type: (text) => page.keyboard.type(text),
    };
  }

  /** Only the front tab is drawn (and gets input) in a headless browser: actions bring theirs to the front. */
  async front() {
    if (this.driver.frontPage !== this.raw) {
      await this.raw.bringToFront();
      this.driver.frontPage = this.raw;
    }
  }

  mainFrame() {
    return async () => this.raw.mainFrame();
  }

  locator(css, options) { return new Locator(this, this.mainFrame(), []).locator(css, options); }
  getByRole(role, options) { return new Locator(this, this.mainFrame(), []).getByRole(role, options); }
  getByLabel(text, options) { return new Locator(this, this.mainFrame(), []).getByLabel(text, options); }
  getByText(text, options) { return new Locator(this, this.mainFrame(), []).getByText(text, options); }

  /** Elements inside an iframe: `frameLocator('iframe[title="HIT"]').locator('textarea')`. */
  frameLocator(css) {
    const frameOf = async () => {
      const handle = await new Locator(this, this.mainFrame(), [{ css }]).handle();
      try {
        const frame = await handle.contentFrame();
        if (!frame) throw new Error(`${css} has no frame`);
        return frame;
      } finally {
        await handle.dispose();
      }
    };
    return {
      locator: (sel, options) => new Locator(this, frameOf, []).locator(sel, options),
      getByRole: (role, options) => new Locator(this, frameOf, []).getByRole(role, options),
      getByLabel: (text, options) => new Locator(this, frameOf, []).getByLabel(text, options),
    };
  }

  url() { return this.raw.url(); }
  title() { return this.raw.title(); }
  isClosed() { return this.raw.isClosed(); }

  async goto(url, { waitUntil = 'load', timeout = 30_000 } = {}) {
    return this.raw.goto(url, { waitUntil: waitUntil === 'domcontentloaded' ? 'domcontentloaded' : 'load', timeout });
  }

  reload() { return this.raw.reload({ waitUntil: 'load' }); }
  goBack() { return this.raw.goBack({ waitUntil: 'load' }); }
  close() { return this.raw.isClosed() ? undefined : this.raw.close(); }
  evaluate(fn, arg) { return typeof fn === 'string' ? this.raw.evaluate(fn) : this.raw.evaluate(fn, arg); }
  $$eval(css, fn, arg) { return this.raw.$$eval(css, fn, arg); }
  getAttribute(css, name, options) { return this.locator(css).first().getAttribute(name, options); }
  textContent(css, options) { return this.locator(css).first().textContent(options); }
  waitForTimeout(ms) { return sleep(ms); }
  bringToFront() { return this.raw.bringToFront(); }
  on(event, listener) { this.raw.on(event, listener); }
  setViewportSize(size) { return this.raw.setViewport(size); }
  screenshot(options) { return this.raw.screenshot(options); }
  addScriptTag(options) { return this.raw.addScriptTag(options); }
  viewportSize() { return this.raw.viewport(); }

  /**
   * prefers-color-scheme. Chromium emulates it; Firefox over BiDi cannot, so there the page's own
   * `@media (prefers-color-scheme: dark)` rules are copied into a style element that applies them (and removed
   * for light): the same rules, applied without the media query.
   */
  async emulateMedia({ colorScheme }) {
    if (this.driver.name === 'chromium') {
      await this.raw.emulateMediaFeatures(colorScheme ? [{ name: 'prefers-color-scheme', value: colorScheme }] : []);
      return;
    }
    await this.raw.evaluate((dark) => {
      document.getElementById('ff-test-dark')?.remove();
      if (!dark) return;
      const rules = [];
      const walk = (list) => {
        for (const rule of list) {
          if (rule.media && /prefers-color-scheme:\s*dark/.test(rule.conditionText || rule.media.mediaText)) {
            for (const inner of rule.cssRules) rules.push(inner.cssText);
          } else if (rule.cssRules && !rule.media) walk(rule.cssRules);
        }
      };
      for (const sheet of document.styleSheets) {
        try { walk(sheet.cssRules); } catch { /* a sheet from elsewhere */ }
      }
      const style = document.createElement('style');
      style.id = 'ff-test-dark';
      // The browser's own colours (links, form controls) follow the used color-scheme.
      style.textContent = `:root { color-scheme: dark !important; }\n${rules.join('\n')}`;
      document.head.append(style);
    }, colorScheme === 'dark');
  }

  /**
   * Elements to which the browser's own accessibility tree gives `role` and exactly the accessible name `name`
   * (puppeteer's ARIA query: Chromium's accessibility tree over CDP, Firefox's over BiDi's accessibility locator).
   */
  async accessible(role, name) {
    const quote = String(name).includes('"') ? "'" : '"';
    return this.raw.$$(`::-p-aria([name=${quote}${name}${quote}][role="${role}"])`);
  }

  /** Chromium only (null in Firefox, whose BiDi has no such call): the accessibility subtree of an element. */
  async accessibilityTree(handle) {
    if (this.driver.name !== 'chromium') return null;
    return this.raw.accessibility.snapshot({ root: handle, interestingOnly: false });
  }

  async waitForFunction(fn, arg, { timeout = DEFAULT_TIMEOUT } = {}) {
    return this.raw.waitForFunction(fn, { timeout, polling: 100 }, arg);
  }

  async waitForSelector(css, { state = 'visible', timeout } = {}) {
    await this.locator(css).first().waitFor({ state, timeout });
  }

  async waitForURL(want, { timeout = DEFAULT_TIMEOUT } = {}) {
    const deadline = Date.now() + timeout;
    const ok = (url) => (want instanceof RegExp ? want.test(url) : url === String(want));
    while (!ok(this.url())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the URL ${want}; it is ${this.url()}`);
      await sleep(50);
    }
    await this.raw.waitForFunction(() => document.readyState === 'complete', { timeout, polling: 50 }).catch(() => {});
  }
}

// ------------------------------------------------------------------------------------------------ launching

/**
 * Launch a browser with the extension loaded. `hosts`: the platform host names, sent to the fake platform
 * (Chromium: --host-resolver-rules to 127.0.0.1:platformPort; Firefox: through the CONNECT proxy at proxyPort).
 */
async function launch({ name = browserName(), extensionDir, profileDir, hosts, platformPort, proxyPort }) {
  const executablePath = requireBrowser(name);
  let puppeteer;
  try {
    puppeteer = require('puppeteer-core');
  } catch {
    throw new Error('puppeteer-core is not installed: run `npm ci` in extension/');
  }
  const driver = { name, extensionDir };
  if (name === 'chromium') {
    const rules = hosts.map((host) => `MAP ${host} 127.0.0.1:${platformPort}`).join(', ');
    driver.browser = await puppeteer.launch({
      browser: 'chrome', executablePath, headless: true, acceptInsecureCerts: true, userDataDir: profileDir, protocolTimeout: 60_000,
      ignoreDefaultArgs: ['--disable-extensions'], defaultViewport: { width: 1280, height: 900 },
      args: [
        `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`, `--host-resolver-rules=${rules}`,
        '--ignore-certificate-errors', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-features=DialMediaRouteProvider',
      ],
    });
    driver.extensionOrigin = `chrome-extension://${unpackedExtensionId(extensionDir)}`;
  } else {
    const uuid = crypto.randomUUID();
    driver.browser = await puppeteer.launch({
      browser: 'firefox', executablePath, headless: true, acceptInsecureCerts: true, protocolTimeout: 60_000,
      defaultViewport: { width: 1280, height: 900 },
      extraPrefsFirefox: {
        // Every https:// request goes through the test's CONNECT proxy, which sends the platform hosts to the
        // fake platform (and refuses the rest); 127.0.0.1 (the Fairfinder server) is never proxied. Unlike
        // network.dns.forceResolve this keeps the addresses exactly as on the live sites (no port).
        'network.proxy.type': 1, 'network.proxy.ssl': '127.0.0.1', 'network.proxy.ssl_port': proxyPort,
        'network.proxy.http': '127.0.0.1', 'network.proxy.http_port': proxyPort,
        'network.proxy.no_proxies_on': 'localhost, 127.0.0.1', 'network.proxy.allow_hijacking_localhost': false,
        // A known address for the extension's pages (moz-extension://<uuid>/).
        'extensions.webextensions.uuids': JSON.stringify({ [FIREFOX_EXTENSION_ID]: uuid }),
        'browser.shell.checkDefaultBrowser': false, 'datareporting.policy.dataSubmissionEnabled': false,
        'network.captive-portal-service.enabled': false, 'network.connectivity-service.enabled': false,
        'extensions.getAddons.cache.enabled': false, 'extensions.update.enabled': false, 'app.normandy.enabled': false,
        'browser.region.network.url': '', 'browser.search.geoip.url': '', 'services.settings.server': 'http://127.0.0.1:9/',
      },
    });
    const id = await driver.browser.installExtension(extensionDir);
    if (id !== FIREFOX_EXTENSION_ID) throw new Error(`Firefox installed the extension as ${id}, not ${FIREFOX_EXTENSION_ID}`);
    driver.extensionOrigin = `moz-extension://${uuid}`;
  }
  driver.shims = new WeakMap();
  driver.wrap = (page) => {
    if (!driver.shims.has(page)) driver.shims.set(page, new PageShim(driver, page));
    return driver.shims.get(page);
  };
  /** Open pages, with their real address (Firefox reports extension pages as about:blank). */
  driver.pages = async () => {
    const out = [];
    for (const page of await driver.browser.pages()) {
      let href = page.url();
      if (href === 'about:blank' || href.startsWith('moz-extension:')) {
        href = await page.evaluate(() => location.href).catch(() => href);
      }
      out.push({ page: driver.wrap(page), href });
    }
    return out;
  };
  driver.newPage = async () => {
    const page = await driver.browser.newPage();
    driver.frontPage = page;
    return driver.wrap(page);
  };
  /** An extension page (path inside the extension), opened in a new tab. */
  driver.openExtensionPage = async (relative, control) => {
    const url = `${driver.extensionOrigin}/${relative}`;
    if (name === 'chromium') {
      const page = await driver.newPage();
      await page.goto(url);
      return page;
    }
    // Firefox does not let automation navigate to moz-extension: addresses; the extension opens its page.
    const before = new Set((await driver.browser.pages()));
    await control.raw.evaluate((target) => browser.tabs.create({ url: target }), url);
    const deadline = Date.now() + DEFAULT_TIMEOUT;
    for (;;) {
      for (const page of await driver.browser.pages()) {
        if (before.has(page)) continue;
        const href = await page.evaluate(() => location.href).catch(() => '');
        if (href === url) {
          await page.waitForFunction(() => document.readyState === 'complete', { polling: 50 }).catch(() => {});
          driver.frontPage = page; // tabs.create made it the active tab
          return driver.wrap(page);
        }
      }
      if (Date.now() > deadline) throw new Error(`Firefox did not open ${url}`);
      await sleep(100);
    }
  };
  /** The tab the extension opens when installed (its welcome page): the page tests use to reach storage. */
  driver.waitForExtensionTab = async (timeout = 20_000) => {
    const deadline = Date.now() + timeout;
    for (;;) {
      for (const { page, href } of await driver.pages()) {
        if (href.startsWith(`${driver.extensionOrigin}/src/options/options.html`)) return page;
      }
      if (Date.now() > deadline) throw new Error(`the extension's first-run tab did not open (is ${driver.extensionOrigin} loaded?)`);
      await sleep(100);
    }
  };
  driver.close = () => driver.browser.close();
  return driver;
}

/**
 * A CONNECT proxy on 127.0.0.1 for Firefox: tunnels to `hosts` (port 443) go to 127.0.0.1:targetPort, anything
 * else is refused (no network beyond loopback). Resolves {port, close()}.
 */
async function startTunnel({ hosts, targetPort }) {
  const server = http.createServer((req, res) => {
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('only CONNECT to the fake platforms');
  });
  const sockets = new Set();
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
  server.on('connect', (req, client, head) => {
    const [host] = String(req.url).split(':');
    if (!hosts.includes(host.toLowerCase())) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head && head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = { launch, startTunnel, browserName, requireBrowser, unpackedExtensionId, inPage, Locator, PageShim, EXECUTABLES };
