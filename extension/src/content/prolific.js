// app.prolific.com: annotate the studies list. Prolific is a single-page app without page JSON in the
// document, so studies are read from their cards as they appear.
(function (root) {
  "use strict";

  const { rows: parse, listPage } = root.Fairfinder;
  const CARD = "li.study, [data-testid^='study-']";

  function read() {
    const found = [];
    for (const card of document.querySelectorAll(CARD)) {
      if (found.some((f) => f.row === card || f.row.contains(card))) continue;
      const testId = card.getAttribute("data-testid") || "";
      const researcher = card.querySelector(".study-researcher");
      const task = parse.prolificTaskFromCard({
        studyId: testId.startsWith("study-") ? testId.slice(6) : card.getAttribute("data-study-id"),
        title: card.querySelector(".study-title, h2, h3")?.textContent,
        researcherId: card.getAttribute("data-researcher-id") || researcher?.getAttribute("data-researcher-id"),
        researcherName: researcher?.textContent,
        rewardText: card.querySelector(".study-reward")?.textContent,
        timeText: card.querySelector(".study-time")?.textContent,
        placesText: card.querySelector(".study-places")?.textContent,
      });
      if (task) found.push({ row: card, task });
    }
    return found.length ? { rows: found.map((f) => f.row), payload: { tasks: found.map((f) => f.task) } } : null;
  }

  const page = listPage.create({ platform: "prolific", read });
  if (document.querySelector(CARD)) {
    page.start();
  } else {
    // The app renders its list after loading: start once the first card appears.
    const waiting = new MutationObserver(() => {
      if (document.querySelector(CARD)) {
        waiting.disconnect();
        page.start();
      }
    });
    waiting.observe(document.body, { childList: true, subtree: true });
  }
})(globalThis);
