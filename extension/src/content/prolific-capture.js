// app.prolific.com, in the page's own world (manifest "world": "MAIN", document_start): Prolific's app
// loads its lists from its own API (internal-api.prolific.com) with its own credentials, which the extension
// cannot borrow. So this script watches the app's requests: the JSON answer of a successful GET of
//   /api/v1/participant/studies/      the studies the worker may take (researcher ids are only here, not in
//                                     the page), read by prolific.js to rate the study cards;
//   .../submissions/                  the worker's submissions, for their history (prolific-bridge.js sends
//                                     them on only when the worker turned that on)
// is handed, unchanged, to the extension's side (prolific-bridge.js) by window.postMessage. Nothing else is
// read, nothing is changed: the app gets its answers exactly as before (a 429 or any error is left alone).
(function () {
  "use strict";

  const TAGS = { submissions: "fairfinder:prolific-submissions", studies: "fairfinder:prolific-studies" };

  /** Which list a URL is, or null. */
  function kindOf(url) {
    try {
      const path = new URL(url, location.href).pathname;
      if (/\/participant\/studies\/?$/.test(path)) return "studies";
      if (/\/submissions(\/|$)/.test(path)) return "submissions";
    } catch {
      // not a URL
    }
    return null;
  }

  function report(kind, url, payload) {
    if (payload === null || typeof payload !== "object") return;
    window.postMessage({ [TAGS[kind]]: true, url: String(url), payload }, location.origin);
  }

  const originalFetch = window.fetch;
  if (typeof originalFetch === "function") {
    window.fetch = function fetch(input, init) {
      const promise = originalFetch.apply(this, arguments);
      try {
        const request = typeof Request === "function" && input instanceof Request ? input : null;
        const url = request ? request.url : String(input);
        const method = String((init && init.method) || (request ? request.method : "GET")).toUpperCase();
        const kind = method === "GET" ? kindOf(url) : null;
        if (kind) {
          promise.then((response) => {
            if (!response.ok || !/json/i.test(response.headers.get("content-type") || "")) return;
            response.clone().json().then((payload) => report(kind, response.url || url, payload), () => {});
          }, () => {});
        }
      } catch {
        // Never in the app's way.
      }
      return promise;
    };
  }

  // Apps built on XMLHttpRequest (axios and friends) get the same treatment.
  const XHR = window.XMLHttpRequest;
  if (typeof XHR === "function") {
    const watched = new WeakMap(); // xhr -> {url, kind} of a GET of a list
    const open = XHR.prototype.open;
    XHR.prototype.open = function (method, url) {
      try {
        const kind = String(method).toUpperCase() === "GET" ? kindOf(url) : null;
        if (kind) {
          if (!watched.has(this)) {
            this.addEventListener("load", () => {
              const target = watched.get(this);
              if (!target || this.status < 200 || this.status >= 300) return;
              try {
                if (this.responseType === "json") report(target.kind, this.responseURL || target.url, this.response);
                else if (this.responseType === "" || this.responseType === "text") report(target.kind, this.responseURL || target.url, JSON.parse(this.responseText));
              } catch {
                // Not JSON: not a list.
              }
            });
          }
          watched.set(this, { url: String(url), kind });
        } else {
          watched.delete(this);
        }
      } catch {
        // Never in the app's way.
      }
      return open.apply(this, arguments);
    };
  }
})();
