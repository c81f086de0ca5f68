// The extension's background: the only part that talks to the Fairfinder server.
// Chromium runs it as a service worker (importScripts below); Firefox as an event page, where the
// manifest's `background.scripts` has already loaded the same libraries.
if (typeof importScripts === "function") {
  importScripts("lib/format.js", "lib/settings.js", "lib/store.js", "lib/api.js", "lib/rows.js", "lib/timing.js",
    "lib/history.js", "lib/page-report.js", "lib/reviews.js");
}

const { api, store, rows, timing, history, pageReport, reviews, settings: settingsLib } = globalThis.Fairfinder;
// Firefox offers the promise-based `browser` namespace; Chromium `chrome` (also promise-based in MV3).
const ext = globalThis.browser ?? globalThis.chrome;

const ANNOTATE_TTL_MS = 60 * 1000; // a page's annotations are reused this long (back/forward, re-renders)
const ANNOTATE_CACHE_SIZE = 50;
const RECENT_TIMINGS = 50; // kept to prefill "minutes" in the review form
const FLUSH_ALARM = "fairfinder-flush-outbox";
const BLOCK_ON_ALARM = "fairfinder-block-list-on"; // the block list switched off for a while comes back on
const SIGNED_IN_PAGES = ["/me", "/me/certificate", "/listen", "/moderation"]; // what "open-signed-in" may open

// ------------------------------------------------------------------------------------------------
// Annotate, cached briefly in memory. Key: server, account, platform, the page's tasks and the filters.

const annotateCache = new Map(); // key -> {at, promise}
const lastAnswers = new Map(); // key -> the last answer the server gave: shown again while it is busy

// One gate per server: after a 503 with Retry-After, nothing at all is sent to it until then (annotate,
// timings, history, reports), however many pages ask.
const gates = new Map();
function gateFor(serverUrl) {
  if (!gates.has(serverUrl)) gates.set(serverUrl, new api.Gate());
  return gates.get(serverUrl);
}

function clientFor(settings, { token = settings.token } = {}) {
  return new api.Client({ serverUrl: settings.serverUrl, token, gate: gateFor(settings.serverUrl) });
}

async function annotate(platform, payload) {
  const { settings, filters: stored } = await store.load();
  const signedIn = Boolean(settings.token);
  const now = Date.now();
  // The block list switched off for a while: the server is asked with the filters minus the block rules.
  const blockOff = settingsLib.blockOffUntil(settings, now) !== null;
  const filters = settingsLib.effectiveFilters(stored, settings, now);
  const key = [settings.serverUrl, settings.token || "-", platform, rows.fingerprint(payload), rows.fingerprint(filters)].join("|");
  const cached = annotateCache.get(key);
  if (cached && now - cached.at < ANNOTATE_TTL_MS) return { result: await cached.promise };
  const client = clientFor(settings);
  // Signed in, the server applies the filters saved there (the options page keeps both copies equal);
  // signed out, or with the block list off, the filters to apply travel with the request.
  const promise = client.annotate(platform, payload, signedIn && !blockOff ? null : filters);
  annotateCache.set(key, { at: now, promise });
  promise.catch(() => annotateCache.delete(key)); // failures are not cached
  while (annotateCache.size > ANNOTATE_CACHE_SIZE) annotateCache.delete(annotateCache.keys().next().value);
  try {
    const result = await promise;
    lastAnswers.delete(key);
    lastAnswers.set(key, { at: Date.now(), result });
    while (lastAnswers.size > ANNOTATE_CACHE_SIZE) lastAnswers.delete(lastAnswers.keys().next().value);
    return { result };
  } catch (error) {
    // Busy: the page keeps what it showed; a page opened meanwhile gets the last answer for the same list.
    const last = error instanceof api.ServerError && error.busy ? lastAnswers.get(key) : null;
    if (last) return { result: last.result, stale: { at: new Date(last.at).toISOString(), retry_after: error.retryAfter } };
    throw error;
  }
}

// ------------------------------------------------------------------------------------------------
// Timing state (open assignments and the outbox) lives in storage; one update at a time.

let stateLock = Promise.resolve();

function updateTimingState(change) {
  const run = stateLock.then(async () => {
    const stored = await ext.storage.local.get(["assignments", "outbox"]);
    const state = { assignments: stored.assignments || {}, outbox: stored.outbox || [] };
    const { state: next, result } = await change(state);
    await ext.storage.local.set({ assignments: next.assignments, outbox: next.outbox });
    return result;
  });
  stateLock = run.catch(() => undefined);
  return run;
}

