// The extension's background: the only part that talks to the Fairfinder server.
// Chromium runs it as a service worker (importScripts below); Firefox as an event page, where the
// manifest's `background.scripts` has already loaded the same libraries.
if (typeof importScripts === "function") {
  importScripts("lib/format.js", "lib/settings.js", "lib/store.js", "lib/api.js", "lib/rows.js", "lib/timing.js");
}

const { api, store, rows, timing } = globalThis.Fairfinder;
// Firefox offers the promise-based `browser` namespace; Chromium `chrome` (also promise-based in MV3).
const ext = globalThis.browser ?? globalThis.chrome;

const ANNOTATE_TTL_MS = 60 * 1000; // a page's annotations are reused this long (back/forward, re-renders)
const ANNOTATE_CACHE_SIZE = 50;
const RECENT_TIMINGS = 50; // kept to prefill "minutes" in the review form
const FLUSH_ALARM = "fairfinder-flush-outbox";

// ------------------------------------------------------------------------------------------------
// Annotate, cached briefly in memory. Key: server, account, platform, the page's tasks and the filters.

const annotateCache = new Map(); // key -> {at, promise}

async function annotate(platform, payload) {
  const { settings, filters } = await store.load();
  const signedIn = Boolean(settings.token);
  const key = [settings.serverUrl, settings.token || "-", platform, rows.fingerprint(payload), rows.fingerprint(filters)].join("|");
  const now = Date.now();
  const cached = annotateCache.get(key);
  if (cached && now - cached.at < ANNOTATE_TTL_MS) return cached.promise;
  const client = new api.Client({ serverUrl: settings.serverUrl, token: settings.token });
  // Signed in, the server applies the filters saved there (the options page keeps both copies equal);
  // signed out, the local filters travel with the request.
  const promise = client.annotate(platform, payload, signedIn ? null : filters);
  annotateCache.set(key, { at: now, promise });
  promise.catch(() => annotateCache.delete(key)); // failures are not cached
  while (annotateCache.size > ANNOTATE_CACHE_SIZE) annotateCache.delete(annotateCache.keys().next().value);
  return promise;
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
      const client = new api.Client({ serverUrl: settings.serverUrl, token: settings.token });
      const { outbox = [] } = await ext.storage.local.get("outbox");
      const sent = [];
      for (const item of outbox) {
        try {
          await client.postTiming(item);
          sent.push(item);
        } catch (error) {
          if (error.offline || error.status === 401 || error.status === 429) break; // try again later
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
// Messages from content scripts and extension pages.

function failure(error) {
  if (error instanceof api.ServerError) {
    return { ok: false, error: error.toJSON(), offline: error.offline };
  }
  console.error("Fairfinder background:", error);
  return { ok: false, error: { code: "extension_error", message: "Something went wrong in the extension." }, offline: false };
}

const handlers = {
  async annotate({ platform, payload }) {
    return { result: await annotate(platform, payload) };
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

  async accepted({ assignment }) {
    if (!(await timingAllowed())) return { tracking: false };
    await updateTimingState((state) => ({ state: timing.accept(state, assignment) }));
    return { tracking: true };
  },

  async left({ assignment_id, at }) {
    await updateTimingState((state) => ({ state: timing.leave(state, assignment_id, at) }));
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
  if (changes.settings && changes.settings.newValue?.token && !changes.settings.oldValue?.token) flushOutbox();
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
});
