// Automatic timing, the pure half: which tasks are open, and when one ends, the timing to send.
// The background keeps the state in chrome.storage.local (`assignments`, `outbox`) and does the I/O.
//
// How a task's end is seen on worker.mturk.com: a return is a form on the task page (the content script
// sees it submitted); a submit happens inside the requester's frame, which we cannot see, so an open
// assignment that is no longer in the worker's queue (`/tasks?format=json`) was submitted, at the
// moment the worker left its page.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).timing = api;
})(globalThis, function () {
  "use strict";

  const MAX_OUTBOX = 500; // timings kept while the server is unreachable
  const FORGET_AFTER_MS = 24 * 3600 * 1000; // an open assignment past its deadline by this much is dropped

  function emptyState() {
    return { assignments: {}, outbox: [] };
  }

  function ms(iso) {
    const value = Date.parse(iso);
    return Number.isFinite(value) ? value : null;
  }

  /** Remember an accepted task. Seeing the same assignment again keeps the first accept time. */
  function accept(state, { assignment_id, task, accepted_at, deadline = null }) {
    if (!assignment_id || !task || ms(accepted_at) === null) return state;
    const known = state.assignments[assignment_id];
    const entry = known
      ? { ...known, task: known.task || task, deadline: known.deadline || deadline }
      : { assignment_id, task, accepted_at, deadline, left_at: null };
    return { ...state, assignments: { ...state.assignments, [assignment_id]: entry } };
  }

  /**
   * The worker left the task's page (it may come back; the last time counts). `returning`: they had just
   * pressed Return, so if the assignment is gone from the queue next time, it was returned, not submitted.
   */
  function leave(state, assignmentId, at, { returning = false } = {}) {
    const known = state.assignments[assignmentId];
    if (!known || ms(at) === null) return state;
    return { ...state, assignments: { ...state.assignments, [assignmentId]: { ...known, left_at: at, returning: Boolean(returning) } } };
  }

  /** The timing payload for POST /api/v1/timings (the server's TimingIn), or null when it makes no sense. */
  function timingOf(entry, outcome, endedAt) {
    const start = ms(entry.accepted_at);
    const end = ms(endedAt);
    if (start === null || end === null || end <= start) return null;
    const t = entry.task;
    const timing = {
      platform: t.platform,
      requester_id: t.requester_id,
      requester_name: t.requester_name || "",
      title: t.title,
      reward_cents: t.reward_cents,
      currency: t.currency || "USD",
      assignment_id: entry.assignment_id,
      accepted_at: new Date(start).toISOString(),
      ended_at: new Date(end).toISOString(),
      outcome,
    };
    if (t.hit_set_id) timing.hit_set_id = t.hit_set_id;
    return timing;
  }

  function withoutAssignment(state, assignmentId) {
    const assignments = { ...state.assignments };
    delete assignments[assignmentId];
    return { ...state, assignments };
  }

  /** A task ended (returned, or submitted) → the state without it and the timing to send (or null). */
  function end(state, assignmentId, outcome, endedAt) {
    const known = state.assignments[assignmentId];
    if (!known) return { state, timing: null };
    return { state: withoutAssignment(state, assignmentId), timing: timingOf(known, outcome, endedAt) };
  }

  /**
   * Compare the open assignments with the platform's queue. Those gone from it were submitted when the
   * worker left their page (returned, when they left it just after pressing Return); those whose deadline
   * passed first expired (no timing: nobody knows how long
   * the worker really worked). Very old entries are forgotten.
   */
  function reconcile(state, queueAssignmentIds, now) {
    const inQueue = new Set(queueAssignmentIds);
    const nowMs = ms(now);
    let next = state;
    const timings = [];
    for (const entry of Object.values(state.assignments)) {
      const deadline = ms(entry.deadline);
      if (inQueue.has(entry.assignment_id)) {
        if (deadline !== null && nowMs > deadline + FORGET_AFTER_MS) next = withoutAssignment(next, entry.assignment_id);
        continue;
      }
      const endedAt = entry.left_at || now;
      next = withoutAssignment(next, entry.assignment_id);
      if (deadline !== null && ms(endedAt) > deadline) continue;
      const timing = timingOf(entry, entry.returning ? "returned" : "submitted", endedAt);
      if (timing) timings.push(timing);
    }
    return { state: next, timings };
  }

  /** Add timings to the outbox (one per assignment; the oldest go first when it overflows). */
  function enqueue(state, timings) {
    const byAssignment = new Map(state.outbox.map((t) => [t.assignment_id, t]));
    for (const timing of timings) byAssignment.set(timing.assignment_id, timing);
    const outbox = [...byAssignment.values()].slice(-MAX_OUTBOX);
    return { ...state, outbox };
  }

  /** The server acknowledged (2xx) or refused for good (4xx): the timing leaves the outbox. */
  function settle(state, assignmentId) {
    return { ...state, outbox: state.outbox.filter((t) => t.assignment_id !== assignmentId) };
  }

  /** Minutes the worker's own timings measured for a task (same requester, title and reward), or null. */
  function measuredMinutes(recent, task) {
    const match = (recent || []).find((r) => r.requester_id === task.requester_id && r.title === task.title
      && r.reward_cents === task.reward_cents);
    if (!match) return null;
    const seconds = (ms(match.ended_at) - ms(match.accepted_at)) / 1000;
    return seconds > 0 ? Math.max(1, Math.round(seconds / 60)) : null;
  }

  return { emptyState, accept, leave, end, reconcile, enqueue, settle, timingOf, measuredMinutes, MAX_OUTBOX };
});
