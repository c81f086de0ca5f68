// The filters panel's text ⇄ the server's `Filters` wire format, and the block/include list files.
// Pure: no DOM, no browser APIs. Only the shape of what the worker typed is checked here (numbers,
// dates, JSON); whether the values make sense is the server's call (PUT /me/filters or annotate answer
// 422 with `field` and `message`), so the rules live in one place.
(function (root, factory) {
  const api = factory(root.Fairfinder?.settings || (typeof require === "function" ? require("./settings.js") : null));
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).filtersForm = api;
})(globalThis, function (settingsLib) {
  "use strict";

  const { DEFAULT_FILTERS } = settingsLib;

  // The server's `Need` names with words for people, in the server's order.
  const NEEDS = Object.freeze([
    ["needs_sight", "Tasks that need sight"],
    ["needs_hearing", "Tasks that need hearing"],
    ["unextendable_time_limit", "Time limits that cannot be extended"],
    ["captcha", "CAPTCHAs"],
    ["webcam_or_phone", "Tasks that need a webcam or phone"],
    ["download_or_install", "Tasks that ask you to download or install something"],
    ["personal_data", "Tasks that ask for personal data"],
    ["adult_content", "Adult content"],
  ]);

  const MATCH_KINDS = Object.freeze([
    ["exact", "Exact"],
    ["substring", "Contains"],
    ["wildcard", "Wildcard (* and ?)"],
  ]);
  const MATCH_NAMES = MATCH_KINDS.map(([name]) => name);

  // How much ratings from other communities count (`other_communities_weight`): [value, radio id, words].
  // A stored value not in this list (set through the API) is shown as one more choice, "Custom (70%)".
  const COMMUNITY_WEIGHTS = Object.freeze([
    [1, "other-weight-full", "Count them fully"],
    [0.5, "other-weight-half", "Count them half"],
    [0.25, "other-weight-little", "Count them a little"],
    [0, "other-weight-none", "Do not count them"],
  ]);
  const CUSTOM_WEIGHT_ID = "other-weight-custom";

  const LIST_NAMES = Object.freeze({ block: "Block list", include: "Include list" });
  const RULE_KEYS = ["pattern", "match", "expires_at", "note"];
  // Import files larger than this are not lists a person keeps (the server allows 500 rules per list).
  const MAX_IMPORT_BYTES = 1024 * 1024;

  // Wire field → [element id in the options page, words for people].
  const FIELDS = Object.freeze({
    target_cents_per_hour: ["target", "Target wage"],
    min_hourly_cents: ["min-hourly", "Minimum hourly pay"],
    min_reward_cents: ["min-reward", "Minimum reward"],
    max_minutes: ["max-minutes", "Maximum duration"],
    hide_below_target: ["hide-below-target", "Hide tasks below my target"],
    hide_unknown_pay: ["hide-unknown-pay", "Hide tasks with unknown pay"],
    qualified_only: ["qualified-only", "Only tasks I am qualified for"],
    hide_masters: ["hide-masters", "Hide Masters-only tasks"],
    hide_needs: [`need-${NEEDS[0][0]}`, "Accessibility needs"],
    keywords_include: ["keywords-include", "Keywords to include"],
    keywords_exclude: ["keywords-exclude", "Keywords to exclude"],
    block: ["block-add", LIST_NAMES.block],
    include: ["include-add", LIST_NAMES.include],
    other_communities_weight: ["other-weight", "Ratings from other communities"],
    // Not shown in the form (kept as loaded); its messages land at the closest group.
    source_weights: ["other-weight", "Ratings from other communities, by source"],
  });
  // The wire fields the form shows; every other field of the loaded filters is kept as it was.
  const FORM_FIELDS = Object.freeze(Object.keys(DEFAULT_FILTERS).filter((key) => key !== "source_weights"));
  const RULE_PARTS = Object.freeze({
    pattern: ["pattern", "pattern"],
    match: ["match", "match"],
    expires_at: ["expires", "expiry date"],
    note: ["note", "note"],
  });

  // ---------------------------------------------------------------------------------------------
  // Numbers

  /** A field's text is not usable; `message` is for people and names the problem. */
  class FieldError extends Error {
    constructor(message) {
      super(message);
      this.name = "FieldError";
    }
  }

  /**
   * Dollars as a person types them → integer cents; null for an empty field.
   * "7.25" → 725, "$9" → 900, "9,50" → 950, "1,250.00" → 125000. Throws FieldError otherwise.
   */
  function parseMoney(text) {
    let s = String(text ?? "").trim();
    if (!s) return null;
    s = s.replace(/\s*\/\s*(h|hr|hour)$/i, "").replace(/^\$\s*/, "").replace(/\s*\$$/, "").trim();
    if (/^[-−]/.test(s)) throw new FieldError("must not be negative.");
    let whole;
    let fraction = "";
    let m;
    if ((m = /^(\d+),(\d{1,2})$/.exec(s))) {
      [, whole, fraction] = m; // decimal comma: "9,50"
    } else if ((m = /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d*))?$/.exec(s)) || (m = /^()\.(\d+)$/.exec(s))) {
      whole = m[1].replace(/,/g, "") || "0";
      fraction = m[2] || "";
    } else {
      throw new FieldError("enter an amount in dollars, for example 7.25.");
    }
    if (fraction.length > 2) throw new FieldError("use at most two decimal places (whole cents).");
    const cents = Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
    if (!Number.isSafeInteger(cents)) throw new FieldError("that amount is too large.");
    return cents;
  }

  /** Integer cents → the text the money fields show: "7.25", "9", "" for null. */
  function formatMoney(cents) {
    if (cents === null || cents === undefined) return "";
    if (!Number.isFinite(cents)) return "";
    const sign = cents < 0 ? "-" : "";
    const abs = Math.abs(Math.trunc(cents));
    const dollars = Math.floor(abs / 100);
    const rest = abs % 100;
    return rest === 0 ? `${sign}${dollars}` : `${sign}${dollars}.${String(rest).padStart(2, "0")}`;
  }

  /** Whole minutes → integer; null for an empty field. Throws FieldError. */
  function parseMinutes(text) {
    const s = String(text ?? "").trim().replace(/\s*(min|mins|minutes?)$/i, "");
    if (!s) return null;
    if (/^[-−]/.test(s)) throw new FieldError("must not be negative.");
    if (/^\d+$/.test(s)) {
      const minutes = Number(s);
      if (!Number.isSafeInteger(minutes)) throw new FieldError("that number is too large.");
      return minutes;
    }
    if (/^\d*[.,]\d+$/.test(s)) throw new FieldError("enter whole minutes, for example 30.");
    throw new FieldError("enter a number of minutes, for example 30.");
  }

  function formatMinutes(minutes) {
    return minutes === null || minutes === undefined ? "" : String(minutes);
  }

  /** Text with one keyword per line → trimmed keywords, blank lines left out. */
  function parseLines(text) {
    return String(text ?? "")
      .split(/\r\n|\r|\n/)
      .map((line) => line.trim())
      .filter((line) => line !== "");
  }

  function formatLines(items) {
    return (items || []).join("\n");
  }

  // ---------------------------------------------------------------------------------------------
  // How much ratings from other communities count

  const sameWeight = (a, b) => Math.abs(a - b) < 1e-9;

  /** A weight as words: "Count them half", or "Custom (70%)" for one not in COMMUNITY_WEIGHTS. */
  function weightLabel(weight) {
    const preset = COMMUNITY_WEIGHTS.find(([value]) => sameWeight(value, weight));
    if (preset) return preset[2];
    return `Custom (${Math.round(Number(weight) * 1000) / 10}%)`;
  }

  /**
   * The choices to offer for the current weight: [{value, id, label, checked, custom}], the presets
   * plus, when the current weight is none of them, a custom choice holding it so it is not lost.
   */
  function weightChoices(current) {
    const weight = Number.isFinite(current) ? current : DEFAULT_FILTERS.other_communities_weight;
    const choices = COMMUNITY_WEIGHTS.map(([value, id, label]) => ({
      value, id, label, checked: sameWeight(value, weight), custom: false,
    }));
    if (!choices.some((choice) => choice.checked)) {
      choices.push({ value: weight, id: CUSTOM_WEIGHT_ID, label: weightLabel(weight), checked: true, custom: true });
    }
    return choices;
  }

  /** A chosen weight (number, or a radio's value text) → number; null when none. Throws FieldError. */
  function parseWeight(value) {
    if (value === null || value === undefined || String(value).trim() === "") return null;
    const weight = typeof value === "number" ? value : Number(String(value).trim());
    if (!Number.isFinite(weight)) throw new FieldError("choose how much they count.");
    return weight;
  }

  /** A copy of the loaded filters' fields the form does not show (source_weights, newer servers' fields). */
  function keptFields(filters) {
    const kept = {};
    for (const [key, value] of Object.entries(filters || {})) {
      if (!FORM_FIELDS.includes(key) && value !== undefined) kept[key] = JSON.parse(JSON.stringify(value));
    }
    return kept;
  }

  // ---------------------------------------------------------------------------------------------
  // Dates: a rule's expiry is a calendar date in the form; the rule stops applying when that day
  // begins (UTC), i.e. expires_at = "YYYY-MM-DDT00:00:00Z".

  function isRealDate(text) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!m) return false;
    const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return date.getUTCFullYear() === Number(m[1]) && date.getUTCMonth() === Number(m[2]) - 1 &&
      date.getUTCDate() === Number(m[3]);
  }

  /** "2026-03-31" → "2026-03-31T00:00:00Z"; "" → null. Throws FieldError. */
  function parseExpiry(text) {
    const s = String(text ?? "").trim();
    if (!s) return null;
    if (!isRealDate(s)) throw new FieldError("enter a date like 2026-03-31.");
    return `${s}T00:00:00Z`;
  }

  /** The date an `expires_at` falls on (UTC), for a date field; "" for null or unreadable values. */
  function formatExpiry(expiresAt) {
    if (!expiresAt) return "";
    const time = Date.parse(expiresAt);
    if (Number.isNaN(time)) return "";
    return new Date(time).toISOString().slice(0, 10);
  }

  // ---------------------------------------------------------------------------------------------
  // Rules

  /** A wire rule → the row the form shows. `expires_at` is kept so an untouched date saves as it was. */
  function ruleToRow(rule) {
    return {
      pattern: rule.pattern ?? "",
      match: rule.match ?? "exact",
      expires: formatExpiry(rule.expires_at),
      note: rule.note ?? "",
      expires_at: rule.expires_at ?? null,
    };
  }

  function isBlankRow(row) {
    return !String(row.pattern ?? "").trim() && !String(row.note ?? "").trim() && !String(row.expires ?? "").trim();
  }

  /** A form row → a wire rule. Throws FieldError with `part` set to the rule key at fault. */
  function rowToRule(row) {
    let expiresAt;
    const expires = String(row.expires ?? "").trim();
    if (row.expires_at && expires && expires === formatExpiry(row.expires_at)) {
      expiresAt = row.expires_at; // the date was not changed: keep the stored time exactly
    } else {
      try {
        expiresAt = parseExpiry(expires);
      } catch (error) {
        error.part = "expires_at";
        throw error;
      }
    }
    return {
      pattern: String(row.pattern ?? "").trim(),
      match: row.match || "exact",
      expires_at: expiresAt,
      note: String(row.note ?? "").trim(),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // The whole form

  /** Filters (wire format, defaults filled in) → the values the form shows. */
  function filtersToForm(filters) {
    const f = { ...DEFAULT_FILTERS, ...(filters || {}) };
    return {
      target: formatMoney(f.target_cents_per_hour),
      min_hourly: formatMoney(f.min_hourly_cents),
      min_reward: formatMoney(f.min_reward_cents),
      max_minutes: formatMinutes(f.max_minutes),
      hide_below_target: Boolean(f.hide_below_target),
      hide_unknown_pay: Boolean(f.hide_unknown_pay),
      qualified_only: Boolean(f.qualified_only),
      hide_masters: Boolean(f.hide_masters),
      hide_needs: [...(f.hide_needs || [])],
      keywords_include: formatLines(f.keywords_include),
      keywords_exclude: formatLines(f.keywords_exclude),
      block: (f.block || []).map(ruleToRow),
      include: (f.include || []).map(ruleToRow),
      other_communities_weight: Number.isFinite(f.other_communities_weight)
        ? f.other_communities_weight : DEFAULT_FILTERS.other_communities_weight,
      kept: keptFields(f),
    };
  }

  /**
   * The form's values → {filters, errors, rows}.
   * `form.kept` (from filtersToForm or keptFields) holds the fields the form does not show; they are
   * saved as they are, so loading filters and saving them again loses nothing. `errors` is [{field, control, message}] in form order (field paths count form rows; `control` is
   * the element id to show the message at); `filters` is null when there are errors.
   * `rows.block[i]` is the form row that became `filters.block[i]` (blank rows are left out), for
   * placing the server's messages with controlFor(field, rows).
   */
  function formToFilters(form) {
    const errors = [];
    const filters = {};
    const rows = { block: [], include: [] };
    const money = [
      ["target_cents_per_hour", form.target],
      ["min_hourly_cents", form.min_hourly],
      ["min_reward_cents", form.min_reward],
    ];
    for (const [field, text] of money) {
      try {
        filters[field] = parseMoney(text);
        if (field === "target_cents_per_hour" && filters[field] === null) {
          errors.push(fieldError(field, "enter the hourly pay you aim for, for example 7.25."));
        }
      } catch (error) {
        errors.push(fieldError(field, error.message));
      }
    }
    try {
      filters.max_minutes = parseMinutes(form.max_minutes);
    } catch (error) {
      errors.push(fieldError("max_minutes", error.message));
    }
    for (const list of ["block", "include"]) {
      filters[list] = [];
      (form[list] || []).forEach((row, index) => {
        if (isBlankRow(row)) return;
        try {
          filters[list].push(rowToRule(row));
          rows[list].push(index);
        } catch (error) {
          errors.push(fieldError(`${list}[${index}].${error.part || "pattern"}`, error.message));
        }
      });
    }
    filters.keywords_include = parseLines(form.keywords_include);
    filters.keywords_exclude = parseLines(form.keywords_exclude);
    filters.qualified_only = Boolean(form.qualified_only);
    filters.hide_masters = Boolean(form.hide_masters);
    filters.hide_below_target = Boolean(form.hide_below_target);
    filters.hide_unknown_pay = Boolean(form.hide_unknown_pay);
    const wanted = new Set(form.hide_needs || []);
    // The server's order, plus any name this version does not know (the server will say so).
    filters.hide_needs = [
      ...NEEDS.map(([name]) => name).filter((name) => wanted.has(name)),
      ...[...wanted].filter((name) => !NEEDS.some(([known]) => known === name)),
    ];
    try {
      const weight = parseWeight(form.other_communities_weight);
      filters.other_communities_weight = weight ?? DEFAULT_FILTERS.other_communities_weight;
    } catch (error) {
      errors.push(fieldError("other_communities_weight", error.message));
    }
    if (errors.length) return { filters: null, errors, rows };
    const kept = keptFields(form.kept);
    const ordered = {};
    for (const key of Object.keys(DEFAULT_FILTERS)) {
      if (key in filters) ordered[key] = filters[key];
      else if (key in kept) ordered[key] = kept[key];
      else ordered[key] = JSON.parse(JSON.stringify(DEFAULT_FILTERS[key]));
    }
    for (const [key, value] of Object.entries(kept)) if (!(key in ordered)) ordered[key] = value;
    return { filters: ordered, errors, rows };
  }

  function fieldError(field, message) {
    return { field, control: controlFor(field), message: `${fieldLabel(field)}: ${message}` };
  }

  // ---------------------------------------------------------------------------------------------
  // Field paths ("block[2].pattern", "filters.min_hourly_cents") → controls and words

  /** {name, index, part} of a field path, without the "filters." prefix annotate adds. */
  function parseField(field) {
    const path = String(field ?? "").replace(/^\$\./, "").replace(/^data\./, "").replace(/^filters\./, "");
    // Source names are the server's (any characters): "source_weights.turkopticon.info".
    const source = /^source_weights(?:\.(.+))?$/s.exec(path);
    if (source) return { name: "source_weights", index: null, part: source[1] ?? null, path };
    const m = /^([a-z_]+)(?:\[(\d+)\])?(?:\.([a-z_]+))?$/.exec(path);
    if (!m || !FIELDS[m[1]]) return null;
    return { name: m[1], index: m[2] === undefined ? null : Number(m[2]), part: m[3] ?? null, path };
  }

  /**
   * The element id of the options page control a field path points at, or null when unknown.
   * With `rows` (from formToFilters), list indexes are the server's and are mapped to form rows.
   */
  function controlFor(field, rows = null) {
    const parsed = parseField(field);
    if (!parsed) return null;
    const { name, index, part } = parsed;
    if ((name === "block" || name === "include") && index !== null) {
      const row = rows && rows[name] ? rows[name][index] : index;
      if (row === undefined) return FIELDS[name][0];
      const suffix = RULE_PARTS[part] ? RULE_PARTS[part][0] : "pattern";
      return `${name}-${row}-${suffix}`;
    }
    if (name === "hide_needs" && index !== null) return FIELDS.hide_needs[0];
    return FIELDS[name][0];
  }

  /** Words for people naming a field path: "Block list, rule 2, pattern". */
  function fieldLabel(field, rows = null) {
    const parsed = parseField(field);
    if (!parsed) return String(field ?? "");
    const { name, index, part } = parsed;
    if ((name === "block" || name === "include") && index !== null) {
      const row = rows && rows[name] && rows[name][index] !== undefined ? rows[name][index] : index;
      const what = RULE_PARTS[part] ? `, ${RULE_PARTS[part][1]}` : "";
      return `${LIST_NAMES[name]}, rule ${row + 1}${what}`;
    }
    if ((name === "keywords_include" || name === "keywords_exclude") && index !== null) {
      return `${FIELDS[name][1]}, keyword ${index + 1}`;
    }
    if (name === "source_weights" && part !== null) return `${FIELDS[name][1]}, “${part}”`;
    return FIELDS[name][1];
  }

  /**
   * A ServerError (or its JSON) from saving → {field, control, message} to show at the control.
   * The server's own message is kept; only its "field: " prefix is swapped for words for people.
   */
  function serverFieldError(error, rows = null) {
    const field = error && error.field ? String(error.field) : null;
    let message = String(error?.message ?? "The server refused these filters.");
    if (!field || !parseField(field)) return { field, control: null, message };
    const prefix = `${field}: `;
    if (message.startsWith(prefix)) message = message.slice(prefix.length);
    const bare = parseField(field).path;
    if (message.startsWith(`${bare}: `)) message = message.slice(bare.length + 2);
    return { field: bare, control: controlFor(field, rows), message: `${fieldLabel(field, rows)}: ${message}` };
  }

  // ---------------------------------------------------------------------------------------------
  // Block/include list files: {"block": [...], "include": [...]} in the wire format

  function exportLists(filters) {
    const f = filters || {};
    const clean = (rules) => (rules || []).map((rule) => ({
      pattern: rule.pattern,
      match: rule.match ?? "exact",
      expires_at: rule.expires_at ?? null,
      note: rule.note ?? "",
    }));
    return `${JSON.stringify({ block: clean(f.block), include: clean(f.include) }, null, 2)}\n`;
  }

  /** An import file's text → {block, include}. Throws FieldError saying what is wrong, for people. */
  function parseListsFile(text) {
    const s = String(text ?? "");
    if (s.length > MAX_IMPORT_BYTES) throw new FieldError("This file is too large to be a Fairfinder list file.");
    if (!s.trim()) throw new FieldError("This file is empty.");
    let data;
    try {
      data = JSON.parse(s.replace(/^\uFEFF/, ""));
    } catch {
      throw new FieldError("This file is not JSON. Choose a file exported by Fairfinder (fairfinder-lists.json).");
    }
    if (!data || typeof data !== "object" || Array.isArray(data)) {
      throw new FieldError('This file does not hold Fairfinder lists: expected {"block": [...], "include": [...]}.');
    }
    if (!("block" in data) && !("include" in data)) {
      throw new FieldError('This file has no "block" or "include" list.');
    }
    const out = {};
    for (const list of ["block", "include"]) {
      const rules = data[list] ?? [];
      if (!Array.isArray(rules)) throw new FieldError(`"${list}" must be a list of rules.`);
      out[list] = rules.map((rule, i) => checkRule(rule, `${LIST_NAMES[list]}, rule ${i + 1}`));
    }
    return out;
  }

  function checkRule(rule, where) {
    if (typeof rule === "string") rule = { pattern: rule };
    if (!rule || typeof rule !== "object" || Array.isArray(rule)) {
      throw new FieldError(`${where} is not a rule (expected an object with a "pattern").`);
    }
    for (const key of Object.keys(rule)) {
      if (!RULE_KEYS.includes(key)) throw new FieldError(`${where} has an unknown key "${key}".`);
    }
    if (typeof rule.pattern !== "string" || !rule.pattern.trim()) {
      throw new FieldError(`${where} needs a "pattern" (text).`);
    }
    const match = rule.match ?? "exact";
    if (!MATCH_NAMES.includes(match)) {
      throw new FieldError(`${where}: "match" must be "exact", "substring" or "wildcard".`);
    }
    const expires = rule.expires_at ?? null;
    if (expires !== null && (typeof expires !== "string" || Number.isNaN(Date.parse(expires)))) {
      throw new FieldError(`${where}: "expires_at" must be a date and time like "2026-03-31T00:00:00Z".`);
    }
    const note = rule.note ?? "";
    if (typeof note !== "string") throw new FieldError(`${where}: "note" must be text.`);
    return { pattern: rule.pattern, match, expires_at: expires, note };
  }

  /**
   * Imported lists combined with the current ones. "replace": the file's lists as they are;
   * "merge": the current rules, then the file's rules not already there (same pattern and match).
   */
  function mergeLists(current, imported, mode) {
    if (mode === "replace") return { block: [...imported.block], include: [...imported.include] };
    const out = {};
    for (const list of ["block", "include"]) {
      const have = [...(current[list] || [])];
      const key = (rule) => `${rule.match ?? "exact"}\u0000${String(rule.pattern).trim().toLowerCase()}`;
      const seen = new Set(have.map(key));
      for (const rule of imported[list]) {
        if (!seen.has(key(rule))) {
          seen.add(key(rule));
          have.push(rule);
        }
      }
      out[list] = have;
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Saving: one place that decides what the server's answer means for the options page and popup

  /**
   * Let the server check (and, signed in, store) the filters. `client` is an api.js Client.
   * → {outcome: "saved" | "checked" | "offline" | "invalid" | "error", error}
   *   saved: stored in the account; checked: valid (not signed in, nothing stored on the server);
   *   offline: the server could not be reached (save locally anyway); invalid: a 422 (show error at
   *   its field); error: anything else (e.g. 401: the token was not accepted).
   */
  async function checkWithServer(client, filters, { signedIn }) {
    try {
      if (signedIn) await client.putFilters(filters);
      else await client.annotate("mturk", { tasks: [] }, filters);
      return { outcome: signedIn ? "saved" : "checked", error: null };
    } catch (error) {
      if (error && error.offline) return { outcome: "offline", error };
      if (error && error.status === 422) return { outcome: "invalid", error };
      return { outcome: "error", error };
    }
  }

  return {
    NEEDS,
    MATCH_KINDS,
    LIST_NAMES,
    COMMUNITY_WEIGHTS,
    FORM_FIELDS,
    FieldError,
    parseMoney,
    formatMoney,
    parseMinutes,
    formatMinutes,
    parseLines,
    formatLines,
    weightLabel,
    weightChoices,
    parseWeight,
    keptFields,
    parseExpiry,
    formatExpiry,
    ruleToRow,
    rowToRule,
    filtersToForm,
    formToFilters,
    parseField,
    controlFor,
    fieldLabel,
    serverFieldError,
    exportLists,
    parseListsFile,
    mergeLists,
    checkWithServer,
  };
});
