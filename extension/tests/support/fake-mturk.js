'use strict';
// A fake worker.mturk.com (and, through fake-prolific.js, app.prolific.com and internal-api.prolific.com) served
// over TLS on 127.0.0.1. Browsers reach it by host name (Chromium: --host-resolver-rules; Firefox:
// network.dns.forceResolve); requests are dispatched on the Host header (anything that is not a Prolific host is
// worker.mturk.com, so Node can also call https://127.0.0.1:PORT/...).
//
// Built from public evidence of the live site (/work/shared/notes/platforms.md), NOT from what our reader
// expects. Where each detail comes from:
//   [suite]  brandonhellman/mturk-suite (formerly Kadauchi/mturk-suite) @cd3b4ce9f38c7d099fdc6a5bfc9079ca31ecf53f:
//            mturk/hit-exporter.js (`[data-react-class*=HitSetTable]`, its `data-react-props` `bodyData` in row
//            order, `.table-row`, `.project-name-column`), mturk/reviews.js (`.requester-column` holding an
//            `.expand-button`), mturk/block-list-on-mturk.js (`.hit-set-table-row`, an `.expanded-row` added when
//            a row is clicked, `.expand-projects-button` in `.expand-collapse-projects-holder`),
//            mturk/hit-catcher-buttons.js (`.desktop-row`), js/react-dom-props.js (rows read a frame after
//            `document_end`: no promise that they exist at `document_idle`), mturk/confirm-return-hit.js (a confirm
//            script that submits the return form with `form.submit()`, which fires no submit event),
//            hit-finder/hit-finder.js (the three Masters qualification ids), hit_tracker/hit_tracker.js (the queue
//            `/tasks?format=json` and `status_details/<date>?page_number=N&format=json`, 20 a page).
//   [panda]  JohnnyRS/PandaCrazy-Max js/contentScripts/hitHelper.js @0198b34228134c658d9c5530aa5f34af666028f7
//            (about line 279): `ol.hit-set-table` inside the element with `data-react-props`; rows found with
//            `.closest('.table-row').index()` and `bodyData[index - 1]`, so one element that is not a row comes
//            first in the list (its markup no source shows: ours is a header row).
//   [spider] a public 2021 scrapy-splash spider of worker.mturk.com search pages (search-index file 37373276855;
//            repository not named by the index): `li` with class `hit-set-table-row`; `span.requester-column >
//            span > a`; the title as the text of `span.project-name-column` (no link); `span.task-column` (the
//            HIT count); `span.reward-column`; `span.created-column > span[title]`; `span.actions-column > span >
//            span > a`; `.expanded-row` with the description, "Time Allotted" and "Expires"; pagination links
//            `li.page-item > a`.
//   [engine] Anveio/mturk-engine src/worker-mturk-api.d.ts @d2654c7e37f5b5665ab7e44d1e0104fdbd5a30b6 (MIT): the
//            search result, queue item and status detail fields.
//   [data]   the 100-row catalogue: Anveio/mturk-engine src/utils/sampleHits.ts @4f853e3e (2017, MIT), in
//            fixtures/mturk-sample-hits.json; the demo catalogue: the 27 HITs of
//            /work/shared/fixtures/seed_hitfinder_dashboard.tsv (the book "Inclusief platformwerk", 2023).
// Not in any source, so chosen here and read defensively: the header row's markup, the order of the Preview and
// "Accept & Work" links, whether pagination re-renders on the client (we offer both), and that a client
// re-render leaves `data-react-props` as the server first wrote it (react-rails writes the initial props only).

const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { mturkDays } = require('../../src/lib/history.js');
const { createFakeProlific, PROLIFIC_HOSTS } = require('./fake-prolific.js');

const MASTERS_QUALIFICATION_ID = '2F1QJWKUDD8XADTFD2Q0G6UTO95ALH';
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const DEFAULT_PAGE_SIZE = 50; // the real site defaults to 20; 50 keeps the 27 demo tasks on one page
const ASSIGNMENT_SECONDS = 3600;
// Indexes (in the demo seed order) of the tasks the fake worker is not qualified for.
const UNQUALIFIED = new Set([9, 20]);
const MASTERS_TASK = 9;
const SAMPLE_HITS = path.join(__dirname, 'fixtures', 'mturk-sample-hits.json');
const REF = 'ref=w_pl_prvw';

const debug = (...args) => { if (process.env.FF_DEBUG) console.log('[fake-mturk]', ...args); };

