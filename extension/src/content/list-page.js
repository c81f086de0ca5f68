// A platform's task list, annotated: read the page, ask the background (one annotate request per page
// view and per filter change), draw the overlay, and keep it through the page's own re-renders.
// The platform content scripts (mturk.js, prolific.js) only say how to read their page.
(function (root) {
  "use strict";

  const ext = globalThis.browser ?? globalThis.chrome;

  const { overlay, reviewForm } = root.Fairfinder;
  const RERENDER_DELAY_MS = 150;

  const UNAVAILABLE = { ok: false, offline: true, error: { code: "extension_unavailable", message: "The extension is restarting; reload the page." } };

  /** Ask the background; never throws (an extension being updated answers like a server that is down). */
  async function send(message) {
    try {
      return (await ext.runtime.sendMessage(message)) || UNAVAILABLE;
    } catch {
      return UNAVAILABLE;
    }
  }

  function taskOf(annotation) {
    return {
      platform: annotation.platform,
      requester_id: annotation.requester_id,
      requester_name: annotation.requester?.name || "",
      title: annotation.title,
      reward_cents: annotation.reward_cents,
      currency: annotation.currency,
      hit_set_id: annotation.hit_set_id,
    };
  }

  async function openReview(annotation, opener) {
    const task = taskOf(annotation);
    const measured = await send({ type: "measured-minutes", task });
    reviewForm.open(task, {
      minutes: measured.ok ? measured.minutes : null,
      opener,
      send: (review) => send({ type: "review", review }),
    });
  }

  /**
   * `read()` returns the page's list as {rows: Element[], payload, fallback?} — `payload` for annotate
   * ({raw}, {raw_html} or {tasks}) whose tasks are in the order of `rows`; `fallback()` reads the DOM
   * instead, used once if the server cannot read `payload` (the platform changed its page JSON).
   * Returns null when the page shows no list.
   */
  function create({ platform, read, observe = document.body }) {
    let current = null; // {rows, annotations}
    let pending = null;
    let timer = null;

    function draw() {
      if (!current) return;
      current.rows.forEach((row, i) => {
        const annotation = current.annotations[i];
        if (annotation && row.isConnected) overlay.render(row, { ...annotation, platform }, { onReview: openReview });
      });
    }

    async function annotate() {
      const page = read();
      if (!page || !page.rows.length) return;
      let answer = await send({ type: "annotate", platform, payload: page.payload });
      let rows = page.rows;
      if (!answer.ok && answer.error?.code === "invalid_payload" && page.fallback) {
        const dom = page.fallback();
        if (dom && dom.rows.length) {
          answer = await send({ type: "annotate", platform, payload: dom.payload });
          rows = dom.rows;
        }
      }
      if (!answer.ok) {
        const offline = answer.offline;
        overlay.notice(offline ? "ratings are unavailable right now (server unreachable). The list works as usual."
          : answer.error?.message || "could not rate this list.", { retry: offline ? refresh : null });
        return;
      }
      overlay.clearNotice();
      current = { rows, annotations: answer.result.tasks };
      draw();
    }

    /** Annotate again (filters changed, Retry). Calls arriving together make one request. */
    function refresh() {
      pending ||= annotate().finally(() => {
        pending = null;
      });
      return pending;
    }

    function start() {
      refresh();
      ext.storage.onChanged.addListener((changes, area) => {
        if (area === "local" && (changes.filters || changes.settings)) {
          clearTimeout(timer);
          timer = setTimeout(refresh, RERENDER_DELAY_MS); // one save writes settings and filters together
        }
      });
      // The platform's own scripts may re-render rows and drop ours: draw again from what we have.
      new MutationObserver(() => {
        if (current && current.rows.some((row) => row.isConnected && !row.querySelector(":scope > .ff-annotation"))) draw();
        else if (current && current.rows.every((row) => !row.isConnected)) {
          current = null;
          refresh(); // a new list replaced the old one
        }
      }).observe(observe, { childList: true, subtree: true });
    }

    return { start, refresh };
  }

  (root.Fairfinder ||= {}).listPage = { create, send };
})(globalThis);
