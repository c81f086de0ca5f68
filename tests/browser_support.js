'use strict';
// What the server-rendered pages' browser tests share: one Chromium per test file, and a recorder of
// Content-Security-Policy violations. Run with NODE_PATH=extension/node_modules (see the Python runners).
const { chromium } = require('playwright-core');

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];

/** Debian's Chromium (Playwright cannot download its own here). */
function launchChromium() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/**
 * Record CSP violations in every page of `context`: the page's securitypolicyviolation events (listened to
 * before the first byte is parsed) land in `window.__csp` as "<directive> <blocked URI>" strings.
 */
function recordCspViolations(context) {
  return context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
}

module.exports = { launchChromium, recordCspViolations };
