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
  // The Masters qualifications mturk-suite counts (brandonhellman/mturk-suite hit-finder/hit-finder.js @cd3b4ce9):
  // Masters, Categorization Masters, Photo Moderation Masters; and the sandbox's Masters (scrapers/mturk.py).
  const MASTERS_QUALIFICATION_IDS = Object.freeze(["2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", "2NDP2L92HECWY8NS8H3CK0CP5L9GHO",
    "21VZU98JHSTLZ5BPP4A9NOBJEK3DPG", "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6"]);
  // Link texts that are never a task's title: a reader that finds one of these read a button.
  const BUTTON_WORDS = /^(preview|accept|accept & work|accept and work|work|return|details|show details)$/i;

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
   * lacks a requester id, a title or a readable reward. `titleHref` is any of the row's project links
   * (Preview or "Accept & Work"): it gives the hit_set_id, never the title, which is the plain text of the
   * row's `.project-name-column` (a title that reads like a button was read from the wrong place: null).
   */
  function mturkTaskFromCells({ requesterHref, requesterName, titleHref, title, rewardText, hitsText }) {
    const requesterId = requesterIdFromHref(requesterHref);
    const money = parseMoney(rewardText);
    const name = clean(title);
    if (!requesterId || !money || !name || BUTTON_WORDS.test(name)) return null;
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

  /** True when a search result / queue project asks for one of the Masters qualifications (and does not exclude it). */
  function mastersRequired(result) {
    const requirements = [...(Array.isArray(result?.project_requirements) ? result.project_requirements : []),
      ...(Array.isArray(result?.hit_requirements) ? result.hit_requirements : [])];
    return requirements.some((r) => {
      const id = clean(r?.qualification_type_id ?? r?.qualification_type?.qualification_type_id);
      return MASTERS_QUALIFICATION_IDS.includes(id) && !["DoesNotExist", "NotEqualTo", "NotIn"].includes(r?.comparator);
    });
  }

  /**
   * One MTurk search result (a HitSetTable props `bodyData` item, or a queue item's `project`) → Task, or
   * null when it lacks a requester id, a title or a reward. The server reads the same objects itself
   * (scrapers/mturk.py); this is for pages where only some rows have them.
   */
  function mturkTaskFromResult(result) {
    if (!result || typeof result !== "object") return null;
    const cents = dollarsToCents(typeof result.monetary_reward?.amount_in_dollars === "string"
      ? Number(result.monetary_reward.amount_in_dollars) : result.monetary_reward?.amount_in_dollars);
    const requesterId = clean(result.requester_id);
    const title = clean(result.title);
    if (cents === null || !requesterId || !title) return null;
    const task = {
      platform: "mturk",
      requester_id: requesterId,
      requester_name: clean(result.requester_name).slice(0, 200),
      title: title.slice(0, 500),
      reward_cents: cents,
      currency: /^[A-Z]{3}$/.test(clean(result.monetary_reward?.currency_code)) ? clean(result.monetary_reward.currency_code) : "USD",
      masters_required: mastersRequired(result),
    };
    const hitSetId = clean(result.hit_set_id);
    if (/^[A-Za-z0-9]{1,128}$/.test(hitSetId)) {
      task.hit_set_id = hitSetId;
      task.url = `${MTURK_ORIGIN}/projects/${hitSetId}/tasks`;
    }
    const description = clean(result.description);
    if (description) task.description = description.slice(0, 2000);
    if (Number.isSafeInteger(result.assignable_hits_count) && result.assignable_hits_count >= 0) task.available = result.assignable_hits_count;
    if (Number.isSafeInteger(result.assignment_duration_in_seconds) && result.assignment_duration_in_seconds >= 0) {
      task.time_allotted_seconds = result.assignment_duration_in_seconds;
    }
    if (typeof result.caller_meets_requirements === "boolean") task.qualified = result.caller_meets_requirements;
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

  /** A Prolific card's `data-testid` ("study-676eda540ac41cc075b4e578") → the study id, or null for the tags'
   *  and panels' own test ids ("study-tag-reward", "study-details", "study-list-title"). */
  function studyIdFromTestId(testId) {
    const match = String(testId ?? "").match(/^study-([A-Za-z0-9]{10,64})$/);
    return match ? match[1] : null;
  }

  // What the server's parse_studies reads of a study (scrapers/prolific.py, its docstring): the extension
  // sends only these, as the app received them, so the two agree on one shape and nothing else leaves.
  const STUDY_FIELDS = Object.freeze(["id", "name", "description", "study_reward", "reward", "estimated_completion_time",
    "maximum_allowed_time", "total_available_places", "places_taken", "peripheral_requirements"]);

  /** A study of the participant studies JSON, cut to what the server reads; null when it is not an object. */
  function prolificStudyForServer(study) {
    if (!study || typeof study !== "object" || Array.isArray(study)) return null;
    const picked = {};
    for (const key of STUDY_FIELDS) if (study[key] !== undefined) picked[key] = study[key];
    const researcher = study.researcher;
    if (researcher && typeof researcher === "object") {
      picked.researcher = { id: researcher.id, name: researcher.name };
      if (researcher.institution && typeof researcher.institution === "object") picked.researcher.institution = { name: researcher.institution.name };
    }
    return picked;
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
    mturkTaskFromResult,
    mturkTaskFromQueueItem,
    mastersRequired,
    MASTERS_QUALIFICATION_IDS,
    studyIdFromTestId,
    prolificStudyForServer,
    STUDY_FIELDS,
    secondsFromText,
    prolificTaskFromCard,
    fingerprint,
  };
});
