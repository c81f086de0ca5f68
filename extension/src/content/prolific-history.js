// app.prolific.com, the extension's side of prolific-capture.js: submissions lists the app loaded are
// passed to the background, which adds them to the worker's history on their Fairfinder server. Only
// when the worker turned on "Import my Prolific submissions when I open them" (options page) and is
// signed in; otherwise they are dropped here.
(function () {
  "use strict";

  const TAG = "fairfinder:prolific-submissions";
  const ext = globalThis.browser ?? globalThis.chrome;

  window.addEventListener("message", (event) => {
    if (event.source !== window || event.origin !== location.origin) return;
    const data = event.data;
    if (!data || typeof data !== "object" || data[TAG] !== true) return;
    const payload = data.payload;
    if (payload === null || typeof payload !== "object") return;
    ext.storage.local.get("settings").then(({ settings }) => {
      if (!settings || !settings.prolificImport || !settings.token) return undefined;
      return ext.runtime.sendMessage({ type: "prolific-submissions", payload });
    }).catch(() => {
      // The extension was reloaded or the server refused: the options page shows the last import.
    });
  });
})();
