// worker.mturk.com: annotate task lists (search results, requester pages) and time accepted tasks.
//
// How the live list looks (public evidence, /work/shared/notes/platforms.md): a HitSetTable element whose
// `data-react-props` holds `bodyData` (the search results in row order) when MTurk wrote it; rows
// `li.table-row` / `li.hit-set-table-row`; the title as plain text in `.project-name-column` (no link: the first
// `/projects/` link is the Preview button), the HIT count in `.task-column`, the reward in `.reward-column`.
// Rows may appear after `document_idle` and be replaced on pagination while the props stay as first written,
// so rows are matched to tasks by hit_set_id (from the row's Preview or Accept link), never by position.
(function (root) {
  "use strict";

  const { rows: parse, listPage } = root.Fairfinder;
  const TABLE = "[data-react-class*='hitSetTable/HitSetTable']";
  const ROW = "li.table-row, li.hit-set-table-row";
  const send = listPage.send;

  /** The text of an element without what others put into it (buttons, icons, our own annotation). */
  function ownText(element) {
    if (!element) return "";
    if (!element.querySelector("*")) return element.textContent;
    const copy = element.cloneNode(true);
    for (const extra of copy.querySelectorAll("button, [role='button'], .expand-button, script, style, [class^='ff-'], [class*=' ff-']")) extra.remove();
    return copy.textContent;
  }

  function hitSetIdOf(row) {
    for (const link of row.querySelectorAll("a[href*='/projects/']")) {
      const id = parse.hitSetIdFromHref(link.getAttribute("href"));
      if (id) return id;
    }
    return null;
  }

  function cellsOf(row) {
    const requester = row.querySelector(".requester-column a[href*='/requesters/'], a[href*='/requesters/']");
    const title = row.querySelector(".project-name-column");
    return {
      requesterHref: requester?.getAttribute("href"),
      requesterName: requester?.textContent,
      titleHref: row.querySelector("a[href*='/projects/']")?.getAttribute("href"),
      title: ownText(title),
      rewardText: row.querySelector(".reward-column")?.textContent,
      hitsText: row.querySelector(".task-column")?.textContent,
    };
  }

  /** The HitSetTable's props, when MTurk wrote them and they parse: hit_set_id -> result. */
  function propsOf(table) {
    let props = null;
    try {
      props = JSON.parse(table?.getAttribute("data-react-props") || "null");
    } catch {
      props = null;
    }
    const bodyData = Array.isArray(props?.bodyData) ? props.bodyData : null;
    const byId = new Map();
    for (const item of bodyData || []) {
      const result = item && typeof item === "object" && item.project && typeof item.project === "object" ? item.project : item;
      if (result && typeof result.hit_set_id === "string") byId.set(result.hit_set_id, result);
    }
    return { bodyData, byId };
  }

  function candidateRows() {
    const table = document.querySelector(TABLE);
    const scope = table || document;
    const found = [...scope.querySelectorAll(ROW)];
    // A row is a list item with a project link; the header (one element before the rows) has none.
    return { table, rows: found.filter((row) => !found.some((other) => other !== row && other.contains(row)) && hitSetIdOf(row)) };
  }

  /**
   * The list as {rows, payload, seen, dataItems}: every row we can read, in page order, and its task. Rows whose
   * hit_set_id is in the props are sent as MTurk wrote them ({raw: {bodyData}}, when every row is); others are
   * read from their cells and the page is sent as normalized tasks.
   */
  function read() {
    const { table, rows } = candidateRows();
    const { bodyData, byId } = propsOf(table);
    const found = [];
    for (const row of rows) {
      const id = hitSetIdOf(row);
      const result = id ? byId.get(id) : null;
      if (result) {
        found.push({ row, result });
        continue;
      }
      const task = parse.mturkTaskFromCells(cellsOf(row));
      if (task) found.push({ row, task });
    }
    const readable = found.filter((f) => f.result || f.task);
    const allFromProps = readable.length > 0 && readable.every((f) => f.result);
    let payload = null;
    if (allFromProps) payload = { raw: { bodyData: readable.map((f) => f.result) } };
    else if (readable.length) {
      const tasks = readable.map((f) => f.task || parse.mturkTaskFromResult(f.result));
      payload = { tasks: tasks.filter(Boolean) };
    }
    return {
      rows: readable.map((f) => f.row),
      payload,
      seen: rows.length,
      dataItems: bodyData ? bodyData.length : 0,
      // A table is there: its rows may still come; with props saying it holds nothing, it is an empty list.
      container: Boolean(table),
      empty: Boolean(table) && Array.isArray(bodyData) && bodyData.length === 0 && rows.length === 0,
    };
  }

  /** When the props and the DOM disagree (a row unreadable from props), the rows' cells are the fallback. */
  function fallback() {
    const { rows } = candidateRows();
    const found = [];
    for (const row of rows) {
      const task = parse.mturkTaskFromCells(cellsOf(row));
      if (task) found.push({ row, task });
    }
    return found.length ? { rows: found.map((f) => f.row), payload: { tasks: found.map((f) => f.task) } } : null;
  }

  /** The counts our selectors match, for the page-shape report. */
  function probes() {
    const table = document.querySelector(TABLE);
    return {
      hitset_table: document.querySelectorAll(TABLE).length,
      hitset_props: table && table.hasAttribute("data-react-props") ? 1 : 0,
      rows: document.querySelectorAll(ROW).length,
      project_links: document.querySelectorAll("a[href*='/projects/']").length,
      title_cells: document.querySelectorAll(".project-name-column").length,
      reward_cells: document.querySelectorAll(".reward-column").length,
      requester_links: document.querySelectorAll("a[href*='/requesters/']").length,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Automatic timing. The worker's queue (`/tasks?format=json`, the same request MTurk's own pages
  // make) tells when a task was accepted and whether it is still open.

  async function queue() {
    try {
      const response = await fetch("/tasks?format=json", { credentials: "include", headers: { Accept: "application/json" } });
      if (!response.ok) return null;
      const data = await response.json();
      return Array.isArray(data?.tasks) ? data.tasks : null;
    } catch {
      return null;
    }
  }

  function isReturnForm(form, assignmentId) {
    const method = form?.querySelector?.("input[name='_method']")?.value?.toLowerCase();
    return method === "delete" && (form.getAttribute("action") || "").includes(assignmentId);
  }

  async function trackAcceptedTask(here) {
    const items = await queue();
    const item = items?.find((t) => t.assignment_id === here.assignmentId);
    const task = item && parse.mturkTaskFromQueueItem(item);
    if (!task) return; // not in the queue (already ended) or unreadable: nothing reliable to time
    const answer = await send({
      type: "accepted",
      assignment: { assignment_id: here.assignmentId, task, accepted_at: item.accepted_at, deadline: item.deadline || null },
    });
    if (!answer.ok || !answer.tracking) return;
    let sent = false;
    let returnClickedAt = 0;
    // A return is the task page's own form (method override to DELETE).
    document.addEventListener("submit", (event) => {
      if (!sent && isReturnForm(event.target, here.assignmentId)) {
        sent = true;
        send({ type: "ended", assignment_id: here.assignmentId, outcome: "returned", ended_at: new Date().toISOString() });
      }
    }, true);
    // A confirm-before-return script may stop that event and send the form with form.submit(), which fires
    // none (mturk-suite confirm-return-hit.js). The worker's click on Return is still seen: if the page goes
    // away soon after it, the assignment that then leaves the queue was returned, not submitted.
    document.addEventListener("click", (event) => {
      const button = event.target?.closest?.("button, input[type='submit']");
      if (button && isReturnForm(button.form || button.closest("form"), here.assignmentId)) returnClickedAt = Date.now();
    }, true);
    window.addEventListener("pagehide", () => {
      if (sent) return;
      const returning = returnClickedAt > 0 && Date.now() - returnClickedAt < 10_000;
      send({ type: "left", assignment_id: here.assignmentId, at: new Date().toISOString(), returning });
    });
  }

  /** Tasks we saw accepted that have left the queue ended (submitted, or returned): let the background say. */
  async function checkOpenTasks(here) {
    const open = await send({ type: "open-assignments" });
    const others = (open.ok ? open.assignments : []).filter((a) => a.assignment_id !== here?.assignmentId);
    if (!others.length) return;
    const items = await queue();
    if (!items) return;
    await send({ type: "queue", assignment_ids: items.map((t) => t.assignment_id), now: new Date().toISOString() });
  }

  /** The list pages this script covers: search results and a requester's HITs. */
  function coveredList() {
    return /^\/(projects\/?)?$/.test(location.pathname) || /^\/requesters\/[^/]+\/projects\/?$/.test(location.pathname);
  }

  const here = parse.acceptedTaskFromUrl(location.href);
  checkOpenTasks(here);
  if (here) {
    trackAcceptedTask(here);
  } else if (coveredList()) {
    listPage.create({ platform: "mturk", read, fallback, probes, shapeRoot: () => document.querySelector("main") || document.body }).start();
  }
})(globalThis);
