'use strict';
// A fake app.prolific.com (the participant app) and internal-api.prolific.com (its API), served by the same TLS
// server as the fake worker.mturk.com (fake-mturk.js dispatches on the Host header).
//
// Built from public evidence of the live site (/work/shared/notes/platforms.md), not from our reader:
//   [vue]     The app is a Vue single-page app: `#app`, `data-v-<hash>` attributes on every element, the list
//             rendered after its data arrives: spin311/ProlificAutomaticStudies chrome/src/sample and
//             chrome/src/sample2 (live captures) @8ac13bce2b30c45dbd9603b6222c385429d7698d.
//   [cards]   The same captures: `div.study-list[data-testid="studies-list"] > section.available-studies-section`,
//             `ul.list[aria-labelledby="available-studies-label"] > li.list-item[data-testid="study-<id>"]`,
//             `div.base-card > div.study-content`, title `h2.title[data-testid="title"] > a[href="#"]`, researcher
//             by name only in `div.host[data-testid="host"]` ("By" + name, linked by aria-labelledby), tags
//             `li.tag-container.tag` nested in `div.tags` (so `li` inside `li`) with `study-tag-reward` ("$0.80"),
//             `study-tag-reward-per-hour` ("$14.85/hr"), `study-tag-completion-time` ("3 mins"),
//             `study-tag-places` ("640 places"), then devices `[data-testid="supported-device-*"]`; a
//             "dynamic questions" card with its own `data-testid="title"` and `host`; the selected study's panel
//             `[data-testid="study-details"]`. Also theChantu/prolific-enhancer src/adapters/ProlificAdapter.ts
//             @02e121d9b5cc5b301ba7d2f6aa6b087b144ca63f (MIT): cards `li[data-testid^="study-"]`, `div.study-content`.
//   [re]      The app re-renders its list (new nodes, same content) as it polls: prolific-watcher and
//             ProlificAutomaticStudies both re-read the list on every mutation for that reason.
//   [api]     `GET https://internal-api.prolific.com/api/v1/participant/studies/` answers `{results: [...],
//             _links, meta}` (zedeus/prolific-watcher config.go, studies_parser.go `apiStudy` @673dc64f8caacd5105d4
//             a318e6e73a2d648051d8; zedeus/prolific-pulse src/lib/normalize.ts @5baa8561d605a8222547fc191d91971b2a2
//             25ebf); the app sends a Bearer token (prolific-watcher extension/background.js). Polling too fast
//             gets 429 with `{"error": {"detail": "... Expected available in N seconds."}}` (prolific-pulse
//             src/entrypoints/background/index.ts parseRetryAfterSeconds); "Request was throttled." and the
//             Retry-After header are Django REST framework's wording for that answer, assumed, not seen.
//   [subs]    `GET .../api/v1/participant/submissions/`, paged (prolific-watcher config.go); item shapes in
//             prolific-submissions.json (its _note).
// Not in any source, so chosen here: how long the app takes to render, its polling interval, the CORS headers
// of the API, the time text for an hour or more ("1 hour 5 mins"), and the 401 answer without a token.

const fs = require('node:fs');
const path = require('node:path');

const APP_HOST = 'app.prolific.com';
const API_HOST = 'internal-api.prolific.com';
const PROLIFIC_HOSTS = [APP_HOST, API_HOST];
const APP_ORIGIN = `https://${APP_HOST}`;
const STUDIES_FIXTURE = 'tests/fixtures/scrapers/prolific_studies_live.json';
const SUBMISSIONS_FIXTURE = path.join(__dirname, 'prolific-submissions.json');
const FAKE_TOKEN = 'fake-participant-access-token';

const debug = (...args) => { if (process.env.FF_DEBUG) console.log('[fake-prolific]', ...args); };

function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]);
}

