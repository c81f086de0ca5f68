// "Review" from a task row: a short form in a modal <dialog>, prefilled with what the page and the
// worker's own timing know. `reviewFromValues` (pure) builds the server's ReviewIn; the rest is DOM.
(function (root, factory) {
  const formatLib = root.Fairfinder?.format || (typeof require === "function" ? require("../lib/format.js") : null);
  const api = factory(formatLib);
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).reviewForm = api;
})(globalThis, function (format) {
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
   * comment}. Returns {review} or {error: {field, message}} for what the form itself can tell.
   */
  function reviewFromValues(values, task) {
    const ratings = {};
    for (const [key] of RATINGS) {
      const raw = values.ratings?.[key];
      ratings[key] = raw === undefined || raw === "" || raw === null ? null : Number(raw);
    }
    const review = {
      platform: task.platform,
      requester_id: task.requester_id,
      requester_name: task.requester_name || "",
      task: { title: task.title, reward_cents: task.reward_cents, currency: task.currency || "USD" },
      ratings,
      flags: (values.flags || []).filter((flag) => FLAGS.includes(flag)),
      comment: String(values.comment || "").trim(),
    };
    if (task.hit_set_id) review.task.hit_set_id = task.hit_set_id;
    const minutesText = String(values.minutes ?? "").trim().replace(",", ".");
    if (minutesText) {
      const minutes = Number(minutesText);
      if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 7 * 24 * 60) {
        return { error: { field: "minutes", message: "Minutes worked must be a number above 0." } };
      }
      review.minutes_worked = minutes;
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

  /**
   * Open the form for `task` (a Task plus requester_name). `send(review)` returns the background's answer.
   * Focus goes back to `opener` when the dialog closes.
   */
  function open(task, { minutes = null, send, opener = null }) {
    const id = `ff-review-${++counter}`;
    const status = node("p", { className: "ff-form-status", role: "status", id: `${id}-status` });
    const minutesInput = node("input", { type: "number", id: `${id}-minutes`, min: "1", step: "1", inputMode: "numeric" });
    if (minutes) minutesInput.value = String(minutes);
    const outcome = node("select", { id: `${id}-outcome` },
      OUTCOMES.map(([value, label]) => node("option", { value, text: label })));
    const flagChoices = node("div", { className: "ff-choices" }, FLAGS.map((flag) => {
      const inputId = `${id}-flag-${flag}`;
      return node("label", { for: inputId }, [node("input", { type: "checkbox", id: inputId, value: flag, name: `${id}-flags` }), ` ${format.flagLabel(flag)}`]);
    }));
    const comment = node("textarea", { id: `${id}-comment`, maxLength: 4000 });
    const sendButton = node("button", { type: "submit", className: "ff-primary", text: "Send review" });
    const cancel = node("button", { type: "button", text: "Cancel" });

    const form = node("form", { method: "dialog", noValidate: true }, [
      node("h2", { id: `${id}-title`, text: `Review ${task.requester_name || task.requester_id}` }),
      node("dl", {}, [
        node("dt", { text: "Requester" }), node("dd", { text: task.requester_name || task.requester_id }),
        node("dt", { text: "Task" }), node("dd", { text: task.title }),
        node("dt", { text: "Reward" }), node("dd", { text: format.money(task.reward_cents, task.currency) }),
      ]),
      status,
      ...RATINGS.map(([key, label]) => ratingFieldset(id, key, label)),
      node("div", { className: "ff-field" }, [
        node("label", { for: minutesInput.id, text: minutes ? "Minutes worked (measured by Fairfinder)" : "Minutes worked" }),
        minutesInput,
      ]),
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

    function say(message, isError) {
      status.textContent = message;
      status.classList.toggle("ff-error", Boolean(isError));
      status.setAttribute("role", isError ? "alert" : "status");
    }

    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      opener?.focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const built = reviewFromValues(values(), task);
      if (built.error) {
        say(built.error.message, true);
        (built.error.field === "minutes" ? minutesInput : form.querySelector("input[type=radio]")).focus();
        return;
      }
      sendButton.disabled = true;
      say("Sending…", false);
      const answer = await send(built.review);
      sendButton.disabled = false;
      if (answer?.ok) {
        say("Thank you: your review is saved.", false);
        sendButton.hidden = true;
        cancel.textContent = "Close";
        cancel.focus();
      } else {
        const error = answer?.error || {};
        const why = answer?.offline ? "The Fairfinder server could not be reached; try again later." : error.message || "The review was not saved.";
        say(error.code === "review_exists" ? "You have already reviewed this task." : why, true);
      }
    });
    dialog.showModal();
    dialog.querySelector("input[type=radio]").focus();
    return dialog;
  }

  return { reviewFromValues, open, RATINGS, OUTCOMES };
});
