// The toolbar popup: who is signed in, whether the server answers, a quick target wage, the timing switch,
// the earnings dashboard and a running history sync's progress.
(function () {
  "use strict";

  const { settings: settingsLib, api, store, filtersForm: ff, history: historyLib } = globalThis.Fairfinder;
  const $ = (id) => document.getElementById(id);
  const HEALTH_TIMEOUT_MS = 3000;

  let settings = { ...settingsLib.DEFAULT_SETTINGS };
  let filters = { ...settingsLib.DEFAULT_FILTERS };
  let historySync = null;
  let reviewUpdates = null;
  const untilFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

  function say(id, text, kind = "") {
    const region = $(id);
    region.classList.toggle("status-error", kind === "error");
    region.classList.toggle("status-ok", kind === "ok");
    region.textContent = text;
  }

  function setFieldError(input, message) {
    const id = `${input.id}-error`;
    let note = $(id);
    if (!message) {
      if (note) note.remove();
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.id = id;
      note.className = "error";
      input.closest(".field").append(note);
    }
    note.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
  }

  function render() {
    $("who").textContent = settings.token ? `Signed in as ${settings.handle || "(unknown)"}` : "Not signed in";
    $("server-url").textContent = settings.serverUrl;
    for (const link of document.querySelectorAll("a.signed-in-link")) link.href = `${settings.serverUrl}${link.dataset.next}`;
    const line = historyLib.popupLine(historySync);
    if ($("history-line").textContent !== line) $("history-line").textContent = line;
    const changes = settings.token && reviewUpdates ? (reviewUpdates.changes || []).length : 0;
    const updates = changes ? `${changes === 1 ? "1 of your reviews" : `${changes} of your reviews`} can be updated from your history (All settings, Work history).` : "";
    if ($("updates-line").textContent !== updates) $("updates-line").textContent = updates;
    // The block list switched off for a while, and until when.
    const until = settingsLib.blockOffUntil(settings, Date.now());
    $("block-off-line").hidden = until === null;
    if (until !== null) {
      $("block-off-until").dateTime = new Date(until).toISOString();
      $("block-off-until").textContent = untilFormat.format(new Date(until));
    }
    $("timing").checked = Boolean(settings.timingEnabled);
    if (document.activeElement !== $("target")) $("target").value = ff.formatMoney(filters.target_cents_per_hour);
  }

  async function checkServer() {
    say("server-state", "Checking…");
    try {
      const answer = await new api.Client({ serverUrl: settings.serverUrl, timeoutMs: HEALTH_TIMEOUT_MS }).health();
      if (answer && answer.status === "ok") say("server-state", "The server answers.", "ok");
      else say("server-state", "The server answered, but not like a Fairfinder server.", "error");
    } catch (error) {
      say("server-state", `The server does not answer: ${error.message}`, "error");
    }
  }

  async function onSaveTarget(event) {
    event.preventDefault();
    const input = $("target");
    const button = $("target-save");
    if (button.getAttribute("aria-disabled") === "true") return;
    let cents;
    try {
      cents = ff.parseMoney(input.value);
      if (cents === null) throw new ff.FieldError("enter the hourly pay you aim for, for example 7.25.");
    } catch (error) {
      setFieldError(input, `Target wage: ${error.message}`);
      say("target-status", "Not saved.", "error");
      input.focus();
      return;
    }
    setFieldError(input, null);
    button.setAttribute("aria-disabled", "true");
    say("target-status", "Saving…");
    try {
      const { filters: current } = await store.load();
      const next = { ...current, target_cents_per_hour: cents };
      const signedIn = Boolean(settings.token);
      const client = new api.Client({ serverUrl: settings.serverUrl, token: settings.token });
      const result = await ff.checkWithServer(client, next, { signedIn });
      if (result.outcome === "invalid") {
        const error = ff.serverFieldError(result.error);
        if (error.field === "target_cents_per_hour") {
          setFieldError(input, error.message);
          input.focus();
          say("target-status", "Not saved.", "error");
        } else {
          // Another saved filter is the problem: the options page shows where.
          say("target-status", `Not saved: ${error.message}. Open All settings to fix it.`, "error");
        }
        return;
      }
      if (result.outcome === "error") {
        const why = result.error && result.error.status === 401
          ? "the server did not accept your token; sign in again in All settings." : result.error.message;
        say("target-status", `Not saved: ${why}`, "error");
        return;
      }
      filters = await store.saveFilters(next);
      input.value = ff.formatMoney(filters.target_cents_per_hour);
      if (result.outcome === "offline") say("target-status", "Saved on this computer only: the server could not be reached.", "ok");
      else say("target-status", "Saved.", "ok");
    } finally {
      button.removeAttribute("aria-disabled");
    }
  }

  // The page in a new tab, signed in through a one-time link (the background asks the server for it).
  async function openSignedIn(event, next) {
    if (event.button > 0 || event.ctrlKey || event.metaKey || event.shiftKey) return; // the browser's own ways
    event.preventDefault();
    say("open-status", settings.token ? "Opening, signed in…" : "Opening…");
    const answer = await chrome.runtime.sendMessage({ type: "open-signed-in", next });
    if (!answer || !answer.ok) say("open-status", `Could not open the page: ${answer?.error?.message || "no answer"}`, "error");
    else if (answer.reason) say("open-status", `Opened without signing in: ${answer.reason}`, "error");
    else say("open-status", answer.signedIn ? "Opened, signed in." : "Opened. Sign in there, or in All settings.", "ok");
  }

  async function onTiming(event) {
    settings = await store.saveSettings({ timingEnabled: event.target.checked });
    say("timing-status", settings.timingEnabled ? "Automatic timing is on." : "Automatic timing is off.", "ok");
  }

  async function init() {
    const loaded = await store.load();
    settings = loaded.settings;
    filters = loaded.filters;
    ({ historySync = null, reviewUpdates = null } = await chrome.storage.local.get(["historySync", "reviewUpdates"]));
    render();
    $("block-on").addEventListener("click", async () => {
      settings = await store.saveSettings({ blockOffUntil: null });
      render();
      say("block-status", "The block list is on again.", "ok");
      $("all-settings").focus();
    });
    $("target-form").addEventListener("submit", onSaveTarget);
    $("timing").addEventListener("change", onTiming);
    $("all-settings").addEventListener("click", () => chrome.runtime.openOptionsPage());
    for (const link of document.querySelectorAll("a.signed-in-link")) {
      link.addEventListener("click", (event) => openSignedIn(event, link.dataset.next));
    }
    chrome.storage.onChanged.addListener((changes, area) => {
      if (area !== "local") return;
      if (changes.settings) {
        const before = settings.serverUrl;
        settings = settingsLib.withDefaults(changes.settings.newValue, settingsLib.DEFAULT_SETTINGS);
        if (settings.serverUrl !== before) checkServer();
      }
      if (changes.filters) filters = settingsLib.filtersWithDefaults(changes.filters.newValue);
      if (changes.historySync) historySync = changes.historySync.newValue || null;
      if (changes.reviewUpdates) reviewUpdates = changes.reviewUpdates.newValue || null;
      render();
    });
    document.documentElement.dataset.ready = "true";
    await checkServer();
  }

  init().catch((error) => say("target-status", `Fairfinder could not load its settings: ${error.message}`, "error"));
})();
