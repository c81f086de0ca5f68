// The anonymous page-shape report, the pure half: what the extension may send when it cannot read a page it
// covers (POST /api/v1/page-reports; the JSON shape is in extension/README.md). Only the page's SHAPE: tag
// names, class names and data-testid values with every id-like part replaced by "#", and counts. Never text,
// element ids, attribute values, URLs or their queries, worker data. The content script walks the DOM into
// plain entries ({tag, classes, testid}); everything here works on those, so it is tested in Node.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).pageReport = api;
})(globalThis, function () {
  "use strict";

  const SCHEMA = 1;
  const MAX_ELEMENTS = 150; // distinct (tag, classes, testid) entries kept, the most frequent first
  const MAX_CLASSES = 8; // per entry
  const MAX_NAME = 48; // characters of a class name or data-testid
  const MAX_COUNT = 100000;
  const PLATFORMS = ["mturk", "prolific"];
  const PAGES = ["search", "requester", "queue", "studies", "other"];
  const PROBLEMS = ["no_tasks", "partial"];
  const BROWSERS = ["chromium", "firefox", "other"];
  const PROBE_NAME = /^[a-z][a-z0-9_]{0,39}$/;
  const TAG = /^[a-z][a-z0-9-]{0,31}$/;

  /**
   * A class name or data-testid as it may be reported: ids and other long numbers replaced by "#", or null
   * when nothing name-like is left. "study-676eda540ac41cc075b4e578" -> "study-#"; "col-xs-12" stays.
   */
  function safeName(value) {
    let name = String(value ?? "").trim();
    if (!name || name.length > 200) return null;
    // Runs that carry identity: 5+ digits, or 8+ letters/digits mixing both (hex ids, MTurk ids).
    name = name.replace(/[A-Za-z0-9]{8,}/g, (run) => (/[0-9]/.test(run) && /[A-Za-z]/.test(run) ? "#" : run))
      .replace(/[0-9]{5,}/g, "#").replace(/#+/g, "#");
    if (!/^[A-Za-z_#-][A-Za-z0-9_#-]*$/.test(name)) return null;
    return name.slice(0, MAX_NAME);
  }

  function safeTag(tag) {
    const name = String(tag ?? "").toLowerCase();
    return TAG.test(name) ? name : "other";
  }

  /** The page's kind from its path (never the path itself, nor its query). */
  function pageKind(platform, pathname) {
    const p = String(pathname || "/");
    if (platform === "mturk") {
      if (/^\/requesters\/[^/]+\/projects\/?$/.test(p)) return "requester";
      if (/^\/tasks\/?$/.test(p)) return "queue";
      if (p === "/" || /^\/projects\/?$/.test(p)) return "search";
    }
    if (platform === "prolific" && (p === "/" || /^\/studies\/?$/.test(p))) return "studies";
    return "other";
  }

  function count(value) {
    return Number.isSafeInteger(value) ? Math.min(Math.max(value, 0), MAX_COUNT) : 0;
  }

  /**
   * Entries ({tag, classes: [], testid}) -> [{tag, classes, testid, count}], merged, the most frequent first.
   * Our own elements (class ff-*) are left out: they are not the platform's shape.
   */
  function summarize(entries) {
    const merged = new Map();
    for (const entry of entries || []) {
      const raw = Array.isArray(entry?.classes) ? entry.classes : [];
      if (raw.some((c) => String(c).startsWith("ff-"))) continue;
      const classes = [...new Set(raw.map(safeName).filter(Boolean))].sort().slice(0, MAX_CLASSES);
      const testid = entry?.testid == null ? null : safeName(entry.testid);
      const tag = safeTag(entry?.tag);
      const key = `${tag}|${classes.join(" ")}|${testid ?? ""}`;
      const known = merged.get(key);
      if (known) known.count += 1;
      else merged.set(key, { tag, classes, testid, count: 1 });
    }
    return [...merged.values()]
      .sort((a, b) => b.count - a.count || (a.tag + a.classes.join(" ")).localeCompare(b.tag + b.classes.join(" ")))
      .slice(0, MAX_ELEMENTS)
      .map((e) => ({ ...e, count: count(e.count) }));
  }

  /**
   * The report. `probes`: {name: number of elements our reader's selector matched} (names are ours, e.g.
   * "hitset_table", "rows", "study_cards"); `counts`: {rows_seen, tasks_read, data_items}.
   */
  function build({ platform, extensionVersion, browser, pathname, problem, counts = {}, probes = {}, entries = [] }) {
    if (!PLATFORMS.includes(platform)) throw new Error(`unknown platform ${platform}`);
    const cleanProbes = {};
    for (const [name, value] of Object.entries(probes)) {
      if (PROBE_NAME.test(name)) cleanProbes[name] = count(value);
    }
    return {
      schema: SCHEMA,
      platform,
      extension_version: /^\d{1,4}(\.\d{1,4}){0,3}$/.test(String(extensionVersion)) ? String(extensionVersion) : "0",
      browser: BROWSERS.includes(browser) ? browser : "other",
      page: pageKind(platform, pathname),
      problem: PROBLEMS.includes(problem) ? problem : "no_tasks",
      counts: { rows_seen: count(counts.rows_seen), tasks_read: count(counts.tasks_read), data_items: count(counts.data_items) },
      probes: cleanProbes,
      elements: summarize(entries),
    };
  }

  /**
   * A report as `build` makes it, checked again field by field (for the background, which sends what a page
   * handed it): unknown fields dropped, every name and count cleaned, the extension's own version put in.
   */
  function sanitize(report, { extensionVersion }) {
    const r = report && typeof report === "object" ? report : {};
    const clean = build({
      platform: PLATFORMS.includes(r.platform) ? r.platform : "mturk", extensionVersion, browser: r.browser,
      pathname: null, problem: r.problem, counts: r.counts || {}, probes: r.probes || {}, entries: [],
    });
    clean.page = PAGES.includes(r.page) ? r.page : "other";
    const merged = new Map();
    for (const e of Array.isArray(r.elements) ? r.elements.slice(0, MAX_ELEMENTS * 4) : []) {
      const [entry] = summarize([{ tag: e?.tag, classes: e?.classes, testid: e?.testid }]);
      if (!entry) continue;
      const key = `${entry.tag}|${entry.classes.join(" ")}|${entry.testid ?? ""}`;
      const known = merged.get(key);
      merged.set(key, { ...entry, count: count((known ? known.count : 0) + count(e?.count)) });
    }
    clean.elements = [...merged.values()].sort((a, b) => b.count - a.count).slice(0, MAX_ELEMENTS);
    return clean;
  }

  /** What the worker is shown before sending: exactly the JSON that goes, indented. */
  function preview(report) {
    return JSON.stringify(report, null, 2);
  }

  /** A wait in words: "40 seconds", "about 12 minutes", "about 2 hours". */
  function waitWords(seconds) {
    const s = Math.max(1, Math.round(Number(seconds) || 0));
    if (s < 90) return `${s} second${s === 1 ? "" : "s"}`;
    const minutes = Math.round(s / 60);
    if (minutes < 60) return `about ${minutes} minutes`;
    const hours = Math.round(s / 3600);
    return `about ${hours} hour${hours === 1 ? "" : "s"}`;
  }

  /**
   * The background's answer to "page-report" ({ok, stored} or {ok: false, error, busy, retryAfter}) as the words
   * the dialog shows: {ok, message}. The server's own words are quoted when it refused the report.
   */
  function sendWords(answer) {
    if (answer?.ok) return { ok: true, message: "Thank you: the report was sent. It holds no text, ids or addresses." };
    const error = answer?.error || {};
    const said = error.message ? ` It says: “${error.message}”` : "";
    switch (error.status) {
      case 404:
      case 405:
        return { ok: false, message: "Your Fairfinder server does not take page reports yet. Nothing was sent." };
      case 429: {
        const wait = error.wait_seconds ? ` Try again in ${waitWords(error.wait_seconds)}.` : " Try again later.";
        return { ok: false, message: "Not stored: your Fairfinder server takes only a few page reports an hour from one "
          + `connection, and has had them.${wait}` };
      }
      case 413:
        return { ok: false, message: `Not stored: the report is larger than your Fairfinder server takes.${said}` };
      case 422:
      case 400:
        return { ok: false, message: `Not stored: your Fairfinder server refused the report.${said}` };
      default:
        break;
    }
    if (answer?.busy) {
      return { ok: false, message: `Not sent: your Fairfinder server is busy. Try again in ${waitWords(answer.retryAfter)}.` };
    }
    return { ok: false, message: `The report could not be sent: ${error.message || "something went wrong."}` };
  }

  return { SCHEMA, MAX_ELEMENTS, PLATFORMS, PAGES, PROBLEMS, safeName, pageKind, summarize, build, sanitize, preview,
    waitWords, sendWords };
});
