const test = require("node:test");
const assert = require("node:assert/strict");
const history = require("../../src/lib/history.js");

const at = (iso) => Date.parse(iso);

test("MTurk's today is the Pacific date, not the UTC one", () => {
  // 05:30 UTC on 1 March is still 28 February in California (PST, UTC-8).
  assert.equal(history.dateInZone(at("2026-03-01T05:30:00Z"), "America/Los_Angeles"), "2026-02-28");
  assert.equal(history.dateInZone(at("2026-03-01T08:00:00Z"), "America/Los_Angeles"), "2026-03-01");
  // Summer (PDT, UTC-7): 06:59 UTC is 23:59 the day before, 07:00 UTC is midnight.
  assert.equal(history.dateInZone(at("2026-07-04T06:59:00Z"), "America/Los_Angeles"), "2026-07-03");
  assert.equal(history.dateInZone(at("2026-07-04T07:00:00Z"), "America/Los_Angeles"), "2026-07-04");
  // New Year's Eve in California while London is in the new year.
  assert.equal(history.dateInZone(at("2027-01-01T03:00:00Z"), "America/Los_Angeles"), "2026-12-31");
});

test("the 45 days run from today back 44 days, across month, leap-day and DST edges", () => {
  const days = history.mturkDays(at("2024-03-20T18:00:00Z"));
  assert.equal(days.length, 45);
  assert.equal(days[0], "2024-03-20");
  assert.equal(days[44], "2024-02-05");
  assert.equal(new Set(days).size, 45, "no day twice");
  // The spring-forward night (10 March 2024) and the leap day are both there, once, in order.
  assert.ok(days.indexOf("2024-03-10") === days.indexOf("2024-03-11") + 1);
  assert.ok(days.indexOf("2024-02-29") === days.indexOf("2024-03-01") + 1);
  assert.ok(days.indexOf("2024-02-28") === days.indexOf("2024-02-29") + 1);
  for (let i = 1; i < days.length; i++) assert.equal(history.addDays(days[i - 1], -1), days[i]);

  // Just after the autumn fall-back (3 November 2024, 01:00-02:00 happens twice): still one day each.
  const autumn = history.mturkDays(at("2024-11-04T07:30:00Z")); // 23:30 PST on 3 November
  assert.equal(autumn[0], "2024-11-03");
  assert.equal(autumn[1], "2024-11-02");
  assert.equal(autumn[44], "2024-09-20");

  // Late evening in California on the last day of a month, when UTC is already in the next month.
  const monthEnd = history.mturkDays(at("2026-05-01T05:00:00Z"), 3);
  assert.deepEqual(monthEnd, ["2026-04-30", "2026-04-29", "2026-04-28"]);
  assert.deepEqual(history.mturkDays(at("2026-01-01T12:00:00Z"), 2), ["2026-01-01", "2025-12-31"]);
});

test("addDays is plain calendar arithmetic and refuses what is not a date", () => {
  assert.equal(history.addDays("2025-02-28", 1), "2025-03-01");
  assert.equal(history.addDays("2024-02-28", 1), "2024-02-29");
  assert.equal(history.addDays("2026-01-01", -1), "2025-12-31");
  assert.throws(() => history.addDays("01/02/2026", 1), /not a date/);
});

const DAYS = ["2026-11-24", "2026-11-23", "2026-11-22", "2026-11-21", "2026-11-20"];

test("the dashboard picks the days with work, plus today", () => {
  const dashboard = {
    daily_hit_statistics_overview: [
      { date: "2026-11-23", submitted: 12, approved: 10, rejected: 0, pending: 2 },
      { date: "2026-11-22", submitted: 0, approved: 0, rejected: 0, pending: 0 },
      { date: "2026-11-21T00:00:00.000Z", submitted: "3" },
      { date: "11/20/2026", submitted: 0, approved: 1 }, // decided work counts too
      { date: "2026-10-01", submitted: 9 }, // outside the 45 days: not read
    ],
  };
  assert.deepEqual(history.daysToSync(DAYS, dashboard), {
    days: ["2026-11-24", "2026-11-23", "2026-11-21", "2026-11-20"], basis: "dashboard",
  });
  // No work at all: only today.
  const idle = { daily_hit_statistics_overview: [{ date: "2026-11-23", submitted: 0 }] };
  assert.deepEqual(history.daysToSync(DAYS, idle).days, ["2026-11-24"]);
});

