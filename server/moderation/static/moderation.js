// Fairfinder /moderation, progressive enhancement only: the page works the same without this file.
// After a form, move focus to what it says — the error summary, else the notice ("Review 12 hidden.") — so
// that keyboard and screen-reader users start there, and the next Tab goes on from it. A link of the error
// summary then shows the field's label and error above the field, not just the field at the top of the screen.
'use strict';
(function () {
  var target = document.getElementById('error-summary');
  if (!target) {
    var notice = document.getElementById('notice');
    if (notice && notice.textContent.trim()) target = notice;
  }
  if (target) {
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus();
  }
  document.addEventListener('click', function (event) {
    var link = event.target.closest && event.target.closest('.error-summary a[href^="#"]');
    if (!link) return;
    var field = document.getElementById(link.getAttribute('href').slice(1));
    if (!field) return;
    var label = document.querySelector('label[for="' + field.id + '"]');
    event.preventDefault();
    (label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
