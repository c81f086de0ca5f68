// app.prolific.com: annotate the studies list.
//
// Prolific's participant app is a Vue single-page app: it fetches its studies from
// internal-api.prolific.com/api/v1/participant/studies/, renders the list after that, and re-renders it
// (new nodes, same content) as it polls. A card (`li[data-testid="study-<id>"]`) names its researcher only by
// name, so the studies are read from the JSON the app fetched (prolific-capture.js and prolific-bridge.js keep
// it), and the DOM is used only to find each study's card by its id. Sources: /work/shared/notes/platforms.md.
(function (root) {
  "use strict";

  const { rows: parse, listPage, prolificStudies: captured } = root.Fairfinder;
  const CARD = "li[data-testid^='study-']";

  function cards() {
    const found = [];
    for (const card of document.querySelectorAll(CARD)) {
      const id = parse.studyIdFromTestId(card.getAttribute("data-testid"));
      if (id && !found.some((f) => f.card.contains(card))) found.push({ card, id });
    }
    return found;
  }

  function read() {
    const shown = cards();
    const rows = [];
    const studies = [];
    for (const { card, id } of shown) {
      const study = captured.byId.get(id);
      const picked = study && parse.prolificStudyForServer(study);
      if (picked) {
        rows.push(card);
        studies.push(picked);
      }
    }
    return {
      rows,
      payload: studies.length ? { raw: { results: studies } } : null,
      seen: shown.length,
      dataItems: captured.byId.size,
      container: Boolean(document.querySelector("[data-testid='studies-list']")),
      // The app's own answer said there are no studies, and no card is shown.
      empty: captured.answers > 0 && captured.empty && shown.length === 0,
    };
  }

  function probes() {
    return {
      studies_list: document.querySelectorAll("[data-testid='studies-list']").length,
      study_cards: cards().length,
      testid_study_prefix: document.querySelectorAll("[data-testid^='study-']").length,
      studies_answers: captured.answers,
      studies_known: captured.byId.size,
    };
  }

  /** The studies list: /studies (and the app's home, which shows it). */
  if (/^\/(studies\/?)?$/.test(location.pathname)) {
    const page = listPage.create({
      platform: "prolific", read, probes,
      shapeRoot: () => document.querySelector("[data-testid='studies-list']") || document.getElementById("app") || document.body,
    });
    page.start();
    // A new answer from the API may change the studies without changing the DOM.
    document.addEventListener("fairfinder:studies", () => page.reset());
  }
})(globalThis);