test("a dashboard that failed or lacks the overview means every day", () => {
  for (const dashboard of [null, undefined, {}, { daily_hit_statistics_overview: "x" }, { daily_hit_statistics_overview: [] },
    { daily_hit_statistics_overview: [{ day: "2026-11-23", submitted: 1 }] }, { daily_hit_statistics_overview: [{ date: "soon", submitted: 1 }] }]) {
    assert.deepEqual(history.daysToSync(DAYS, dashboard), { days: DAYS, basis: "all" }, JSON.stringify(dashboard));
  }
  assert.equal(history.dashboardDay("2026-1-2"), null);
  assert.equal(history.dashboardDay(20261102), null);
  assert.equal(history.dashboardDay("1/2/2026"), "2026-01-02");
});

test("paging follows the server's has_more, up to the maximum", () => {
  assert.equal(history.nextPageNumber({ page: { page_number: 1, total_results: 25, has_more: true } }, 1), 2);
  assert.equal(history.nextPageNumber({ page: { page_number: 2, total_results: 25, has_more: false } }, 2), null);
  assert.equal(history.nextPageNumber({ page: null }, 1), null);
  assert.equal(history.nextPageNumber({}, 1), null);
  assert.equal(history.nextPageNumber(null, 1), null);
  assert.equal(history.nextPageNumber({ page: { has_more: "yes" } }, 1), null, "only a real true");
  assert.equal(history.nextPageNumber({ page: { has_more: true } }, 49), 50);
  assert.equal(history.nextPageNumber({ page: { has_more: true } }, 50), null, "50 pages a day at most");
  assert.equal(history.nextPageNumber({ page: { has_more: true } }, 3, 3), null);
  assert.equal(history.statusDetailsUrl("2026-11-23", 2), "https://worker.mturk.com/status_details/2026-11-23?page_number=2&format=json");
});

test("MTurk's answers: JSON, signed out, slow down, failed", () => {
  const json = { status: 200, contentType: "application/json; charset=utf-8", text: "{}" };
  assert.equal(history.classifyMturkAnswer(json), "ok");
  assert.equal(history.classifyMturkAnswer({ type: "opaqueredirect", status: 0 }), "signed_out");
  assert.equal(history.classifyMturkAnswer({ status: 302 }), "signed_out");
  assert.equal(history.classifyMturkAnswer({ status: 200, url: "https://www.amazon.com/ap/signin?openid.return_to=x", contentType: "text/html" }), "signed_out");
  assert.equal(history.classifyMturkAnswer({ status: 200, contentType: "text/html", text: "<!DOCTYPE html>" }), "signed_out");
  assert.equal(history.classifyMturkAnswer({ status: 200, contentType: "", text: "  <html>" }), "signed_out");
  assert.equal(history.classifyMturkAnswer({ status: 429 }), "rate_limited");
  assert.equal(history.classifyMturkAnswer({ status: 500 }), "failed");
  assert.equal(history.classifyMturkAnswer({ status: 404, contentType: "text/html" }), "failed");
});

