// Reading and writing the extension's stored settings (chrome.storage.local), with defaults applied.
// `chrome` is the WebExtension namespace in Chromium and Firefox alike (Firefox also offers `browser`).
(function (root, factory) {
  const api = factory(root.Fairfinder?.settings || (typeof require === "function" ? require("./settings.js") : null));
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).store = api;
})(globalThis, function (settingsLib) {
  "use strict";

  const { DEFAULT_SETTINGS, DEFAULT_FILTERS, withDefaults } = settingsLib;

  async function load() {
    const stored = await chrome.storage.local.get(["settings", "filters"]);
    return {
      settings: withDefaults(stored.settings, DEFAULT_SETTINGS),
      filters: withDefaults(stored.filters, DEFAULT_FILTERS),
    };
  }

  async function saveSettings(changes) {
    const { settings } = await load();
    const next = { ...settings, ...changes };
    await chrome.storage.local.set({ settings: next });
    return next;
  }

  async function saveFilters(filters) {
    const next = withDefaults(filters, DEFAULT_FILTERS);
    await chrome.storage.local.set({ filters: next });
    return next;
  }

  return { load, saveSettings, saveFilters };
});
