// app.prolific.com, the extension's side of prolific-capture.js (isolated world, document_start, so nothing the
// app loads early is missed):
// - studies lists the app fetched are kept here (by study id, the newest answer winning) for prolific.js, which
//   starts later, and announced to it with a "fairfinder:studies" event;
// - submissions lists are passed to the background, which adds them to the worker's history on their Fairfinder
//   server, only when the worker turned on "Import my Prolific submissions when I open them" (options page) and
//   is signed in; otherwise they are dropped here.
(function (root) {
  "use strict";

  const TAGS = { submissions: "fairfinder:prolific-submissions", studies: "fairfinder:prolific-studies" };
  const ext = globalThis.browser ?? globalThis.chrome;
  const MAX_STUDIES = 500;

  // The studies the app has loaded, as the API gave them: {byId: Map(id -> study), answers: n, empty: bool}.
  const captured = { byId: new Map(), answers: 0, empty: false };
  (root.Fairfinder ||= {}).prolificStudies = captured;

  function keepStudies(payload) {
    const results = Array.isArray(payload?.results) ? payload.results : null;
    if (!results) return;
    captured.answers += 1;
    captured.empty = results.length === 0;
    for (const study of results) {
      if (study && typeof study === "object" && typeof study.id === "string") {
        captured.byId.delete(study.id);
        captured.byId.set(study.id, study);
      }
    }
    while (captured.byId.size > MAX_STUDIES) captured.byId.delete(captured.byId.keys().next().value);
    document.dispatchEvent(new CustomEvent("fairfinder:studies"));
  }

  function forwardSubmissions(payload) {
    ext.storage.local.get("settings").then(({ settings }) => {
      if (!settings || !settings.prolificImport || !settings.token) return undefined;
      return ext.runtime.sendMessage({ type: "prolific-submissions", payload });
    }).catch(() => {
      // The extension was reloaded or the server refused: the options page shows the last import.
    });
  }

  window.addEventListener("message", (event) => {
    if (event.source !== window || event.origin !== location.origin) return;
    const data = event.data;
    if (!data || typeof data !== "object") return;
    const payload = data.payload;
    if (payload === null || typeof payload !== "object") return;
    if (data[TAGS.studies] === true) keepStudies(payload);
    else if (data[TAGS.submissions] === true) forwardSubmissions(payload);
  });
})(globalThis);
