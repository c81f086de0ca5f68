// The worker's own history: syncing MTurk's status pages of the last 45 days into the worker's account,
// and the words the pages show about it. Everything here is pure or takes its I/O as arguments
// (`runMturkSync(io)`), so Node's test runner drives it with fakes of MTurk and the server; the
// background (src/background.js) passes the real fetch, storage and timers.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).history = api;
})(globalThis, function () {
  "use strict";

  const MTURK_ORIGIN = "https://worker.mturk.com";
  const MTURK_TIME_ZONE = "America/Los_Angeles"; // MTurk's days (status pages, dashboard) are Pacific days
  const MTURK_DAYS = 45; // how far back MTurk's dashboard keeps the worker's status pages
  const MAX_PAGES_PER_DAY = 50; // 20 results a page: 1000 tasks in a day is far beyond anyone's day
  const REQUEST_GAP_MS = 1000; // at most about one MTurk request a second
  const BACKOFF_MS = Object.freeze([5000, 10000]); // after a 429: wait, try again; three tries in all
  const DASHBOARD_URL = `${MTURK_ORIGIN}/dashboard?format=json`;

  const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

  // ----------------------------------------------------------------------------------------------
  // Days

  const dayFormats = new Map();

  /** The calendar date ("YYYY-MM-DD") of an instant in an IANA time zone. */
  function dateInZone(instant, timeZone) {
    let format = dayFormats.get(timeZone);
    if (!format) {
      format = new Intl.DateTimeFormat("en-US", {
        timeZone, year: "numeric", month: "2-digit", day: "2-digit", calendar: "gregory", numberingSystem: "latn",
      });
      dayFormats.set(timeZone, format);
    }
    const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day}`;
  }

  /** "YYYY-MM-DD" plus `n` calendar days (n may be negative). Pure calendar arithmetic: no zones, no DST. */
  function addDays(day, n) {
    const match = ISO_DAY.exec(day);
    if (!match) throw new Error(`not a date: ${day}`);
    const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + n));
    return date.toISOString().slice(0, 10);
  }

  /** MTurk's days the dashboard keeps, newest first: today in Pacific time and the `count - 1` days before. */
  function mturkDays(now = Date.now(), count = MTURK_DAYS) {
    const today = dateInZone(now, MTURK_TIME_ZONE);
    return Array.from({ length: count }, (_, i) => addDays(today, -i));
  }

  /** A dashboard's date as "YYYY-MM-DD": "2026-11-03", "2026-11-03T00:00:00Z" or "11/03/2026"; else null. */
  function dashboardDay(value) {
    if (typeof value !== "string") return null;
    let match = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(value.trim());
    if (match) return `${match[1]}-${match[2]}-${match[3]}`;
    match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value.trim());
    if (match) return `${match[3]}-${match[1].padStart(2, "0")}-${match[2].padStart(2, "0")}`;
    return null;
  }

  const count = (value) => {
    const n = typeof value === "string" ? Number(value) : value;
    return Number.isFinite(n) ? n : null;
  };

  /**
   * Which of `days` (newest first, today first) to read, given MTurk's dashboard JSON (or null when it
   * could not be read). The dashboard's `daily_hit_statistics_overview` says how many tasks the worker
   * submitted each day: only days with work are read, plus today (its overview may lag). A dashboard
   * without a readable overview gives every day.
   * @returns {{days: string[], basis: "dashboard"|"all"}}
   */
  function daysToSync(days, dashboard) {
    const overview = dashboard && typeof dashboard === "object" ? dashboard.daily_hit_statistics_overview : null;
    if (!Array.isArray(overview)) return { days: [...days], basis: "all" };
    const busy = new Set();
    let readable = 0;
    for (const entry of overview) {
      if (!entry || typeof entry !== "object") continue;
      const day = dashboardDay(entry.date);
      const submitted = count(entry.submitted);
      if (!day || submitted === null) continue;
      readable += 1;
      // Decided work is counted on the day it was submitted, so any count means a status page with rows.
      const any = [submitted, count(entry.approved), count(entry.rejected), count(entry.pending)].some((n) => n > 0);
      if (any) busy.add(day);
    }
    if (!readable) return { days: [...days], basis: "all" };
    return { days: days.filter((day, i) => i === 0 || busy.has(day)), basis: "dashboard" };
  }

  function statusDetailsUrl(day, pageNumber) {
    return `${MTURK_ORIGIN}/status_details/${day}?page_number=${pageNumber}&format=json`;
  }

  /** The page to read after `pageNumber`, from the server's answer to its upload; null when the day is done. */
  function nextPageNumber(answer, pageNumber, maxPages = MAX_PAGES_PER_DAY) {
    const page = answer && typeof answer === "object" ? answer.page : null;
    if (!page || page.has_more !== true) return null;
    return pageNumber < maxPages ? pageNumber + 1 : null;
  }

  // ----------------------------------------------------------------------------------------------
  // MTurk's answers

  /**
   * What an answer from worker.mturk.com means for the sync:
   * "ok" (JSON to upload), "signed_out" (a redirect, Amazon's sign-in page or an HTML page where JSON
   * was asked for: the worker is signed out of MTurk or must solve a CAPTCHA), "rate_limited" (429),
   * "failed" (any other answer: this page is skipped).
   * @param {{type?: string, status: number, url?: string, contentType?: string, text?: string}} answer
   */
  function classifyMturkAnswer(answer) {
    const { type = "basic", status, url = "", contentType = "", text = "" } = answer;
    if (type === "opaqueredirect" || (status >= 300 && status < 400)) return "signed_out";
    if (/^https:\/\/(www\.)?amazon\.[a-z.]+\/ap\/signin/i.test(url)) return "signed_out";
    if (status === 429) return "rate_limited";
    if (status < 200 || status >= 300) return "failed";
    if (/html/i.test(contentType) || /^\s*</.test(text)) return "signed_out";
    return "ok";
  }

  // ----------------------------------------------------------------------------------------------
  // Progress

  function newSyncState(platform, startedAt) {
    return {
      running: true,
      platform,
      phase: "dashboard", // "dashboard" while reading MTurk's dashboard, "days" after
      daysDone: 0,
      daysTotal: 0,
      currentDay: null,
      pages: 0,
      received: 0, // tasks on the pages read (new, updated and unchanged)
      added: 0,
      updated: 0,
      unchanged: 0,
      failedDays: [], // [{day, message}]: days (or their later pages) that could not be read or imported
      error: null, // {code, message}: why the sync stopped early
      outcome: null, // "done" | "cancelled" | "failed" once finished
      startedAt,
      finishedAt: null,
    };
  }

  const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

  function totals(state) {
    return `${plural(state.received, "task")}, ${state.added} new, ${state.updated} updated`;
  }

  function failedText(state) {
    const failed = state.failedDays || [];
    if (!failed.length) return "";
    const days = failed.map((f) => f.day);
    return ` ${failed.length === 1 ? "1 day" : `${failed.length} days`} could not be read: ${days.join(", ")}.`;
  }

  /** One line about a sync, for the live region: where it is while running, the summary after. */
  function progressText(state) {
    if (!state) return "";
    if (state.running) {
      if (state.phase === "dashboard" || !state.daysTotal) return "Reading your MTurk dashboard…";
      const day = Math.min(state.daysDone + 1, state.daysTotal);
      return `Syncing day ${day} of ${state.daysTotal}${state.currentDay ? ` (${state.currentDay})` : ""}…`;
    }
    if (state.outcome === "done") {
      return `Synced ${plural(state.daysTotal, "day")}: ${totals(state)}.${failedText(state)}`;
    }
    if (state.outcome === "cancelled") {
      return `Cancelled after ${state.daysDone} of ${plural(state.daysTotal, "day")}: ${totals(state)}.${failedText(state)}`;
    }
    const message = state.error ? state.error.message : "The sync stopped.";
    const sofar = state.pages ? ` Before that: ${totals(state)}.` : "";
    return `Stopped: ${message}${sofar}${failedText(state)}`;
  }

  /** The popup's one line while a sync runs (empty otherwise). */
  function popupLine(state) {
    if (!state || !state.running) return "";
    if (state.phase === "dashboard" || !state.daysTotal) return "Syncing your MTurk history: starting…";
    return `Syncing your MTurk history: day ${Math.min(state.daysDone + 1, state.daysTotal)} of ${state.daysTotal}.`;
  }

  /** The state a sync left behind when the extension stopped in the middle (browser closed, update). */
  function interrupted(state, at) {
    if (!state || !state.running) return state;
    return {
      ...state, running: false, outcome: "failed", finishedAt: at,
      error: { code: "interrupted", message: "the sync was interrupted (the browser or the extension restarted). Start it again: what was already synced is kept." },
    };
  }

  // ----------------------------------------------------------------------------------------------
  // The sync

  const STOP_MESSAGES = {
    mturk_signed_out: "you are signed out of MTurk (or MTurk wants a CAPTCHA solved). Open worker.mturk.com, sign in, then start the sync again.",
    mturk_unreachable: "MTurk could not be reached. Check your connection and try again later.",
    not_signed_in: "the Fairfinder server did not accept your sign-in. Sign in again (Account, above), then start the sync again.",
    server_unreachable: "the Fairfinder server could not be reached. What was synced so far is kept; try again later.",
    not_supported: "this Fairfinder server cannot import work history (it may need an update).",
  };

  class Stop extends Error {
    constructor(code, message = STOP_MESSAGES[code]) {
      super(message);
      this.code = code;
    }
  }

  /**
   * Read MTurk's status pages of the last 45 days and upload each page to the Fairfinder server.
   *
   * io (all required):
   * - fetchMturk(url) -> {type, status, url, contentType, text}; throws when MTurk cannot be reached
   * - upload(body) -> the server's answer ({received, added, updated, unchanged, page}); throws an error
   *   with `status` (0 = not reached), `code`, `message`, `field` (api.ServerError)
   * - sleep(ms) -> Promise (may resolve early when the sync is cancelled)
   * - report(state) -> Promise: called with a fresh copy after every step (the background stores it)
   * - cancelled() -> boolean: checked before every request; true stops after the current one
   * - now() -> epoch milliseconds
   * options: maxPages, gapMs, backoffMs, days (override the 45)
   * @returns {Promise<object>} the final state (also reported)
   */
  async function runMturkSync(io, options = {}) {
    const { maxPages = MAX_PAGES_PER_DAY, gapMs = REQUEST_GAP_MS, backoffMs = BACKOFF_MS, days: dayCount = MTURK_DAYS } = options;
    const state = newSyncState("mturk", new Date(io.now()).toISOString());
    const report = () => io.report(structuredClone(state));
    let lastRequestAt = null;

    /** One polite GET on MTurk, with the 429 back-off. Returns {kind, data?, status?}. */
    async function mturkGet(url) {
      for (let attempt = 0; ; attempt++) {
        if (io.cancelled()) return { kind: "cancelled" };
        if (lastRequestAt !== null) {
          const wait = lastRequestAt + gapMs - io.now();
          if (wait > 0) await io.sleep(wait);
          if (io.cancelled()) return { kind: "cancelled" };
        }
        lastRequestAt = io.now();
        let answer;
        try {
          answer = await io.fetchMturk(url);
        } catch {
          throw new Stop("mturk_unreachable");
        }
        const kind = classifyMturkAnswer(answer);
        if (kind === "signed_out") throw new Stop("mturk_signed_out");
        if (kind === "rate_limited") {
          if (attempt >= backoffMs.length) return { kind, status: 429 };
          await io.sleep(backoffMs[attempt]);
          continue;
        }
        if (kind === "failed") return { kind, status: answer.status };
        try {
          return { kind, data: JSON.parse(answer.text) };
        } catch {
          return { kind: "failed", status: answer.status, notJson: true };
        }
      }
    }

    /** Upload one page; the server's own 429 gets the same back-off. Returns the answer or {failed}. */
    async function upload(body) {
      for (let attempt = 0; ; attempt++) {
        try {
          return { answer: await io.upload(body) };
        } catch (error) {
          const status = error && typeof error.status === "number" ? error.status : 0;
          if (status === 401) throw new Stop("not_signed_in");
          if (status === 0 || status >= 500) throw new Stop("server_unreachable");
          if (status === 404 || status === 405) throw new Stop("not_supported");
          if (status === 429 && attempt < backoffMs.length) {
            await io.sleep(backoffMs[attempt]);
            continue;
          }
          const where = error.field ? ` (${error.field})` : "";
          return { failed: `the Fairfinder server could not import it${where}: ${error.message}` };
        }
      }
    }

    const failDay = (day, message) => state.failedDays.push({ day, message });

    const finish = async (outcome, error = null) => {
      state.running = false;
      state.outcome = outcome;
      state.error = error;
      state.currentDay = null;
      state.finishedAt = new Date(io.now()).toISOString();
      await report();
      return structuredClone(state);
    };

    try {
      await report();
      const allDays = mturkDays(io.now(), dayCount);
      const dashboard = await mturkGet(DASHBOARD_URL);
      if (dashboard.kind === "cancelled") return await finish("cancelled");
      const { days } = daysToSync(allDays, dashboard.kind === "ok" ? dashboard.data : null);
      state.phase = "days";
      state.daysTotal = days.length;
      for (const day of days) {
        state.currentDay = day;
        await report();
        for (let pageNumber = 1; pageNumber !== null;) {
          const got = await mturkGet(statusDetailsUrl(day, pageNumber));
          if (got.kind === "cancelled") return await finish("cancelled");
          if (got.kind !== "ok") {
            const why = got.kind === "rate_limited" ? "MTurk kept asking to slow down"
              : got.notJson ? "MTurk's answer was not readable" : `MTurk answered ${got.status}`;
            failDay(day, `page ${pageNumber}: ${why}.`);
            break;
          }
          const result = await upload({ platform: "mturk", source: "status_details", date: day, payload: got.data });
          if (result.failed) {
            failDay(day, `page ${pageNumber}: ${result.failed}`);
            break;
          }
          const answer = result.answer || {};
          state.pages += 1;
          for (const key of ["received", "added", "updated", "unchanged"]) {
            if (Number.isFinite(answer[key])) state[key] += answer[key];
          }
          pageNumber = nextPageNumber(answer, pageNumber, maxPages);
          if (pageNumber !== null) await report();
          if (io.cancelled()) {
            state.daysDone += pageNumber === null ? 1 : 0;
            return await finish("cancelled");
          }
        }
        state.daysDone += 1;
      }
      return await finish("done");
    } catch (error) {
      if (error instanceof Stop) return await finish("failed", { code: error.code, message: error.message });
      return await finish("failed", { code: "extension_error", message: "something went wrong in the extension." });
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Prolific (passive capture of the participant app's own requests)

  const PROLIFIC_MAX_CHARS = 2_000_000; // a submissions page is a few kilobytes; refuse anything huge

  /** Whether a captured response is one of Prolific's submissions lists (its URL path mentions /submissions). */
  function isSubmissionsUrl(url, base = "https://app.prolific.com/") {
    try {
      return /\/submissions(\/|$)/.test(new URL(url, base).pathname);
    } catch {
      return false;
    }
  }

  /** The upload body for a captured submissions response, or null when it is not something to send. */
  function prolificBody(payload) {
    if (payload === null || typeof payload !== "object") return null;
    const size = JSON.stringify(payload).length;
    if (size > PROLIFIC_MAX_CHARS) return null;
    return { platform: "prolific", source: "submissions", payload };
  }

  /** The options page's line about the last Prolific import. */
  function prolificText(record) {
    if (!record) return "";
    if (record.error) return `The last Prolific import failed: ${record.error.message}`;
    return `Last Prolific import: ${plural(record.received, "submission")}, ${record.added} new, ${record.updated} updated.`;
  }

  return {
    MTURK_ORIGIN,
    MTURK_TIME_ZONE,
    MTURK_DAYS,
    MAX_PAGES_PER_DAY,
    REQUEST_GAP_MS,
    BACKOFF_MS,
    DASHBOARD_URL,
    dateInZone,
    addDays,
    mturkDays,
    dashboardDay,
    daysToSync,
    statusDetailsUrl,
    nextPageNumber,
    classifyMturkAnswer,
    newSyncState,
    progressText,
    popupLine,
    interrupted,
    runMturkSync,
    isSubmissionsUrl,
    prolificBody,
    prolificText,
  };
});
