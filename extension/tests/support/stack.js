'use strict';
// The whole stack for browser tests: a real Fairfinder server process (own temporary data folder),
// the fake worker.mturk.com / app.prolific.com over TLS, and Debian's Chromium with this folder loaded
// as an unpacked extension (Playwright persistent context). See /work/shared/notes/browser-testing.md.
//
//   const { startStack } = require('../support/stack.js');
//   const stack = await startStack({ demo: true });
//   ...
//   await stack.close();
//
// Missing tools (Chromium, the venv's python, openssl) make startStack throw: tests fail, never skip.

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { startFakePlatform } = require('./fake-mturk.js');

const EXTENSION_DIR = path.resolve(__dirname, '../..');
const ROOT = path.resolve(__dirname, '../../..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const CHROMIUM = '/usr/bin/chromium';
const HOSTS = ['worker.mturk.com', 'app.prolific.com'];

const debug = (...args) => { if (process.env.FF_DEBUG) console.log('[stack]', ...args); };

function requireFile(file, what, hint) {
  if (!fs.existsSync(file)) throw new Error(`${what} not found at ${file}: ${hint}`);
}

function requireTools() {
  requireFile(CHROMIUM, 'Chromium', 'install Debian\'s chromium (`make system-deps` installs it)');
  requireFile(PYTHON, 'The Fairfinder virtualenv python', 'run `make install-dev` in the repository root first');
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('openssl not found: install Debian\'s openssl (`make system-deps` installs it)');
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Run a program to completion; resolves {code, stdout, stderr}. */
function run(command, args, { cwd = ROOT, env = process.env, input, timeout = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code: signal ? `signal ${signal}` : code, stdout, stderr }); });
    child.stdin.end(input ?? '');
  });
}

function makeCertificate(dir) {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-keyout', key, '-out', cert, '-subj', `/CN=${HOSTS[0]}`,
      '-addext', `subjectAltName=${HOSTS.map((h) => `DNS:${h}`).join(',')}`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`openssl could not make the test certificate: ${err.stderr || err.message}`);
  }
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
}