function randomId(length = 30) {
  const bytes = crypto.randomBytes(length);
  return Array.from(bytes, (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
}

function deterministicId(seed, length = 30) {
  const bytes = crypto.createHash('sha512').update(seed).digest();
  // Real hit_set_ids start with a digit (commonly 3); the rest are uppercase letters and digits.
  return '3' + Array.from(bytes.subarray(0, length - 1), (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
}

function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]);
}

function duration(seconds) {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  return `${Math.round(seconds / 60)} min`;
}

/** "60 minutes", "2 hours" (mturk-engine's stored `timeAllotted`) -> seconds. */
function secondsOf(text) {
  const match = String(text).match(/(\d+)\s*(minute|hour|day|week)/);
  if (!match) return ASSIGNMENT_SECONDS;
  return Number(match[1]) * { minute: 60, hour: 3600, day: 86400, week: 604800 }[match[2]];
}

/** The 27 demo tasks as the Python side seeds them (requester ids "ADEMO…"), via the venv's python. */
function loadSeedTasks({ python, root }) {
  const code = 'import msgspec; from server.demo import read_seed_tasks; print(msgspec.json.encode(read_seed_tasks()).decode())';
  try {
    return JSON.parse(execFileSync(python, ['-c', code], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (err) {
    throw new Error(`could not read the demo seed tasks with ${python}: ${err.stderr || err.message}`);
  }
}

function mastersRequirement() {
  // [engine] WorkerApiQualification; the id [suite].
  return {
    qualification_type_id: MASTERS_QUALIFICATION_ID,
    comparator: 'Exists',
    qualification_values: [],
    worker_action: 'AcceptHit',
    caller_meets_requirement: false,
    caller_qualification_value: { integer_value: null, locale_value: { country: null, subdivision: null } },
    qualification_request_url: `/qualifications/${MASTERS_QUALIFICATION_ID}/request`,
    qualification_type: {
      qualification_type_id: MASTERS_QUALIFICATION_ID, name: 'Masters', description: 'Masters', keywords: '',
      has_test: false, is_requestable: false, visibility: true,
    },
  };
}

/** One search result ([engine] WorkerSearchResult) around the given facts. */
function searchResult({ hitSetId, requesterId, requesterName, title, description, dollars, hits, seconds, created, qualified, requirements }) {
  return {
    hit_set_id: hitSetId,
    requester_id: requesterId,
    requester_name: requesterName,
    title,
    description,
    monetary_reward: { amount_in_dollars: dollars, currency_code: 'USD' },
    assignable_hits_count: hits,
    assignment_duration_in_seconds: seconds,
    creation_time: created.toISOString(),
    last_updated_time: new Date(created.getTime() + 15 * 60000).toISOString(),
    latest_expiration_time: new Date(created.getTime() + 7 * 86400000).toISOString(),
    caller_meets_requirements: qualified,
    caller_meets_preview_requirements: true,
    accept_project_task_url: `/projects/${hitSetId}/tasks/accept_random?${REF}`,
    project_tasks_url: `/projects/${hitSetId}/tasks?${REF}`,
    requester_url: `/requesters/${requesterId}/projects?${REF}`,
    project_requirements: requirements,
  };
}

/** The demo catalogue: the 27 seed tasks, with made-up ids that stay the same within an hour. */
function buildTasks(seedTasks, now = Date.now()) {
  const anchor = Math.floor(now / 3600000) * 3600000;
  return seedTasks.map((seed, i) => {
    const hitSetId = deterministicId(`fairfinder-demo:${seed.requester_id}:${seed.title}:${i}`);
    const hash = crypto.createHash('sha256').update(hitSetId).digest();
    return searchResult({
      hitSetId, requesterId: seed.requester_id, requesterName: seed.requester_name, title: seed.title,
      description: seed.description || `${seed.title} (demo task from ${seed.requester_name}).`,
      dollars: seed.reward_cents / 100, hits: 1 + (hash.readUInt16BE(0) % 400), seconds: ASSIGNMENT_SECONDS,
      created: new Date(anchor - (i + 1) * 97 * 60000), qualified: !UNQUALIFIED.has(i),
      requirements: i === MASTERS_TASK ? [mastersRequirement()] : [],
    });
  });
}

/** The 100 real HIT groups of mturk-engine's sample ([data]), as search results. */
function buildSampleTasks(now = Date.now(), file = SAMPLE_HITS) {
  const anchor = Math.floor(now / 3600000) * 3600000;
  return JSON.parse(fs.readFileSync(file, 'utf8')).hits.map((hit, i) => searchResult({
    hitSetId: hit.hit_set_id, requesterId: hit.requester_id, requesterName: hit.requester_name, title: hit.title,
    description: hit.description, dollars: Number(hit.reward), hits: hit.batch_size, seconds: secondsOf(hit.time_allotted),
    created: new Date(anchor - (i + 1) * 13 * 60000), qualified: hit.qualified !== false, requirements: [],
  }));
}

// ---------------------------------------------------------------------------------------------- work history

const HISTORY_FIXTURE = path.join(__dirname, 'mturk-status-details.json');
const SIGN_IN_URL = 'https://www.amazon.com/ap/signin?openid.return_to=https%3A%2F%2Fworker.mturk.com%2F';

/**
 * The worker's MTurk history (status_details pages and the dashboard, [suite] hit_tracker.js, [engine]
 * StatusDetailApiResponse / DashboardApiResponse) from mturk-status-details.json: its `days_ago` become MTurk
 * dates (Pacific time) of the run.
 */
function buildWorkHistory(fixture = JSON.parse(fs.readFileSync(HISTORY_FIXTURE, 'utf8')), now = Date.now()) {
  const days = mturkDays(now);
  const byDate = new Map();
  for (const entry of fixture.days) byDate.set(days[entry.days_ago], structuredClone(entry.results));
  const pageSize = fixture.page_size || 20;
  return {
    pageSize,
    days, // the 45 MTurk dates of the run, newest first
    byDate, // date -> results (all pages)
    /** Every result, for checking what a sync uploaded. */
    all() { return [...byDate.entries()].flatMap(([date, results]) => results.map((r) => ({ date, ...r }))); },
    /** Change a result (by assignment id), e.g. {state: 'Approved'}. */
    update(assignmentId, changes) {
      for (const results of byDate.values()) {
        const found = results.find((r) => r.assignment_id === assignmentId);
        if (found) return Object.assign(found, changes);
      }
      throw new Error(`no result with assignment_id ${assignmentId}`);
    },
    page(date, pageNumber) {
      const results = byDate.get(date) || [];
      const number = Math.max(1, pageNumber || 1);
      const slice = results.slice((number - 1) * pageSize, number * pageSize);
      return { page_number: number, num_results: slice.length, total_num_results: results.length, results: structuredClone(slice) };
    },
    dashboard() {
      const count = (results, states) => results.filter((r) => states.includes(r.state)).length;
      const dollarsOf = (results, states) => Math.round(results.filter((r) => states.includes(r.state))
        .reduce((sum, r) => sum + r.reward.amount_in_dollars * 100, 0)) / 100;
      return {
        available_earnings: { amount_in_dollars: 12.34, currency_code: 'USD' },
        hits_overview: { approved: 0, approval_rate: 0.99, pending: 0, rejected: 0, rejection_rate: 0.01 },
        earnings_to_date: { approved: 123.45, bonuses: 6.5, total_earnings: 129.95 },
        daily_hit_statistics_overview: days.map((date) => {
          const results = byDate.get(date) || [];
          return {
            date,
            submitted: results.length,
            approved: count(results, ['Approved', 'Paid']),
            rejected: count(results, ['Rejected']),
            pending: count(results, ['Submitted', 'Pending']),
            hits_rewards: dollarsOf(results, ['Approved', 'Paid']),
            bonus_rewards: 0,
            earnings: dollarsOf(results, ['Approved', 'Paid']),
          };
        }),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------- markup

// Row markup, shared by the server (first render) and the page's own script (late renders, client-side
// pagination): the function's source is sent to the page. [spider], [suite], [panda].
function rowHtml(r, now) {
  const esc = (v) => String(v == null ? '' : v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]);
  const minutes = Math.max(0, Math.round((now - Date.parse(r.creation_time)) / 60000));
  const age = minutes < 60 ? `${minutes} minute${minutes === 1 ? '' : 's'} ago` : `${Math.round(minutes / 60)} hour${Math.round(minutes / 60) === 1 ? '' : 's'} ago`;
  const reward = `$${Number(r.monetary_reward.amount_in_dollars).toFixed(2)}`;
  const ref = 'ref=w_pl_prvw';
  return `<li class="table-row hit-set-table-row">
  <div class="desktop-row hidden-xs-down">
    <span class="p-x-sm column requester-column text-truncate"><span class="expand-button"><i class="fa fa-plus-circle" aria-hidden="true"></i></span><span><a href="/requesters/${esc(r.requester_id)}/projects?${ref}">${esc(r.requester_name)}</a></span></span>
    <span class="p-x-sm column project-name-column text-truncate">${esc(r.title)}</span>
    <span class="p-x-sm column task-column text-xs-right">${esc(r.assignable_hits_count)}</span>
    <span class="p-x-sm column reward-column text-xs-right">${esc(reward)}</span>
    <span class="p-x-sm column created-column text-xs-right"><span title="${esc(new Date(r.creation_time).toUTCString())}">${esc(age)}</span></span>
    <span class="p-x-sm column actions-column"><span class="btn-group"><span><a class="btn btn-secondary btn-sm" href="/projects/${esc(r.hit_set_id)}/tasks?${ref}">Preview</a></span><span><a class="btn btn-primary btn-sm" href="/projects/${esc(r.hit_set_id)}/tasks/accept_random?${ref}">Accept &amp; Work</a></span></span></span>
  </div>
</li>`;
}

function expandedRowHtml(r) {
  const esc = (v) => String(v == null ? '' : v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]);
  const seconds = r.assignment_duration_in_seconds;
  const allotted = seconds >= 3600 ? `${Math.round(seconds / 3600)} hour(s)` : `${Math.round(seconds / 60)} min`;
  return `<div class="expanded-row"><div class="row"><div class="col-xs-12"><div class="p-b-md"><div><p>${esc(r.description)}</p></div>
  <div><h6>Time Allotted</h6>${esc(allotted)}</div><div><h6>Expires</h6><span title="${esc(r.latest_expiration_time)}">in 7 days</span></div></div></div></div></div>`;
}

function tableHtml(results, now) {
  // [panda]: `ol.hit-set-table`, one element before the rows; its markup is ours.
  return `<div class="hit-set-table-container"><ol class="list-unstyled hit-set-table">
<li class="table-header hit-set-table-header"><div class="desktop-row"><span class="column requester-column">Requester</span><span class="column project-name-column">Title</span><span class="column task-column">HITs</span><span class="column reward-column">Reward</span><span class="column created-column">Created</span><span class="column actions-column">Actions</span></div></li>
${results.map((r) => rowHtml(r, now)).join('\n')}
</ol></div>`;
}

function paginationHtml(pageNumber, lastPage, baseQuery) {
  const link = (n, label) => {
    const q = new URLSearchParams(baseQuery);
    q.set('page_number', String(n));
    return `<li class="page-item${n === pageNumber ? ' active' : ''}"><a class="page-link" href="?${q}"${n === pageNumber ? ' aria-current="page"' : ''}>${label}</a></li>`;
  };
  const items = [];
  for (let n = 1; n <= lastPage; n++) items.push(link(n, String(n)));
  return `<nav aria-label="Pages"><ul class="pagination">${items.join('')}</ul></nav>`;
}

// The page's own script: what React does on the live site, in plain DOM. It renders the table late when asked
// to, re-renders it with new nodes on client-side pagination (leaving data-react-props as first written), and
// adds an `.expanded-row` to a clicked row. Row markup: rowHtml/tableHtml above.
function clientScript(config) {
  return `(function () {
  'use strict';
  var config = ${JSON.stringify(config).replace(/</g, '\\u003c')};
  ${rowHtml.toString()}
  ${expandedRowHtml.toString()}
  ${tableHtml.toString()}
  ${paginationHtml.toString()}
  var table = document.querySelector("[data-react-class*='hitSetTable/HitSetTable']");
  var pager = document.querySelector("[data-react-class*='navigation/Pagination']");
  var current = config.results || null;
  function render(data) {
    current = data.results;
    table.innerHTML = tableHtml(data.results, Date.now());
    pager.innerHTML = paginationHtml(data.page_number, Math.max(1, Math.ceil(data.total_num_results / config.pageSize)), config.query);
    var count = document.querySelector('.result-count');
    if (count) count.textContent = data.total_num_results + ' results';
  }
  function load(query) {
    var q = new URLSearchParams(query);
    q.set('format', 'json');
    return fetch(location.pathname + '?' + q, { credentials: 'include', headers: { accept: 'application/json' } })
      .then(function (r) { return r.json(); });
  }
  if (config.late) {
    setTimeout(function () { load(config.query).then(render); }, config.delayMs);
  }
  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('.pagination a.page-link');
    if (link && config.clientPagination) {
      event.preventDefault();
      var query = new URL(link.href).searchParams.toString();
      config.query = query;
      load(query).then(function (data) { history.pushState(null, '', '?' + query); render(data); });
      return;
    }
    var toggle = event.target.closest && event.target.closest('.expand-projects-button');
    if (toggle) {
      event.preventDefault();
      Array.prototype.forEach.call(table.querySelectorAll('li.hit-set-table-row'), function (row, i) { expand(row, i); });
      return;
    }
    if (event.target.closest && event.target.closest('a, button')) return;
    var row = event.target.closest && event.target.closest('li.hit-set-table-row');
    if (row) expand(row, Array.prototype.indexOf.call(table.querySelectorAll('li.hit-set-table-row'), row));
  });
  function expand(row, i) {
    var open = row.querySelector('.expanded-row');
    if (open) { open.remove(); return; }
    if (current && current[i]) row.insertAdjacentHTML('beforeend', expandedRowHtml(current[i]));
  }
  window.__fakeMturk = { rerender: function () { if (current) table.innerHTML = tableHtml(current, Date.now()); } };
})();`;
}

const CSS = `
  body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #f6f7f8; }
  nav.top-nav { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; background: #232f3e; }
  nav.top-nav a { color: #fff; text-decoration: none; font-weight: 600; }
  nav.top-nav form { margin-left: auto; display: flex; gap: .3rem; }
  nav.top-nav label { color: #fff; }
  main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
  .hit-set-table-container, .queue-table { background: #fff; border: 1px solid #ddd; }
  .desktop-row { display: grid; grid-template-columns: 2fr 4fr 1fr 1fr 1.3fr 2.2fr; gap: .5rem; padding: .5rem .8rem; align-items: center; }
  .table-header { font-weight: 700; border-bottom: 2px solid #ddd; }
  ol.list-unstyled { list-style: none; margin: 0; padding: 0; }
  li.table-row { border-bottom: 1px solid #eee; }
  li.table-row:nth-child(even) { background: #fafafa; }
  .expanded-row { padding: .3rem .8rem; color: #444; }
  .btn { display: inline-block; padding: .25rem .6rem; border-radius: 4px; text-decoration: none; border: 1px solid #555; margin-right: .2rem; }
  .btn-primary { background: #0b5394; color: #fff; border-color: #0b5394; }
  .btn-secondary { background: #fff; color: #222; }
  .pagination { display: flex; gap: .3rem; list-style: none; padding: 0; margin: .5rem 0; }
  .page-item.active a { font-weight: 700; }
  .task-header { background: #fff; border: 1px solid #ddd; padding: .8rem; margin-bottom: 1rem; display: flex; gap: 1.5rem; align-items: center; flex-wrap: wrap; }
  iframe { width: 100%; height: 420px; border: 1px solid #ddd; background: #fff; }
`;

function page({ title, body, script = '' }) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title><meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body>
<nav class="top-nav" aria-label="Main"><a href="/">HITs</a><a href="/tasks">Queue</a>
  <form action="/projects" method="get" role="search"><label for="search-term">Search HITs</label>
  <input id="search-term" type="search" name="filters[search_term]"><button type="submit">Search</button></form></nav>
<main>
${body}
</main>
${script ? `<script>${script}</script>` : ''}
</body>
</html>`;
}

function reactProps(props) {
  return escapeHtml(JSON.stringify(props));
}

// ---------------------------------------------------------------------------------------------- server

/**
 * Start the fake platforms.
 * @param {{key: string|Buffer, cert: string|Buffer, python?: string, root?: string, seedTasks?: object[], port?: number}} options
 */
async function startFakePlatform(options) {
  const { key, cert, port = 0 } = options;
  const seedTasks = options.seedTasks || loadSeedTasks(options);
  const catalogues = { demo: buildTasks(seedTasks), sample: buildSampleTasks() };
  let catalogue = 'demo';
  const assignments = new Map(); // assignment_id -> {assignment_id, task_id, hit_set_id, accepted_at, deadline}
  const history = [];
  // How list pages are drawn; tests change it with setListMode(). props: embed the HitSetTable's props;
  // late: the page script fetches and renders the rows after delayMs; clientPagination: page links re-render.
  const defaultMode = { props: true, late: false, delayMs: 1500, clientPagination: false, pageSize: DEFAULT_PAGE_SIZE, broken: false };
  let listMode = { ...defaultMode };
  let confirmReturn = false; // a confirm-return script in the page: the form is sent with form.submit()
  const workHistory = buildWorkHistory(options.workHistory);
  const prolific = createFakeProlific({ root: options.root, submissions: options.prolificSubmissions });
  let signedIn = true; // false: every worker.mturk.com page redirects to Amazon's sign-in
  const historyRequests = []; // {path, at}: dashboard and status_details requests, to check pacing
  const listRequests = []; // {path, json, at}: list pages and their JSON

  const allTasks = () => [...catalogues.demo, ...catalogues.sample];
  const taskById = (hitSetId) => allTasks().find((t) => t.hit_set_id === hitSetId);

  function queueItem(a, now = Date.now()) {
    // [engine] WorkerQueueItem; [suite] hit_tracker.js reads `tasks[]`.
    const { project_requirements: requirements, ...fields } = taskById(a.hit_set_id);
    const taskUrl = `/projects/${a.hit_set_id}/tasks/${a.task_id}?assignment_id=${a.assignment_id}&${REF}`;
    return {
      task_id: a.task_id,
      assignment_id: a.assignment_id,
      accepted_at: a.accepted_at,
      deadline: a.deadline,
      time_to_deadline_in_seconds: Math.max(0, Math.round((Date.parse(a.deadline) - now) / 1000)),
      state: 'Assigned',
      task_url: taskUrl,
      expired_task_action_url: `/projects/${a.hit_set_id}/tasks/${a.task_id}?assignment_id=${a.assignment_id}`,
      question: { type: 'ExternalURL', value: `/_fake/hit?assignment_id=${a.assignment_id}`, attributes: { FrameHeight: '400', FrameSourceAttribute: '' } },
      project: { ...structuredClone(fields), hit_requirements: structuredClone(requirements) },
    };
  }

  const queue = () => [...assignments.values()].map((a) => queueItem(a));

  function end(assignmentId, outcome) {
    const a = assignments.get(assignmentId);
    if (!a) return false;
    assignments.delete(assignmentId);
    history.push({ assignment_id: a.assignment_id, hit_set_id: a.hit_set_id, outcome, at: new Date().toISOString() });
    return true;
  }

  function send(res, status, body, type = 'text/html; charset=utf-8', headers = {}) {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(body);
  }
  const html = (res, status, title, body, script) => send(res, status, page({ title, body, script }));
  const json = (res, status, value) => send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
  const redirect = (res, location) => send(res, 302, '', 'text/plain', { location });
  const notFound = (res) => html(res, 404, 'Page not found', '<h1>Page not found</h1><p>We could not find that page.</p><p><a href="/">Back to HITs</a></p>');

  function search(res, url, only) {
    const q = url.searchParams;
    let results = catalogues[catalogue].filter((t) => !only || t.requester_id === only);
    const term = (q.get('filters[search_term]') || '').trim().toLowerCase();
    if (term) results = results.filter((t) => `${t.title} ${t.requester_name} ${t.description}`.toLowerCase().includes(term));
    if (q.get('filters[qualified]') === 'true') results = results.filter((t) => t.caller_meets_requirements);
    if (q.get('filters[masters]') === 'true') results = results.filter((t) => t.project_requirements.some((r) => r.qualification_type_id === MASTERS_QUALIFICATION_ID));
    const minReward = Number(q.get('filters[min_reward]') || 0);
    if (minReward) results = results.filter((t) => t.monetary_reward.amount_in_dollars >= minReward);
    const sorts = {
      reward_desc: (a, b) => b.monetary_reward.amount_in_dollars - a.monetary_reward.amount_in_dollars,
      reward_asc: (a, b) => a.monetary_reward.amount_in_dollars - b.monetary_reward.amount_in_dollars,
      num_hits_desc: (a, b) => b.assignable_hits_count - a.assignable_hits_count,
      num_hits_asc: (a, b) => a.assignable_hits_count - b.assignable_hits_count,
      updated_asc: (a, b) => a.last_updated_time.localeCompare(b.last_updated_time),
    };
    if (sorts[q.get('sort')]) results = [...results].sort(sorts[q.get('sort')]);
    const pageSize = Math.min(100, Math.max(1, parseInt(q.get('page_size'), 10) || listMode.pageSize));
    const lastPage = Math.max(1, Math.ceil(results.length / pageSize));
    const pageNumber = Math.min(lastPage, Math.max(1, parseInt(q.get('page_number'), 10) || 1));
    const pageResults = structuredClone(results.slice((pageNumber - 1) * pageSize, pageNumber * pageSize));
    const isJson = q.get('format') === 'json';
    listRequests.push({ path: url.pathname + url.search, json: isJson, at: Date.now() });
    if (isJson) {
      // [engine] SearchResultsApiResponse
      return json(res, 200, { page_number: pageNumber, num_results: pageResults.length, total_num_results: results.length, results: pageResults });
    }
    const requester = only && allTasks().find((t) => t.requester_id === only);
    const heading = requester ? `HITs from ${requester.requester_name}` : 'All HITs';
    const query = new URLSearchParams(q);
    query.delete('format');
    if (!query.has('page_size')) query.set('page_size', String(pageSize));
    const mode = listMode;
    const props = mode.props ? ` data-react-props="${reactProps({ bodyData: pageResults, tableConfig: { isQueue: false } })}"` : '';
    // A page whose markup changed beyond what we read: rows in another shape (for the "cannot read" notice).
    const table = mode.broken
      ? `<div class="hit-grid">${pageResults.map((r) => `<div class="hit-card"><div class="hit-card-title">${escapeHtml(r.title)}</div></div>`).join('')}</div>`
      : (mode.late ? '' : tableHtml(pageResults, Date.now()));
    const body = `<div class="container-fluid">
  <div class="row"><div class="col-xs-12">
    <div class="projects-info-header"><h1>${escapeHtml(heading)}</h1><p class="result-count">${results.length} result${results.length === 1 ? '' : 's'}</p>
      <span class="expand-collapse-projects-holder"><span class="expand-projects-button"><a href="#" class="table-expand-collapse-button"><i class="fa fa-plus-circle" aria-hidden="true"></i> <span class="button-text">Show Details</span></a></span></span></div>
    <div data-react-class="require('reactComponents/hitSetTable/HitSetTable')['default']"${props}>${mode.broken ? '' : table}</div>
    ${mode.broken ? table : ''}
    <div data-react-class="require('reactComponents/navigation/Pagination')['default']" data-react-props="${reactProps({ lastPage, currentPage: pageNumber })}">${mode.late ? '' : paginationHtml(pageNumber, lastPage, query)}</div>
  </div></div>
</div>`;
    const script = clientScript({
      late: mode.late && !mode.broken, delayMs: mode.delayMs, clientPagination: mode.clientPagination, pageSize,
      query: query.toString(), results: mode.late ? null : pageResults,
    });
    return html(res, 200, 'Amazon Mechanical Turk', body, script);
  }

  function preview(res, task) {
    const body = `<section class="task-header" aria-label="HIT details">
  <span class="requester">${escapeHtml(task.requester_name)}</span>
  <h1 class="title">${escapeHtml(task.title)}</h1>
  <span class="reward">$${Number(task.monetary_reward.amount_in_dollars).toFixed(2)}</span>
  <span class="time-allotted">${escapeHtml(duration(task.assignment_duration_in_seconds))}</span>
</section>
<p class="description">${escapeHtml(task.description)}</p>
<p><a class="btn btn-primary" href="${escapeHtml(task.accept_project_task_url)}">Accept</a> <a class="btn btn-secondary" href="/projects">Skip</a></p>`;
    return html(res, 200, `Preview: ${task.title}`, body);
  }

  function accept(res, url, task) {
    if (!task.caller_meets_requirements) {
      if (url.searchParams.get('format') === 'json') return json(res, 422, { message: 'You do not meet the Qualification requirements for this HIT.' });
      return html(res, 422, 'Not qualified', `<h1>Not qualified</h1><p>You do not meet the Qualification requirements for ${escapeHtml(task.title)}.</p><p><a href="/projects">Back to HITs</a></p>`);
    }
    const now = Date.now();
    const a = {
      assignment_id: randomId(), task_id: randomId(), hit_set_id: task.hit_set_id,
      accepted_at: new Date(now).toISOString(), deadline: new Date(now + task.assignment_duration_in_seconds * 1000).toISOString(),
    };
    assignments.set(a.assignment_id, a);
    debug('accepted', a.assignment_id, task.title);
    if (url.searchParams.get('format') === 'json') return json(res, 200, queueItem(a, now));
    // Accepted task URL: /projects/<hit_set_id>/tasks/<task_id>?assignment_id=... (platforms.md).
    return redirect(res, `/projects/${a.hit_set_id}/tasks/${a.task_id}?assignment_id=${a.assignment_id}&${REF}`);
  }

  function taskPage(res, a) {
    const task = taskById(a.hit_set_id);
    const action = `/projects/${a.hit_set_id}/tasks/${a.task_id}?assignment_id=${a.assignment_id}`;
    // Return: a form with hidden _method=delete whose action holds the assignment id (platforms.md; [suite]
    // confirm-return-hit.js matches it by `[value="delete"]`).
    const body = `<section class="task-header" aria-label="HIT details">
  <span class="requester">${escapeHtml(task.requester_name)}</span>
  <h1 class="title">${escapeHtml(task.title)}</h1>
  <span class="reward">$${Number(task.monetary_reward.amount_in_dollars).toFixed(2)}</span>
  <span class="time-allotted">Time allotted: ${escapeHtml(duration(task.assignment_duration_in_seconds))}</span>
  <form class="return-form" action="${escapeHtml(action)}" method="post"><input type="hidden" name="_method" value="delete"><button type="submit" class="btn btn-secondary">Return</button></form>
</section>
<iframe title="HIT" src="/_fake/hit?assignment_id=${escapeHtml(a.assignment_id)}"></iframe>`;
    // A confirm-before-return script ([suite] confirm-return-hit.js) that runs before anyone else sees the
    // submit event and then sends the form with form.submit(): no submit event reaches other listeners.
    const script = confirmReturn ? `window.addEventListener('submit', function (event) {
  var form = event.target;
  if (!form.querySelector('[value="delete"]')) return;
  event.preventDefault(); event.stopImmediatePropagation();
  setTimeout(function () { form.submit(); }, 50);
}, true);` : '';
    return html(res, 200, task.title, body, script);
  }

  function hitDocument(res, a) {
    const task = taskById(a.hit_set_id);
    return send(res, 200, `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(task.title)}</title>
<style>body { font-family: system-ui, sans-serif; margin: 1rem; } textarea { width: 100%; max-width: 40rem; }</style></head>
<body>
<main>
<h1>${escapeHtml(task.title)}</h1>
<form id="hit-form" action="/mturk/externalSubmit" method="post" target="_top">
  <input type="hidden" name="assignmentId" value="${escapeHtml(a.assignment_id)}">
  <p><label for="answer">Your answer</label></p>
  <p><textarea id="answer" name="answer" rows="5"></textarea></p>
  <p><button type="submit">Submit</button></p>
</form>
</main>
</body>
</html>`);
  }

  function queuePage(res) {
    const items = queue();
    // [suite] reviews.js: the queue is a TaskQueueTable whose props' bodyData items hold `project`.
    const props = listMode.props ? ` data-react-props="${reactProps({ bodyData: items })}"` : '';
    const rows = items.map((t) => `      <li class="table-row"><div class="desktop-row">
        <span class="p-x-sm column requester-name-column">${escapeHtml(t.project.requester_name)}</span>
        <span class="p-x-sm column project-name-column">${escapeHtml(t.project.title)}</span>
        <span class="p-x-sm column reward-column">$${Number(t.project.monetary_reward.amount_in_dollars).toFixed(2)}</span>
        <span class="p-x-sm column time-column">${escapeHtml(duration(t.time_to_deadline_in_seconds))} left</span>
        <span class="p-x-sm column actions-column"><a class="btn btn-primary" href="${escapeHtml(t.task_url)}">Work</a></span>
      </div></li>`).join('\n');
    const body = `<div class="task-queue-header"><h1>Your HITs queue</h1></div>
${items.length ? '' : '<p class="empty">There are no HITs in your queue.</p>'}
<div data-react-class="require('reactComponents/taskQueueTable/TaskQueueTable')['default']"${props}>
  <div class="queue-table"><ol class="list-unstyled task-queue-body">
${rows}
  </ol></div>
</div>`;
    return html(res, 200, 'Your HITs queue', body);
  }

  function statusDetails(res, url, date) {
    if (url.searchParams.get('format') !== 'json') {
      return html(res, 200, 'Status details', `<h1>HITs submitted on ${escapeHtml(date)}</h1>`);
    }
    return json(res, 200, workHistory.page(date, parseInt(url.searchParams.get('page_number'), 10) || 1));
  }

  async function readForm(req) {
    let body = '';
    for await (const chunk of req) {
      body += chunk;
      if (body.length > 1e6) break;
    }
    return new URLSearchParams(body);
  }

  async function handle(req, res) {
    const host = (req.headers.host || '').replace(/:\d+$/, '').toLowerCase();
    const url = new URL(req.url, `https://${host || 'worker.mturk.com'}`);
    debug(req.method, host, url.pathname + url.search);
    if (PROLIFIC_HOSTS.includes(host)) return prolific.handle(req, res, url, host);
    const p = url.pathname.replace(/\/+$/, '') || '/';
    let m;
    if (p === '/dashboard' || p.startsWith('/status_details/')) historyRequests.push({ path: url.pathname + url.search, at: Date.now() });
    if (!signedIn) return redirect(res, SIGN_IN_URL);
    if (req.method === 'GET') {
      if (p === '/dashboard') {
        return url.searchParams.get('format') === 'json' ? json(res, 200, workHistory.dashboard()) : html(res, 200, 'Dashboard', '<h1>Dashboard</h1>');
      }
      if ((m = p.match(/^\/status_details\/(\d{4}-\d{2}-\d{2})$/))) return statusDetails(res, url, m[1]);
      if (p === '/' || p === '/projects') return search(res, url, null);
      if ((m = p.match(/^\/requesters\/([A-Z0-9]+)\/projects$/))) return search(res, url, m[1]);
      if (p === '/tasks') return url.searchParams.get('format') === 'json' ? json(res, 200, { tasks: queue() }) : queuePage(res);
      if ((m = p.match(/^\/projects\/([A-Z0-9]+)\/tasks$/)) && taskById(m[1])) return preview(res, taskById(m[1]));
      if ((m = p.match(/^\/projects\/([A-Z0-9]+)\/tasks\/accept_random$/)) && taskById(m[1])) return accept(res, url, taskById(m[1]));
      if ((m = p.match(/^\/projects\/([A-Z0-9]+)\/tasks\/([A-Z0-9]+)$/))) {
        const a = assignments.get(url.searchParams.get('assignment_id'));
        if (a && a.hit_set_id === m[1] && a.task_id === m[2]) return taskPage(res, a);
        return notFound(res);
      }
      if (p === '/_fake/hit') {
        const a = assignments.get(url.searchParams.get('assignment_id'));
        return a ? hitDocument(res, a) : notFound(res);
      }
      return notFound(res);
    }
    if (req.method === 'POST') {
      const form = await readForm(req);
      if ((m = p.match(/^\/projects\/([A-Z0-9]+)\/tasks\/([A-Z0-9]+)$/)) && form.get('_method') === 'delete') {
        const a = assignments.get(url.searchParams.get('assignment_id'));
        if (!a || a.hit_set_id !== m[1] || a.task_id !== m[2]) return notFound(res);
        end(a.assignment_id, 'returned');
        debug('returned', a.assignment_id);
        return redirect(res, '/projects');
      }
      if (p === '/mturk/externalSubmit') {
        const id = form.get('assignmentId');
        if (!end(id, 'submitted')) return notFound(res);
        debug('submitted', id);
        return redirect(res, '/projects');
      }
    }
    return notFound(res);
  }

  const server = https.createServer({ key, cert }, (req, res) => {
    handle(req, res).catch((err) => {
      debug('error', err);
      if (!res.headersSent) send(res, 500, page({ title: 'Error', body: '<h1>Something went wrong</h1>' }));
      else res.end();
    });
  });
  const sockets = new Set();
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });

  return {
    port: server.address().port,
    get url() { return `https://127.0.0.1:${server.address().port}`; },
    /** The search results of the current catalogue. */
    get tasks() { return catalogues[catalogue]; },
    catalogues,
    /** 'demo' (the 27 seed HITs, default) or 'sample' (mturk-engine's 100 real HIT groups). */
    setCatalogue(name) {
      if (!catalogues[name]) throw new Error(`no catalogue ${name}`);
      catalogue = name;
    },
    history,
    queue,
    listRequests,
    /** Change how list pages are drawn (see defaultMode); returns the mode now in force. */
    setListMode(changes) { listMode = { ...listMode, ...changes }; return { ...listMode }; },
    resetListMode() { listMode = { ...defaultMode }; catalogue = 'demo'; },
    setEmbedJson(value) { listMode = { ...listMode, props: Boolean(value) }; },
    setConfirmReturn(value) { confirmReturn = Boolean(value); },
    workHistory,
    prolific,
    get studies() { return prolific.studies; },
    get prolificSubmissions() { return prolific.submissions; },
    historyRequests,
    /** Signed out, every worker.mturk.com request is redirected to Amazon's sign-in page. */
    setSignedIn(value) { signedIn = Boolean(value); },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = {
  startFakePlatform, buildTasks, buildSampleTasks, buildWorkHistory, loadSeedTasks, escapeHtml, rowHtml,
  MASTERS_QUALIFICATION_ID, HOSTS: ['worker.mturk.com', ...PROLIFIC_HOSTS],
};
