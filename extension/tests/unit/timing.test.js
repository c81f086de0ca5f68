const test = require("node:test");
const assert = require("node:assert/strict");
const timing = require("../../src/lib/timing.js");

const task = { platform: "mturk", requester_id: "A1", requester_name: "Lab", title: "Survey", reward_cents: 150, currency: "USD", hit_set_id: "HS1" };
const accepted = { assignment_id: "AS1", task, accepted_at: "2026-11-24T10:00:00.000Z", deadline: "2026-11-24T11:00:00.000Z" };

test("accept then return gives a returned timing and forgets the task", () => {
  let state = timing.accept(timing.emptyState(), accepted);
  const { state: after, timing: made } = timing.end(state, "AS1", "returned", "2026-11-24T10:04:00.000Z");
  assert.deepEqual(after.assignments, {});
  assert.deepEqual(made, {
    platform: "mturk", requester_id: "A1", requester_name: "Lab", title: "Survey", reward_cents: 150, currency: "USD",
    hit_set_id: "HS1", assignment_id: "AS1", accepted_at: "2026-11-24T10:00:00.000Z", ended_at: "2026-11-24T10:04:00.000Z",
    outcome: "returned",
  });
  state = after;
  assert.equal(timing.end(state, "AS1", "returned", "2026-11-24T10:05:00Z").timing, null, "an unknown assignment gives nothing");
});

test("seeing the same accepted task again keeps the first accept time", () => {
  let state = timing.accept(timing.emptyState(), accepted);
  state = timing.accept(state, { ...accepted, accepted_at: "2026-11-24T10:30:00.000Z" });
  assert.equal(state.assignments.AS1.accepted_at, "2026-11-24T10:00:00.000Z");
});

test("a task gone from the queue was submitted when the worker left its page", () => {
  let state = timing.accept(timing.emptyState(), accepted);
  state = timing.accept(state, { ...accepted, assignment_id: "AS2" });
  state = timing.leave(state, "AS1", "2026-11-24T10:12:00.000Z");
  const { state: after, timings } = timing.reconcile(state, ["AS2"], "2026-11-24T10:13:00.000Z");
  assert.deepEqual(Object.keys(after.assignments), ["AS2"]);
  assert.equal(timings.length, 1);
  assert.equal(timings[0].assignment_id, "AS1");
  assert.equal(timings[0].outcome, "submitted");
  assert.equal(timings[0].ended_at, "2026-11-24T10:12:00.000Z");
});

test("a task that left the queue after its deadline expired: no timing", () => {
  let state = timing.accept(timing.emptyState(), accepted);
  const { state: after, timings } = timing.reconcile(state, [], "2026-11-24T12:00:00.000Z");
  assert.deepEqual(after.assignments, {});
  assert.deepEqual(timings, []);
});

test("nonsense times give no timing", () => {
  const state = timing.accept(timing.emptyState(), accepted);
  assert.equal(timing.end(state, "AS1", "returned", "2026-11-24T09:00:00.000Z").timing, null);
  assert.deepEqual(timing.accept(timing.emptyState(), { ...accepted, accepted_at: "yesterday" }).assignments, {});
});

test("the outbox holds one timing per assignment until settled, and is bounded", () => {
  const t = (id) => ({ assignment_id: id });
  let state = timing.enqueue(timing.emptyState(), [t("a"), t("b")]);
  state = timing.enqueue(state, [t("a")]);
  assert.deepEqual(state.outbox.map((x) => x.assignment_id), ["a", "b"]);
  state = timing.settle(state, "a");
  assert.deepEqual(state.outbox.map((x) => x.assignment_id), ["b"]);
  const many = Array.from({ length: timing.MAX_OUTBOX + 10 }, (_, i) => t(`x${i}`));
  state = timing.enqueue(timing.emptyState(), many);
  assert.equal(state.outbox.length, timing.MAX_OUTBOX);
  assert.equal(state.outbox[0].assignment_id, "x10", "the oldest are dropped first");
});

test("measured minutes come from the worker's own recent timing of the same task", () => {
  const recent = [{ requester_id: "A1", title: "Survey", reward_cents: 150, accepted_at: "2026-11-24T10:00:00Z", ended_at: "2026-11-24T10:07:31Z" }];
  assert.equal(timing.measuredMinutes(recent, task), 8);
  assert.equal(timing.measuredMinutes(recent, { ...task, reward_cents: 151 }), null);
  assert.equal(timing.measuredMinutes(undefined, task), null);
});

test("a task that left the queue just after the worker pressed Return was returned, not submitted", () => {
  let state = timing.accept(timing.emptyState(), accepted);
  state = timing.leave(state, "AS1", "2026-11-24T10:12:00.000Z", { returning: true });
  const { timings } = timing.reconcile(state, [], "2026-11-24T10:13:00.000Z");
  assert.equal(timings[0].outcome, "returned");
  assert.equal(timings[0].ended_at, "2026-11-24T10:12:00.000Z");
  // Leaving again without pressing Return (the return was cancelled) makes it a submit again.
  state = timing.leave(state, "AS1", "2026-11-24T10:20:00.000Z");
  assert.equal(timing.reconcile(state, [], "2026-11-24T10:21:00.000Z").timings[0].outcome, "submitted");
});