// The app: a shell and its script. The script is the part that matters: it fetches, waits, renders late, polls
// and re-renders with new nodes, as the live Vue app does. [vue] [cards] [re]
function appScript(config) {
  return `(function () {
  'use strict';
  var config = ${JSON.stringify(config).replace(/</g, '\\u003c')};
  var api = 'https://${API_HOST}/api/v1/participant/';
  var esc = function (v) { return String(v == null ? '' : v).replace(/[&<>"']/g, function (c) { return ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]; }); };
  var V = 'data-v-700ddde5=""', C = 'data-v-1246ad24=""', T = 'data-v-5eb2e150=""';
  var symbols = { GBP: '£', USD: '$', EUR: '€' };
  function money(m) { var s = symbols[m.currency]; var v = (m.amount / 100).toFixed(2); return s ? s + v : v + ' ' + m.currency; }
  function minutes(n) { if (n < 60) return n + ' min' + (n === 1 ? '' : 's'); var h = Math.floor(n / 60), r = n % 60; return h + ' hour' + (h === 1 ? '' : 's') + (r ? ' ' + r + ' min' + (r === 1 ? '' : 's') : ''); }
  var uid = 0;
  function card(s) {
    var id = 'host-name-' + (++uid).toString(36) + Math.random().toString(36).slice(2, 10);
    var places = Math.max(0, s.total_available_places - s.places_taken);
    var perHour = s.study_average_reward_per_hour || { amount: 0, currency: s.study_reward.currency };
    // changedIds: a site change (for the "cannot read" test): cards no longer carry the study id.
    var testid = config.changedIds ? 'study-card' : 'study-' + esc(s.id);
    return '<li ' + V + ' class="list-item" data-testid="' + testid + '"><div ' + C + ' class="base-card" data-testid="base-card"><div ' + C + ' class="study-content" data-testid="base-card-content">'
      + '<div ' + C + ' class="details-group"><div ' + C + ' data-testid="icon"><figure class="image-container icon institution" data-testid="base-icon"></figure></div>'
      + '<div ' + C + ' class="details"><h2 ' + C + ' class="title" data-testid="title"><a ' + C + ' href="#">' + esc(s.name) + '</a></h2>'
      + '<div ' + C + ' class="host" data-testid="host"><span><span id="' + id + '">By</span> <span aria-labelledby="' + id + '">' + esc(s.researcher.name) + '</span></span></div></div></div>'
      + '<div ' + C + ' class="tags">'
      + '<x-li ' + T + ' class="tag-container tag"><div ' + T + ' class="tag"><span ' + T + ' class="label"><span ' + T + ' class="reward"><span ' + T + ' class="amount" data-testid="study-tag-reward">' + esc(money(s.study_reward)) + '</span> • <span ' + T + ' class="amount" data-testid="study-tag-reward-per-hour">' + esc(money(perHour)) + '/hr</span></span></span></div></x-li>'
      + '<x-li ' + T + ' class="tag-container tag"><div ' + T + ' class="tag"><span ' + T + ' class="label"><span ' + T + ' class="time" data-testid="study-tag-completion-time">' + esc(minutes(s.estimated_completion_time)) + '</span></span></div></x-li>'
      + '<x-li ' + T + ' class="tag-container tag"><div ' + T + ' class="tag"><span ' + T + ' class="label"><span ' + T + ' data-testid="study-tag-places">' + places + ' places</span></span></div></x-li>'
      + '<x-li ' + T + ' class="tag-container tag"><div ' + T + ' class="tag"><span ' + T + ' class="label">' + esc((s.study_labels || ['Survey'])[0]) + '</span></div></x-li>'
      + '</div><div ' + C + ' class="devices" data-testid="devices"><div class="device-support-icons"><span class="device-icon" data-testid="supported-device-desktop"></span></div></div>'
      + '</div></div></li>';
  }
  // The live app builds its DOM with createElement, so its tag <li>s sit inside the card's <li> (the
  // captured HTML shows it); an HTML parser would close the card instead. Tags are written <x-li> and made
  // real <li> elements here.
  function realize(root) {
    Array.prototype.forEach.call(root.querySelectorAll('x-li'), function (fake) {
      var li = document.createElement('li');
      Array.prototype.forEach.call(fake.attributes, function (a) { li.setAttribute(a.name, a.value); });
      while (fake.firstChild) li.appendChild(fake.firstChild);
      fake.replaceWith(li);
    });
    return root;
  }
  var studies = null;
  function list() {
    return '<ul ' + V + ' class="list" aria-labelledby="available-studies-label">' + studies.map(card).join('') + '</ul>';
  }
  function renderStudies() {
    var main = document.querySelector('.studies-container');
    var header = '<div class="study-list-header"><div class="title-wrapper"><h1 id="available-studies-label" class="title" data-testid="study-list-title">Studies</h1></div>'
      + '<div aria-label="Number of available studies" class="available-studies-number">' + studies.length + '</div></div>';
    var questions = '<div class="base-card dynamic-questions-card" data-testid="dynamic-question-card"><div class="study-content" data-testid="base-card-content"><div class="details-group"><div class="details">'
      + '<h2 class="title" data-testid="title"><a href="#">Answer a few questions about you</a></h2><div class="host" data-testid="host">Prolific</div></div></div>'
      + '<div class="tags"><x-li class="tag-container question-tag"><div class="tag"><span class="label"><span data-testid="study-tag-top-questions">3 questions</span></span></div></x-li></div></div></div>';
    var details = studies.length ? '<div class="study-details" data-testid="study-details" aria-live="polite"><div class="selected-study" data-testid="selected-study"><div class="details-group" data-testid="details-group">'
      + '<h2 class="title">' + esc(studies[0].name) + '</h2><span data-testid="study-tag-icon"></span></div><button type="button" data-testid="reserve">Take part in this study</button></div></div>' : '';
    main.innerHTML = '<div class="study-list" data-testid="studies-list"><section class="available-studies-section">' + header + list() + '</section>' + questions + '</div>' + details;
    realize(main);
    document.documentElement.dataset.renders = String(Number(document.documentElement.dataset.renders || 0) + 1);
  }
  // A re-render: the list's nodes replaced by new ones with the same content. [re]
  function rerender() {
    var old = document.querySelector('ul.list');
    if (!old || !studies) return;
    var fresh = document.createElement('div');
    fresh.innerHTML = list();
    old.replaceWith(realize(fresh).firstChild);
    document.documentElement.dataset.renders = String(Number(document.documentElement.dataset.renders || 0) + 1);
  }
  function get(path, attempt) {
    return fetch(api + path, { credentials: 'omit', headers: { Accept: 'application/json, text/plain, */*', Authorization: 'Bearer ' + config.token } })
      .then(function (response) {
        if (response.status === 429 && (attempt || 0) < 5) {
          return response.json().then(function (body) {
            var wait = /available in (\\d+) second/i.exec((body.error && body.error.detail) || '');
            return new Promise(function (resolve) { setTimeout(resolve, (wait ? Number(wait[1]) : 1) * 1000); })
              .then(function () { return get(path, (attempt || 0) + 1); });
          });
        }
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.json();
      });
  }
  function loadStudies() {
    return get('studies/').then(function (data) {
      studies = data.results;
      setTimeout(function () {
        if (document.querySelector('ul.list')) rerender(); else renderStudies();
      }, config.renderDelayMs);
    });
  }
  function submissions() {
    var main = document.querySelector('.studies-container');
    main.innerHTML = '<h1>Submissions</h1><p id="loaded" role="status">Loading…</p><ul id="submissions"></ul>';
    var list = document.getElementById('submissions');
    function show(page) { page.results.forEach(function (s) { var li = document.createElement('li'); li.textContent = s.study.name + ': ' + s.status; list.append(li); }); }
    // Page 1 with fetch, the next with XMLHttpRequest (as apps built on axios do).
    get('submissions/?page=1').then(function (first) {
      show(first);
      var next = first._links && first._links.next && first._links.next.href;
      if (!next) return null;
      return new Promise(function (resolve, reject) {
        var xhr = new XMLHttpRequest();
        xhr.open('GET', next);
        xhr.setRequestHeader('Authorization', 'Bearer ' + config.token);
        xhr.responseType = 'json';
        xhr.onload = function () { resolve(xhr.response); };
        xhr.onerror = reject;
        xhr.send();
      }).then(show);
    }).then(function () { document.getElementById('loaded').textContent = 'Loaded ' + list.children.length + ' submissions'; });
  }
  if (/^\\/submissions\\/?$/.test(location.pathname)) submissions();
  else {
    loadStudies();
    if (config.pollMs) setInterval(loadStudies, config.pollMs);
  }
  window.__fakeProlific = { rerender: rerender, reload: loadStudies };
})();`;
}

