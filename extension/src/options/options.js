// The options page: welcome, server, account, filters, privacy, work history and the worker's own timings.
// Every text from the server or the worker goes into the page with textContent, never as HTML.
(function () {
  "use strict";

  const { settings: settingsLib, api, store, filtersForm: ff, history: historyLib, reviews: reviewsLib, listFormats } = globalThis.Fairfinder;
  const $ = (id) => document.getElementById(id);

  let settings = { ...settingsLib.DEFAULT_SETTINGS };
  let filters = { ...settingsLib.DEFAULT_FILTERS };
  let filtersDirty = false; // the filters form was edited since it was last filled in
  let lastWrittenFilters = null; // JSON of the filters this page saved, to tell our writes from others'
  let timingsCursor = null;
  let timingsGeneration = 0; // a newer (re)load makes older answers stale
  let historySync = null; // the MTurk sync's progress as the background stores it (`historySync`)
  let historyCancelling = false;
  let prolificRecord = null; // the last Prolific import (`prolificImport`)
  let reviewUpdates = null; // the last comparison of the worker's reviews with their history (`reviewUpdates`)

  const signedIn = () => Boolean(settings.token);
  const client = (extra = {}) => new api.Client({ serverUrl: settings.serverUrl, token: settings.token, ...extra });

  // ---------------------------------------------------------------------------------------------
  // Small helpers

  /** Put a message in a live region; `kind` is "ok", "error" or "" (neutral). */
  function say(id, text, kind = "") {
    const region = $(id);
    region.classList.toggle("status-error", kind === "error");
    region.classList.toggle("status-ok", kind === "ok");
    if (region.textContent === text && text) {
      // The same words again: empty the region first so screen readers announce them again.
      region.textContent = "";
      setTimeout(() => { region.textContent = text; }, 60);
    } else {
      region.textContent = text;
    }
  }

  function errorText(error) {
    return error && error.message ? error.message : String(error);
  }

  const FORM_CONTROLS = new Set(["INPUT", "SELECT", "TEXTAREA"]);

  function showFieldError(control, message) {
    const id = `${control.id}-error`;
    let note = document.getElementById(id);
    if (!note) {
      note = document.createElement("p");
      note.id = id;
      note.className = "error";
      if (control.tagName === "FIELDSET") {
        // A group of radios: the message goes under the group's hint, before the choices.
        const hint = control.querySelector(":scope > .hint");
        if (hint) hint.after(note);
        else control.querySelector(":scope > legend").after(note);
      } else {
        const container = control.closest(".field, .check") || control.parentElement;
        container.append(note);
      }
    }
    note.textContent = message;
    if (FORM_CONTROLS.has(control.tagName)) control.setAttribute("aria-invalid", "true");
    const ids = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (!ids.includes(id)) control.setAttribute("aria-describedby", [id, ...ids].join(" "));
  }

  function clearFieldErrors(root) {
    for (const note of root.querySelectorAll("p.error")) {
      const control = root.querySelector(`[aria-describedby~="${CSS.escape(note.id)}"]`);
      if (control) {
        control.removeAttribute("aria-invalid");
        const ids = control.getAttribute("aria-describedby").split(/\s+/).filter((x) => x && x !== note.id);
        if (ids.length) control.setAttribute("aria-describedby", ids.join(" "));
        else control.removeAttribute("aria-describedby");
      }
      note.remove();
    }
  }

  /** Move the focus to a control; for a group (fieldset), to its checked choice or its first one. */
  function focusControl(control) {
    if (control.tagName === "FIELDSET") {
      const choice = control.querySelector("input:checked") || control.querySelector("input, select, textarea, button");
      if (choice) choice.focus();
      return;
    }
    control.focus();
  }

  function busy(button, on) {
    // aria-disabled rather than disabled: a disabled button would drop the keyboard focus.
    if (on) button.setAttribute("aria-disabled", "true");
    else button.removeAttribute("aria-disabled");
  }
  const isBusy = (button) => button.getAttribute("aria-disabled") === "true";

  // ---------------------------------------------------------------------------------------------
  // Welcome and the timing switch

  function renderWelcome() {
    const show = !settings.onboarded || location.hash === "#welcome";
    $("welcome").hidden = !show;
  }

  function renderTimingSwitches() {
    for (const box of document.querySelectorAll("[data-timing-switch]")) box.checked = Boolean(settings.timingEnabled);
  }

  async function onTimingSwitch(event) {
    const on = event.target.checked;
    settings = await store.saveSettings({ timingEnabled: on });
    renderTimingSwitches();
    say("timing-status", on
      ? "Automatic timing is on."
      : "Automatic timing is off. Nothing more is timed or sent.", "ok");
  }

  async function onWelcomeDone() {
    settings = await store.saveSettings({ onboarded: true });
    if (location.hash === "#welcome") history.replaceState(null, "", location.pathname);
    renderWelcome();
    $("server-heading").setAttribute("tabindex", "-1");
    $("server-heading").focus();
  }

  // ---------------------------------------------------------------------------------------------
  // Server

  function manifestHosts() {
    try {
      return chrome.runtime.getManifest().host_permissions || [];
    } catch {
      return [];
    }
  }

  function onSaveServer(event) {
    event.preventDefault();
    const input = $("server-url");
    clearFieldErrors($("server-form"));
    let url;
    try {
      url = settingsLib.normalizeServerUrl(input.value);
    } catch (error) {
      showFieldError(input, errorText(error));
      say("server-status", "The address was not saved.", "error");
      input.focus();
      return;
    }
    const pattern = settingsLib.originPattern(url);
    // Asked for right here in the click handler: the browser only shows its prompt during a user action.
    const allowed = manifestHosts().includes(pattern)
      ? Promise.resolve(true)
      : chrome.permissions.request({ origins: [pattern] });
    allowed.then(async (granted) => {
      if (!granted) {
        say("server-status", `The address was not saved: Fairfinder was not allowed to contact ${new URL(url).host}. ` +
          "Save again and choose Allow when your browser asks, or keep the current server.", "error");
        return;
      }
      const changed = url !== settings.serverUrl;
      settings = await store.saveSettings({ serverUrl: url });
      input.value = url;
      say("server-status", "Saved. Checking the connection…");
      await checkConnection(url, changed ? "Saved. " : "Saved (unchanged). ");
    }).catch((error) => say("server-status", `The address was not saved: ${errorText(error)}`, "error"));
  }

  async function checkConnection(url, prefix = "") {
    try {
      const answer = await new api.Client({ serverUrl: url, timeoutMs: 5000 }).health();
      if (answer && answer.status === "ok") {
        const version = answer.version ? ` (version ${answer.version})` : "";
        say("server-status", `${prefix}Connected: the Fairfinder server at ${url} answers${version}.`, "ok");
      } else {
        say("server-status", `${prefix}The server at ${url} answered, but not like a Fairfinder server.`, "error");
      }
    } catch (error) {
      say("server-status", `${prefix}No connection to ${url}: ${errorText(error)}`, "error");
    }
  }

  function onCheckConnection() {
    const input = $("server-url");
    let url = settings.serverUrl;
    try {
      url = settingsLib.normalizeServerUrl(input.value);
    } catch {
      // Not a usable address in the field: check the saved one.
    }
    say("server-status", `Checking ${url}…`);
    checkConnection(url);
  }

  // ---------------------------------------------------------------------------------------------
  // Account

  function renderAccount() {
    for (const link of document.querySelectorAll("a.signed-in-link")) link.href = `${settings.serverUrl}${link.dataset.next}`;
    $("signed-in").hidden = !signedIn();
    $("signed-out").hidden = signedIn();
    $("handle").textContent = settings.handle || "(unknown)";
    $("timings").hidden = !signedIn();
    $("timings-link").hidden = !signedIn();
  }

  // A server page in a new tab, signed in through a one-time link (the background asks the server for it).
  async function onOpenSignedIn(event) {
    const link = event.currentTarget;
    if (event.button > 0 || event.ctrlKey || event.metaKey || event.shiftKey) return; // the browser's own ways
    event.preventDefault();
    const status = link.id === "history-dashboard" ? "history-status" : "pages-status";
    say(status, signedIn() ? "Opening, signed in…" : "Opening…");
    const answer = await chrome.runtime.sendMessage({ type: "open-signed-in", next: link.dataset.next });
    if (!answer || !answer.ok) say(status, `Could not open the page: ${answer?.error?.message || answer?.message || "no answer"}`, "error");
    else if (answer.reason) say(status, `Opened without signing in: ${answer.reason}`, "error");
    else say(status, answer.signedIn ? `Opened ${link.textContent.replace(/^Open /, "")}, signed in.` : "Opened. Sign in there with your token.", "ok");
  }

  async function onSignIn(event) {
    event.preventDefault();
    const input = $("token-input");
    const button = event.submitter || $("sign-in-form").querySelector("button[type=submit]");
    if (isBusy(button)) return;
    clearFieldErrors($("sign-in-form"));
    const token = input.value.trim();
    if (!token.startsWith("ff_")) {
      showFieldError(input, token ? "Your token: a Fairfinder token starts with ff_." : "Your token: paste your token first.");
      input.focus();
      return;
    }
    busy(button, true);
    say("account-status", "Signing in…");
    try {
      const me = await client({ token }).me();
      settings = await store.saveSettings({ token, handle: me.handle });
      input.value = "";
      $("new-token").hidden = true;
      renderAccount();
      let loaded = "";
      try {
        const saved = await client().getFilters();
        await writeFilters(saved);
        fillFiltersForm(filters);
        loaded = " Your saved filters were loaded.";
      } catch (error) {
        loaded = ` Your saved filters could not be loaded (${errorText(error)}); the ones on this computer are shown.`;
      }
      say("account-status", `Signed in as ${me.handle}.${loaded}`, "ok");
      $("sign-out").focus();
      loadTimings(true);
    } catch (error) {
      if (error.status === 401) {
        showFieldError(input, "Your token: the server did not accept it. Check that you copied all of it and that " +
          "the server address above is the one you created the account on.");
        input.focus();
        say("account-status", "Not signed in.", "error");
      } else {
        say("account-status", `Not signed in: ${errorText(error)}`, "error");
      }
    } finally {
      busy(button, false);
    }
  }

  async function onRegister() {
    const button = $("register");
    if (isBusy(button)) return;
    busy(button, true);
    say("account-status", "Creating your account…");
    try {
      const created = await client({ token: null }).register();
      settings = await store.saveSettings({ token: created.token, handle: created.worker.handle });
      renderAccount();
      $("new-token-value").value = created.token;
      $("new-token").hidden = false;
      $("new-token-heading").focus();
      let extra = "";
      // Filters set up before the account existed go to the account, so annotate uses them.
      if (JSON.stringify(filters) !== JSON.stringify(settingsLib.withDefaults({}, settingsLib.DEFAULT_FILTERS))) {
        try {
          await client().putFilters(filters);
        } catch (error) {
          extra = ` Your filters stay on this computer for now (${errorText(error)}); save them again to keep them in your account.`;
        }
      }
      say("account-status", `Account created: you are signed in as ${created.worker.handle}.${extra}`, "ok");
      loadTimings(true);
    } catch (error) {
      say("account-status", `No account was created: ${errorText(error)}`, "error");
    } finally {
      busy(button, false);
    }
  }

  async function onCopyToken() {
    const field = $("new-token-value");
    try {
      await navigator.clipboard.writeText(field.value);
      say("account-status", "Token copied. Paste it somewhere safe.", "ok");
    } catch {
      field.focus();
      field.select();
      say("account-status", "The token is selected: press Ctrl+C (or ⌘+C) to copy it.");
    }
  }

  async function onSignOut() {
    settings = await store.saveSettings({ token: null, handle: null });
    $("new-token").hidden = true;
    $("new-token-value").value = "";
    renderAccount();
    clearTimings();
    say("account-status", "Signed out. Your filters stay on this computer.", "ok");
    $("token-input").focus();
  }

  // ---------------------------------------------------------------------------------------------
  // Filters

  function buildNeeds() {
    const list = $("needs-list");
    for (const [name, label] of ff.NEEDS) {
      const wrap = document.createElement("div");
      wrap.className = "check";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = `need-${name}`;
      box.name = "hide_needs";
      box.value = name;
      const text = document.createElement("label");
      text.htmlFor = box.id;
      text.textContent = label;
      wrap.append(box, text);
      list.append(wrap);
    }
  }

  /** The radios for how much other communities' ratings count, the current weight checked. */
  function renderWeights(weight) {
    const list = $("other-weight-list");
    const items = ff.weightChoices(weight).map((choice) => {
      const wrap = document.createElement("div");
      wrap.className = "check";
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.id = choice.id;
      radio.name = "other_communities_weight";
      radio.value = String(choice.value);
      radio.checked = choice.checked;
      const text = document.createElement("label");
      text.htmlFor = radio.id;
      text.textContent = choice.label;
      wrap.append(radio, text);
      return wrap;
    });
    list.replaceChildren(...items);
  }

  function fillFiltersForm(values) {
    const form = ff.filtersToForm(values);
    $("target").value = form.target;
    $("min-hourly").value = form.min_hourly;
    $("min-reward").value = form.min_reward;
    $("max-minutes").value = form.max_minutes;
    $("hide-below-target").checked = form.hide_below_target;
    $("hide-unknown-pay").checked = form.hide_unknown_pay;
    $("qualified-only").checked = form.qualified_only;
    $("hide-masters").checked = form.hide_masters;
    for (const box of document.querySelectorAll('input[name="hide_needs"]')) box.checked = form.hide_needs.includes(box.value);
    $("keywords-include").value = form.keywords_include;
    $("keywords-exclude").value = form.keywords_exclude;
    renderRules("block", form.block);
    renderRules("include", form.include);
    renderWeights(form.other_communities_weight);
    clearFieldErrors($("filters-form"));
    filtersDirty = false;
  }

  function readFiltersForm() {
    return {
      target: $("target").value,
      min_hourly: $("min-hourly").value,
      min_reward: $("min-reward").value,
      max_minutes: $("max-minutes").value,
      hide_below_target: $("hide-below-target").checked,
      hide_unknown_pay: $("hide-unknown-pay").checked,
      qualified_only: $("qualified-only").checked,
      hide_masters: $("hide-masters").checked,
      hide_needs: [...document.querySelectorAll('input[name="hide_needs"]:checked')].map((box) => box.value),
      keywords_include: $("keywords-include").value,
      keywords_exclude: $("keywords-exclude").value,
      block: readRules("block"),
      include: readRules("include"),
      other_communities_weight: document.querySelector('input[name="other_communities_weight"]:checked')?.value ?? null,
      // What the form does not show (source_weights, a newer server's fields) is saved as last loaded.
      kept: ff.keptFields(filters),
    };
  }

  const LIST_WORD = { block: "block", include: "include" };

  function ruleField(labelText, control, optional = false) {
    const wrap = document.createElement("div");
    wrap.className = "field";
    const label = document.createElement("label");
    label.htmlFor = control.id;
    label.textContent = labelText;
    if (optional) {
      const small = document.createElement("span");
      small.className = "optional";
      small.textContent = " (optional)";
      label.append(small);
    }
    wrap.append(label, control);
    return wrap;
  }

  function ruleRow(list, row, index) {
    const item = document.createElement("li");
    item.className = "rule";
    item.dataset.expiresAt = row.expires_at || "";
    const group = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = `${list === "block" ? "Block" : "Include"} rule ${index + 1}`;
    group.append(legend);

    const pattern = document.createElement("input");
    pattern.type = "text";
    pattern.id = `${list}-${index}-pattern`;
    pattern.value = row.pattern;
    pattern.autocomplete = "off";
    pattern.spellcheck = false;
    pattern.dataset.part = "pattern";

    const match = document.createElement("select");
    match.id = `${list}-${index}-match`;
    match.dataset.part = "match";
    for (const [value, text] of ff.MATCH_KINDS) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = text;
      match.append(option);
    }
    match.value = row.match;

    const expires = document.createElement("input");
    expires.type = "date";
    expires.id = `${list}-${index}-expires`;
    expires.value = row.expires;
    expires.dataset.part = "expires";

    const note = document.createElement("input");
    note.type = "text";
    note.id = `${list}-${index}-note`;
    note.value = row.note;
    note.autocomplete = "off";
    note.dataset.part = "note";

    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = list === "block" ? "Unblock" : "Remove";
    remove.setAttribute("aria-label", list === "block" ? `Unblock rule ${index + 1}` : `Remove include rule ${index + 1}`);
    remove.dataset.list = list;
    remove.dataset.index = String(index);

    const parts = document.createElement("div");
    parts.className = "rule-parts";
    parts.append(
      ruleField("Pattern", pattern),
      ruleField("Match", match),
      ruleField("Expires on", expires, true),
      ruleField("Note", note, true),
    );
    const actions = document.createElement("div");
    actions.className = "rule-actions";
    actions.append(remove);
    group.append(parts, actions);
    item.append(group);
    return item;
  }

  function renderRules(list, rows) {
    const container = $(`${list}-rows`);
    container.replaceChildren(...rows.map((row, index) => ruleRow(list, row, index)));
    $(`${list}-empty`).hidden = rows.length > 0;
    if (list === "block") applyBlockSearch();
  }

  // Searching the block list: rules whose pattern or note holds every word typed stay in view.
  const words = (text) => String(text ?? "").toLowerCase().replace(/\s+/g, " ").trim();

  function applyBlockSearch() {
    const query = words($("block-search").value);
    const items = [...$("block-rows").children];
    let shown = 0;
    for (const item of items) {
      const text = words(`${item.querySelector('[data-part="pattern"]').value} ${item.querySelector('[data-part="note"]').value}`);
      const match = !query || query.split(" ").every((word) => text.includes(word));
      item.hidden = !match;
      if (match) shown += 1;
    }
    const text = query ? `${shown} of ${items.length === 1 ? "1 block rule matches" : `${items.length} block rules match`} “${$("block-search").value.trim()}”.` : "";
    if ($("block-search-status").textContent !== text) say("block-search-status", text);
  }

  function readRules(list) {
    return [...$(`${list}-rows`).children].map((item) => ({
      pattern: item.querySelector('[data-part="pattern"]').value,
      match: item.querySelector('[data-part="match"]').value,
      expires: item.querySelector('[data-part="expires"]').value,
      note: item.querySelector('[data-part="note"]').value,
      expires_at: item.dataset.expiresAt || null,
    }));
  }

  function onAddRule(list) {
    // A new, empty rule would not match a search: the search is cleared so that it can be seen and filled in.
    if (list === "block") $("block-search").value = "";
    const rows = readRules(list);
    rows.push({ pattern: "", match: "exact", expires: "", note: "", expires_at: null });
    clearFieldErrors($(`${list}-fieldset`));
    renderRules(list, rows);
    filtersDirty = true;
    $(`${list}-${rows.length - 1}-pattern`).focus();
  }

  function onRemoveRule(list, index) {
    const rows = readRules(list);
    const [removed] = rows.splice(index, 1);
    clearFieldErrors($(`${list}-fieldset`));
    renderRules(list, rows);
    filtersDirty = true;
    // The next rule still in view (a search may hide some), else the search field or "Add".
    const visible = [...$(`${list}-rows`).children].filter((item) => !item.hidden);
    const after = visible.find((item) => [...$(`${list}-rows`).children].indexOf(item) >= index) || visible.at(-1);
    const next = after ? after.querySelector('[data-part="pattern"]')
      : list === "block" && $("block-search").value.trim() ? $("block-search") : $(`${list}-add`);
    next.focus();
    const what = removed && removed.pattern.trim() ? ` (${removed.pattern.trim()})` : "";
    say("filters-status", list === "block"
      ? `Unblocked rule ${index + 1}${what}. Save the filters to keep the change.`
      : `Removed ${LIST_WORD[list]} rule ${index + 1}${what}. Save the filters to keep the change.`);
  }

  // ---------------------------------------------------------------------------------------------
  // The block list switched off for a while (settings.blockOffUntil): the server is asked without its rules
  // until then; the rules stay as they are. The background puts it back on when the time comes.

  const untilFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

  function buildBlockOff() {
    $("block-off-for").replaceChildren(...settingsLib.BLOCK_OFF_CHOICES.map(([minutes, label]) => {
      const option = document.createElement("option");
      option.value = String(minutes);
      option.textContent = label;
      return option;
    }));
  }

  function renderBlockOff() {
    const until = settingsLib.blockOffUntil(settings, Date.now());
    const off = until !== null;
    $("block-off-box").classList.toggle("is-off", off);
    $("block-off-controls").hidden = off;
    $("block-on").hidden = !off;
    const state = $("block-off-state");
    if (!off) {
      if (state.textContent !== "The block list is on.") state.replaceChildren("The block list is on.");
      return;
    }
    const time = document.createElement("time");
    time.dateTime = new Date(until).toISOString();
    time.textContent = untilFormat.format(new Date(until));
    const key = `off:${time.dateTime}`;
    if (state.dataset.key === key) return;
    state.dataset.key = key;
    state.replaceChildren("The block list is off in this browser until ", time,
      ". Tasks it would hide are shown; your rules are kept and apply again then.");
  }

  async function onBlockOff() {
    const minutes = Number($("block-off-for").value);
    settings = await store.saveSettings({ blockOffUntil: settingsLib.blockOffFor(minutes, Date.now()) });
    renderBlockOff();
    $("block-on").focus();
  }

  async function onBlockOn() {
    settings = await store.saveSettings({ blockOffUntil: null });
    delete $("block-off-state").dataset.key;
    renderBlockOff();
    $("block-off-for").focus();
  }

  async function writeFilters(next) {
    lastWrittenFilters = JSON.stringify(settingsLib.filtersWithDefaults(next));
    filters = await store.saveFilters(next);
    return filters;
  }

  async function onSaveFilters(event) {
    event.preventDefault();
    const form = $("filters-form");
    const button = $("save-filters");
    if (isBusy(button)) return;
    clearFieldErrors(form);
    const parsed = ff.formToFilters(readFiltersForm());
    if (parsed.errors.length) {
      for (const error of parsed.errors) {
        const control = error.control && $(error.control);
        if (control) showFieldError(control, error.message);
      }
      const first = parsed.errors.map((e) => e.control && $(e.control)).find(Boolean);
      const n = parsed.errors.length;
      say("filters-status", `Not saved: ${n === 1 ? "one field needs" : `${n} fields need`} a change. ${parsed.errors[0].message}`, "error");
      if (first) focusControl(first);
      return;
    }
    busy(button, true);
    say("filters-status", "Saving…");
    try {
      const result = await ff.checkWithServer(client(), parsed.filters, { signedIn: signedIn() });
      if (result.outcome === "invalid") {
        const error = ff.serverFieldError(result.error, parsed.rows);
        const control = error.control && $(error.control);
        if (control) {
          showFieldError(control, error.message);
          focusControl(control);
        }
        say("filters-status", `Not saved: ${error.message}`, "error");
        return;
      }
      if (result.outcome === "error") {
        const why = result.error && result.error.status === 401
          ? "the server did not accept your token. Sign in again, or sign out to keep filters on this computer only."
          : errorText(result.error);
        say("filters-status", `Not saved: ${why}`, "error");
        return;
      }
      const focusedId = document.activeElement && document.activeElement.id;
      await writeFilters(parsed.filters);
      fillFiltersForm(filters);
      const again = focusedId && $(focusedId);
      if (again && again !== document.activeElement) again.focus();
      if (result.outcome === "offline") {
        say("filters-status", `Saved on this computer only: ${errorText(result.error)} ` +
          (signedIn() ? "Your account keeps its previous filters until you save again with the server reachable."
            : "The server could not check them; it will when it answers again."), "ok");
      } else {
        say("filters-status", signedIn() ? "Saved." : "Saved on this computer.", "ok");
      }
    } finally {
      busy(button, false);
    }
  }

  // Import and export of the block and include lists

  function onExportLists() {
    const parsed = ff.formToFilters(readFiltersForm());
    const listErrors = parsed.errors.filter((e) => /^(block|include)\[/.test(e.field));
    if (listErrors.length) {
      clearFieldErrors($("filters-form"));
      for (const error of listErrors) showFieldError($(error.control), error.message);
      $(listErrors[0].control).focus();
      say("lists-status", `Not exported: ${listErrors[0].message}`, "error");
      return;
    }
    const lists = parsed.filters || {
      block: readRules("block").filter((r) => r.pattern.trim()).map(ff.rowToRule),
      include: readRules("include").filter((r) => r.pattern.trim()).map(ff.rowToRule),
    };
    // In the chosen tool's own shape; what that shape cannot hold is said.
    const [format, list = "block"] = $("export-format").value.split(":");
    let written;
    if (format === "mturk-suite") written = listFormats.toMturkSuite(lists[list], { list });
    else if (format === "hitscraper") written = listFormats.toHitScraper(lists);
    else written = { text: ff.exportLists(lists), count: lists.block.length + lists.include.length, notes: [] };
    const name = listFormats.fileName(format, Date.now(), { list });
    const blob = new Blob([written.text], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    const n = written.count;
    say("lists-status", `Exported ${n === 1 ? "1 rule" : `${n} rules`} to ${name} (as shown above, saved or not).`
      + `${written.notes.length ? ` ${written.notes.join(" ")}` : ""}`, "ok");
  }

  async function onImportFile(event) {
    const input = event.target;
    const file = input.files && input.files[0];
    clearFieldErrors(input.closest("fieldset"));
    if (!file) return;
    let imported;
    let from = ""; // the tool that wrote the file, when it was not Fairfinder
    let notes = [];
    let carried = ["block", "include"]; // the lists the file holds: "replace" leaves the others alone
    try {
      const text = await file.text();
      let data = null;
      try {
        data = JSON.parse(text.replace(/^\uFEFF/, ""));
      } catch {
        data = null; // parseListsFile says what is wrong
      }
      const kind = data === null ? "fairfinder" : listFormats.detect(data);
      if (kind === null) {
        throw new Error("This is not a list file of Fairfinder, MTurk Suite, HIT Scraper or Mturk Engine.");
      }
      const other = kind === "fairfinder" ? null : listFormats.readOther(data);
      if (other) {
        imported = { block: other.block, include: other.include };
        from = ` (${other.label})`;
        notes = other.notes;
        carried = other.lists;
      } else {
        imported = ff.parseListsFile(text);
      }
    } catch (error) {
      showFieldError(input, `${file.name}: ${errorText(error)}`);
      say("lists-status", `Nothing was imported. ${file.name}: ${errorText(error)}`, "error");
      input.value = "";
      return;
    }
    input.value = "";
    const mode = document.querySelector('input[name="import_mode"]:checked').value;
    const current = {
      block: readRules("block").map(rowOrRule),
      include: readRules("include").map(rowOrRule),
    };
    const merged = ff.mergeLists(current, imported, mode);
    for (const list of ["block", "include"]) if (!carried.includes(list)) merged[list] = current[list];
    renderRules("block", merged.block.map(toRow));
    renderRules("include", merged.include.map(toRow));
    filtersDirty = true;
    const counts = carried.map((list) => `${imported[list].length} ${list} ${imported[list].length === 1 ? "rule" : "rules"}`).join(" and ");
    const replaced = carried.length === 2 ? "your lists" : `your ${carried[0]} list`;
    say("lists-status", `${mode === "replace" ? `Replaced ${replaced} with` : "Added"} ${counts} from ${file.name}${from}`
      + `${mode === "merge" ? " (rules you already had were skipped)" : ""}. ${notes.length ? `${notes.join(" ")} ` : ""}`
      + "Save the filters to keep them.", "ok");
  }

  // A form row as a rule for merging: unparsable dates stay as typed (the row is shown again as it was).
  function rowOrRule(row) {
    try {
      return { ...ff.rowToRule(row), row };
    } catch {
      return { pattern: row.pattern, match: row.match, expires_at: null, note: row.note, row };
    }
  }
  const toRow = (rule) => (rule.row ? rule.row : ff.ruleToRow(rule));

  // ---------------------------------------------------------------------------------------------
  // Privacy: forget everything

  function onForget() {
    $("forget-dialog").showModal();
  }

  async function onForgetClosed() {
    if ($("forget-dialog").returnValue !== "forget") return;
    await chrome.storage.local.clear();
    const loaded = await store.load();
    settings = loaded.settings;
    filters = loaded.filters;
    renderAll();
    $("new-token").hidden = true;
    $("new-token-value").value = "";
    clearTimings();
    say("forget-status", "Done: everything Fairfinder kept on this computer was removed.", "ok");
    $("forget").focus();
  }

  // ---------------------------------------------------------------------------------------------
  // My timings

  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  const OUTCOMES = {
    submitted: "Submitted", returned: "Returned", approved: "Approved", rejected: "Rejected",
    pending: "Pending", blocked: "Blocked",
  };

  function minutesText(seconds) {
    const minutes = seconds / 60;
    return minutes < 10 ? minutes.toFixed(1) : String(Math.round(minutes));
  }

  function clearTimings() {
    $("timings-rows").replaceChildren();
    $("timings-table").hidden = true;
    $("timings-empty").hidden = true;
    $("timings-more").hidden = true;
    timingsCursor = null;
    timingsGeneration += 1;
  }

  function timingRow(timing) {
    const row = document.createElement("tr");
    row.dataset.id = String(timing.id);
    const title = document.createElement("th");
    title.scope = "row";
    title.textContent = timing.title;
    const cell = (text) => {
      const td = document.createElement("td");
      td.textContent = text;
      return td;
    };
    const when = Date.parse(timing.ended_at);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "delete-timing";
    remove.textContent = "Delete";
    remove.setAttribute("aria-label", `Delete timing for ${timing.title}`);
    remove.addEventListener("click", () => onDeleteTiming(timing, row, remove));
    const actions = document.createElement("td");
    actions.append(remove);
    row.append(
      title,
      cell(timing.requester_id),
      cell(minutesText(timing.seconds)),
      cell(OUTCOMES[timing.outcome] || timing.outcome),
      cell(Number.isNaN(when) ? "" : dateFormat.format(new Date(when))),
      actions,
    );
    return row;
  }

  function renderTimingsEmpty() {
    const count = $("timings-rows").children.length;
    $("timings-table").hidden = count === 0;
    $("timings-empty").hidden = count > 0;
  }

  async function loadTimings(reset) {
    if (!signedIn()) {
      clearTimings();
      return;
    }
    if (reset) clearTimings();
    const more = $("timings-more");
    const generation = timingsGeneration;
    busy(more, true);
    try {
      const page = await client().listTimings({ limit: 25, cursor: reset ? null : timingsCursor });
      if (generation !== timingsGeneration) return; // signed out, or reloaded meanwhile
      const rows = page.items.map(timingRow);
      $("timings-rows").append(...rows);
      timingsCursor = page.next_cursor;
      renderTimingsEmpty();
      const moreFocused = document.activeElement === more;
      more.hidden = !timingsCursor;
      if (!reset) {
        say("timings-status", `Loaded ${rows.length === 1 ? "1 more timing" : `${rows.length} more timings`}.`);
        if (moreFocused && more.hidden && rows.length) rows[0].querySelector("button").focus();
      } else {
        say("timings-status", "");
      }
    } catch (error) {
      say("timings-status", `Your timings could not be loaded: ${errorText(error)}`, "error");
    } finally {
      busy(more, false);
    }
  }

  async function onDeleteTiming(timing, row, button) {
    if (isBusy(button)) return;
    busy(button, true);
    try {
      await client().deleteTiming(timing.id);
    } catch (error) {
      if (error.status !== 404) {
        busy(button, false);
        say("timings-status", `The timing for ${timing.title} was not deleted: ${errorText(error)}`, "error");
        return;
      }
    }
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    renderTimingsEmpty();
    say("timings-status", `Deleted the timing for ${timing.title}.`, "ok");
    if (next) next.querySelector("button").focus();
    else if (!$("timings-more").hidden) $("timings-more").focus();
    else $("timings-heading").focus();
  }

  // ---------------------------------------------------------------------------------------------
  // Work history: the MTurk sync (run by the background) and the Prolific switch

  const SIGN_IN_FIRST = "Sign in to Fairfinder first (Account, above): your history is kept in your account.";

  function historyStatusKind(state) {
    if (!state || state.running) return "";
    if (state.outcome === "failed") return "error";
    return state.outcome === "done" && !(state.failedDays || []).length ? "ok" : "";
  }

  function renderHistory() {
    const state = historySync;
    const running = Boolean(state && state.running);
    const button = $("history-sync");
    const cancel = $("history-cancel");
    $("history-sign-in-hint").hidden = signedIn();
    button.setAttribute("aria-describedby", signedIn() ? "history-hint" : "history-sign-in-hint history-hint");
    busy(button, running || !signedIn());
    const cancelFocused = document.activeElement === cancel;
    cancel.hidden = !running;
    if (!running) historyCancelling = false;
    if (cancelFocused && !running) button.focus();

    $("history-progress-field").hidden = !state;
    if (state) {
      const total = Math.max(0, state.daysTotal || 0);
      const progress = $("history-progress");
      progress.max = Math.max(1, total);
      progress.value = !running && state.outcome === "done" ? progress.max : Math.min(state.daysDone || 0, progress.max);
      let label;
      if (running) label = total ? `Day ${Math.min(state.daysDone + 1, total)} of ${total}` : "Starting the sync";
      else if (!total) label = "No days synced";
      else label = `${state.daysDone} of ${total === 1 ? "1 day" : `${total} days`} synced`;
      $("history-progress-label").textContent = label;
    }

    const text = running && historyCancelling ? "Cancelling after the current request…" : historyLib.progressText(state);
    const region = $("history-status");
    if (region.textContent !== text) say("history-status", text, historyStatusKind(state));

    const failed = (state && !running && state.failedDays) || [];
    const list = $("history-failed");
    list.replaceChildren(...failed.map((f) => {
      const item = document.createElement("li");
      item.textContent = `${f.day}: ${f.message}`;
      return item;
    }));
    list.hidden = failed.length === 0;

    const finished = state && !running && state.finishedAt ? Date.parse(state.finishedAt) : NaN;
    $("history-last").hidden = Number.isNaN(finished);
    $("history-last").textContent = Number.isNaN(finished) ? "" : `Last sync ended ${dateFormat.format(new Date(finished))}.`;

    for (const link of document.querySelectorAll("a.signed-in-link")) link.href = `${settings.serverUrl}${link.dataset.next}`;
    $("prolific-import").checked = Boolean(settings.prolificImport);
    const prolificText = historyLib.prolificText(prolificRecord);
    if ($("prolific-status").textContent !== prolificText && prolificText) {
      say("prolific-status", prolificText, prolificRecord && prolificRecord.error ? "error" : "");
    }
  }

  async function onHistorySync() {
    const button = $("history-sync");
    if (!signedIn()) {
      say("history-status", SIGN_IN_FIRST, "error");
      return;
    }
    if (isBusy(button)) return;
    busy(button, true);
    say("history-status", "Starting the sync…");
    let answer;
    try {
      answer = await chrome.runtime.sendMessage({ type: "history-sync" });
    } catch (error) {
      answer = { ok: false, error: { message: errorText(error) } };
    }
    if (!answer || !answer.ok) {
      busy(button, false);
      const message = answer && answer.error ? answer.error.message : "the extension did not answer.";
      say("history-status", `The sync did not start: ${message}`, "error");
      return;
    }
    historySync = answer.state;
    renderHistory();
    if (!answer.started) say("history-status", `A sync is already running. ${historyLib.progressText(historySync)}`);
  }

  async function onHistoryCancel() {
    historyCancelling = true;
    say("history-status", "Cancelling after the current request…");
    try {
      await chrome.runtime.sendMessage({ type: "history-sync-cancel" });
    } catch (error) {
      historyCancelling = false;
      say("history-status", `The sync could not be cancelled: ${errorText(error)}`, "error");
    }
  }

  async function onProlificImport(event) {
    const on = event.target.checked;
    settings = await store.saveSettings({ prolificImport: on });
    say("prolific-status", on
      ? (signedIn() ? "On: the submissions you open on Prolific are added to your history."
        : `On, once you are signed in. ${SIGN_IN_FIRST}`)
      : "Off: nothing from Prolific is sent.", "ok");
  }

  // ---------------------------------------------------------------------------------------------
  // Reviews to update: the background compares the worker's reviews with their history after a sync and keeps
  // what changed in `reviewUpdates`; each is updated in one step (its outcome), or put aside ("Not now").

  const OUTCOME_WORDS = { approved: "approved", rejected: "rejected" };

  function updateItem(change) {
    const item = document.createElement("li");
    item.dataset.review = String(change.review_id);
    const what = document.createElement("p");
    const title = document.createElement("strong");
    title.textContent = change.title;
    what.append(title, ` (${change.requester_name || change.requester_id})`);
    const why = document.createElement("p");
    why.textContent = reviewsLib.changeText(change);
    const buttons = document.createElement("div");
    buttons.className = "buttons";
    const update = document.createElement("button");
    update.type = "button";
    update.className = "update-review";
    update.textContent = `Update to ${OUTCOME_WORDS[change.outcome]}`;
    update.setAttribute("aria-label", `Update to ${OUTCOME_WORDS[change.outcome]}: ${change.title}`);
    update.addEventListener("click", () => onApplyUpdates([change.review_id], update));
    const later = document.createElement("button");
    later.type = "button";
    later.className = "not-now";
    later.textContent = "Not now";
    later.setAttribute("aria-label", `Not now: ${change.title}`);
    later.addEventListener("click", () => onDismissUpdate(change, later));
    buttons.append(update, later);
    item.append(what, why, buttons);
    return item;
  }

  /** The list, kept item by item (an item that stays keeps its element and so its focus). */
  function renderUpdates() {
    const list = $("updates-list");
    const check = $("updates-check");
    busy(check, !signedIn() || Boolean(updatesBusy));
    const changes = signedIn() && reviewUpdates ? reviewUpdates.changes || [] : [];
    const keep = new Map([...list.children].map((item) => [item.dataset.review, item]));
    const items = changes.map((change) => keep.get(String(change.review_id)) || updateItem(change));
    for (const [id, item] of keep) if (!changes.some((c) => String(c.review_id) === id)) item.remove();
    items.forEach((item, i) => { if (list.children[i] !== item) list.insertBefore(item, list.children[i] || null); });
    list.hidden = changes.length === 0;
    $("updates-all").hidden = changes.length < 2;
    $("updates-all").textContent = `Update all ${changes.length}`;
    let text = "";
    let kind = "";
    if (!signedIn()) text = "Sign in to Fairfinder first (Account, above) to compare your reviews with your history.";
    else if (reviewUpdates?.error) {
      text = `Your reviews could not be compared with your history: ${reviewUpdates.error.message}`;
      kind = "error";
    } else if (reviewUpdates && !changes.length) {
      text = `None of your reviews needs updating (${reviewUpdates.reviews === 1 ? "1 task review" : `${reviewUpdates.reviews} task reviews`} checked).`;
    } else if (changes.length) {
      text = `${changes.length === 1 ? "1 of your reviews" : `${changes.length} of your reviews`} can be updated from your history.`;
    }
    if (reviewUpdates?.truncated && !reviewUpdates.error) text += " Only the newest part of a very long history was compared.";
    // Said when what it says about changes: the same list arriving again (from storage, after an update this page
    // made) leaves the last message ("Updated your review of …") in place.
    const key = JSON.stringify([signedIn(), changes.map((c) => c.review_id), reviewUpdates?.error ?? null, reviewUpdates?.at ?? null]);
    if (key !== updatesSaid && !updatesBusy) {
      updatesSaid = key;
      say("updates-status", text, kind);
    }
  }

  let updatesBusy = null; // what is being done: the status line says it
  let updatesSaid = null; // what the status line last said about the list

  async function message(body) {
    try {
      return (await chrome.runtime.sendMessage(body)) || { ok: false, error: { message: "the extension did not answer." } };
    } catch (error) {
      return { ok: false, error: { message: errorText(error) } };
    }
  }

  async function onCheckUpdates() {
    const button = $("updates-check");
    if (isBusy(button)) {
      if (!signedIn()) say("updates-status", "Sign in to Fairfinder first (Account, above) to compare your reviews with your history.", "error");
      return;
    }
    updatesBusy = "check";
    busy(button, true);
    say("updates-status", "Comparing your reviews with your history…");
    const answer = await message({ type: "review-updates-check" });
    updatesBusy = null;
    if (answer.ok) reviewUpdates = answer.record;
    renderUpdates();
    if (!answer.ok) say("updates-status", `Your reviews could not be compared with your history: ${answer.error.message}`, "error");
  }

  /** Where the focus goes when these items leave the list: the next one's button, else the previous one's, else Check. */
  function focusAfter(ids) {
    const items = [...$("updates-list").children];
    const gone = new Set(ids.map(String));
    const first = items.findIndex((item) => gone.has(item.dataset.review));
    const rest = items.filter((item) => !gone.has(item.dataset.review));
    const next = rest.find((item) => items.indexOf(item) > first) || rest.at(-1);
    return () => (next && next.isConnected ? next.querySelector(".update-review") : $("updates-check")).focus();
  }

  async function onApplyUpdates(ids, button) {
    if (isBusy(button)) return;
    busy(button, true);
    updatesBusy = "apply";
    const titles = new Map((reviewUpdates?.changes || []).map((c) => [c.review_id, c]));
    say("updates-status", ids.length === 1 ? "Updating your review…" : `Updating ${ids.length} reviews…`);
    const answer = await message({ type: "review-updates-apply", review_ids: ids });
    updatesBusy = null;
    busy(button, false);
    if (!answer.ok) {
      say("updates-status", `Nothing was updated: ${answer.error.message}`, "error");
      return;
    }
    const refocus = focusAfter(answer.updated);
    reviewUpdates = { ...reviewUpdates, changes: (reviewUpdates?.changes || []).filter((c) => !answer.updated.includes(c.review_id)) };
    renderUpdates();
    const done = answer.updated.map((id) => titles.get(id));
    let text = done.length === 1
      ? `Updated your review of “${done[0].title}”: ${OUTCOME_WORDS[done[0].outcome]}.`
      : `Updated ${done.length} reviews.`;
    if (answer.failed.length) {
      const failed = titles.get(answer.failed[0].review_id);
      text = `${done.length ? `${text} ` : ""}Not updated: “${failed?.title ?? answer.failed[0].review_id}”: ${answer.failed[0].error.message}`;
    }
    say("updates-status", text, answer.failed.length ? "error" : "ok");
    if (answer.updated.length) refocus();
  }

  async function onDismissUpdate(change, button) {
    if (isBusy(button)) return;
    busy(button, true);
    const refocus = focusAfter([change.review_id]);
    const answer = await message({ type: "review-updates-dismiss", review_id: change.review_id });
    busy(button, false);
    if (!answer.ok) {
      say("updates-status", `Could not put it aside: ${answer.error.message}`, "error");
      return;
    }
    reviewUpdates = { ...reviewUpdates, changes: (reviewUpdates?.changes || []).filter((c) => c.review_id !== change.review_id) };
    renderUpdates();
    say("updates-status", `Put aside: “${change.title}”. It is not offered again for this outcome.`, "ok");
    refocus();
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring

  function renderAll() {
    $("server-url").value = settings.serverUrl;
    renderWelcome();
    renderTimingSwitches();
    renderAccount();
    fillFiltersForm(filters);
    renderBlockOff();
    renderHistory();
    renderUpdates();
  }

  function onStorageChanged(changes, area) {
    if (area !== "local") return;
    if (changes.settings) {
      const before = settings;
      settings = settingsLib.withDefaults(changes.settings.newValue, settingsLib.DEFAULT_SETTINGS);
      if (before.serverUrl !== settings.serverUrl && document.activeElement !== $("server-url")) {
        $("server-url").value = settings.serverUrl;
      }
      renderTimingSwitches();
      renderAccount();
      renderBlockOff();
      renderHistory();
      renderUpdates();
      if (before.token !== settings.token) {
        if (!settings.token) $("new-token").hidden = true;
        loadTimings(true);
      }
    }
    if (changes.reviewUpdates) {
      reviewUpdates = changes.reviewUpdates.newValue || null;
      renderUpdates();
    }
    if (changes.historySync || changes.prolificImport) {
      if (changes.historySync) historySync = changes.historySync.newValue || null;
      if (changes.prolificImport) prolificRecord = changes.prolificImport.newValue || null;
      renderHistory();
    }
    if (changes.filters) {
      const next = settingsLib.filtersWithDefaults(changes.filters.newValue);
      const json = JSON.stringify(next);
      if (json === lastWrittenFilters) return; // our own save
      filters = next;
      if (!filtersDirty) fillFiltersForm(filters);
      else say("filters-status", "Your filters were changed elsewhere (for example in the toolbar popup). " +
        "Saving here replaces them with what this page shows.");
    }
  }

  async function init() {
    buildNeeds();
    buildBlockOff();
    const loaded = await store.load();
    settings = loaded.settings;
    filters = loaded.filters;
    ({ historySync = null, prolificImport: prolificRecord = null, reviewUpdates = null } = await chrome.storage.local.get(
      ["historySync", "prolificImport", "reviewUpdates"]));
    renderAll();

    for (const box of document.querySelectorAll("[data-timing-switch]")) box.addEventListener("change", onTimingSwitch);
    $("welcome-done").addEventListener("click", onWelcomeDone);
    window.addEventListener("hashchange", () => {
      renderWelcome();
      if (location.hash === "#welcome") $("welcome-heading").focus();
    });

    $("server-form").addEventListener("submit", onSaveServer);
    $("check-connection").addEventListener("click", onCheckConnection);

    $("sign-in-form").addEventListener("submit", onSignIn);
    $("register").addEventListener("click", onRegister);
    $("copy-token").addEventListener("click", onCopyToken);
    $("sign-out").addEventListener("click", onSignOut);
    for (const link of document.querySelectorAll("a.signed-in-link")) link.addEventListener("click", onOpenSignedIn);

    const form = $("filters-form");
    form.addEventListener("submit", onSaveFilters);
    // Controls that act at once (search, switching the block list off, files) do not make the form unsaved.
    const immediate = new Set(["import-file", "block-search", "block-off-for", "export-format"]);
    form.addEventListener("input", (event) => {
      if (!immediate.has(event.target.id)) filtersDirty = true;
    });
    $("block-search").addEventListener("input", applyBlockSearch);
    $("block-search").addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault(); // a search, not "Save filters"
    });
    $("block-off").addEventListener("click", onBlockOff);
    $("block-on").addEventListener("click", onBlockOn);
    form.addEventListener("click", (event) => {
      const button = event.target.closest("button.remove");
      if (button) onRemoveRule(button.dataset.list, Number(button.dataset.index));
    });
    $("block-add").addEventListener("click", () => onAddRule("block"));
    $("include-add").addEventListener("click", () => onAddRule("include"));
    $("export-lists").addEventListener("click", onExportLists);
    $("import-file").addEventListener("change", onImportFile);

    $("forget").addEventListener("click", onForget);
    $("forget-dialog").addEventListener("close", onForgetClosed);

    $("history-sync").addEventListener("click", onHistorySync);
    $("history-cancel").addEventListener("click", onHistoryCancel);
    $("prolific-import").addEventListener("change", onProlificImport);
    $("updates-check").addEventListener("click", onCheckUpdates);
    $("updates-all").addEventListener("click", () => onApplyUpdates((reviewUpdates?.changes || []).map((c) => c.review_id), $("updates-all")));

    $("timings-more").addEventListener("click", () => {
      if (!isBusy($("timings-more"))) loadTimings(false);
    });

    chrome.storage.onChanged.addListener(onStorageChanged);
    if (signedIn()) loadTimings(true);
    if (location.hash === "#welcome") $("welcome-heading").focus();
    document.documentElement.dataset.ready = "true";
  }

  init().catch((error) => {
    say("filters-status", `The settings could not be loaded: ${errorText(error)}`, "error");
  });
})();
