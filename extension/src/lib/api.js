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

  class ServerError extends Error {
    constructor(status, code, message, { field = null, offline = false } = {}) {
      super(message);
      this.name = "ServerError";
      this.status = status; // 0 when the server was not reached
      this.code = code;
      this.field = field;
      this.offline = offline;
    }

    toJSON() {
      return { status: this.status, code: this.code, message: this.message, field: this.field };
    }
  }

  class Client {
    /**
     * @param {{serverUrl: string, token?: string|null, timeoutMs?: number, fetch?: typeof fetch}} options
     */
    constructor({ serverUrl, token = null, timeoutMs = DEFAULT_TIMEOUT_MS, fetch: fetchImpl = null }) {
      this.serverUrl = serverUrl.replace(/\/+$/, "");
      this.token = token;
      this.timeoutMs = timeoutMs;
      this.fetch = fetchImpl || globalThis.fetch.bind(globalThis);
    }

    async request(method, path, { body, query, auth = true, keepalive = false } = {}) {
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
      if (!response.ok) {
        const known = data && typeof data === "object" && typeof data.code === "string";
        // 5xx and proxies' HTML error pages count as "server down" for the page: nothing to show.
        throw new ServerError(response.status, known ? data.code : `http_${response.status}`,
          known ? data.message : `The Fairfinder server answered ${response.status}.`,
          { field: known ? data.field ?? null : null, offline: response.status >= 500 });
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

    listHistory({ limit = 50, cursor = null, platform = null } = {}) {
      return this.request("GET", "/api/v1/me/history", { query: { limit, cursor, platform } });
    }

    health() {
      return this.request("GET", "/health", { auth: false });
    }
  }

  return { Client, ServerError, DEFAULT_TIMEOUT_MS };
});
