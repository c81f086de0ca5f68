// The worker's own reviews, as plain functions: which stored review a task (or a requester as a whole) already has,
// a review as form values and back as the smallest edit (PATCH), and which reviews the worker's history has since
// overtaken (a task reviewed while pending that the history now shows approved or rejected). No DOM, no I/O.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).reviews = api;
})(globalThis, function () {
  "use strict";

  const DIMENSIONS = Object.freeze(["pay", "fairness", "speed", "communication"]);
  const MAX_MINUTES = 7 * 24 * 60;
  // What a review's outcome may become from the history, and the history states that decide it.
  const DECIDED = Object.freeze(["approved", "rejected"]);
  // Outcomes that say something else than how the work was judged: never offered a change.
  const OTHER_OUTCOMES = Object.freeze(["returned", "blocked"]);

  /**
   * A title as it identifies a task type: the server's title_key (scrapers/model.py), NFC with runs of white
   * space made one space and trimmed. Case is kept, as there.
   */
  function titleKey(title) {
    return String(title ?? "").normalize("NFC").replace(/\s+/g, " ").trim();
  }

  /** The task type a task, a review's task or a history item is: (platform, requester, title, reward, currency). */
  function taskKey({ platform, requester_id: requester, title, reward_cents: reward, currency }) {
    return [platform, String(requester ?? "").trim(), titleKey(title), reward, String(currency || "USD").toUpperCase()].join("\u0000");
  }

  /** A stored review (ReviewOut) as the task key it is about, or null for a review of the requester as a whole. */
  function reviewKey(review) {
    if (!review || !review.task) return null;
    return taskKey({ platform: review.platform, requester_id: review.requester_id, ...review.task });
  }

  /**
   * Of the worker's reviews (`GET /api/v1/me/reviews`), the one about `task` (about "task") or about its requester
   * as a whole (about "requester"); null when there is none.
   */
  function findOwn(reviews, task, about = "task") {
    const list = Array.isArray(reviews) ? reviews : [];
    const sameRequester = (r) => r.platform === task.platform && String(r.requester_id).trim() === String(task.requester_id).trim();
    if (about === "requester") return list.find((r) => sameRequester(r) && !r.task) || null;
    const key = taskKey(task);
    return list.find((r) => sameRequester(r) && reviewKey(r) === key) || null;
  }

  /** Worked seconds → the minutes text a form shows: "12", "2.5"; "" when unknown. */
  function minutesText(seconds) {
    if (!Number.isFinite(seconds) || seconds <= 0) return "";
    return String(Math.round((seconds / 60) * 10) / 10);
  }

  /** The minutes a person typed ("12", "7,5") → a number, null when empty; NaN when it is not a usable number. */
  function parseMinutes(text) {
    const value = String(text ?? "").trim().replace(",", ".");
    if (!value) return null;
    const minutes = Number(value);
    return Number.isFinite(minutes) && minutes > 0 && minutes <= MAX_MINUTES ? minutes : NaN;
  }

  /** A stored review → the values the review form shows (the same shape the form reads back). */
  function valuesFromReview(review) {
    const ratings = {};
    for (const key of DIMENSIONS) {
      const value = review?.ratings?.[key];
      ratings[key] = Number.isInteger(value) ? String(value) : "";
    }
    return {
      ratings,
      minutes: minutesText(review?.worked_seconds),
      outcome: review?.outcome || "",
      flags: [...(review?.flags || [])],
      comment: review?.comment || "",
    };
  }

  /**
   * The form's values as an edit of `review`: only what differs (`PATCH /api/v1/reviews/{id}` names only what
   * changes). Returns {patch}, {unchanged: true}, or {error: {field, message}}.
   */
  function patchFromValues(values, review, { about = review?.task ? "task" : "requester" } = {}) {
    const patch = {};
    const ratings = {};
    for (const key of DIMENSIONS) {
      const raw = values.ratings?.[key];
      const value = raw === undefined || raw === null || raw === "" ? null : Number(raw);
      if (value !== (review.ratings?.[key] ?? null)) ratings[key] = value;
    }
    if (Object.keys(ratings).length) patch.ratings = ratings;
    if (about === "task") {
      const minutes = parseMinutes(values.minutes);
      if (Number.isNaN(minutes)) return { error: { field: "minutes", message: "Minutes worked must be a number above 0." } };
      const seconds = minutes === null ? null : Math.max(1, Math.round(minutes * 60));
      if (seconds !== (review.worked_seconds ?? null)) patch.minutes_worked = minutes;
    }
    const outcome = values.outcome || null;
    if (outcome !== (review.outcome ?? null)) patch.outcome = outcome;
    const flags = [...new Set(values.flags || [])].sort();
    if (flags.join(",") !== [...(review.flags || [])].sort().join(",")) patch.flags = flags;
    const comment = String(values.comment ?? "").trim();
    if (comment !== (review.comment ?? "")) patch.comment = comment;
    const left = { ...review.ratings, ...ratings };
    const rated = DIMENSIONS.some((key) => left[key] !== null && left[key] !== undefined);
    const flagsLeft = patch.flags ?? review.flags ?? [];
    const outcomeLeft = "outcome" in patch ? patch.outcome : review.outcome;
    const commentLeft = "comment" in patch ? patch.comment : review.comment;
    if (!rated && !flagsLeft.length && !commentLeft && !outcomeLeft) {
      return { error: { field: "ratings", message: "Give at least one rating, an outcome, a flag or a comment." } };
    }
    return Object.keys(patch).length ? { patch } : { unchanged: true };
  }

  // ---------------------------------------------------------------------------------------------
  // Reminders: reviews the history has overtaken.

  /**
   * Reviews whose outcome the worker's history (`GET /api/v1/me/history` items) now contradicts: a task reviewed
   * with no outcome or "pending" that the history shows approved or rejected, or one whose approval turned into a
   * rejection (or back). With several assignments of the task, one rejection decides. Reviews of a requester as a
   * whole, and outcomes that say something else (returned, blocked), are left alone. `dismissed`: keys
   * ("<review id>:<outcome>") the worker said "not now" to. Newest review first.
   */
  function outcomeChanges(reviews, historyItems, { dismissed = [] } = {}) {
    const states = new Map(); // task key -> {approved, rejected, pending}
    for (const item of historyItems || []) {
      const key = taskKey(item);
      const count = states.get(key) || { approved: 0, rejected: 0, pending: 0 };
      if (item.state in count) count[item.state] += 1;
      states.set(key, count);
    }
    const skip = new Set(dismissed);
    const changes = [];
    for (const review of reviews || []) {
      const key = reviewKey(review);
      if (!key || OTHER_OUTCOMES.includes(review.outcome)) continue;
      const count = states.get(key);
      if (!count || !(count.approved || count.rejected)) continue;
      const outcome = count.rejected ? "rejected" : "approved";
      if (review.outcome === outcome || skip.has(changeKey(review.id, outcome))) continue;
      changes.push({
        review_id: review.id,
        platform: review.platform,
        requester_id: review.requester_id,
        requester_name: review.requester_name,
        title: review.task.title,
        was: review.outcome ?? null,
        outcome,
        counts: { ...count },
        reviewed_at: review.updated_at || review.created_at || null,
      });
    }
    return changes.sort((a, b) => b.review_id - a.review_id);
  }

  function changeKey(reviewId, outcome) {
    return `${reviewId}:${outcome}`;
  }

  const OUTCOME_WORDS = Object.freeze({
    approved: "approved", rejected: "rejected", pending: "pending", returned: "returned", blocked: "blocked",
  });

  /** "your review says pending; your history shows it approved (2 approved)" for a change. */
  function changeText(change) {
    const was = change.was ? `says ${OUTCOME_WORDS[change.was] || change.was}` : "gives no outcome";
    const parts = [];
    if (change.counts.approved) parts.push(`${change.counts.approved} approved`);
    if (change.counts.rejected) parts.push(`${change.counts.rejected} rejected`);
    if (change.counts.pending) parts.push(`${change.counts.pending} pending`);
    return `Your review ${was}; your history now shows it ${OUTCOME_WORDS[change.outcome]} (${parts.join(", ")}).`;
  }

  /**
   * Everything a check needs, with its I/O passed in: `listReviews({cursor})` and `listHistory({state, cursor})`
   * answer pages ({items, next_cursor}). Reads at most `maxPages` pages of each (so a huge history cannot run on
   * for ever) and says so in `truncated`. → {changes, reviews: n, history: n, truncated}
   */
  async function check({ listReviews, listHistory, dismissed = [], maxPages = 25 }) {
    let truncated = false;
    async function all(list) {
      const items = [];
      let cursor = null;
      for (let page = 0; page < maxPages; page += 1) {
        const answer = await list(cursor);
        items.push(...(answer?.items || []));
        cursor = answer?.next_cursor || null;
        if (!cursor) return items;
      }
      truncated = true;
      return items;
    }
    const reviews = (await all((cursor) => listReviews({ cursor }))).filter((r) => r.task);
    if (!reviews.length) return { changes: [], reviews: 0, history: 0, truncated };
    const history = [];
    for (const state of DECIDED) history.push(...await all((cursor) => listHistory({ state, cursor })));
    return { changes: outcomeChanges(reviews, history, { dismissed }), reviews: reviews.length, history: history.length, truncated };
  }

  return {
    DIMENSIONS,
    titleKey,
    taskKey,
    reviewKey,
    findOwn,
    minutesText,
    parseMinutes,
    valuesFromReview,
    patchFromValues,
    outcomeChanges,
    changeKey,
    changeText,
    check,
  };
});
