// Reading tasks off a platform's page: the pure half. Content scripts pull strings and attributes out of
// the DOM; these functions turn them into the server's normalized `Task` (scrapers/model.py) or say no.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).rows = api;
})(globalThis, function () {
  "use strict";

  const MTURK_ORIGIN = "https://worker.mturk.com";
  const PROLIFIC_ORIGIN = "https://app.prolific.com";
  const SYMBOL_CURRENCIES = Object.freeze({ $: "USD", "£": "GBP", "€": "EUR" });

  /** "$1.50" → {cents: 150, currency: "USD"}; "£2.25" → GBP; "1.50 CAD" → CAD; junk → null. */
  function parseMoney(text) {
    const value = String(text ?? "").replace(/\s+/g, " ").trim();
    let match = value.match(/^([$£€])\s?(\d{1,6}(?:,\d{3})*(?:\.\d{1,2})?)$/);
    let currency;
    let amount;
    if (match) {
      currency = SYMBOL_CURRENCIES[match[1]];
      amount = match[2];
    } else {
      match = value.match(/^(\d{1,6}(?:,\d{3})*(?:\.\d{1,2})?)\s?([A-Z]{3})$/);
      if (!match) return null;
      amount = match[1];
      currency = match[2];
    }
    const [whole, fraction = ""] = amount.replace(/,/g, "").split(".");
    const cents = Number(whole) * 100 + Number((fraction + "00").slice(0, 2));
    return Number.isSafeInteger(cents) ? { cents, currency } : null;
  }

  /** Dollars as a float (MTurk's JSON) → integer cents without float surprises (0.29 → 29). */
  function dollarsToCents(amount) {
    return Number.isFinite(amount) && amount >= 0 ? Math.round(amount * 100) : null;
  }

  function pathOf(href, origin = MTURK_ORIGIN) {
    try {
      return new URL(href, origin);
    } catch {
      return null;
    }
  }

  /** "/requesters/A2P2MT8IK72CVZ/projects?ref=…" → "A2P2MT8IK72CVZ". */
  function requesterIdFromHref(href) {
    const match = pathOf(href)?.pathname.match(/^\/requesters\/([A-Za-z0-9]+)(?:\/|$)/);
    return match ? match[1] : null;
  }

  /** "/projects/3MQJ…/tasks?ref=…" (preview, accept, task) → "3MQJ…". */
  function hitSetIdFromHref(href) {
    const match = pathOf(href)?.pathname.match(/^\/projects\/([A-Za-z0-9]+)\/tasks(?:\/|$)/);
    return match ? match[1] : null;
  }

  /** A worker.mturk.com task page (an accepted task): ids from its address, or null. */
  function acceptedTaskFromUrl(href) {
    const url = pathOf(href);
    const match = url?.pathname.match(/^\/projects\/([A-Za-z0-9]+)\/tasks\/([A-Za-z0-9]+)\/?$/);
    const assignmentId = url?.searchParams.get("assignment_id");
    if (!match || !assignmentId || match[2] === "accept_random") return null;
    return { hitSetId: match[1], taskId: match[2], assignmentId };
  }

  function clean(text) {
    return String(text ?? "").replace(/\s+/g, " ").trim();
  }

  /**
   * One MTurk list row read from the DOM (no embedded JSON on the page) → Task, or null when the row
   * lacks a requester id, a title or a readable reward.
   */
  function mturkTaskFromCells({ requesterHref, requesterName, titleHref, title, rewardText, hitsText }) {
    const requesterId = requesterIdFromHref(requesterHref);
    const money = parseMoney(rewardText);
    const name = clean(title);
    if (!requesterId || !money || !name) return null;
    const task = {
      platform: "mturk",
      requester_id: requesterId,
      requester_name: clean(requesterName).slice(0, 200),
      title: name.slice(0, 500),
      reward_cents: money.cents,
      currency: money.currency,
    };
    const hitSetId = hitSetIdFromHref(titleHref);
    if (hitSetId) {
      task.hit_set_id = hitSetId;
      task.url = `${MTURK_ORIGIN}/projects/${hitSetId}/tasks`;
    }
    const available = Number.parseInt(clean(hitsText).replace(/,/g, ""), 10);
    if (Number.isSafeInteger(available) && available >= 0) task.available = available;
    return task;
  }

  /** The task a worker.mturk.com queue item (`/tasks?format=json`) is about, for a timing. */
  function mturkTaskFromQueueItem(item) {
    const project = item?.project;
    if (!project || typeof project !== "object") return null;
    const cents = dollarsToCents(project.monetary_reward?.amount_in_dollars);
    const requesterId = clean(project.requester_id);
    const title = clean(project.title);
    if (cents === null || !requesterId || !title) return null;
    return {
      platform: "mturk",
      requester_id: requesterId,
      requester_name: clean(project.requester_name).slice(0, 200),
      title: title.slice(0, 500),
      reward_cents: cents,
      currency: clean(project.monetary_reward?.currency_code) || "USD",
      hit_set_id: clean(project.hit_set_id) || null,
    };
  }

  /** "15 mins", "1 hour 5 minutes", "90 min" → seconds, or null. */
  function secondsFromText(text) {
    const value = clean(text).toLowerCase();
    let total = 0;
    let found = false;
    for (const match of value.matchAll(/(\d+(?:\.\d+)?)\s*(h|hr|hrs|hour|hours|m|min|mins|minute|minutes)\b/g)) {
      found = true;
      total += Number(match[1]) * (match[2].startsWith("h") ? 3600 : 60);
    }
    return found && total > 0 ? Math.round(total) : null;
  }

  /** One Prolific study card read from the DOM → Task, or null. */
  function prolificTaskFromCard({ studyId, title, researcherId, researcherName, rewardText, timeText, placesText }) {
    const money = parseMoney(rewardText);
    const name = clean(title);
    const requesterId = clean(researcherId);
    if (!money || !name || !requesterId) return null;
    const task = {
      platform: "prolific",
      requester_id: requesterId,
      requester_name: clean(researcherName).slice(0, 200),
      title: name.slice(0, 500),
      reward_cents: money.cents,
      currency: money.currency,
    };
    if (clean(studyId)) {
      task.hit_set_id = clean(studyId);
      task.url = `${PROLIFIC_ORIGIN}/studies/${encodeURIComponent(clean(studyId))}`;
    }
    const seconds = secondsFromText(timeText);
    if (seconds) task.stated_seconds = Math.min(seconds, 7 * 24 * 3600);
    const places = Number.parseInt(clean(placesText), 10);
    if (Number.isSafeInteger(places) && places >= 0) task.available = places;
    return task;
  }

  /** A short stable fingerprint of any JSON value (FNV-1a over its JSON text): the cache key of a page. */
  function fingerprint(value) {
    const text = JSON.stringify(value) ?? "";
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    return `${(hash >>> 0).toString(16).padStart(8, "0")}-${text.length}`;
  }

  return {
    parseMoney,
    dollarsToCents,
    requesterIdFromHref,
    hitSetIdFromHref,
    acceptedTaskFromUrl,
    mturkTaskFromCells,
    mturkTaskFromQueueItem,
    secondsFromText,
    prolificTaskFromCard,
    fingerprint,
  };
});
