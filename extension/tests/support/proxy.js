// A loopback HTTP proxy in front of the real Fairfinder server: it counts the requests the extension
// makes (per method and path, noting whether they carried a token), can hold answers back (a slow server) or
// answer them itself (a busy one).
// Bodies pass unchanged; the server's answers are kept too (decoded from gzip), so a test can compare a page with
// exactly what the server told the extension.
const http = require('node:http');
const zlib = require('node:zlib');

async function startCountingProxy(targetUrl) {
  const target = new URL(targetUrl);
  const seen = [];
  let delayMs = 0;
  let override = null; // {status, headers, body}: answered by the proxy itself, the server not asked
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url, 'http://x').pathname;
      const entry = { method: req.method, path, at: Date.now(), auth: req.headers.authorization || null, answer: null };
      seen.push(entry);
      const forward = () => {
        const upstream = http.request({
          host: target.hostname, port: target.port, method: req.method, path: req.url,
          headers: { ...req.headers, host: target.host },
        }, (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          const parts = [];
          answer.on('data', (c) => parts.push(c));
          answer.on('end', () => {
            const body = Buffer.concat(parts);
            entry.answer = (answer.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(body) : body).toString('utf8');
          });
          answer.pipe(res);
        });
        upstream.on('error', () => {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/html' });
          res.end('<h1>Bad gateway</h1>');
        });
        upstream.end(Buffer.concat(chunks));
      };
      if (override) {
        res.writeHead(override.status, { 'content-type': 'application/json', ...override.headers });
        res.end(override.body ?? '');
        return;
      }
      if (delayMs) setTimeout(forward, delayMs); else forward();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Requests seen so far, optionally only those to `path` (and `method`). */
    count(path, method = null) {
      return seen.filter((r) => (!path || r.path === path) && (!method || r.method === method)).length;
    },
    /** The requests seen to `path`: {method, path, at, auth, answer} (auth: the Authorization header, else null;
     * answer: the server's body as text, once it has been passed on). */
    requests(path) {
      return seen.filter((r) => r.path === path);
    },
    setDelay(ms) { delayMs = ms; },
    /** Answer every request with this ({status, headers, body}), or pass them on again (null). */
    answer(value) { override = value; },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = { startCountingProxy };
