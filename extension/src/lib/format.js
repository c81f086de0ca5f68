// Words and numbers for people: what the overlay, the review form and the popup show.
// Pure functions of the server's annotate answer; no DOM, no browser APIs.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).format = api;
})(globalThis, function () {
  "use strict";

  // Band codes from the server (`hourly.band`) → a text label, so colour is never the only signal.
  const BAND_LABELS = Object.freeze({
    good: "Good pay",
    ok: "OK pay",
    low: "Low pay",
    avoid: "Avoid",
    unknown: "Pay unknown",
  });

  const FLAG_LABELS = Object.freeze({
    underpaid: "underpaid",
    broken: "broken",
    unpaid_screener: "unpaid screener",
    attention_checks: "attention checks",
    personal_data: "asks for personal data",
    download_or_install: "download or install",
    webcam_or_phone: "webcam or phone",
    writing_required: "writing required",
    timer_too_short: "timer too short",
    adult_content: "adult content",
    screen_reader_ok: "works with a screen reader",
    needs_sight: "needs sight",
    needs_hearing: "needs hearing",
    unextendable_time_limit: "time limit cannot be extended",
    captcha: "captcha",
  });
  // Flags that are good news are not warnings.
  const POSITIVE_FLAGS = new Set(["screen_reader_ok"]);

  const SCORE_NAMES = Object.freeze([
    ["pay", "Pay"],
    ["fairness", "Fair"],
    ["speed", "Fast"],
    ["communication", "Comm"],
  ]);

  const CURRENCY_SYMBOLS = Object.freeze({ USD: "$", GBP: "£", EUR: "€" });

  function plural(n, one, many = `${one}s`) {
    return `${n} ${n === 1 ? one : many}`;
  }

  /** 150 USD cents → "$1.50"; unknown currencies as "1.50 CAD". */
  function money(cents, currency = "USD") {
    if (!Number.isFinite(cents)) return "?";
    const amount = (Math.abs(cents) / 100).toFixed(2);
    const sign = cents < 0 ? "-" : "";
    const symbol = CURRENCY_SYMBOLS[currency];
    return symbol ? `${sign}${symbol}${amount}` : `${sign}${amount} ${currency}`;
  }

  function bandLabel(band) {
    return BAND_LABELS[band] || BAND_LABELS.unknown;
  }

  /** What the hourly figure rests on, in the server's words ("3 timings from 2 accounts", "1 timing",
   * "the requester's claim"); from older servers, where it comes from: "12 workers timed it". */
  function basisText(hourly) {
    if (typeof hourly?.rests_on === "string" && hourly.rests_on) return hourly.rests_on;
    const n = hourly?.n ?? 0;
    switch (hourly?.basis) {
      case "task":
        return `${plural(n, "worker")} timed it`;
      case "requester":
        return `from this requester's other tasks (${plural(n, "timing")})`;
      case "stated":
        return "from the requester's own time estimate";
      default:
        return "no timings yet";
    }
  }

  /** What the hourly says about bonuses, in the server's words ("with typical bonuses of $0.25; $4.00/h
   * without"), shown beside it; "" when the figure counts no bonus (or from servers that say nothing of them). */
  function bonusText(hourly) {
    const words = hourly?.bonus;
    return typeof words === "string" ? words.trim().slice(0, 200) : "";
  }

  /** "Pay 4.2 · Fair 4.5 (23 reviews)", or "No reviews yet". Uses the plain mean a worker expects. */
  function scoresText(requester) {
    if (!requester || !requester.reviews) return "No reviews yet";
    const parts = [];
    for (const [key, name] of SCORE_NAMES) {
      const score = requester.scores?.[key];
      if (score && score.n > 0 && Number.isFinite(score.mean)) parts.push(`${name} ${score.mean.toFixed(1)}`);
    }
    const count = plural(requester.reviews, "review");
    return parts.length ? `${parts.join(" · ")} (${count})` : count;
  }

  /** "2 rejections · 1 block reported" or "No rejections or blocks reported". */
  function outcomesText(requester) {
    const rejections = requester?.rejections ?? 0;
    const blocks = requester?.blocks ?? 0;
    if (!rejections && !blocks) return "No rejections or blocks reported";
    const parts = [];
    if (rejections) parts.push(plural(rejections, "rejection"));
    if (blocks) parts.push(plural(blocks, "block"));
    return `${parts.join(" · ")} reported`;
  }

  function flagLabel(flag) {
    return FLAG_LABELS[flag] || String(flag).replace(/_/g, " ");
  }

  function isWarning(flag) {
    return !POSITIVE_FLAGS.has(flag);
  }

  /** The flags of a task and of its requester, once each, task's first. */
  function allFlags(annotation) {
    const seen = new Set();
    for (const flag of [...(annotation.flags || []), ...(annotation.requester?.flags || [])]) seen.add(flag);
    return [...seen];
  }

  /** "Hidden: below your $9.00/h minimum; blocked requester" from a verdict's reasons. */
  function hiddenText(verdict) {
    const reasons = (verdict?.reasons || []).map((reason) => reason.message).filter(Boolean);
    return reasons.length ? `Hidden: ${reasons.join("; ")}` : "Hidden by your filters";
  }

  /** A button's accessible name from its visible word and the task: "Review: Survey about shopping". */
  function buttonName(word, title) {
    const what = String(title ?? "").replace(/\s+/g, " ").trim();
    return what ? `${word}: ${what}` : word;
  }

  /** Seconds → whole minutes for a form field (at least 1), or "" when unknown. */
  function minutesFromSeconds(seconds) {
    if (!Number.isFinite(seconds) || seconds <= 0) return "";
    return String(Math.max(1, Math.round(seconds / 60)));
  }

  return {
    BAND_LABELS,
    FLAG_LABELS,
    money,
    bandLabel,
    basisText,
    bonusText,
    scoresText,
    outcomesText,
    flagLabel,
    isWarning,
    allFlags,
    hiddenText,
    buttonName,
    minutesFromSeconds,
    plural,
  };
});
