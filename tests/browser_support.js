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

/**
 * How the tables in <main> look on a narrow screen (issue 19: phone-width tables reflow): the page's sideways
 * overflow, each data cell's label against its column header, cells that are cut off or off screen, table regions
 * that need sideways scrolling, and the roles Chromium's own accessibility tree gives the tables (CDP), so that a
 * layout change that turned them into plain blocks would show.
 */
async function narrowTables(page) {
  const layout = await page.evaluate(() => {
    const problems = [];
    const tables = [...document.querySelectorAll('main table')];
    let cells = 0;
    for (const [t, table] of tables.entries()) {
      const headers = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
      const wrap = table.closest('.table-wrap');
      if (wrap && wrap.scrollWidth > wrap.clientWidth + 1) problems.push(`table ${t}: its region scrolls sideways`);
      for (const row of table.querySelectorAll('tbody tr')) {
        [...row.children].forEach((cell, i) => {
          const box = cell.getBoundingClientRect();
          const where = `table ${t} column "${headers[i]}": "${cell.textContent.trim().slice(0, 40)}"`;
          if (box.left < -1 || box.right > window.innerWidth + 1) problems.push(`${where} is off screen`);
          if (cell.scrollWidth > cell.clientWidth + 1) problems.push(`${where} is cut off`);
          if (cell.tagName === 'TD') {
            cells += 1;
            if (cell.dataset.label !== headers[i]) problems.push(`${where} is labelled "${cell.dataset.label}"`);
            const before = getComputedStyle(cell, '::before');
            if (before.content === 'none' || before.content === 'normal' || before.display === 'none') {
              problems.push(`${where} shows no label`);
            }
          }
        });
      }
    }
    return { problems, tables: tables.length, cells, scrollWidth: document.scrollingElement.scrollWidth,
             innerWidth: window.innerWidth };
  });
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  const roles = {};
  const cellNames = [];
  for (const node of nodes) {
    const role = node.role && node.role.value;
    if (!['table', 'row', 'cell', 'gridcell', 'columnheader', 'rowheader'].includes(role)) continue;
    roles[role] = (roles[role] || 0) + 1;
    if (role === 'cell') cellNames.push(node.name ? node.name.value : '');
  }
  await cdp.detach();
  return { ...layout, roles, cellNames };
}

module.exports = { launchChromium, recordCspViolations, narrowTables };