async function timingAllowed() {
  const { settings } = await store.load();
  return settings.timingEnabled;
}

async function rememberRecent(sent) {
  const { recentTimings = [] } = await ext.storage.local.get("recentTimings");
  const kept = [...sent, ...recentTimings.filter((t) => !sent.some((s) => s.assignment_id === t.assignment_id))];
  await ext.storage.local.set({ recentTimings: kept.slice(0, RECENT_TIMINGS) });
}

let flushing = null;

/** Send what the outbox holds. A timing leaves it when the server acknowledged or refused it for good. */
function flushOutbox() {
  flushing ||= (async () => {
    try {
      const { settings } = await store.load();
      if (!settings.token) return; // kept until the worker signs in
      const client = clientFor(settings);
      const { outbox = [] } = await ext.storage.local.get("outbox");
      const sent = [];
      for (const item of outbox) {
        try {
          await client.postTiming(item);
          sent.push(item);
        } catch (error) {
          if (error.offline || error.busy || error.status === 401 || error.status === 429) break; // try again later
          console.warn(`Fairfinder: the server refused a timing (${error.code}); dropping it.`);
        }
        await updateTimingState((state) => ({ state: timing.settle(state, item.assignment_id) }));
      }
      if (sent.length) await rememberRecent(sent);
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

async function sendTimings(timings) {
  if (!timings.length) return;
  await updateTimingState((state) => ({ state: timing.enqueue(state, timings) }));
  await flushOutbox();
}

// ------------------------------------------------------------------------------------------------
// The worker's own history: the MTurk sync of the last 45 days (one at a time, progress in storage
// under `historySync`) and Prolific submissions captured on app.prolific.com (`prolificImport`).

const MTURK_TIMEOUT_MS = 20_000;
let historyRun = null; // {cancel: boolean, wake: () => void} while a sync runs in this background

// A sync that was running when this background stopped (browser closed, extension reloaded) cannot go
// on: say so, instead of showing it running forever. Starting a sync waits for this first.
const historyReady = ext.storage.local.get("historySync").then(async ({ historySync }) => {
  if (historySync && historySync.running && !historyRun) {
    await ext.storage.local.set({ historySync: history.interrupted(historySync, new Date().toISOString()) });
  }
}).catch((error) => console.warn("Fairfinder: could not check the history sync state", error));

async function fetchMturk(url) {
  // redirect "manual": signed out, MTurk redirects to Amazon's sign-in page, which the extension may not
  // read; the redirect itself is the sign.
  const response = await fetch(url, {
    credentials: "include", redirect: "manual", cache: "no-store",
    headers: { Accept: "application/json" }, signal: AbortSignal.timeout(MTURK_TIMEOUT_MS),
  });
  const text = response.type === "opaqueredirect" ? "" : await response.text();
  return { type: response.type, status: response.status, url: response.url, contentType: response.headers.get("content-type") || "", text };
}

async function startHistorySync() {
  await historyReady;
  if (historyRun) {
    const { historySync } = await ext.storage.local.get("historySync");
    return { started: false, state: historySync || null };
  }
  const run = { cancel: false, wake: () => {} };
  historyRun = run; // taken before any wait: two quick starts make one sync
  const first = history.newSyncState("mturk", new Date().toISOString());
  let settings;
  try {
    ({ settings } = await store.load());
    if (!settings.token) {
      throw new api.ServerError(401, "not_signed_in", "Sign in to Fairfinder first: your history is kept in your account.");
    }
    await ext.storage.local.set({ historySync: first });
  } catch (error) {
    historyRun = null;
    throw error;
  }
  const client = clientFor(settings);
  const sleep = (ms) => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    run.wake = () => { clearTimeout(timer); resolve(); };
  });
  history.runMturkSync({
    fetchMturk,
    upload: (body) => client.postHistory(body),
    sleep,
    report: (state) => ext.storage.local.set({ historySync: state }),
    cancelled: () => run.cancel,
    now: () => Date.now(),
  }).then((final) => {
    // What the sync brought in may have decided tasks the worker reviewed while they were pending.
    if (final && final.received > 0) return checkReviewUpdates().catch(() => undefined);
    return undefined;
  }).catch((error) => console.error("Fairfinder: the history sync failed", error))
    .finally(() => { if (historyRun === run) historyRun = null; });
  return { started: true, state: first };
}

const PROLIFIC_VISIT_MS = 10 * 60 * 1000;
let lastProlific = { key: null, at: 0 };
let prolificQueue = Promise.resolve();

async function importProlific(payload) {
  const { settings } = await store.load();
  if (!settings.prolificImport) return { imported: false, reason: "off" };
  if (!settings.token) return { imported: false, reason: "not_signed_in" };
  const body = history.prolificBody(payload);
  if (!body) return { imported: false, reason: "not_submissions" };
  // The app asks again on every visit: the same answer within a minute is not sent twice.
  const key = `${settings.serverUrl}|${rows.fingerprint(payload)}`;
  if (key === lastProlific.key && Date.now() - lastProlific.at < 60_000) return { imported: false, reason: "repeat" };
  lastProlific = { key, at: Date.now() };
  const client = clientFor(settings);
  try {
    const answer = await client.postHistory(body);
    // One visit loads several pages: their counts add up while the visit lasts (ten minutes).
    const { prolificImport: last } = await ext.storage.local.get("prolificImport");
    const now = Date.now();
    const sameVisit = last && !last.error && now - Date.parse(last.at) < PROLIFIC_VISIT_MS;
    const record = { at: new Date(now).toISOString(), received: 0, added: 0, updated: 0, unchanged: 0, error: null };
    for (const key of ["received", "added", "updated", "unchanged"]) {
      record[key] = (sameVisit ? last[key] || 0 : 0) + (Number.isFinite(answer[key]) ? answer[key] : 0);
    }
    await ext.storage.local.set({ prolificImport: record });
    return { imported: true, result: answer };
  } catch (error) {
    lastProlific = { key: null, at: 0 }; // a failed import may be tried again
    const record = { at: new Date().toISOString(), error: error instanceof api.ServerError ? error.toJSON() : { message: String(error) } };
    await ext.storage.local.set({ prolificImport: record });
    throw error;
  }
}

// ------------------------------------------------------------------------------------------------
// The worker's own reviews: read and edited for the review form; compared with the history after a sync
// (`reviewUpdates`: reviews whose outcome the history has since decided, offered as one-step updates).

const MAX_DISMISSED = 500;
let updatesRun = null;

async function signedInClient(why) {
  const { settings } = await store.load();
  if (!settings.token) throw new api.ServerError(401, "not_signed_in", why);
  return clientFor(settings);
}

async function ownReviews(platform, requester) {
  const client = await signedInClient("Sign in first (Fairfinder options) to see and edit your reviews.");
  const items = [];
  let cursor = null;
  for (let page = 0; page < 5; page += 1) {
    const answer = await client.listOwnReviews({ platform, requester, limit: 100, cursor });
    items.push(...answer.items);
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return items;
}

/** Compare the worker's reviews with their history; the answer is kept in storage as `reviewUpdates`. */
function checkReviewUpdates() {
  updatesRun ||= (async () => {
    const client = await signedInClient("Sign in first: your reviews and history are kept in your account.");
    const { reviewUpdatesDismissed: dismissed = [] } = await ext.storage.local.get("reviewUpdatesDismissed");
    try {
      const result = await reviews.check({
        listReviews: ({ cursor }) => client.listOwnReviews({ limit: 100, cursor }),
        listHistory: ({ state, cursor }) => client.listHistory({ limit: 200, state, cursor }),
        dismissed,
      });
      const record = { at: new Date().toISOString(), ...result, error: null };
      await ext.storage.local.set({ reviewUpdates: record });
      return record;
    } catch (error) {
      const { reviewUpdates: last } = await ext.storage.local.get("reviewUpdates");
      const record = { ...(last || { changes: [] }), at: new Date().toISOString(),
        error: error instanceof api.ServerError ? error.toJSON() : { message: String(error) } };
      await ext.storage.local.set({ reviewUpdates: record });
      throw error;
    }
  })().finally(() => { updatesRun = null; });
  return updatesRun;
}

/** Apply the offered outcome to these reviews (one PATCH each); what was applied leaves the list. */
async function applyReviewUpdates(reviewIds) {
  const client = await signedInClient("Sign in first (Fairfinder options) to change your reviews.");
  const { reviewUpdates: record } = await ext.storage.local.get("reviewUpdates");
  const wanted = new Set(reviewIds);
  const updated = [];
  const failed = [];
  for (const change of (record?.changes || []).filter((c) => wanted.has(c.review_id))) {
    try {
      await client.patchReview(change.review_id, { outcome: change.outcome });
      updated.push(change.review_id);
    } catch (error) {
      failed.push({ review_id: change.review_id, error: error instanceof api.ServerError ? error.toJSON() : { message: String(error) } });
      if (error instanceof api.ServerError && (error.offline || error.status === 401)) break; // the rest would fail alike
    }
  }
  if (updated.length) {
    annotateCache.clear(); // the requesters' summaries changed
    const { reviewUpdates: now } = await ext.storage.local.get("reviewUpdates");
    if (now) await ext.storage.local.set({ reviewUpdates: { ...now, changes: now.changes.filter((c) => !updated.includes(c.review_id)) } });
  }
  return { updated, failed };
}

async function dismissReviewUpdate(reviewId) {
  const { reviewUpdates: record, reviewUpdatesDismissed: dismissed = [] } = await ext.storage.local.get(["reviewUpdates", "reviewUpdatesDismissed"]);
  const change = (record?.changes || []).find((c) => c.review_id === reviewId);
  if (!change) return { dismissed: false };
  const keys = [reviews.changeKey(change.review_id, change.outcome), ...dismissed.filter((k) => k !== reviews.changeKey(change.review_id, change.outcome))];
  await ext.storage.local.set({
    reviewUpdatesDismissed: keys.slice(0, MAX_DISMISSED),
    reviewUpdates: { ...record, changes: record.changes.filter((c) => c.review_id !== reviewId) },
  });
  return { dismissed: true };
}

// The block list switched off for a while: an alarm at its end puts it back (storage changes, so open pages are
// rated again). Annotate itself never applies an expired switch, alarm or not.
async function scheduleBlockOn() {
  const { settings } = await store.load();
  const until = settingsLib.blockOffUntil(settings, Date.now());
  if (until === null) {
    await ext.alarms.clear(BLOCK_ON_ALARM);
    if (settings.blockOffUntil) await store.saveSettings({ blockOffUntil: null });
    return;
  }
  ext.alarms.create(BLOCK_ON_ALARM, { when: until });
}

// ------------------------------------------------------------------------------------------------
// Messages from content scripts and extension pages.

function failure(error) {
  if (error instanceof api.ServerError) {
    return { ok: false, error: error.toJSON(), offline: error.offline, busy: error.busy, retryAfter: error.retryAfter };
  }
  console.error("Fairfinder background:", error);
  return { ok: false, error: { code: "extension_error", message: "Something went wrong in the extension." }, offline: false };
}

// The toolbar badge says when a page the extension covers could not be read (per tab).
async function setPageStatus(tabId, state) {
  if (!Number.isInteger(tabId) || !ext.action) return;
  const unreadable = state === "unreadable" || state === "partial";
  try {
    await ext.action.setBadgeText({ tabId, text: unreadable ? "!" : "" });
    if (unreadable) await ext.action.setBadgeBackgroundColor({ tabId, color: "#a1261b" });
    await ext.action.setTitle({ tabId, title: unreadable ? "Fairfinder cannot read all tasks on this page" : "Fairfinder" });
  } catch {
    // The tab is gone.
  }
}

const handlers = {
  async annotate({ platform, payload }) {
    return annotate(platform, payload);
  },

  async "page-status"({ state }, sender) {
    await setPageStatus(sender?.tab?.id, state);
    return {};
  },

  async "page-report"({ report }) {
    // Cleaned again here, so that nothing a page could add travels with it; the version is ours.
    const clean = pageReport.sanitize(report, { extensionVersion: ext.runtime.getManifest().version });
    const { settings } = await store.load();
    return { stored: await clientFor(settings, { token: null }).postPageReport(clean) };
  },

  async review({ review }) {
    const { settings } = await store.load();
    if (!settings.token) {
      throw new api.ServerError(401, "not_signed_in", "Sign in first (Fairfinder options) to send reviews.");
    }
    const client = new api.Client({ serverUrl: settings.serverUrl, token: settings.token });
    const stored = await client.postReview(review);
    annotateCache.clear(); // the requester's summary changed
    return { review: stored };
  },

  async "own-reviews"({ platform, requester_id }) {
    return { reviews: await ownReviews(platform, requester_id) };
  },

  async "review-edit"({ id, patch }) {
    const client = await signedInClient("Sign in first (Fairfinder options) to change your reviews.");
    const review = await client.patchReview(id, patch);
    annotateCache.clear(); // the requester's summary changed
    return { review };
  },

  async "review-updates-check"() {
    return { record: await checkReviewUpdates() };
  },

  async "review-updates-apply"({ review_ids }) {
    return applyReviewUpdates(Array.isArray(review_ids) ? review_ids : []);
  },

  async "review-updates-dismiss"({ review_id }) {
    return dismissReviewUpdate(review_id);
  },

  async accepted({ assignment }) {
    if (!(await timingAllowed())) return { tracking: false };
    await updateTimingState((state) => ({ state: timing.accept(state, assignment) }));
    return { tracking: true };
  },

  async left({ assignment_id, at, returning }) {
    await updateTimingState((state) => ({ state: timing.leave(state, assignment_id, at, { returning }) }));
    return {};
  },

  async ended({ assignment_id, outcome, ended_at }) {
    const sent = await updateTimingState((state) => {
      const { state: next, timing: made } = timing.end(state, assignment_id, outcome, ended_at);
      return { state: next, result: made };
    });
    if (sent) await sendTimings([sent]);
    return { timing: sent || null };
  },

  async "open-assignments"() {
    const { assignments = {} } = await ext.storage.local.get("assignments");
    return { assignments: Object.values(assignments) };
  },

  async queue({ assignment_ids, now }) {
    const made = await updateTimingState((state) => {
      const { state: next, timings } = timing.reconcile(state, assignment_ids, now || new Date().toISOString());
      return { state: next, result: timings };
    });
    await sendTimings(made);
    return { timings: made };
  },

  async "history-sync"() {
    return startHistorySync();
  },

  async "history-sync-cancel"() {
    const run = historyRun;
    if (!run) return { cancelled: false };
    run.cancel = true;
    run.wake(); // a back-off wait ends now
    return { cancelled: true };
  },

  async "prolific-submissions"({ payload }, sender) {
    // Only the capture script on Prolific's own pages sends these.
    let from = null;
    try {
      from = new URL(String(sender?.url || ""));
    } catch {
      from = null;
    }
    if (!from || from.protocol !== "https:" || from.hostname !== "app.prolific.com") return { imported: false, reason: "sender" };
    // One at a time: each import adds its counts to the visit's record.
    const run = prolificQueue.then(() => importProlific(payload));
    prolificQueue = run.catch(() => undefined);
    return run;
  },

  // "Open my earnings" (popup, options) and the like: the page in a new tab, signed in through a one-time link the
  // server makes for this token (POST /api/v1/me/sign-in-links), so nothing is pasted and no token is in a URL.
  // Signed out, or when the server cannot make one, the page opens as it is (it offers its sign-in form).
  async "open-signed-in"({ next }) {
    const page = SIGNED_IN_PAGES.includes(next) ? next : "/me";
    const { settings } = await store.load();
    const base = settings.serverUrl.replace(/\/+$/, "");
    let url = `${base}${page}`;
    let signedIn = false;
    let reason = null;
    if (settings.token) {
      try {
        const link = await clientFor(settings).signInLink(page);
        if (typeof link?.path === "string" && link.path.startsWith("/sign-in/")) {
          url = `${base}${link.path}`;
          signedIn = true;
        }
      } catch (error) {
        reason = error.message;
      }
    }
    await ext.tabs.create({ url });
    return { signedIn, reason };
  },

  async "measured-minutes"({ task }) {
    const { recentTimings = [] } = await ext.storage.local.get("recentTimings");
    return { minutes: timing.measuredMinutes(recentTimings, task) };
  },
};

ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  const handler = message && handlers[message.type];
  if (!handler) return false;
  handler(message, sender)
    .then((answer) => sendResponse({ ok: true, ...answer }))
    .catch((error) => sendResponse(failure(error)));
  return true; // the answer comes asynchronously
});

ext.storage.onChanged.addListener((changes, area) => {
  if (area !== "local") return;
  if (changes.settings || changes.filters) annotateCache.clear();
  if (changes.settings && changes.settings.oldValue?.blockOffUntil !== changes.settings.newValue?.blockOffUntil) {
    scheduleBlockOn().catch((error) => console.warn("Fairfinder: could not schedule the block list", error));
  }
  if (changes.settings && changes.settings.newValue?.token && !changes.settings.oldValue?.token) flushOutbox();
  // Signed out (or into another account, or another server): a running history sync stops.
  const before = changes.settings?.oldValue;
  const after = changes.settings?.newValue;
  if (historyRun && changes.settings && (before?.token !== after?.token || before?.serverUrl !== after?.serverUrl)) {
    historyRun.cancel = true;
    historyRun.wake();
  }
});

ext.runtime.onInstalled.addListener(async ({ reason }) => {
  ext.alarms.create(FLUSH_ALARM, { periodInMinutes: 5 });
  if (reason === "install") {
    const { settings } = await store.load();
    if (!settings.onboarded) ext.tabs.create({ url: ext.runtime.getURL("src/options/options.html#welcome") });
  }
});

ext.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === FLUSH_ALARM) flushOutbox();
  if (alarm.name === BLOCK_ON_ALARM) scheduleBlockOn();
});

// A browser that was closed when the block list was due back on: it is on again now.
scheduleBlockOn().catch(() => undefined);