function appPage(config) {
  // [vue] the shell; [cards] the navigation.
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Prolific</title><meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;margin:0}.nav-main{display:flex;gap:1rem;padding:.6rem 1rem;background:#0f2bc9}.nav-main a{color:#fff}.content-wrap{padding:1rem;max-width:1100px;margin:0 auto}ul.list{list-style:none;padding:0}li.list-item{background:#fff;border:1px solid #ddd;margin:.5rem 0;padding:.6rem}.tags{display:flex;gap:.5rem;padding:0}.tags li{list-style:none}</style></head>
<body>
<div id="app" data-v-app="" class="pa-enabled"><div class="layout participant" data-testid="participant-layout">
<nav class="nav-main" data-testid="navbar" aria-label="Main"><a href="/studies" class="nav-link">Studies</a><a href="/submissions" class="nav-link">Submissions</a></nav>
<div class="content-wrap"><div class="is-flex content"><div class="studies-list"><div class="studies-container"></div></div></div></div>
</div></div>
<script>${appScript(config)}</script>
</body>
</html>`;
}

/**
 * The Prolific side of the fake platform.
 * @param {{root: string, studies?: object, submissions?: object[]}} options
 */
function createFakeProlific({ root, studies, submissions } = {}) {
  const studiesPayload = studies || JSON.parse(fs.readFileSync(path.join(root, STUDIES_FIXTURE), 'utf8'));
  const pages = submissions || JSON.parse(fs.readFileSync(SUBMISSIONS_FIXTURE, 'utf8')).pages;
  const defaults = { renderDelayMs: 800, pollMs: 0, throttle: 0, changedIds: false };
  let mode = { ...defaults };
  let throttleLeft = 0;
  const requests = []; // {path, status, at}: what the API answered

  function send(res, status, body, type, headers = {}) {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(body);
  }
  const cors = (req) => {
    const origin = req.headers.origin === APP_ORIGIN ? APP_ORIGIN : null;
    return origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
  };

  function apiAnswer(req, res, url) {
    const headers = cors(req);
    if (req.method === 'OPTIONS') {
      return send(res, 204, '', 'text/plain', { ...headers, 'access-control-allow-methods': 'GET, OPTIONS',
        'access-control-allow-headers': 'authorization, accept, content-type', 'access-control-max-age': '600' });
    }
    const json = (status, value, extra = {}) => {
      requests.push({ path: url.pathname + url.search, status, at: Date.now() });
      return send(res, status, JSON.stringify(value), 'application/json', { ...headers, ...extra });
    };
    if (req.method !== 'GET') return json(405, { error: { detail: 'Method not allowed.' } });
    if ((req.headers.authorization || '') !== `Bearer ${FAKE_TOKEN}`) {
      return json(401, { error: { detail: 'Authentication credentials were not provided.' } });
    }
    if (/^\/api\/v1\/participant\/studies\/?$/.test(url.pathname)) {
      if (throttleLeft > 0) {
        throttleLeft -= 1;
        return json(429, { error: { detail: 'Request was throttled. Expected available in 1 second.' } }, { 'retry-after': '1' });
      }
      return json(200, studiesPayload);
    }
    if (/^\/api\/v1\/participant\/submissions\/?$/.test(url.pathname)) {
      const number = parseInt(url.searchParams.get('page'), 10) || 1;
      const found = pages[number - 1];
      return found ? json(200, found) : json(404, { error: { detail: 'Not found.' } });
    }
    return json(404, { error: { detail: 'Not found.' } });
  }

  function handle(req, res, url, host) {
    debug(req.method, host, url.pathname + url.search);
    if (host === API_HOST) return apiAnswer(req, res, url);
    if (req.method !== 'GET') return send(res, 405, 'Method not allowed', 'text/plain');
    // Every app address is the same shell; the app's script decides what to draw.
    return send(res, 200, appPage({ token: FAKE_TOKEN, renderDelayMs: mode.renderDelayMs, pollMs: mode.pollMs, changedIds: mode.changedIds }), 'text/html; charset=utf-8');
  }

  return {
    handle,
    studies: studiesPayload.results,
    studiesPayload,
    submissions: pages,
    requests,
    /** renderDelayMs, pollMs, throttle (how many 429 answers the next studies requests get), changedIds. */
    setMode(changes) {
      mode = { ...mode, ...changes };
      if ('throttle' in changes) throttleLeft = changes.throttle;
      return { ...mode };
    },
    reset() { mode = { ...defaults }; throttleLeft = 0; },
  };
}

module.exports = { createFakeProlific, PROLIFIC_HOSTS, FAKE_TOKEN, escapeHtml };
