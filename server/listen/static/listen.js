// Fairfinder /listen: optional conveniences on top of a page that works without this script.
// - auto-refresh every 60 s (off until the worker resumes it), announced in the live region;
// - keyboard shortcuts j / k (next / previous task heading) and r (refresh), with an off switch;
// - self-voicing: the browser reads a task's sentence when it gets focus (off by default).
(function () {
  'use strict';
  var INTERVAL_MS = 60000;
  var SHORTCUTS_KEY = 'fairfinder.listen.shortcuts';
  var VOICE_KEY = 'fairfinder.listen.selfVoicing';
  var controls = document.getElementById('enhanced-controls');
  var live = document.getElementById('live');
  if (!controls || !live || !window.fetch || !window.DOMParser) return;
  controls.hidden = false;

  function stored(key, fallback) {
    try {
      var value = window.localStorage.getItem(key);
      return value === null ? fallback : value === 'on';
    } catch (e) { return fallback; }
  }
  function store(key, on) {
    try { window.localStorage.setItem(key, on ? 'on' : 'off'); } catch (e) { /* private mode: not remembered */ }
  }
  function announce(text) {
    // Clear first so the same words are announced again.
    live.textContent = '';
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  // ---- refresh ---------------------------------------------------------------------------------
  var refreshLink = document.getElementById('refresh');
  var busy = false;
  function refresh() {
    if (busy) return;
    busy = true;
    var focusedId = document.activeElement && document.activeElement.id;
    fetch(refreshLink.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        if (!response.ok) throw new Error('HTTP ' + response.status);
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        ['results', 'task-list'].forEach(function (id) {
          var fresh = doc.getElementById(id);
          var old = document.getElementById(id);
          if (fresh && old) old.replaceWith(document.importNode(fresh, true));
        });
        var results = document.getElementById('results');
        var count = results ? results.getAttribute('data-shown') : '0';
        announce('List updated: ' + count + (count === '1' ? ' task' : ' tasks'));
        if (focusedId) {
          var again = document.getElementById(focusedId);
          if (again && again !== document.activeElement) again.focus();
        }
      })
      .catch(function () { announce('The list could not be updated. Try again with Refresh list.'); })
      .then(function () { busy = false; });
  }
  refreshLink.addEventListener('click', function (event) {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    refresh();
  });

  // ---- auto-refresh (off by default) -----------------------------------------------------------
  var autoButton = document.getElementById('auto-refresh');
  var timer = null;
  function setAuto(on) {
    if (timer) { window.clearInterval(timer); timer = null; }
    if (on) timer = window.setInterval(function () { if (!document.hidden) refresh(); }, INTERVAL_MS);
    autoButton.setAttribute('data-state', on ? 'running' : 'paused');
    // "Resume" only once it has been on: before that, it was never paused
    autoButton.textContent = on ? 'Pause auto-refresh' : 'Resume auto-refresh (every 60 seconds)';
  }
  autoButton.addEventListener('click', function () {
    var on = autoButton.getAttribute('data-state') !== 'running';
    setAuto(on);
    announce(on ? 'Auto-refresh on: the list updates every 60 seconds.' : 'Auto-refresh paused.');
  });

  // ---- keyboard shortcuts ----------------------------------------------------------------------
  var shortcuts = document.getElementById('shortcuts');
  shortcuts.checked = stored(SHORTCUTS_KEY, true);
  shortcuts.addEventListener('change', function () { store(SHORTCUTS_KEY, shortcuts.checked); });

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === 'input' || tag === 'textarea' || tag === 'select' || target.isContentEditable;
  }
  function headings() {
    return Array.prototype.slice.call(document.querySelectorAll('#task-list article.task h2'));
  }
  function move(step) {
    var list = headings();
    if (!list.length) { announce('No tasks in the list.'); return; }
    var active = document.activeElement;
    var current = -1;
    for (var i = 0; i < list.length; i++) {
      if (list[i] === active || list[i].closest('article').contains(active)) { current = i; break; }
    }
    if (current === -1) {
      // From elsewhere: the first heading after the focus (j) or the last before it (k).
      current = step > 0 ? -1 : list.length;
      for (var j = 0; j < list.length; j++) {
        var after = active && active !== document.body &&
          (active.compareDocumentPosition(list[j]) & Node.DOCUMENT_POSITION_FOLLOWING);
        if (after) { current = step > 0 ? j - 1 : j; break; }
      }
    }
    var next = Math.min(list.length - 1, Math.max(0, current + step));
    list[next].focus();
  }
  document.addEventListener('keydown', function (event) {
    if (!shortcuts.checked || event.defaultPrevented) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    if (event.key === 'j') { event.preventDefault(); move(1); }
    else if (event.key === 'k') { event.preventDefault(); move(-1); }
    else if (event.key === 'r') { event.preventDefault(); refresh(); }
  });

  // ---- self-voicing (off by default) -----------------------------------------------------------
  var voice = document.getElementById('self-voicing');
  if (!('speechSynthesis' in window) || typeof window.SpeechSynthesisUtterance !== 'function') {
    document.getElementById('voice-option').hidden = true;
  } else {
    voice.checked = stored(VOICE_KEY, false);
    voice.addEventListener('change', function () {
      store(VOICE_KEY, voice.checked);
      if (!voice.checked) window.speechSynthesis.cancel();
    });
    var lastSpoken = null;
    document.addEventListener('focusin', function (event) {
      if (!voice.checked) return;
      var article = event.target.closest && event.target.closest('article.task');
      if (!article || article === lastSpoken) return;
      lastSpoken = article;
      var sentence = article.querySelector('.sentence');
      if (!sentence) return;
      window.speechSynthesis.cancel();
      var utterance = new SpeechSynthesisUtterance(sentence.textContent);
      utterance.lang = 'en';
      window.speechSynthesis.speak(utterance);
    });
    document.addEventListener('focusout', function (event) {
      var article = event.relatedTarget && event.relatedTarget.closest && event.relatedTarget.closest('article.task');
      if (!article) lastSpoken = null;
    });
  }
})();
