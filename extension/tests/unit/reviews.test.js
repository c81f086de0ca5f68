const test = require("node:test");
const assert = require("node:assert/strict");
const reviews = require("../../src/lib/reviews.js");
const { reviewFromValues } = require("../../src/content/review-form.js");

const task = { platform: "mturk", requester_id: "A1", requester_name: "Lab", title: "Survey about shopping", reward_cents: 150, currency: "USD" };

function stored(id, changes = {}) {
  return {
    id, platform: "mturk", requester_id: "A1", requester_name: "Lab",
    task: { title: "Survey about shopping", reward_cents: 150, currency: "USD", hit_set_id: null },
    ratings: { pay: 4, fairness: null, speed: 3, communication: null }, worked_seconds: 720, outcome: "pending",
    approval_seconds: null, bonus_cents: null, flags: ["underpaid"], comment: "Fine.", author: "me",
    created_at: "2026-12-01T10:00:00Z", updated_at: "2026-12-01T10:00:00Z", edits: 0, status: "visible", ...changes,
  };
}

test("the worker's review of a task is found by the server's task identity; the requester's by its missing task", () => {
  const whole = stored(2, { task: null });
  const other = stored(3, { task: { title: "Survey about shopping", reward_cents: 200, currency: "USD", hit_set_id: null } });
  const own = [whole, other, stored(1, { task: { title: "  Survey   about\nshopping ", reward_cents: 150, currency: "usd" } })];
  assert.equal(reviews.findOwn(own, task).id, 1, "same words, other spacing, same reward");
  assert.equal(reviews.findOwn(own, task, "requester").id, 2);
  assert.equal(reviews.findOwn(own, { ...task, title: "survey about shopping" }), null, "case is kept, as on the server");
  assert.equal(reviews.findOwn(own, { ...task, requester_id: "A2" }), null);
  assert.equal(reviews.findOwn(null, task), null);
  assert.equal(reviews.titleKey("Cafe\u0301  menu "), "Café menu", "NFC and spaces");
});

test("a stored review becomes form values, and only what the worker changed goes back as the edit", () => {
  const review = stored(1, { worked_seconds: 150 });
  const values = reviews.valuesFromReview(review);
  assert.deepEqual(values, { ratings: { pay: "4", fairness: "", speed: "3", communication: "" }, minutes: "2.5",
    outcome: "pending", flags: ["underpaid"], comment: "Fine." });
  assert.deepEqual(reviews.patchFromValues(values, review), { unchanged: true });
  assert.deepEqual(reviews.patchFromValues({ ...values, outcome: "approved", ratings: { ...values.ratings, pay: "", fairness: "5" } }, review),
    { patch: { ratings: { pay: null, fairness: 5 }, outcome: "approved" } });
  assert.deepEqual(reviews.patchFromValues({ ...values, minutes: "12", flags: ["broken", "underpaid"], comment: " Better. " }, review),
    { patch: { minutes_worked: 12, flags: ["broken", "underpaid"], comment: "Better." } });
  assert.deepEqual(reviews.patchFromValues({ ...values, minutes: "" }, review), { patch: { minutes_worked: null } });
  assert.equal(reviews.patchFromValues({ ...values, minutes: "soon" }, review).error.field, "minutes");
  // Emptying everything is refused, as a new review would be.
  const empty = { ratings: { pay: "", fairness: "", speed: "", communication: "" }, minutes: "", outcome: "", flags: [], comment: "" };
  assert.equal(reviews.patchFromValues(empty, review).error.field, "ratings");
  // A review of the requester as a whole has no minutes to compare.
  assert.deepEqual(reviews.patchFromValues({ ...values, minutes: "99" }, stored(2, { task: null, worked_seconds: null })), { unchanged: true });
});

test("a review of the requester as a whole has no task and no minutes", () => {
  const { review } = reviewFromValues({ ratings: { pay: "2" }, minutes: "12", outcome: "blocked", flags: [], comment: "" }, task, "requester");
  assert.deepEqual(review, { platform: "mturk", requester_id: "A1", requester_name: "Lab",
    ratings: { pay: 2, fairness: null, speed: null, communication: null }, flags: [], comment: "", outcome: "blocked" });
});