test("progress and summary texts", () => {
  const state = history.newSyncState("mturk", "2026-11-24T10:00:00.000Z");
  assert.equal(history.progressText(state), "Reading your MTurk dashboard…");
  assert.equal(history.popupLine(state), "Syncing your MTurk history: starting…");
  Object.assign(state, { phase: "days", daysTotal: 45, daysDone: 2, currentDay: "2026-11-22" });
  assert.equal(history.progressText(state), "Syncing day 3 of 45 (2026-11-22)…");
  assert.equal(history.popupLine(state), "Syncing your MTurk history: day 3 of 45.");
  Object.assign(state, { running: false, outcome: "done", daysDone: 45, received: 312, added: 12, updated: 3, unchanged: 297 });
  assert.equal(history.progressText(state), "Synced 45 days: 312 tasks, 12 new, 3 updated.");
  assert.equal(history.popupLine(state), "");
  assert.equal(history.progressText({ ...state, daysTotal: 1, received: 1, added: 1, updated: 0 }), "Synced 1 day: 1 task, 1 new, 0 updated.");
  assert.equal(history.progressText({ ...state, failedDays: [{ day: "2026-11-20", message: "x" }] }),
    "Synced 45 days: 312 tasks, 12 new, 3 updated. 1 day could not be read: 2026-11-20.");
  assert.equal(history.progressText({ ...state, outcome: "cancelled", daysDone: 4 }), "Cancelled after 4 of 45 days: 312 tasks, 12 new, 3 updated.");
  const failed = { ...state, outcome: "failed", pages: 0, error: { code: "mturk_signed_out", message: "you are signed out of MTurk." } };
  assert.equal(history.progressText(failed), "Stopped: you are signed out of MTurk.");
  assert.equal(history.progressText({ ...failed, pages: 3 }), "Stopped: you are signed out of MTurk. Before that: 312 tasks, 12 new, 3 updated.");
  assert.equal(history.progressText(null), "");
  const stale = history.interrupted({ ...state, running: true }, "2026-11-24T11:00:00.000Z");
  assert.equal(stale.running, false);
  assert.equal(stale.error.code, "interrupted");
  assert.equal(history.interrupted(state, "x"), state, "a finished sync stays as it was");
});

test("Prolific: which captured answers are submissions, and what is sent", () => {
  assert.equal(history.isSubmissionsUrl("/api/v1/participant/submissions/?page=1"), true);
  assert.equal(history.isSubmissionsUrl("https://internal-api.prolific.com/api/v1/submissions"), true);
  assert.equal(history.isSubmissionsUrl("/api/v1/studies/?submissions=1"), false, "the path, not the query");
  assert.equal(history.isSubmissionsUrl("/api/v1/submissionsx"), false);
  assert.deepEqual(history.prolificBody({ results: [] }), { platform: "prolific", source: "submissions", payload: { results: [] } });
  assert.equal(history.prolificBody("text"), null);
  assert.equal(history.prolificBody(null), null);
  assert.equal(history.prolificBody({ results: ["x".repeat(2_100_000)] }), null, "huge answers are not sent");
  assert.equal(history.prolificText({ received: 3, added: 2, updated: 1 }), "Last Prolific import: 3 submissions, 2 new, 1 updated.");
  assert.equal(history.prolificText({ error: { message: "nope" } }), "The last Prolific import failed: nope");
  assert.equal(history.prolificText(null), "");
});

// ------------------------------------------------------------------------------------------------
// The sync loop, with a fake MTurk (answers by URL), a fake server (answers by page) and a fake clock.

