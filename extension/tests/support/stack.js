'use strict';
// The whole stack for browser tests: a real Fairfinder server process (own temporary data folder),
// the fake worker.mturk.com / app.prolific.com / internal-api.prolific.com over TLS, and Debian's Chromium or
// Firefox ESR (FF_BROWSER) with this folder loaded as an unpacked extension (tests/support/browser.js).
//
//   const { startStack } = require('../support/stack.js');
//   const stack = await startStack({ demo: true });
//   ...
//   await stack.close();
//
// Missing tools (the browser, the venv's python, openssl) make startStack throw: tests fail, never skip.

const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { startFakePlatform, HOSTS } = require('./fake-mturk.js');
const { launch, startTunnel, browserName, requireBrowser } = require('./browser.js');

const EXTENSION_DIR = path.resolve(__dirname, '../..');
const ROOT = path.resolve(__dirname, '../../..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

const debug = (...args) => { if (process.env.FF_DEBUG) console.log('[stack]', ...args); };

function requireFile(file, what, hint) {
  if (!fs.existsSync(file)) throw new Error(`${what} not found at ${file}: ${hint}`);
}

function requireTools() {
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

/**
 * Start the stack. Options: demo (seed the demo data), serverEnv (extra environment for the server).
 * The browser is FF_BROWSER's (chromium by default, or firefox): tests/support/browser.js.
 */
async function startStack({ demo = false, serverEnv = {} } = {}) {
  requireTools();
  const name = browserName();
  requireBrowser(name);
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
    let proxyPort = null;
    if (name === 'firefox') {
      const tunnel = await startTunnel({ hosts: HOSTS, targetPort: platform.port });
      cleanups.push(() => tunnel.close());
      proxyPort = tunnel.port;
    }

    const driver = await launch({ name, extensionDir: EXTENSION_DIR, profileDir: path.join(tmp, 'profile'), hosts: HOSTS,
      platformPort: platform.port, proxyPort });
    cleanups.push(() => driver.close());
    // The first-run tab the extension opens on install: an extension page, where storage is reached.
    let control = await driver.waitForExtensionTab();
    const controlPage = async () => {
      if (control.isClosed()) control = await driver.openExtensionPage('src/options/options.html#control', control);
      return control;
    };
    debug(name, driver.extensionOrigin, 'platform port', platform.port);

    return {
      tmp,
      extensionDir: EXTENSION_DIR,
      root: ROOT,
      browserName: name,
      server,
      platform,
      driver,
      extensionOrigin: driver.extensionOrigin,
      /** Merge into storage.local 'settings' / 'filters'; any other key is set as given. Returns the whole storage. */
      async configure(values = {}) {
        return (await controlPage()).evaluate(async (values) => {
          const area = (globalThis.browser ?? globalThis.chrome).storage.local;
          const current = await area.get(['settings', 'filters']);
          const next = {};
          for (const [key, value] of Object.entries(values)) {
            const merge = (key === 'settings' || key === 'filters') && value && typeof value === 'object' && !Array.isArray(value);
            next[key] = merge ? { ...(current[key] || {}), ...value } : value;
          }
          await area.set(next);
          return area.get(null);
        }, values);
      },
      async storage() {
        return (await controlPage()).evaluate(() => (globalThis.browser ?? globalThis.chrome).storage.local.get(null));
      },
      /** Evaluate in an extension page (the extension's APIs are there). */
      async inExtension(fn, arg) {
        return (await controlPage()).evaluate(fn, arg);
      },
      /** The open pages with their addresses: [{page, href}]. */
      pages: () => driver.pages(),
      newPage: () => driver.newPage(),
      /** Run `fn(page)` on a new tab, closed afterwards whatever happens. */
      async withPage(fn) {
        const page = await driver.newPage();
        try {
          return await fn(page);
        } finally {
          await page.close();
        }
      },
      async openOptions(hash = '') {
        return driver.openExtensionPage(`src/options/options.html${hash}`, await controlPage());
      },
      async openPopup() {
        return driver.openExtensionPage('src/popup/popup.html', await controlPage());
      },
      close,
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

module.exports = { startStack, FairfinderServer, freePort, EXTENSION_DIR, ROOT, PYTHON };