// Server processes still running when Node exits (a test that crashed before close()) are killed.
const liveChildren = new Set();
process.on('exit', () => {
  for (const child of liveChildren) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

const SQL_SCRIPT = `
import json, sqlite3, sys
request = json.load(sys.stdin)
connection = sqlite3.connect(request["db"], timeout=10)
connection.row_factory = sqlite3.Row
try:
    cursor = connection.execute(request["query"], request["params"])
    rows = [dict(row) for row in cursor.fetchall()] if cursor.description else []
    connection.commit()
finally:
    connection.close()
def plain(value):
    return value.hex() if isinstance(value, (bytes, bytearray, memoryview)) else str(value)
print(json.dumps(rows, default=plain))
`;

/** A real `python -m server.cli serve` process on 127.0.0.1 with its own data folder (like tests/conftest.py LiveServer). */
class FairfinderServer {
  constructor({ dataDir, port, env = {} }) {
    this.dataDir = dataDir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.log = path.join(dataDir, 'server.log');
    this.database = path.join(dataDir, 'fairfinder.db');
    this.env = {
      ...process.env, FAIRFINDER_DATA_DIR: dataDir, FAIRFINDER_PORT: String(port), FAIRFINDER_HOST: '127.0.0.1',
      FAIRFINDER_LOG_LEVEL: 'WARNING', PYTHONUNBUFFERED: '1', ...env,
    };
    if (!('DATABASE_URL' in env)) delete this.env.DATABASE_URL;
    this.process = null;
  }

  logTail(lines) {
    return tail(this.log, lines);
  }

  /** Run `python -m server.cli <args>` against this server's data; throws when it fails. */
  async cli(...args) {
    const result = await run(PYTHON, ['-m', 'server.cli', ...args], { env: this.env });
    fs.appendFileSync(this.log, `$ fairfinder ${args.join(' ')}\n${result.stdout}${result.stderr}`);
    if (result.code !== 0) throw new Error(`fairfinder ${args.join(' ')} failed (${result.code}):\n${result.stdout}${result.stderr}`);
    return result;
  }

  async start() {
    if (this.process) throw new Error('the Fairfinder server is already running');
    const out = fs.openSync(this.log, 'a');
    const child = spawn(PYTHON, ['-m', 'server.cli', 'serve'], { cwd: ROOT, env: this.env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.process = child;
    liveChildren.add(child);
    let exited = null;
    child.once('exit', (code, signal) => { exited = signal || code; liveChildren.delete(child); });
    child.once('error', (err) => { exited = err.message; });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (exited !== null) {
        this.process = null;
        throw new Error(`the Fairfinder server exited (${exited}) while starting; log ${this.log}:\n${this.logTail()}`);
      }
      try {
        const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(1000) });
        if (response.ok) {
          debug('server up', this.url);
          return;
        }
      } catch { /* not listening yet */ }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await this.stop();
    throw new Error(`the Fairfinder server did not answer /health within 30 s; log ${this.log}:\n${this.logTail()}`);
  }

  async stop() {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    liveChildren.delete(child);
  }

  /** Rows of a query on the server's SQLite file, as objects (blobs as hex). Writes are committed. */
  async sql(query, params = []) {
    const input = JSON.stringify({ db: this.database, query, params });
    const result = await run(PYTHON, ['-c', SQL_SCRIPT], { input, timeout: 30_000 });
    if (result.code !== 0) throw new Error(`sql failed: ${query}\n${result.stderr}`);
    return JSON.parse(result.stdout);
  }

  /** POST /api/v1/workers -> {worker, token, token_info}. */
  async register(body = {}) {
    const response = await fetch(`${this.url}/api/v1/workers`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 201) throw new Error(`registering a worker answered ${response.status}: ${text}`);
    return JSON.parse(text);
  }
}

async function launchBrowser({ profileDir, platformPort }) {
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch {
    throw new Error('playwright-core is not installed: run `npm ci` in extension/');
  }
  const rules = HOSTS.map((host) => `MAP ${host} 127.0.0.1:${platformPort}`).join(', ');
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    ignoreHTTPSErrors: true,
    // Playwright's default switches include --disable-extensions, which would keep ours from loading.
    ignoreDefaultArgs: ['--disable-extensions'],
    args: [
      '--headless=new',
      `--disable-extensions-except=${EXTENSION_DIR}`,
      `--load-extension=${EXTENSION_DIR}`,
      `--host-resolver-rules=${rules}`,
      '--ignore-certificate-errors',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return context;
}

async function findServiceWorker(context, timeout = 15_000) {
  const isExtension = (w) => w.url().startsWith('chrome-extension://');
  const existing = context.serviceWorkers().find(isExtension);
  if (existing) return existing;
  return context.waitForEvent('serviceworker', { predicate: isExtension, timeout });
}

/**
 * Start the stack. Options: demo (seed the demo data), serverEnv (extra environment for the server).
 * @returns {Promise<object>} see the README of tests/support in the module header and smoke.test.js.
 */
async function startStack({ demo = false, serverEnv = {} } = {}) {
  requireTools();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fairfinder-ext-'));
  const cleanups = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    const errors = [];
    for (const cleanup of cleanups.reverse()) {
      try { await cleanup(); } catch (err) { errors.push(err); }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    if (errors.length) throw new AggregateError(errors, `closing the stack: ${errors.map((e) => e.message).join('; ')}`);
  };

  try {
    const dataDir = path.join(tmp, 'var');
    fs.mkdirSync(dataDir);
    const server = new FairfinderServer({ dataDir, port: await freePort(), env: serverEnv });
    cleanups.push(() => server.stop());
    try {
      await server.cli('migrate');
      if (demo) await server.cli('demo');
    } catch (err) {
      err.message += `\nlog ${server.log}:\n${server.logTail()}`;
      throw err;
    }
    await server.start();

    const { key, cert } = makeCertificate(tmp);
    const platform = await startFakePlatform({ key, cert, python: PYTHON, root: ROOT });
    cleanups.push(() => platform.close());

    const context = await launchBrowser({ profileDir: path.join(tmp, 'profile'), platformPort: platform.port });
    cleanups.push(() => context.close());

    let worker;
    try {
      worker = await findServiceWorker(context);
    } catch (err) {
      throw new Error(`the extension's service worker did not start (${err.message}); is ${EXTENSION_DIR}/manifest.json valid?`);
    }
    const extensionId = new URL(worker.url()).host;
    context.on('serviceworker', (w) => {
      if (w.url().startsWith(`chrome-extension://${extensionId}/`)) worker = w;
    });
    debug('extension', extensionId, 'platform port', platform.port);

    const liveWorker = async () => {
      const current = context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${extensionId}/`));
      if (current) return current;
      return findServiceWorker(context);
    };

    return {
      tmp,
      extensionDir: EXTENSION_DIR,
      root: ROOT,
      server,
      platform,
      context,
      extensionId,
      get worker() { return worker; },
      /** Merge into chrome.storage.local 'settings' / 'filters'; any other key is set as given. Returns the whole storage. */
      async configure(values = {}) {
        return (await liveWorker()).evaluate(async (values) => {
          const current = await chrome.storage.local.get(['settings', 'filters']);
          const next = {};
          for (const [key, value] of Object.entries(values)) {
            const merge = (key === 'settings' || key === 'filters') && value && typeof value === 'object' && !Array.isArray(value);
            next[key] = merge ? { ...(current[key] || {}), ...value } : value;
          }
          await chrome.storage.local.set(next);
          return chrome.storage.local.get(null);
        }, values);
      },
      async storage() {
        return (await liveWorker()).evaluate(() => chrome.storage.local.get(null));
      },
      /** Run `fn(page)` on a new tab, closed afterwards whatever happens. */
      async withPage(fn) {
        const page = await context.newPage();
        try {
          return await fn(page);
        } finally {
          await page.close();
        }
      },
      async openOptions() {
        const page = await context.newPage();
        await page.goto(`chrome-extension://${extensionId}/src/options/options.html`);
        return page;
      },
      async openPopup() {
        const page = await context.newPage();
        await page.goto(`chrome-extension://${extensionId}/src/popup/popup.html`);
        return page;
      },
      close,
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

module.exports = { startStack, FairfinderServer, freePort, EXTENSION_DIR, ROOT, PYTHON, CHROMIUM };
