'use strict';
// A fake worker.mturk.com (and a very small app.prolific.com) served over TLS on 127.0.0.1, close enough
// to the real sites that a content script written against them works. Chromium reaches it through
// `--host-resolver-rules`; requests are dispatched on the Host header (anything that is not
// app.prolific.com is treated as worker.mturk.com, so Node can also call https://127.0.0.1:PORT/...).
//
// Markup contract of the task list (what the content script relies on): see renderHitSetTable().

const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { mturkDays } = require('../../src/lib/history.js');

const MASTERS_QUALIFICATION_ID = '2F1QJWKUDD8XADTFD2Q0G6UTO95ALH';
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const PROLIFIC_HOST = 'app.prolific.com';
const DEFAULT_PAGE_SIZE = 50; // the real site defaults to 20; 50 keeps the 27 demo tasks on one page
const ASSIGNMENT_SECONDS = 3600;
// Indexes (in the demo seed order) of the tasks the fake worker is not qualified for.
const UNQUALIFIED = new Set([9, 20]);
const MASTERS_TASK = 9;

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

function dollars(amount) {
  return `$${Number(amount).toFixed(2)}`;
}

function ago(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.round((now - Date.parse(iso)) / 60000));
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  const days = Math.round(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

function duration(seconds) {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  return `${Math.round(seconds / 60)} min`;
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

/** Search results (the shape of worker.mturk.com `?format=json` results) from the seed tasks. */
function buildTasks(seedTasks, now = Date.now()) {
  const anchor = Math.floor(now / 3600000) * 3600000; // whole hour: stable within a run
  return seedTasks.map((seed, i) => {
    const hitSetId = deterministicId(`fairfinder-demo:${seed.requester_id}:${seed.title}:${i}`);
    const hash = crypto.createHash('sha256').update(hitSetId).digest();
    const created = new Date(anchor - (i + 1) * 97 * 60000);
    const updated = new Date(created.getTime() + 15 * 60000);
    const expires = new Date(created.getTime() + 7 * 86400000);
    const qualified = !UNQUALIFIED.has(i);
    const ref = 'ref=w_pl_prvw';
    return {
      hit_set_id: hitSetId,
      requester_id: seed.requester_id,
      requester_name: seed.requester_name,
      title: seed.title,
      description: seed.description || `${seed.title} (demo task from ${seed.requester_name}).`,
      monetary_reward: { amount_in_dollars: seed.reward_cents / 100, currency_code: seed.currency || 'USD' },
      assignable_hits_count: 1 + (hash.readUInt16BE(0) % 400),
      assignment_duration_in_seconds: ASSIGNMENT_SECONDS,
      creation_time: created.toISOString(),
      last_updated_time: updated.toISOString(),
      latest_expiration_time: expires.toISOString(),
      caller_meets_requirements: qualified,
      caller_meets_preview_requirements: true,
      accept_project_task_url: `/projects/${hitSetId}/tasks/accept_random?${ref}`,
      project_tasks_url: `/projects/${hitSetId}/tasks?${ref}`,
      requester_url: `/requesters/${seed.requester_id}/projects?${ref}`,
      project_requirements: i === MASTERS_TASK ? [mastersRequirement()] : [],
    };
  });
}

/** Prolific's reward rules as the Python scraper reads them: study_reward wins, minor units, GBP default. */
function studyReward(study) {
  for (const key of ['study_reward', 'reward']) {
    const value = study[key];
    if (value == null) continue;
    if (typeof value === 'number') return { amount: value, currency: 'GBP' };
    return { amount: value.amount, currency: String(value.currency || 'GBP').toUpperCase() };
  }
  return { amount: 0, currency: 'GBP' };
}

function money(amount, currency) {
  const symbol = { GBP: '£', USD: '$', EUR: '€' }[currency];
  const value = (amount / 100).toFixed(2);
  return symbol ? `${symbol}${value}` : `${value} ${currency}`;
}

function loadStudies(root) {
  const file = path.join(root, 'tests/fixtures/scrapers/prolific_studies.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).results;
}

// ---------------------------------------------------------------------------------------------- work history

const HISTORY_FIXTURE = path.join(__dirname, 'mturk-status-details.json');
const PROLIFIC_SUBMISSIONS_FIXTURE = path.join(__dirname, 'prolific-submissions.json');
const SIGN_IN_URL = 'https://www.amazon.com/ap/signin?openid.return_to=https%3A%2F%2Fworker.mturk.com%2F';

/**
 * The worker's MTurk history (status_details pages and the dashboard) from mturk-status-details.json:
 * its `days_ago` become MTurk dates (Pacific time) of the run.
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

function loadProlificSubmissions() {
  return JSON.parse(fs.readFileSync(PROLIFIC_SUBMISSIONS_FIXTURE, 'utf8')).pages;
}

// The participant app's submissions page: it loads its list from the app's API, page 1 with fetch and
// the next page with XMLHttpRequest (as apps built on axios do), like the real single-page app.
const PROLIFIC_SUBMISSIONS_PAGE = `<h1>Submissions</h1>
<p id="loaded" role="status">Loading…</p>
<ul id="submissions"></ul>
<script>
(async () => {
  const list = document.getElementById('submissions');
  const show = (page) => { for (const s of page.results) { const li = document.createElement('li'); li.textContent = s.study.name + ': ' + s.status; list.append(li); } };
  const first = await (await fetch('/api/v1/participant/submissions/?page=1', { headers: { accept: 'application/json' } })).json();
  show(first);
  const next = first._links && first._links.next && first._links.next.href;
  if (next) {
    const second = await new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('GET', next);
      xhr.responseType = 'json';
      xhr.onload = () => resolve(xhr.response);
      xhr.onerror = reject;
      xhr.send();
    });
    show(second);
  }
  document.getElementById('loaded').textContent = 'Loaded ' + list.children.length + ' submissions';
})();
</script>`;

// ---------------------------------------------------------------------------------------------- markup

const CSS = `
  body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #f6f7f8; }
  nav.top-nav { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; background: #232f3e; }
  nav.top-nav a { color: #fff; text-decoration: none; font-weight: 600; }
  nav.top-nav form { margin-left: auto; display: flex; gap: .3rem; }
  nav.top-nav label { color: #fff; }
  main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
  .hit-set-table, .queue-table { background: #fff; border: 1px solid #ddd; }
  .desktop-row { display: grid; grid-template-columns: 2fr 4fr 1fr 1fr 1.3fr 2.2fr; gap: .5rem; padding: .5rem .8rem; align-items: center; }
  .hit-set-table-header { font-weight: 700; border-bottom: 2px solid #ddd; }
  ol.list-unstyled { list-style: none; margin: 0; padding: 0; }
  li.table-row { border-bottom: 1px solid #eee; }
  li.table-row:nth-child(even) { background: #fafafa; }
  .btn { display: inline-block; padding: .25rem .6rem; border-radius: 4px; text-decoration: none; border: 1px solid #555; }
  .btn-primary { background: #0b5394; color: #fff; border-color: #0b5394; }
  .btn-secondary { background: #fff; color: #222; }
  .pagination { margin: .5rem 0; color: #444; }
  .task-header { background: #fff; border: 1px solid #ddd; padding: .8rem; margin-bottom: 1rem; display: flex; gap: 1.5rem; align-items: center; flex-wrap: wrap; }
  iframe { width: 100%; height: 420px; border: 1px solid #ddd; background: #fff; }
  ul.studies-list { list-style: none; padding: 0; }
  li.study { background: #fff; border: 1px solid #ddd; margin-bottom: .6rem; padding: .6rem .8rem; }
`;

function page({ title, body, prolific = false }) {
  const nav = prolific
    ? '<nav class="top-nav" aria-label="Main"><a href="/studies">Studies</a></nav>'
    : `<nav class="top-nav" aria-label="Main"><a href="/">HITs</a><a href="/tasks">Queue</a>
  <form action="/projects" method="get" role="search"><label for="search-term">Search HITs</label>
  <input id="search-term" type="search" name="filters[search_term]"><button type="submit">Search</button></form></nav>`;
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title><meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body>
${nav}
<main>
${body}
</main>
</body>
</html>`;
}

function reactProps(props) {
  return escapeHtml(JSON.stringify(props));
}

function renderHitSetTable(results, { embedJson, now = Date.now() }) {
  const props = embedJson ? ` data-react-props="${reactProps({ bodyData: results })}"` : '';
  const rows = results.map((r) => {
    const ref = 'ref=w_pl_prvw';
    return `      <li class="table-row">
        <div class="desktop-row">
          <span class="column requester-column"><a href="/requesters/${escapeHtml(r.requester_id)}/projects?${ref}">${escapeHtml(r.requester_name)}</a></span>
          <span class="column title-column"><a href="/projects/${escapeHtml(r.hit_set_id)}/tasks?${ref}">${escapeHtml(r.title)}</a></span>
          <span class="column hits-column">${escapeHtml(r.assignable_hits_count)}</span>
          <span class="column reward-column">${escapeHtml(dollars(r.monetary_reward.amount_in_dollars))}</span>
          <span class="column created-column">${escapeHtml(ago(r.creation_time, now))}</span>
          <span class="column actions-column"><a class="btn btn-primary" href="/projects/${escapeHtml(r.hit_set_id)}/tasks/accept_random?${ref}">Accept &amp; Work</a> <a class="btn btn-secondary" href="/projects/${escapeHtml(r.hit_set_id)}/tasks?${ref}">Preview</a></span>
        </div>
      </li>`;
  }).join('\n');
  return `<div data-react-class="require('reactComponents/hitSetTable/HitSetTable')['default']"${props}>
  <div class="hit-set-table">
    <div class="hit-set-table-header desktop-row"><span class="column requester-column">Requester</span><span class="column title-column">Title</span><span class="column hits-column">HITs</span><span class="column reward-column">Reward</span><span class="column created-column">Created</span><span class="column actions-column">Actions</span></div>
    <ol class="list-unstyled hit-set-table-body">
${rows}
    </ol>
  </div>
</div>`;
}

// ---------------------------------------------------------------------------------------------- server

/**
 * Start the fake platform.
 * @param {{key: string|Buffer, cert: string|Buffer, python?: string, root?: string, seedTasks?: object[], studies?: object[], port?: number}} options
 */
async function startFakePlatform(options) {
  const { key, cert, port = 0 } = options;
  const seedTasks = options.seedTasks || loadSeedTasks(options);
  const studies = options.studies || loadStudies(options.root);
  const tasks = buildTasks(seedTasks);
  const assignments = new Map(); // assignment_id -> {assignment_id, task_id, hit_set_id, accepted_at, deadline}
  const history = [];
  let embedJson = true;
  const workHistory = buildWorkHistory(options.workHistory);
  const prolificSubmissions = options.prolificSubmissions || loadProlificSubmissions();
  let signedIn = true; // false: every worker.mturk.com page redirects to Amazon's sign-in
  const historyRequests = []; // {path, at}: dashboard and status_details requests, to check pacing

  const taskById = (hitSetId) => tasks.find((t) => t.hit_set_id === hitSetId);

  function queueItem(a, now = Date.now()) {
    const { project_requirements: requirements, ...fields } = taskById(a.hit_set_id);
    const taskUrl = `/projects/${a.hit_set_id}/tasks/${a.task_id}?assignment_id=${a.assignment_id}&ref=w_pl_prvw`;
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
  const html = (res, status, title, body, prolific) => send(res, status, page({ title, body, prolific }));
  const json = (res, status, value) => send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
  const redirect = (res, location) => send(res, 302, '', 'text/plain', { location });
  const notFound = (res, prolific = false) => html(res, 404, 'Page not found', '<h1>Page not found</h1><p>We could not find that page.</p><p><a href="/">Back to HITs</a></p>', prolific);

  function search(res, url, only) {
    const q = url.searchParams;
    let results = tasks.filter((t) => !only || t.requester_id === only);
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
    const pageSize = Math.min(100, Math.max(1, parseInt(q.get('page_size'), 10) || DEFAULT_PAGE_SIZE));
    const lastPage = Math.max(1, Math.ceil(results.length / pageSize));
    const pageNumber = Math.min(lastPage, Math.max(1, parseInt(q.get('page_number'), 10) || 1));
    const pageResults = structuredClone(results.slice((pageNumber - 1) * pageSize, pageNumber * pageSize));
    if (q.get('format') === 'json') {
      return json(res, 200, { page_number: pageNumber, num_results: pageResults.length, total_num_results: results.length, results: pageResults });
    }
    const requester = only && tasks.find((t) => t.requester_id === only);
    const heading = requester ? `HITs from ${requester.requester_name}` : 'All HITs';
    const body = `<h1>${escapeHtml(heading)}</h1>
<p class="result-count">${results.length} result${results.length === 1 ? '' : 's'}</p>
<div class="container-fluid">
  <div class="pagination" data-react-class="require('reactComponents/navigation/Pagination')['default']" data-react-props="${reactProps({ lastPage, currentPage: pageNumber })}">Page ${pageNumber} of ${lastPage}</div>
  <div class="row"><div class="col-xs-12">
${renderHitSetTable(pageResults, { embedJson })}
  </div></div>
</div>`;
    return html(res, 200, 'Amazon Mechanical Turk', body);
  }

  function preview(res, task) {
    const body = `<section class="task-header" aria-label="HIT details">
  <span class="requester">${escapeHtml(task.requester_name)}</span>
  <h1 class="title">${escapeHtml(task.title)}</h1>
  <span class="reward">${escapeHtml(dollars(task.monetary_reward.amount_in_dollars))}</span>
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
    return redirect(res, `/projects/${a.hit_set_id}/tasks/${a.task_id}?assignment_id=${a.assignment_id}&ref=w_pl_prvw`);
  }

  function taskPage(res, a) {
    const task = taskById(a.hit_set_id);
    const action = `/projects/${a.hit_set_id}/tasks/${a.task_id}?assignment_id=${a.assignment_id}`;
    const body = `<section class="task-header" aria-label="HIT details">
  <span class="requester">${escapeHtml(task.requester_name)}</span>
  <h1 class="title">${escapeHtml(task.title)}</h1>
  <span class="reward">${escapeHtml(dollars(task.monetary_reward.amount_in_dollars))}</span>
  <span class="time-allotted">Time allotted: ${escapeHtml(duration(task.assignment_duration_in_seconds))}</span>
  <form class="return-form" action="${escapeHtml(action)}" method="post"><input type="hidden" name="_method" value="delete"><button type="submit" class="btn btn-secondary">Return</button></form>
</section>
<iframe title="HIT" src="/_fake/hit?assignment_id=${escapeHtml(a.assignment_id)}"></iframe>`;
    return html(res, 200, task.title, body);
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
    const props = embedJson ? ` data-react-props="${reactProps({ bodyData: items })}"` : '';
    const rows = items.map((t) => `      <li class="table-row"><div class="desktop-row">
        <span class="column requester-column">${escapeHtml(t.project.requester_name)}</span>
        <span class="column title-column"><a href="${escapeHtml(t.task_url)}">${escapeHtml(t.project.title)}</a></span>
        <span class="column reward-column">${escapeHtml(dollars(t.project.monetary_reward.amount_in_dollars))}</span>
        <span class="column time-column">${escapeHtml(duration(t.time_to_deadline_in_seconds))} left</span>
        <span class="column actions-column"><a class="btn btn-primary" href="${escapeHtml(t.task_url)}">Work</a></span>
      </div></li>`).join('\n');
    const body = `<h1>Your HITs queue</h1>
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

  function prolific(req, res, url) {
    if (req.method !== 'GET') return notFound(res, true);
    if (/^\/api\/v1\/participant\/submissions\/?$/.test(url.pathname)) {
      const number = parseInt(url.searchParams.get('page'), 10) || 1;
      const found = prolificSubmissions[number - 1];
      return found ? json(res, 200, found) : json(res, 404, { error: { detail: 'Not found.' } });
    }
    if (url.pathname === '/submissions' || url.pathname === '/submissions/') {
      return html(res, 200, 'Submissions | Prolific', PROLIFIC_SUBMISSIONS_PAGE, true);
    }
    if (url.pathname === '/studies' || url.pathname === '/studies/') {
      const items = studies.map((s) => {
        const { amount, currency } = studyReward(s);
        const researcher = s.researcher || {};
        const name = researcher.name || researcher.institution?.name || '';
        const places = s.total_available_places != null && s.places_taken != null ? Math.max(0, s.total_available_places - s.places_taken) : null;
        return `<li class="study" data-testid="study-${escapeHtml(s.id)}" data-researcher-id="${escapeHtml(researcher.id)}"><h2 class="study-title">${escapeHtml(s.name)}</h2><p class="study-researcher">${escapeHtml(name)}</p><span class="study-reward">${escapeHtml(money(amount, currency))}</span>${s.estimated_completion_time != null ? ` <span class="study-time">${escapeHtml(s.estimated_completion_time)} mins</span>` : ''}${places != null ? ` <span class="study-places">${places} places</span>` : ''}<a href="/studies/${escapeHtml(s.id)}">Open study</a></li>`;
      }).join('\n');
      return html(res, 200, 'Studies | Prolific', `<h1>Studies</h1>\n<ul class="studies-list">\n${items}\n</ul>`, true);
    }
    const m = url.pathname.match(/^\/studies\/([^/]+)\/?$/);
    const study = m && studies.find((s) => s.id === m[1]);
    if (!study) return notFound(res, true);
    const { amount, currency } = studyReward(study);
    return html(res, 200, `${study.name} | Prolific`, `<h1>${escapeHtml(study.name)}</h1><p class="study-reward">${escapeHtml(money(amount, currency))}</p><p><a href="/studies">Back to studies</a></p>`, true);
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
    if (host === PROLIFIC_HOST) return prolific(req, res, url);
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
    tasks,
    studies,
    history,
    queue,
    setEmbedJson(value) { embedJson = Boolean(value); },
    workHistory,
    prolificSubmissions,
    historyRequests,
    /** Signed out, every worker.mturk.com request is redirected to Amazon's sign-in page. */
    setSignedIn(value) { signedIn = Boolean(value); },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = { startFakePlatform, buildTasks, buildWorkHistory, loadSeedTasks, escapeHtml, MASTERS_QUALIFICATION_ID };
