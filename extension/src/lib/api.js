// The Fairfinder server's HTTP API, as the background and the options page call it.
// Errors are ServerError: `code` and `message` come from the server's error body, or say the
// server could not be reached (`offline`), so callers never parse stack traces or HTML.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).api = api;
})(globalThis, function () {
  "use strict";

  const DEFAULT_TIMEOUT_MS = 8000;
  const DEFAULT_BUSY_SECONDS = 30; // a 503 without a readable Retry-After
  const MAX_BUSY_SECONDS = 3600;

  /**
   * Retry-After (seconds, or an HTTP date) -> whole seconds to wait, 1..MAX_BUSY_SECONDS; the default when
   * missing or unreadable. `now` in ms (injected: tests never read the clock).
   */
  function retryAfterSeconds(header, now) {
    const text = String(header ?? "").trim();
    let seconds = null;
    if (/^\d{1,10}$/.test(text)) seconds = Number(text);
    else if (text) {
      const at = Date.parse(text);
      if (Number.isFinite(at)) seconds = Math.ceil((at - now) / 1000);
    }
    if (seconds === null || !Number.isFinite(seconds)) seconds = DEFAULT_BUSY_SECONDS;
    return Math.min(Math.max(seconds, 1), MAX_BUSY_SECONDS);
  }

  /**
   * One server's "busy" state, shared by every client of that server: after a 503 nothing is sent to it until
   * the time its Retry-After named. `now()` is injected.
   */
  class Gate {
    constructor(now = () => Date.now()) {
      this.now = now;
      this.until = 0;
    }

    /** Seconds left to wait, 0 when requests may go. */
    wait() {
      return Math.max(0, Math.ceil((this.until - this.now()) / 1000));
    }

    close(seconds) {
      this.until = Math.max(this.until, this.now() + seconds * 1000);
    }
  }

  class ServerError extends Error {
    constructor(status, code, message, { field = null, offline = false, retryAfter = null, waitSeconds = null } = {}) {
      super(message);
      this.name = "ServerError";
      this.status = status; // 0 when the server was not reached
      this.code = code;
      this.field = field;
      this.offline = offline;
      this.retryAfter = retryAfter; // seconds, for a busy server (503)
      this.waitSeconds = waitSeconds; // seconds, for a rate limit (429): its Retry-After
    }

    get busy() {
      return this.retryAfter !== null;
    }

    toJSON() {
      const body = { status: this.status, code: this.code, message: this.message, field: this.field };
      if (this.busy) body.retry_after = this.retryAfter;
      if (this.waitSeconds !== null) body.wait_seconds = this.waitSeconds;
      return body;
    }
  }

  class Client {
    /**
     * @param {{serverUrl: string, token?: string|null, timeoutMs?: number, fetch?: typeof fetch}} options
     */
    constructor({ serverUrl, token = null, timeoutMs = DEFAULT_TIMEOUT_MS, fetch: fetchImpl = null, gate = null }) {
      this.serverUrl = serverUrl.replace(/\/+$/, "");
      this.token = token;
      this.timeoutMs = timeoutMs;
      this.fetch = fetchImpl || globalThis.fetch.bind(globalThis);
      this.gate = gate; // a Gate: while the server said it is busy, nothing is sent
    }

    async request(method, path, { body, query, auth = true, keepalive = false } = {}) {
      const waiting = this.gate ? this.gate.wait() : 0;
      if (waiting > 0) {
        throw new ServerError(503, "server_busy", `The Fairfinder server is busy; trying again in ${waiting} s.`,
          { offline: true, retryAfter: waiting });
      }
      const url = new URL(this.serverUrl + path);
      for (const [key, value] of Object.entries(query || {})) {
        if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
      }
      const headers = { Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (auth && this.token) headers.Authorization = `Bearer ${this.token}`;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.timeoutMs);
      let response;
      try {
        response = await this.fetch(url.href, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal,
          credentials: "omit",
          keepalive,
        });
      } catch (error) {
        const slow = error && error.name === "AbortError";
        throw new ServerError(0, slow ? "timeout" : "unreachable",
          slow ? "The Fairfinder server did not answer in time." : "The Fairfinder server could not be reached.",
          { offline: true });
      } finally {
        clearTimeout(timer);
      }
      if (response.status === 204) return null;
      const text = await response.text();
      let data = null;
      try {
        data = text ? JSON.parse(text) : null;
      } catch {
        data = null;
      }
      if (response.status === 503) {
        const seconds = retryAfterSeconds(response.headers.get("retry-after"), this.gate ? this.gate.now() : Date.now());
        if (this.gate) this.gate.close(seconds);
        throw new ServerError(503, "server_busy", `The Fairfinder server is busy; trying again in ${seconds} s.`,
          { offline: true, retryAfter: seconds });
      }
      if (!response.ok) {
        const known = data && typeof data === "object" && typeof data.code === "string";
        // 5xx and proxies' HTML error pages count as "server down" for the page: nothing to show.
        const waitSeconds = response.status === 429
          ? retryAfterSeconds(response.headers.get("retry-after"), this.gate ? this.gate.now() : Date.now()) : null;
        throw new ServerError(response.status, known ? data.code : `http_${response.status}`,
          known ? data.message : `The Fairfinder server answered ${response.status}.`,
          { field: known ? data.field ?? null : null, offline: response.status >= 500, waitSeconds });
      }
      if (data === null && text) {
        throw new ServerError(response.status, "not_json", "The server's answer was not JSON: is this a Fairfinder server?");
      }
      return data;
    }

    annotate(platform, payload, filters = null) {
      const body = { platform, ...payload };
      if (filters) body.filters = filters;
      return this.request("POST", "/api/v1/annotate", { body });
    }

    register({ handle = null, tokenLabel = "browser extension" } = {}) {
      const body = { token_label: tokenLabel };
      if (handle) body.handle = handle;
      return this.request("POST", "/api/v1/workers", { body, auth: false });
    }

    me() {
      return this.request("GET", "/api/v1/me");
    }

    getFilters() {
      return this.request("GET", "/api/v1/me/filters");
    }

    putFilters(filters) {
      return this.request("PUT", "/api/v1/me/filters", { body: filters });
    }

    postReview(review) {
      return this.request("POST", "/api/v1/reviews", { body: review });
    }

    patchReview(id, patch) {
      return this.request("PATCH", `/api/v1/reviews/${encodeURIComponent(id)}`, { body: patch });
    }

    /** The worker's own reviews, newest first (held and hidden too); `platform` and `requester` narrow them. */
    listOwnReviews({ platform = null, requester = null, limit = 100, cursor = null } = {}) {
      return this.request("GET", "/api/v1/me/reviews", { query: { platform, requester, limit, cursor } });
    }

    postTiming(timing) {
      return this.request("POST", "/api/v1/timings", { body: timing, keepalive: true });
    }

    listTimings({ limit = 50, cursor = null } = {}) {
      return this.request("GET", "/api/v1/me/timings", { query: { limit, cursor } });
    }

    deleteTiming(id) {
      return this.request("DELETE", `/api/v1/me/timings/${encodeURIComponent(id)}`);
    }

    /** One page of the worker's platform history (raw MTurk status_details or Prolific submissions JSON). */
    postHistory(body) {
      return this.request("POST", "/api/v1/me/history", { body });
    }

    listHistory({ limit = 50, cursor = null, platform = null, state = null } = {}) {
      return this.request("GET", "/api/v1/me/history", { query: { limit, cursor, platform, state } });
    }

    /** An anonymous page-shape report (lib/page-report.js): sent without the worker's token. */
    postPageReport(report) {
      return this.request("POST", "/api/v1/page-reports", { body: report, auth: false });
    }

    health() {
      return this.request("GET", "/health", { auth: false });
    }

    /**
     * A one-time link that opens `next` (/me, /me/certificate, /listen, /moderation) signed in: {url, path,
     * expires_at, next}. It works once, for about a minute; the token never goes into a URL.
     */
    signInLink(next = "/me") {
      return this.request("POST", "/api/v1/me/sign-in-links", { body: { next } });
    }
  }

  return { Client, ServerError, Gate, retryAfterSeconds, DEFAULT_TIMEOUT_MS, DEFAULT_BUSY_SECONDS, MAX_BUSY_SECONDS };
});
