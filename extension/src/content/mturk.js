// worker.mturk.com: annotate task lists (search results, requester pages) and time accepted tasks.
(function (root) {
  "use strict";

  const { rows: parse, listPage } = root.Fairfinder;
  const TABLE = "[data-react-class*='hitSetTable/HitSetTable']";
  const send = listPage.send;

  function cellsOf(row) {
    const requester = row.querySelector("a[href*='/requesters/']");
    const title = row.querySelector(".title-column a[href*='/projects/'], a[href*='/projects/'][href*='/tasks']");
    return {
      requesterHref: requester?.getAttribute("href"),
      requesterName: requester?.textContent,
      titleHref: title?.getAttribute("href"),
      title: title?.textContent,
      rewardText: row.querySelector(".reward-column")?.textContent,
      hitsText: row.querySelector(".hits-column")?.textContent,
    };
  }

  /** The list as the DOM shows it, for pages without (readable) embedded JSON. */
  function readDom() {
    const found = [];
    for (const row of document.querySelectorAll(`${TABLE} .table-row, .hit-set-table .table-row`)) {
      const task = parse.mturkTaskFromCells(cellsOf(row));
      if (task && !found.some((f) => f.row === row)) found.push({ row, task });
    }
    return found.length ? { rows: found.map((f) => f.row), payload: { tasks: found.map((f) => f.task) } } : null;
  }

  /** The HitSetTable's own props: the tasks exactly as MTurk sent them, in row order. */
  function read() {
    const table = document.querySelector(TABLE);
    if (!table) return readDom();
    let props = null;
    try {
      props = JSON.parse(table.getAttribute("data-react-props") || "null");
    } catch {
      props = null;
    }
    const bodyData = Array.isArray(props?.bodyData) ? props.bodyData : null;
    const rows = [...table.querySelectorAll(".table-row")];
    if (!bodyData || !bodyData.length || bodyData.length !== rows.length) return readDom();
    return { rows, payload: { raw: { bodyData } }, fallback: readDom };
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
    // A return is the task page's own form (method override to DELETE).
    document.addEventListener("submit", (event) => {
      const form = event.target;
      const method = form.querySelector?.("input[name='_method']")?.value?.toLowerCase();
      if (method === "delete" && (form.getAttribute("action") || "").includes(here.assignmentId)) {
        send({ type: "ended", assignment_id: here.assignmentId, outcome: "returned", ended_at: new Date().toISOString() });
      }
    }, true);
    window.addEventListener("pagehide", () => {
      send({ type: "left", assignment_id: here.assignmentId, at: new Date().toISOString() });
    });
  }

  /** Tasks we saw accepted that have left the queue were submitted: let the background send them. */
  async function checkOpenTasks(here) {
    const open = await send({ type: "open-assignments" });
    const others = (open.ok ? open.assignments : []).filter((a) => a.assignment_id !== here?.assignmentId);
    if (!others.length) return;
    const items = await queue();
    if (!items) return;
    await send({ type: "queue", assignment_ids: items.map((t) => t.assignment_id), now: new Date().toISOString() });
  }

  const here = parse.acceptedTaskFromUrl(location.href);
  checkOpenTasks(here);
  if (here) {
    trackAcceptedTask(here);
  } else {
    listPage.create({ platform: "mturk", read }).start();
  }
})(globalThis);