class ServerError extends Error {
  constructor(status, code, message, field = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const NOW = at("2026-11-24T18:00:00Z"); // 10:00 in California: today is 2026-11-24
const jsonAnswer = (value) => ({ type: "basic", status: 200, contentType: "application/json", text: JSON.stringify(value) });

function harness({ mturk = {}, server = null, cancelAfter = Infinity, days = 5 } = {}) {
  let clock = NOW;
  const requests = []; // {url, at}
  const uploads = [];
  const sleeps = [];
  const reports = [];
  const io = {
    now: () => clock,
    sleep: async (ms) => { sleeps.push(ms); clock += ms; },
    report: async (state) => { reports.push(state); },
    cancelled: () => requests.length >= cancelAfter,
    fetchMturk: async (url) => {
      requests.push({ url, at: clock });
      clock += 50;
      let answer = mturk[url.replace("https://worker.mturk.com", "")];
      if (Array.isArray(answer)) answer = answer.length > 1 ? answer.shift() : answer[0];
      if (answer instanceof Error) throw answer;
      return answer || jsonAnswer({ page_number: 1, num_results: 0, total_num_results: 0, results: [] });
    },
    upload: async (body) => {
      uploads.push(body);
      clock += 20;
      if (server) return server(body);
      const total = body.payload.total_num_results || 0;
      const n = (body.payload.results || []).length;
      return { received: n, added: n, updated: 0, unchanged: 0, page: { page_number: body.payload.page_number, total_results: total, has_more: body.payload.page_number * 20 < total } };
    },
  };
  return { io, requests, uploads, sleeps, reports, run: (options = {}) => history.runMturkSync(io, { days, ...options }) };
}

const page = (day, n, total, number = 1) => jsonAnswer({
  page_number: number, num_results: n, total_num_results: total,
  results: Array.from({ length: n }, (_, i) => ({ assignment_id: `${day}-${number}-${i}` })),
});
const dashboardOf = (counts) => jsonAnswer({
  daily_hit_statistics_overview: Object.entries(counts).map(([date, submitted]) => ({ date, submitted })),
});
const sd = (day, n = 1) => `/status_details/${day}?page_number=${n}&format=json`;

test("a sync reads the dashboard's days page by page, politely, and adds up the server's answers", async () => {
  const h = harness({
    mturk: {
      "/dashboard?format=json": dashboardOf({ "2026-11-23": 25, "2026-11-22": 0, "2026-11-21": 2 }),
      [sd("2026-11-23", 1)]: page("2026-11-23", 20, 25, 1),
      [sd("2026-11-23", 2)]: page("2026-11-23", 5, 25, 2),
      [sd("2026-11-21", 1)]: page("2026-11-21", 2, 2, 1),
    },
  });
  const final = await h.run();
  assert.deepEqual(h.requests.map((r) => r.url.replace("https://worker.mturk.com", "")), [
    "/dashboard?format=json", sd("2026-11-24"), sd("2026-11-23", 1), sd("2026-11-23", 2), sd("2026-11-21"),
  ]);
  for (let i = 1; i < h.requests.length; i++) {
    assert.ok(h.requests[i].at - h.requests[i - 1].at >= 1000, `request ${i} came too soon`);
  }
  assert.deepEqual(h.uploads.map((u) => [u.platform, u.source, u.date, u.payload.page_number]), [
    ["mturk", "status_details", "2026-11-24", 1], ["mturk", "status_details", "2026-11-23", 1],
    ["mturk", "status_details", "2026-11-23", 2], ["mturk", "status_details", "2026-11-21", 1],
  ]);
  assert.equal(final.running, false);
  assert.equal(final.outcome, "done");
  assert.equal(final.daysTotal, 3);
  assert.equal(final.daysDone, 3);
  assert.equal(final.pages, 4);
  assert.equal(final.received, 27);
  assert.equal(final.added, 27);
  assert.deepEqual(final.failedDays, []);
  assert.equal(history.progressText(final), "Synced 3 days: 27 tasks, 27 new, 0 updated.");
  // Progress was reported on the way: the first report is the dashboard phase, days are announced in order.
  assert.equal(h.reports[0].phase, "dashboard");
  assert.equal(h.reports[0].running, true);
  assert.deepEqual([...new Set(h.reports.filter((r) => r.running && r.currentDay).map((r) => r.currentDay))],
    ["2026-11-24", "2026-11-23", "2026-11-21"]);
  assert.deepEqual(h.reports.at(-1), final);
});

test("without a dashboard every day is read", async () => {
  const h = harness({ mturk: { "/dashboard?format=json": { status: 500, contentType: "text/plain", text: "oops" } } });
  const final = await h.run();
  assert.equal(final.daysTotal, 5);
  assert.equal(h.requests.length, 6);
  assert.equal(final.outcome, "done");
});

test("a 429 backs off 5 s then 10 s; three refusals skip the day and the sync goes on", async () => {
  const limited = { status: 429, contentType: "text/plain", text: "" };
  const h = harness({
    mturk: {
      "/dashboard?format=json": dashboardOf({ "2026-11-23": 1, "2026-11-22": 1 }),
      [sd("2026-11-24")]: [limited, page("2026-11-24", 1, 1)],
      [sd("2026-11-23")]: [limited, limited, limited],
      [sd("2026-11-22")]: page("2026-11-22", 1, 1),
    },
  });
  const final = await h.run();
  assert.ok(h.sleeps.includes(5000) && h.sleeps.includes(10000));
  assert.equal(h.sleeps.filter((ms) => ms === 10000).length, 1, "three tries, not more");
  assert.equal(h.requests.filter((r) => r.url.endsWith(sd("2026-11-23"))).length, 3);
  assert.equal(final.outcome, "done");
  assert.deepEqual(final.failedDays, [{ day: "2026-11-23", message: "page 1: MTurk kept asking to slow down." }]);
  assert.equal(final.received, 2, "today after one retry, and the day after the skipped one");
  assert.match(history.progressText(final), /1 day could not be read: 2026-11-23\.$/);
});

test("signed out of MTurk (a redirect or a web page) stops with that message", async () => {
  for (const answer of [{ type: "opaqueredirect", status: 0 }, { status: 200, contentType: "text/html", text: "<html>Sign in</html>" }]) {
    const h = harness({ mturk: { "/dashboard?format=json": dashboardOf({ "2026-11-23": 2 }), [sd("2026-11-24")]: answer } });
    const final = await h.run();
    assert.equal(final.outcome, "failed");
    assert.equal(final.error.code, "mturk_signed_out");
    assert.match(history.progressText(final), /^Stopped: you are signed out of MTurk/);
    assert.equal(h.requests.length, 2, "nothing more is asked");
    assert.equal(h.uploads.length, 0);
  }
  const unreachable = harness({ mturk: { "/dashboard?format=json": new TypeError("Failed to fetch") } });
  assert.equal((await unreachable.run()).error.code, "mturk_unreachable");
});

test("a page the server cannot read fails that day only; 401 and an unreachable server stop", async () => {
  const mturk = { "/dashboard?format=json": dashboardOf({ "2026-11-23": 1, "2026-11-22": 1 }) };
  const refusing = harness({
    mturk,
    server: (body) => {
      if (body.date === "2026-11-23") throw new ServerError(422, "invalid_payload", "state: unknown state 'Lost'", "results[3].state");
      return { received: 1, added: 0, updated: 1, unchanged: 0, page: { page_number: 1, total_results: 1, has_more: false } };
    },
  });
  const final = await refusing.run();
  assert.equal(final.outcome, "done");
  assert.equal(final.daysDone, 3);
  assert.deepEqual(final.failedDays, [{ day: "2026-11-23", message: "page 1: the Fairfinder server could not import it (results[3].state): state: unknown state 'Lost'" }]);
  assert.equal(final.updated, 2);

  for (const [error, code] of [[new ServerError(401, "unauthorized", "no"), "not_signed_in"],
    [new ServerError(0, "unreachable", "down"), "server_unreachable"], [new ServerError(503, "http_503", "busy"), "server_unreachable"],
    [new ServerError(405, "method_not_allowed", "no"), "not_supported"]]) {
    const h = harness({ mturk, server: () => { throw error; } });
    const stopped = await h.run();
    assert.equal(stopped.outcome, "failed");
    assert.equal(stopped.error.code, code);
    assert.equal(h.uploads.length, 1, `${code}: stops at the first refusal`);
  }
});

test("Cancel stops after the current request and says how far it got", async () => {
  const h = harness({
    mturk: {
      "/dashboard?format=json": dashboardOf({ "2026-11-23": 25, "2026-11-22": 1 }),
      [sd("2026-11-23", 1)]: page("2026-11-23", 20, 25, 1),
      [sd("2026-11-23", 2)]: page("2026-11-23", 5, 25, 2),
    },
    cancelAfter: 3, // dashboard, today, the first page of the 23rd: then the worker pressed Cancel
  });
  const final = await h.run();
  assert.equal(h.requests.length, 3);
  assert.equal(h.uploads.length, 2, "the page already read is still uploaded");
  assert.equal(final.outcome, "cancelled");
  assert.equal(final.daysDone, 1);
  assert.equal(final.received, 20, "today had nothing, the first page of the 23rd 20 tasks");
  assert.equal(history.progressText(final), "Cancelled after 1 of 3 days: 20 tasks, 20 new, 0 updated.");
});

test("a day never runs past the page maximum, whatever the server says", async () => {
  const h = harness({
    mturk: { "/dashboard?format=json": dashboardOf({}) },
    server: () => ({ received: 20, added: 0, updated: 0, unchanged: 20, page: { page_number: 1, total_results: 9999, has_more: true } }),
    days: 1,
  });
  const final = await h.run({ maxPages: 4 });
  assert.equal(h.requests.length, 1 + 4);
  assert.equal(final.pages, 4);
  assert.equal(final.unchanged, 80);
});