const item = (state, changes = {}) => ({ platform: "mturk", requester_id: "A1", title: "Survey about shopping", reward_cents: 150,
  currency: "USD", state, ...changes });

test("reviews the history has overtaken: pending or no outcome, now decided; one rejection decides", () => {
  const own = [
    stored(1), // pending, history approved
    stored(2, { outcome: null, task: { title: "Other", reward_cents: 10, currency: "USD" } }), // none, history rejected + approved
    stored(3, { outcome: "approved", task: { title: "Third", reward_cents: 10, currency: "USD" } }), // agrees
    stored(4, { outcome: "returned", task: { title: "Fourth", reward_cents: 10, currency: "USD" } }), // says something else
    stored(5, { task: null }), // the requester as a whole
    stored(6, { task: { title: "Not in history", reward_cents: 10, currency: "USD" } }),
    stored(7, { outcome: "approved", task: { title: "Reversed", reward_cents: 10, currency: "USD" } }),
  ];
  const history = [item("approved"), item("approved"), item("rejected", { title: "Other", reward_cents: 10 }),
    item("approved", { title: "Other", reward_cents: 10 }), item("approved", { title: "Third", reward_cents: 10 }),
    item("approved", { title: "Fourth", reward_cents: 10 }), item("pending", { title: "Not in history", reward_cents: 10 }),
    item("rejected", { title: "Reversed", reward_cents: 10 }), item("approved", { platform: "prolific" })];
  const changes = reviews.outcomeChanges(own, history);
  assert.deepEqual(changes.map((c) => [c.review_id, c.was, c.outcome]), [[7, "approved", "rejected"], [2, null, "rejected"], [1, "pending", "approved"]]);
  assert.deepEqual(changes.find((c) => c.review_id === 1).counts, { approved: 2, rejected: 0, pending: 0 });
  assert.equal(reviews.changeText(changes.find((c) => c.review_id === 1)),
    "Your review says pending; your history now shows it approved (2 approved).");
  assert.equal(reviews.changeText(changes.find((c) => c.review_id === 2)),
    "Your review gives no outcome; your history now shows it rejected (1 approved, 1 rejected).");
  // "Not now" is remembered per review and outcome.
  assert.deepEqual(reviews.outcomeChanges(own, history, { dismissed: [reviews.changeKey(1, "approved")] }).map((c) => c.review_id), [7, 2]);
});

test("the check reads every page of reviews and of decided history, and stops at a bound it reports", async () => {
  const pages = (items, size) => ({ cursor }) => {
    const start = cursor ? Number(cursor) : 0;
    const next = start + size < items.length ? String(start + size) : null;
    return Promise.resolve({ items: items.slice(start, start + size), next_cursor: next });
  };
  const own = [stored(1), stored(2, { task: null })];
  const asked = [];
  const result = await reviews.check({
    listReviews: pages(own, 1),
    listHistory: ({ state, cursor }) => { asked.push(state); return pages([item(state)], 1)({ cursor }); },
  });
  assert.deepEqual(asked, ["approved", "rejected"]);
  assert.deepEqual(result.changes.map((c) => [c.review_id, c.outcome]), [[1, "rejected"]]);
  assert.equal(result.reviews, 1);
  assert.equal(result.history, 2);
  assert.equal(result.truncated, false);
  const bounded = await reviews.check({ listReviews: pages(own, 1), listHistory: pages(Array(10).fill(item("approved")), 2), maxPages: 2 });
  assert.equal(bounded.truncated, true);
  // No task reviews: the history is not read at all.
  const none = await reviews.check({ listReviews: pages([stored(2, { task: null })], 5), listHistory: () => assert.fail("not asked") });
  assert.deepEqual(none, { changes: [], reviews: 0, history: 0, truncated: false });
});
