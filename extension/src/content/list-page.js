// A platform's task list, annotated: read the page, ask the background (one annotate request per page
// view and per filter change; re-renders of the same list are answered from its cache), draw the overlay,
// and keep it through the page's own re-renders. The platform content scripts (mturk.js, prolific.js) only
// say how to read their page.
//
// Rows may arrive after the script starts and be replaced later (pagination, a single-page app's polling):
// one MutationObserver, debounced and bounded, reads the page again when something other than our own overlay
// changed. When a covered list shows no readable tasks within a few seconds, or shows rows it cannot read, the
// page says so in words (and the toolbar badge), with a button that shows the anonymous page-shape report
// (lib/page-report.js) and sends it only when the worker says so.
(function (root) {
  "use strict";

  const ext = globalThis.browser ?? globalThis.chrome;

  const { overlay, reviewForm, pageReport } = root.Fairfinder;
  const SETTLE_MS = 150; // mutations closer than this are one change
  const MIN_GAP_MS = 300; // at most about three reads a second, whatever the page does
  const MAX_READS = 3000; // per page view: a page that never stops changing stops being watched
  const GRACE_MS = 4000; // how long a covered list may take to show its tasks before we say we cannot read it
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
    // The worker's own reviews of this requester: the form edits one that exists instead of sending a second.
    const lookup = () => send({ type: "own-reviews", platform: task.platform, requester_id: task.requester_id });
    const [measured, own] = await Promise.all([send({ type: "measured-minutes", task }), lookup()]);
    reviewForm.open(task, {
      minutes: measured.ok ? measured.minutes : null,
      own: own.ok ? own.reviews : null,
      lookup,
      opener,
      send: (review) => send({ type: "review", review }),
      edit: (id, patch) => send({ type: "review-edit", id, patch }),
    });
  }

  function browserFamily() {
    return /firefox/i.test(navigator.userAgent) ? "firefox" : /chrom/i.test(navigator.userAgent) ? "chromium" : "other";
  }

  /** Tag, classes and data-testid of every element under `rootElement`: nothing else (lib/page-report.js). */
  function shapeEntries(rootElement) {
    const entries = [];
    if (!rootElement) return entries;
    for (const element of [rootElement, ...rootElement.querySelectorAll("*")]) {
      if (entries.length >= 20000) break;
      entries.push({ tag: element.tagName, classes: [...element.classList], testid: element.getAttribute("data-testid") });
    }
    return entries;
  }

  function isOurs(node) {
    if (!node || node.nodeType !== 1) return node?.nodeType === 3 && isOurs(node.parentElement);
    return node.id === "ff-notice" || Boolean(node.closest?.(".ff-annotation, .ff-bar, #ff-notice, dialog.ff-dialog"))
      || [...(node.classList || [])].some((c) => c.startsWith("ff-"));
  }

  /**
   * `read()` returns {rows: Element[], payload, seen, dataItems, container, empty} — `payload` for annotate
   * ({raw}, {raw_html} or {tasks}) whose tasks are in the order of `rows`; `seen` how many task rows the page
   * shows (read or not); `dataItems` how many tasks the page's own data holds; `container` whether the list's
   * element is there; `empty` whether the page says it has no tasks. `fallback()` reads the DOM instead,
   * used once if the server cannot read `payload`. `probes()` counts what our selectors match, for the report.
   */
  function create({ platform, read, fallback = null, probes = () => ({}), shapeRoot = () => document.body, graceMs = GRACE_MS }) {
    let current = null; // {rows, annotations}: what is drawn
    let dirty = false; // what is drawn is out of date (filters changed, new data, a busy server to ask again)
    let pending = null;
    let again = false; // a change arrived while a request was out
    let settleTimer = null;
    let lastRead = 0;
    let reads = 0;
    let observer = null;
    let startedAt = 0;
    let problem = null; // null | {kind: "no_tasks"|"partial", seen, read, dataItems}
    let retryTimer = null;

    /**
     * Draw the overlay. `missingOnly`: only into rows the page's own re-render emptied (rows that still hold our
     * box keep it untouched, with their focus and a row the worker chose to show). After new annotations, every
     * row, keeping the keyboard focus on the same button of the same row and a shown row shown.
     */
    function draw({ missingOnly = false } = {}) {
      if (!current) return;
      const focused = document.activeElement;
      const ours = focused && focused.closest?.(".ff-annotation, .ff-bar") ? focused : null;
      current.rows.forEach((row, i) => {
        const annotation = current.annotations[i];
        if (!annotation || !row.isConnected) return;
        if (missingOnly && row.querySelector(":scope > .ff-annotation")) return;
        const refocus = ours && row.contains(ours) ? [...ours.classList].find((c) => c.endsWith("-button")) : null;
        overlay.render(row, { ...annotation, platform }, { onReview: openReview });
        if (refocus) row.querySelector(`.${refocus}`)?.focus();
      });
    }

    function sameRows(rows) {
      return Boolean(current) && current.rows.length === rows.length && current.rows.every((row, i) => row === rows[i]);
    }

    // --- what the page says when it cannot read ---------------------------------------------------

    function report(kind, page) {
      return pageReport.build({
        platform, extensionVersion: ext.runtime.getManifest().version, browser: browserFamily(),
        pathname: location.pathname, problem: kind,
        counts: { rows_seen: page?.seen || 0, tasks_read: page?.rows?.length || 0, data_items: page?.dataItems || 0 },
        probes: probes(), entries: shapeEntries(shapeRoot()),
      });
    }

    function showProblem(kind, page) {
      const key = `${kind}:${page?.seen || 0}:${page?.rows?.length || 0}`;
      if (problem && problem.key === key && document.getElementById("ff-notice")) return;
      problem = { key, kind };
      const text = kind === "partial"
        ? `could read only ${page.rows.length} of the ${page.seen} tasks on this page; the others have no ratings. The site may have changed.`
        : "cannot read the tasks on this page, so nothing here is rated. The site may have changed.";
      overlay.notice(text, {
        problem: true,
        actions: [{ label: "What would be reported…", run: () => openReport(kind, page) }],
      });
      send({ type: "page-status", state: kind === "partial" ? "partial" : "unreadable" });
    }

    function clearProblem() {
      if (!problem) return;
      problem = null;
      overlay.clearNotice();
      send({ type: "page-status", state: "ok" });
    }

    function openReport(kind, page) {
      const body = report(kind, page);
      overlay.reportDialog(pageReport.preview(body), {
        send: async () => pageReport.sendWords(await send({ type: "page-report", report: body })),
      });
    }

    /** After the grace period, a covered list without readable tasks is said to be unreadable. */
    function judge(page) {
      const late = Date.now() - startedAt >= graceMs;
      if (page && page.rows.length && page.seen > page.rows.length) return showProblem("partial", page);
      if (page && page.rows.length) return clearProblem();
      if (page?.empty) return clearProblem(); // the platform itself says the list is empty
      if (late) showProblem("no_tasks", page);
    }

    // --- annotate -------------------------------------------------------------------------------------

    function busyNotice(seconds, when) {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => { dirty = true; schedule(); }, Math.max(1, seconds) * 1000);
      let text = `the server is busy; trying again in ${seconds} s. The list works as usual.`;
      if (when) text = `the server is busy; these ratings are from ${new Date(when).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}. Trying again in ${seconds} s.`;
      else if (current) text = `the server is busy; the ratings shown stay as they were. Trying again in ${seconds} s.`;
      overlay.notice(text, { quiet: true });
    }

    async function annotate(page) {
      let answer = await send({ type: "annotate", platform, payload: page.payload });
      let rows = page.rows;
      if (!answer.ok && answer.error?.code === "invalid_payload" && fallback) {
        const dom = fallback();
        if (dom && dom.rows.length) {
          answer = await send({ type: "annotate", platform, payload: dom.payload });
          rows = dom.rows;
        }
      }
      if (!answer.ok) {
        if (answer.busy) {
          // Keep what is drawn; ask again only when the server said it may be asked.
          busyNotice(answer.retryAfter || 30, null);
          return;
        }
        const offline = answer.offline;
        overlay.notice(offline ? "ratings are unavailable right now (server unreachable). The list works as usual."
          : answer.error?.message || "could not rate this list.", { retry: offline ? refresh : null });
        return;
      }
      if (!Array.isArray(answer.result?.tasks)) {
        overlay.notice("could not rate this list: the server's answer was not understood.", { retry: refresh });
        return;
      }
      if (answer.stale) busyNotice(answer.stale.retry_after || 30, answer.stale.at);
      else if (!problem) overlay.clearNotice();
      current = { rows, annotations: answer.result.tasks };
      dirty = false;
      draw();
    }

    /** Read the page and annotate what changed. Calls arriving while a request is out make one more. */
    function refresh() {
      if (pending) {
        again = true;
        return pending;
      }
      pending = (async () => {
        do {
          again = false;
          const page = read();
          judge(page);
          if (!page || !page.rows.length) {
            current = null;
            continue;
          }
          if (sameRows(page.rows) && !dirty) {
            draw({ missingOnly: true }); // the page dropped some of our boxes: put them back
            continue;
          }
          await annotate(page);
        } while (again);
      })().finally(() => {
        pending = null;
      });
      return pending;
    }

    /** A change on the page: read again once it settles, at most every MIN_GAP_MS, at most MAX_READS times. */
    function schedule() {
      clearTimeout(settleTimer);
      const wait = Math.max(SETTLE_MS, MIN_GAP_MS - (Date.now() - lastRead));
      settleTimer = setTimeout(() => {
        lastRead = Date.now();
        reads += 1;
        if (reads >= MAX_READS) observer?.disconnect();
        refresh();
      }, wait);
    }

    function start() {
      startedAt = Date.now();
      refresh();
      ext.storage.onChanged.addListener((changes, area) => {
        if (area === "local" && (changes.filters || changes.settings)) {
          dirty = true; // the same rows, rated again
          schedule(); // one save writes settings and filters together
        }
      });
      observer = new MutationObserver((records) => {
        const theirs = records.some((record) => !isOurs(record.target)
          && ![...record.addedNodes, ...record.removedNodes].every(isOurs));
        if (theirs) schedule();
      });
      observer.observe(document.body, { childList: true, subtree: true });
      // Nothing may change at all on a page we cannot read: look once more when the grace period ends.
      setTimeout(schedule, graceMs + 50);
    }

    /** The page's data changed without its DOM (a new answer from its API): rate the rows again. */
    function reset() {
      dirty = true;
      schedule();
    }

    return { start, refresh, reset };
  }

  (root.Fairfinder ||= {}).listPage = { create, send, shapeEntries };
})(globalThis);
