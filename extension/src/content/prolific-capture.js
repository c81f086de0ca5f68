// app.prolific.com, in the page's own world (manifest "world": "MAIN", document_start): Prolific's app
// loads the worker's submissions from its own API with its own credentials, which the extension cannot
// borrow. So this script watches the app's requests: the JSON answer of a GET whose URL path mentions
// /submissions is handed, unchanged, to prolific-history.js (the extension's side) by window.postMessage.
// Nothing else is read, nothing is changed: the app gets its answers exactly as before. Whether anything
// is sent anywhere is decided on the extension's side (off unless the worker turned it on).
(function () {
  "use strict";

  const TAG = "fairfinder:prolific-submissions";

  function isSubmissions(url) {
    try {
      return /\/submissions(\/|$)/.test(new URL(url, location.href).pathname);
    } catch {
      return false;
    }
  }

  function report(url, payload) {
    if (payload === null || typeof payload !== "object") return;
    window.postMessage({ [TAG]: true, url: String(url), payload }, location.origin);
  }

  const originalFetch = window.fetch;
  if (typeof originalFetch === "function") {
    window.fetch = function fetch(input, init) {
      const promise = originalFetch.apply(this, arguments);
      try {
        const request = typeof Request === "function" && input instanceof Request ? input : null;
        const url = request ? request.url : String(input);
        const method = String((init && init.method) || (request ? request.method : "GET")).toUpperCase();
        if (method === "GET" && isSubmissions(url)) {
          promise.then((response) => {
            if (!response.ok || !/json/i.test(response.headers.get("content-type") || "")) return;
            response.clone().json().then((payload) => report(response.url || url, payload), () => {});
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
    const watched = new WeakMap(); // xhr -> url of a GET of submissions
    const open = XHR.prototype.open;
    XHR.prototype.open = function (method, url) {
      try {
        if (String(method).toUpperCase() === "GET" && isSubmissions(url)) {
          if (!watched.has(this)) {
            this.addEventListener("load", () => {
              const target = watched.get(this);
              if (!target || this.status < 200 || this.status >= 300) return;
              try {
                if (this.responseType === "json") report(this.responseURL || target, this.response);
                else if (this.responseType === "" || this.responseType === "text") report(this.responseURL || target, JSON.parse(this.responseText));
              } catch {
                // Not JSON: not a submissions list.
              }
            });
          }
          watched.set(this, String(url));
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
