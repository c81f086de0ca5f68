const test = require("node:test");
const assert = require("node:assert/strict");
const { reviewFromValues } = require("../../src/content/review-form.js");

const task = { platform: "mturk", requester_id: "A1", requester_name: "Lab", title: "Survey", reward_cents: 150, currency: "USD", hit_set_id: "HS1" };

test("form values become the server's ReviewIn", () => {
  const { review, error } = reviewFromValues({
    ratings: { pay: "2", fairness: "5", speed: "", communication: "" },
    minutes: "12", outcome: "approved", flags: ["underpaid", "not_a_flag"], comment: "  Took longer than stated.  ",
  }, task);
  assert.equal(error, undefined);
  assert.deepEqual(review, {
    platform: "mturk", requester_id: "A1", requester_name: "Lab",
    task: { title: "Survey", reward_cents: 150, currency: "USD", hit_set_id: "HS1" },
    ratings: { pay: 2, fairness: 5, speed: null, communication: null },
    flags: ["underpaid"], comment: "Took longer than stated.", minutes_worked: 12, outcome: "approved",
  });
});

test("an empty form or bad minutes are refused with the field", () => {
  assert.equal(reviewFromValues({ ratings: {}, minutes: "", flags: [], comment: " " }, task).error.field, "ratings");
  assert.equal(reviewFromValues({ ratings: { pay: "3" }, minutes: "-2" }, task).error.field, "minutes");
  assert.equal(reviewFromValues({ ratings: { pay: "3" }, minutes: "lots" }, task).error.field, "minutes");
  assert.equal(reviewFromValues({ ratings: { pay: "3" }, minutes: "7,5" }, task).review.minutes_worked, 7.5);
});
