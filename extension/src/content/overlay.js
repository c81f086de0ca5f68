// Drawing Fairfinder's annotations into a platform's task list, and the small "server down" notice.
// Shared by the MTurk and Prolific content scripts. Text only (textContent), never HTML from data.
(function (root) {
  "use strict";

  const { format } = root.Fairfinder;
  const ANNOTATION = "ff-annotation";
  const BAR = "ff-bar"; // a hidden row's bar

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** Remove what an earlier render put into a row (re-annotation after a filter change). */
  function clear(row) {
    for (const old of row.querySelectorAll(`:scope > .${ANNOTATION}, :scope > .${BAR}`)) old.remove();
    row.classList.remove("ff-hidden-row", "ff-revealed");
    delete row.dataset.ffBand;
  }

  function details(annotation, onReview) {
    const hourly = annotation.hourly || {};
    const box = el("div", "ff-details");

    const pay = el("span", "ff-pay");
    const known = hourly.label && hourly.label !== "unknown";
    // "?/h" is for the eye only: the band beside it says "Pay unknown", once.
    const figure = el("strong", "ff-hourly", known ? hourly.label : "?/h");
    if (!known) figure.setAttribute("aria-hidden", "true");
    pay.append(figure, " ", el("span", "ff-band", format.bandLabel(hourly.band)));
    box.append(pay);
    // The figure counts typical bonuses when timed work was paid some: say so beside it, in the server's words.
    const bonus = format.bonusText(hourly);
    if (bonus) box.append(el("span", "ff-bonus", bonus));
    box.append(el("span", "ff-basis", format.basisText(hourly)));
    box.append(el("span", "ff-scores", format.scoresText(annotation.requester)));
    const outcomes = el("span", "ff-outcomes", format.outcomesText(annotation.requester));
    if (annotation.requester?.rejections || annotation.requester?.blocks) outcomes.classList.add("ff-warn");
    box.append(outcomes);

    const flags = format.allFlags(annotation);
    if (flags.length) {
      const list = el("ul", "ff-flags");
      list.setAttribute("aria-label", "Reported by workers");
      for (const flag of flags) {
        list.append(el("li", format.isWarning(flag) ? "ff-flag ff-flag-warning" : "ff-flag", format.flagLabel(flag)));
      }
      box.append(list);
    }
    if (onReview) {
      const button = el("button", "ff-review-button", "Review");
      button.type = "button";
      // The name as a whole (aria-label), not a hidden span: browsers join a positioned span with a space.
      button.setAttribute("aria-label", format.buttonName("Review", annotation.title));
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        onReview(annotation, button);
      });
      box.append(button);
    }
    return box;
  }

  /**
   * Put one task's annotation into its row: a group named "Fairfinder" at the end of the row (its figure, band
   * and basis say themselves, so the name does not repeat them). Rows the filters hide are collapsed to a bar,
   * put first in the row, that says why and has a button that shows them anyway: once shown, the row's own
   * links follow the button in the tab order, and the page's own layout applies to them untouched.
   */
  function render(row, annotation, { onReview } = {}) {
    const wasRevealed = row.classList.contains("ff-revealed"); // a row the worker chose to show stays shown
    clear(row);
    const band = annotation.hourly?.band || "unknown";
    const box = el("div", `${ANNOTATION} ff-band-${band}`);
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Fairfinder");
    box.dataset.ffIndex = String(annotation.index);
    row.dataset.ffBand = band;

    if (annotation.verdict?.hidden) {
      row.classList.add("ff-hidden-row");
      const bar = el("div", `${BAR} ff-band-${band}`);
      const reason = el("span", "ff-hidden-reason", format.hiddenText(annotation.verdict));
      const toggle = el("button", "ff-show-button", "Show");
      toggle.type = "button";
      toggle.setAttribute("aria-expanded", "false");
      toggle.setAttribute("aria-label", format.buttonName("Show", annotation.title));
      toggle.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        const revealed = row.classList.toggle("ff-revealed");
        const word = revealed ? "Hide again" : "Show";
        toggle.setAttribute("aria-expanded", String(revealed));
        toggle.textContent = word;
        toggle.setAttribute("aria-label", format.buttonName(word, annotation.title));
      });
      bar.append(el("span", "ff-hidden-title", annotation.title), " ", reason, " ", toggle);
      row.prepend(bar);
      if (wasRevealed) toggle.click();
    } else if (annotation.verdict?.included && annotation.verdict.reasons?.length) {
      box.append(el("span", "ff-included", "Kept by your include list"));
    }
    box.append(details(annotation, onReview));
    row.append(box);
    return box;
  }

  // --------------------------------------------------------------------------------------------
  // The notice: one small, dismissible status line in a corner; never covers the platform's controls.
  // `quiet`: a passing state (the server is busy), drawn lighter; `problem`: the page could not be read;
  // `retry`: a Retry button; `actions`: more buttons [{label, run}].

  function notice(message, { retry, quiet = false, problem = false, actions = [] } = {}) {
    let box = document.getElementById("ff-notice");
    if (!box) {
      box = el("div", "ff-notice");
      box.id = "ff-notice";
      box.setAttribute("role", "status");
      document.body.append(box);
    }
    box.classList.toggle("ff-notice-quiet", quiet);
    box.classList.toggle("ff-notice-problem", problem);
    box.replaceChildren(el("span", "ff-notice-text", `Fairfinder: ${message}`));
    for (const action of actions) {
      const button = el("button", "ff-notice-button", action.label);
      button.type = "button";
      button.addEventListener("click", () => action.run(button));
      box.append(button);
    }
    if (retry) {
      const again = el("button", "ff-notice-button", "Retry");
      again.type = "button";
      again.addEventListener("click", () => {
        clearNotice();
        retry();
      });
      box.append(again);
    }
    const close = el("button", "ff-notice-button ff-notice-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss Fairfinder notice");
    close.addEventListener("click", clearNotice);
    box.append(close);
    return box;
  }

  function clearNotice() {
    document.getElementById("ff-notice")?.remove();
  }

  /**
   * The page-shape report before it goes: exactly the JSON that would be sent, and Send / Cancel. `send()`
   * resolves {ok, message}; the dialog shows the message and closes on Close or Escape.
   */
  function reportDialog(json, { send }) {
    document.getElementById("ff-report")?.remove();
    const opener = document.activeElement;
    const dialog = el("dialog", "ff-dialog ff-report");
    dialog.id = "ff-report";
    dialog.setAttribute("aria-labelledby", "ff-report-title");
    const title = el("h2", null, "Report this page's shape");
    title.id = "ff-report-title";
    const intro = el("p", null, "Fairfinder could not read this page. This report tells its makers how the page is built "
      + "(names of elements, classes and test ids, and counts), so a change of the site is known quickly. It holds no "
      + "text, no ids, no addresses and nothing about you. It is sent without your account. This is all of it:");
    const pre = el("pre", "ff-report-json", json);
    pre.tabIndex = 0;
    pre.setAttribute("aria-label", "The report, as it would be sent");
    const status = el("p", "ff-form-status");
    status.setAttribute("role", "status");
    const actions = el("div", "ff-actions");
    const sendButton = el("button", "ff-primary", "Send this report");
    sendButton.type = "button";
    const cancel = el("button", null, "Cancel");
    cancel.type = "button";
    actions.append(cancel, sendButton);
    dialog.append(title, intro, pre, status, actions);
    document.body.append(dialog);
    const close = () => {
      dialog.close();
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
    };
    cancel.addEventListener("click", close);
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close();
    });
    sendButton.addEventListener("click", async () => {
      sendButton.disabled = true;
      status.classList.remove("ff-error");
      status.textContent = "Sending…";
      const answer = await send();
      status.textContent = answer.message;
      status.classList.toggle("ff-error", !answer.ok);
      if (answer.ok) {
        sendButton.remove();
        cancel.textContent = "Close";
      } else {
        sendButton.disabled = false;
      }
      cancel.focus();
    });
    dialog.showModal();
    cancel.focus();
    return dialog;
  }

  (root.Fairfinder ||= {}).overlay = { render, clear, notice, clearNotice, reportDialog, el };
})(globalThis);
