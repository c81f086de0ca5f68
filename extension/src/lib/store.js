// Reading and writing the extension's stored settings (ext().storage.local), with defaults applied.
(function (root, factory) {
  const api = factory(root.Fairfinder?.settings || (typeof require === "function" ? require("./settings.js") : null));
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).store = api;
})(globalThis, function (settingsLib) {
  "use strict";

  const { DEFAULT_SETTINGS, withDefaults, filtersWithDefaults } = settingsLib;
  const ext = () => globalThis.browser ?? globalThis.chrome; // looked up late: Node tests have neither

  async function load() {
    const stored = await ext().storage.local.get(["settings", "filters"]);
    return {
      settings: withDefaults(stored.settings, DEFAULT_SETTINGS),
      filters: filtersWithDefaults(stored.filters),
    };
  }

  async function saveSettings(changes) {
    const { settings } = await load();
    const next = { ...settings, ...changes };
    await ext().storage.local.set({ settings: next });
    return next;
  }

  async function saveFilters(filters) {
    const next = filtersWithDefaults(filters);
    await ext().storage.local.set({ filters: next });
    return next;
  }

  return { load, saveSettings, saveFilters };
});
