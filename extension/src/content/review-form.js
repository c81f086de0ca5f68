// "Review" from a task row: a short form in a modal <dialog>, about the task or about its requester as a whole,
// prefilled with what the page and the worker's own timing know. When the worker already reviewed it (known when
// the form opens, or told by the server's 409 `review_exists`), the form edits that review instead: it sends only
// what changed (PATCH). `reviewFromValues` (pure) builds the server's ReviewIn; lib/reviews.js the rest of the
// pure part; the rest here is DOM.
(function (root, factory) {
  const req = typeof require === "function" ? require : null;
  const formatLib = root.Fairfinder?.format || (req ? req("../lib/format.js") : null);
  const reviewsLib = root.Fairfinder?.reviews || (req ? req("../lib/reviews.js") : null);
  const api = factory(formatLib, reviewsLib);
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).reviewForm = api;
})(globalThis, function (format, reviewsLib) {
  "use strict";

  const RATINGS = [
    ["pay", "Pay"],
    ["fairness", "Fairness"],
    ["speed", "Speed of approval and payment"],
    ["communication", "Communication"],
  ];
  const OUTCOMES = [
    ["", "Not known yet"],
    ["approved", "Approved"],
    ["pending", "Pending"],
    ["rejected", "Rejected"],
    ["returned", "I returned it"],
    ["blocked", "I was blocked"],
  ];
  const FLAGS = Object.keys(format.FLAG_LABELS);

  /**
   * Form values → ReviewIn. `values`: {ratings: {pay: "4"|"", …}, minutes: "12"|"", outcome, flags: [...],
   * comment}. `about`: "task" (the default) or "requester" (the requester as a whole: no task, no minutes).
   * Returns {review} or {error: {field, message}} for what the form itself can tell.
   */
  function reviewFromValues(values, task, about = "task") {
    const ratings = {};
    for (const [key] of RATINGS) {
      const raw = values.ratings?.[key];
      ratings[key] = raw === undefined || raw === "" || raw === null ? null : Number(raw);
    }
    const review = {
      platform: task.platform,
      requester_id: task.requester_id,
      requester_name: task.requester_name || "",
      ratings,
      flags: (values.flags || []).filter((flag) => FLAGS.includes(flag)),
      comment: String(values.comment || "").trim(),
    };
    if (about !== "requester") {
      review.task = { title: task.title, reward_cents: task.reward_cents, currency: task.currency || "USD" };
      if (task.hit_set_id) review.task.hit_set_id = task.hit_set_id;
      const minutes = reviewsLib.parseMinutes(values.minutes);
      if (Number.isNaN(minutes)) return { error: { field: "minutes", message: "Minutes worked must be a number above 0." } };
      if (minutes !== null) review.minutes_worked = minutes;
    }
    if (values.outcome) review.outcome = values.outcome;
    const rated = Object.values(ratings).some((r) => r !== null);
    if (!rated && !review.flags.length && !review.comment && !review.outcome) {
      return { error: { field: "ratings", message: "Give at least one rating, an outcome, a flag or a comment." } };
    }
    return { review };
  }

  // ---------------------------------------------------------------------------------------------
  // The dialog (browser only).

  let counter = 0;

  function node(tag, props = {}, children = []) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "text") element.textContent = value;
      else if (key === "className") element.className = value;
      else if (key in element && typeof value !== "string") element[key] = value;
      else element.setAttribute(key, value);
    }
    element.append(...children);
    return element;
  }

  function ratingFieldset(id, key, label) {
    const choices = node("div", { className: "ff-choices" });
    for (const value of ["", "1", "2", "3", "4", "5"]) {
      const inputId = `${id}-${key}-${value || "na"}`;
      const input = node("input", { type: "radio", name: `${id}-${key}`, id: inputId, value });
      if (value === "") input.checked = true;
      choices.append(node("label", { for: inputId }, [input, ` ${value || "n/a"}`]));
    }
    return node("fieldset", {}, [node("legend", { text: `${label} (1 worst – 5 best)` }), choices]);
  }

  const dateWords = (iso) => {
    const time = Date.parse(iso);
    return Number.isNaN(time) ? "earlier" : `on ${new Date(time).toLocaleDateString(undefined, { dateStyle: "medium" })}`;
  };
  const STATUS_WORDS = { held: " It is held until a moderator looks at it.", hidden: " It was hidden by moderation." };

  /**
   * Open the form for `task` (a Task plus requester_name). `send(review)` and `edit(id, patch)` return the
   * background's answer; `own` is the worker's reviews of this requester (null when they could not be read, e.g.
   * signed out); `lookup()` reads them again (after a 409). Focus goes back to `opener` when the dialog closes.
   */
  function open(task, { minutes = null, send, edit = null, own = null, lookup = null, opener = null }) {
    const id = `ff-review-${++counter}`;
    const requesterName = task.requester_name || task.requester_id;
    let about = "task";
    let base = null; // the stored review being edited, or null: a new review
    let ownReviews = Array.isArray(own) ? own : [];
    let dirty = false; // the worker changed something since the form was last filled

    const heading = node("h2", { id: `${id}-title` });
    const status = node("p", { className: "ff-form-status", role: "status", id: `${id}-status` });
    const statusText = node("span");
    const loadEarlier = node("button", { type: "button", className: "ff-inline", text: "Load my earlier review", hidden: true });
    status.append(statusText, loadEarlier);

    const aboutChoices = node("div", { className: "ff-choices" }, [
      ["task", "This task"],
      ["requester", `${requesterName} as a whole`],
    ].map(([value, label]) => {
      const inputId = `${id}-about-${value}`;
      const input = node("input", { type: "radio", name: `${id}-about`, id: inputId, value });
      if (value === "task") input.checked = true;
      return node("label", { for: inputId }, [input, ` ${label}`]);
    }));
    const aboutField = node("fieldset", {}, [node("legend", { text: "What are you reviewing?" }), aboutChoices]);

    const taskFacts = [
      node("dt", { text: "Task" }), node("dd", { text: task.title }),
      node("dt", { text: "Reward" }), node("dd", { text: format.money(task.reward_cents, task.currency) }),
    ];
    const minutesInput = node("input", { type: "number", id: `${id}-minutes`, min: "1", step: "any", inputMode: "decimal" });
    const minutesLabel = node("label", { for: minutesInput.id, text: "Minutes worked" });
    const minutesField = node("div", { className: "ff-field" }, [minutesLabel, minutesInput]);
    const outcome = node("select", { id: `${id}-outcome` },
      OUTCOMES.map(([value, label]) => node("option", { value, text: label })));
    const flagChoices = node("div", { className: "ff-choices" }, FLAGS.map((flag) => {
      const inputId = `${id}-flag-${flag}`;
      return node("label", { for: inputId }, [node("input", { type: "checkbox", id: inputId, value: flag, name: `${id}-flags` }), ` ${format.flagLabel(flag)}`]);
    }));
    const comment = node("textarea", { id: `${id}-comment`, maxLength: 4000 });
    const sendButton = node("button", { type: "submit", className: "ff-primary" });
    const cancel = node("button", { type: "button", text: "Cancel" });

    const form = node("form", { method: "dialog", noValidate: true }, [
      heading,
      node("dl", {}, [node("dt", { text: "Requester" }), node("dd", { text: requesterName }), ...taskFacts]),
      aboutField,
      status,
      ...RATINGS.map(([key, label]) => ratingFieldset(id, key, label)),
      minutesField,
      node("div", { className: "ff-field" }, [node("label", { for: outcome.id, text: "Outcome" }), outcome]),
      node("fieldset", {}, [node("legend", { text: "Anything other workers should know?" }), flagChoices]),
      node("div", { className: "ff-field" }, [node("label", { for: comment.id, text: "Comment (plain text)" }), comment]),
      node("div", { className: "ff-actions" }, [cancel, sendButton]),
    ]);
    const dialog = node("dialog", { className: "ff-dialog", "aria-labelledby": `${id}-title` }, [form]);
    document.body.append(dialog);

    function values() {
      const ratings = {};
      for (const [key] of RATINGS) ratings[key] = form.querySelector(`input[name="${id}-${key}"]:checked`)?.value ?? "";
      return {
        ratings,
        minutes: minutesInput.value,
        outcome: outcome.value,
        flags: [...form.querySelectorAll(`input[name="${id}-flags"]:checked`)].map((input) => input.value),
        comment: comment.value,
      };
    }

    function fill(v) {
      for (const [key] of RATINGS) {
        const wanted = form.querySelector(`input[name="${id}-${key}"][value="${v.ratings[key] || ""}"]`);
        if (wanted) wanted.checked = true;
      }
      minutesInput.value = v.minutes;
      outcome.value = v.outcome;
      for (const box of form.querySelectorAll(`input[name="${id}-flags"]`)) box.checked = v.flags.includes(box.value);
      comment.value = v.comment;
      dirty = false;
    }

    function say(message, isError, { offer = false } = {}) {
      statusText.textContent = message;
      loadEarlier.hidden = !offer;
      status.classList.toggle("ff-quiet", !message); // stays in place (a live region), takes no room when empty
      status.classList.toggle("ff-error", Boolean(isError));
      status.setAttribute("role", isError ? "alert" : "status");
    }

    const what = () => (about === "task" ? "this task" : `${requesterName} as a whole`);

    /** Show the mode: a new review, or an edit of `base`. */
    function renderMode() {
      const editing = Boolean(base);
      heading.textContent = editing ? `Edit your review of ${requesterName}` : `Review ${requesterName}`;
      sendButton.textContent = editing ? "Save changes" : "Send review";
      for (const fact of taskFacts) fact.hidden = about !== "task";
      minutesField.hidden = about !== "task";
      minutesLabel.textContent = !editing && minutes ? "Minutes worked (measured by Fairfinder)" : "Minutes worked";
    }

    /**
     * Edit `review` from now on. A form the worker has not touched shows it; one they have keeps what they typed
     * (nothing is lost) and offers to load the earlier review instead.
     */
    function editReview(review, { told = false } = {}) {
      base = review;
      renderMode();
      const when = dateWords(review.updated_at || review.created_at);
      const moderation = STATUS_WORDS[review.status] || "";
      if (!dirty && !told) {
        fill(reviewsLib.valuesFromReview(review));
        say(`You reviewed ${what()} ${when}: your review is shown. Change what you like and save.${moderation}`, false);
      } else {
        say(`You already reviewed ${what()} ${when}. "Save changes" replaces your review with what this form says; `
          + `or load your earlier review to start from it.${moderation}`, told, { offer: true });
      }
    }

    function newReview() {
      base = null;
      renderMode();
      say("", false);
      if (!dirty) {
        fill({ ratings: {}, minutes: about === "task" && minutes ? String(minutes) : "", outcome: "", flags: [], comment: "" });
      }
    }

    function choose(next) {
      about = next;
      const existing = reviewsLib.findOwn(ownReviews, task, about);
      if (existing) editReview(existing);
      else newReview();
    }

    form.addEventListener("input", (event) => {
      if (event.target.name === `${id}-about`) return;
      dirty = true;
    });
    aboutChoices.addEventListener("change", (event) => {
      if (event.target.name === `${id}-about`) choose(event.target.value);
    });
    loadEarlier.addEventListener("click", () => {
      if (!base) return;
      fill(reviewsLib.valuesFromReview(base));
      say(`Your earlier review is shown. Change what you like and save.${STATUS_WORDS[base.status] || ""}`, false);
      form.querySelector(`input[name="${id}-pay"]:checked`).focus();
    });

    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      opener?.focus();
    });

    function refuse(error) {
      say(error.message, true);
      (error.field === "minutes" ? minutesInput : form.querySelector(`input[name="${id}-pay"]:checked`)).focus();
    }

    function done(message) {
      say(message, false);
      sendButton.hidden = true;
      cancel.textContent = "Close";
      cancel.focus();
    }

    function failed(answer, fallback) {
      const error = answer?.error || {};
      say(answer?.offline ? "The Fairfinder server could not be reached; try again later." : error.message || fallback, true);
    }

    async function afterConflict() {
      const again = lookup ? await lookup() : null;
      if (again?.ok) ownReviews = again.reviews || [];
      const existing = reviewsLib.findOwn(ownReviews, task, about);
      if (existing && edit) {
        editReview(existing, { told: true });
        sendButton.focus();
      } else {
        say(`You have already reviewed ${what()}, but that review could not be loaded to edit it`
          + `${again && !again.ok && again.error?.message ? `: ${again.error.message}` : "."}`, true);
      }
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (sendButton.disabled) return;
      if (base) {
        const built = reviewsLib.patchFromValues(values(), base, { about });
        if (built.error) return refuse(built.error);
        if (built.unchanged) return say("Nothing changed: your review stays as it was.", false);
        sendButton.disabled = true;
        say("Saving…", false);
        const answer = await edit(base.id, built.patch);
        sendButton.disabled = false;
        if (answer?.ok) {
          ownReviews = [answer.review, ...ownReviews.filter((r) => r.id !== answer.review.id)];
          base = answer.review;
          done("Saved: your review is updated.");
        } else {
          failed(answer, "Your changes were not saved.");
        }
        return;
      }
      const built = reviewFromValues(values(), task, about);
      if (built.error) return refuse(built.error);
      sendButton.disabled = true;
      say("Sending…", false);
      const answer = await send(built.review);
      sendButton.disabled = false;
      if (answer?.ok) {
        ownReviews = [answer.review, ...ownReviews];
        base = answer.review;
        done("Thank you: your review is saved.");
      } else if (answer?.error?.code === "review_exists") {
        await afterConflict();
      } else {
        failed(answer, "The review was not saved.");
      }
    });

    choose("task");
    dialog.showModal();
    dialog.querySelector("input[type=radio]").focus();
    return dialog;
  }

  return { reviewFromValues, open, RATINGS, OUTCOMES };
});
