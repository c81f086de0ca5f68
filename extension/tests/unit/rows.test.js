const test = require("node:test");
const assert = require("node:assert/strict");
const rows = require("../../src/lib/rows.js");

test("parseMoney reads the platforms' reward texts", () => {
  assert.deepEqual(rows.parseMoney("$1.50"), { cents: 150, currency: "USD" });
  assert.deepEqual(rows.parseMoney(" $0.05 "), { cents: 5, currency: "USD" });
  assert.deepEqual(rows.parseMoney("$12"), { cents: 1200, currency: "USD" });
  assert.deepEqual(rows.parseMoney("$1,250.5"), { cents: 125050, currency: "USD" });
  assert.deepEqual(rows.parseMoney("£2.25"), { cents: 225, currency: "GBP" });
  assert.deepEqual(rows.parseMoney("3.10 CAD"), { cents: 310, currency: "CAD" });
  for (const junk of ["", "free", "$", "$-1.00", "1.50", "$1.505", null, undefined, "$1.50 bonus"]) {
    assert.equal(rows.parseMoney(junk), null, String(junk));
  }
});

test("dollarsToCents avoids float surprises", () => {
  assert.equal(rows.dollarsToCents(0.29), 29);
  assert.equal(rows.dollarsToCents(1.15), 115);
  assert.equal(rows.dollarsToCents(-1), null);
  assert.equal(rows.dollarsToCents("1"), null);
});

test("ids come out of MTurk's links, relative or absolute", () => {
  assert.equal(rows.requesterIdFromHref("/requesters/A2P2MT8IK72CVZ/projects?ref=w_pl_prvw"), "A2P2MT8IK72CVZ");
  assert.equal(rows.requesterIdFromHref("https://worker.mturk.com/requesters/AX1/projects"), "AX1");
  assert.equal(rows.requesterIdFromHref("/projects/ABC/tasks"), null);
  assert.equal(rows.hitSetIdFromHref("/projects/3MQJWSYXOHGDXJ3GAF96UH2MB215O3/tasks?ref=w_pl_prvw"), "3MQJWSYXOHGDXJ3GAF96UH2MB215O3");
  assert.equal(rows.hitSetIdFromHref("/projects/3MQJ/tasks/accept_random?ref=x"), "3MQJ");
  assert.equal(rows.hitSetIdFromHref(undefined), null);
});

test("acceptedTaskFromUrl recognises only a task page with an assignment", () => {
  assert.deepEqual(rows.acceptedTaskFromUrl("https://worker.mturk.com/projects/HS1/tasks/T9?assignment_id=AS7&ref=w_pl_prvw"),
    { hitSetId: "HS1", taskId: "T9", assignmentId: "AS7" });
  assert.equal(rows.acceptedTaskFromUrl("https://worker.mturk.com/projects/HS1/tasks?ref=w_pl_prvw"), null);
  assert.equal(rows.acceptedTaskFromUrl("https://worker.mturk.com/projects/HS1/tasks/T9"), null);
  assert.equal(rows.acceptedTaskFromUrl("https://worker.mturk.com/projects/HS1/tasks/accept_random?assignment_id=x"), null);
});

test("a DOM row becomes a normalized task, or nothing", () => {
  const task = rows.mturkTaskFromCells({
    requesterHref: "/requesters/A2P2MT8IK72CVZ/projects?ref=w_pl_prvw",
    requesterName: "  Decision Lab\n @ Example ",
    titleHref: "/projects/3MQJ/tasks?ref=w_pl_prvw",
    title: "Short survey (~ 10 minutes)",
    rewardText: "$1.50",
    hitsText: "1,087",
  });
  assert.deepEqual(task, {
    platform: "mturk", requester_id: "A2P2MT8IK72CVZ", requester_name: "Decision Lab @ Example",
    title: "Short survey (~ 10 minutes)", reward_cents: 150, currency: "USD", hit_set_id: "3MQJ",
    url: "https://worker.mturk.com/projects/3MQJ/tasks", available: 1087,
  });
  assert.equal(rows.mturkTaskFromCells({ requesterHref: "/requesters/A1/projects", title: "x", rewardText: "n/a" }), null);
  assert.equal(rows.mturkTaskFromCells({ requesterHref: "/nowhere", title: "x", rewardText: "$1" }), null);
  assert.equal(rows.mturkTaskFromCells({ requesterHref: "/requesters/A1/projects", title: "  ", rewardText: "$1" }), null);
});

test("a queue item gives the task to time", () => {
  const item = {
    assignment_id: "AS1", accepted_at: "2026-11-24T10:00:00Z",
    project: { hit_set_id: "HS1", requester_id: "A1", requester_name: "Lab", title: "Survey",
      monetary_reward: { amount_in_dollars: 0.29, currency_code: "USD" } },
  };
  assert.deepEqual(rows.mturkTaskFromQueueItem(item), {
    platform: "mturk", requester_id: "A1", requester_name: "Lab", title: "Survey", reward_cents: 29, currency: "USD", hit_set_id: "HS1",
  });
  assert.equal(rows.mturkTaskFromQueueItem({}), null);
  assert.equal(rows.mturkTaskFromQueueItem({ project: { ...item.project, monetary_reward: {} } }), null);
});

test("durations and Prolific cards", () => {
  assert.equal(rows.secondsFromText("15 mins"), 900);
  assert.equal(rows.secondsFromText("1 hour 5 minutes"), 3900);
  assert.equal(rows.secondsFromText("about an hour"), null);
  const task = rows.prolificTaskFromCard({ studyId: "6644", title: "Memory", researcherId: "5f1e", researcherName: "Dr Ada",
    rewardText: "£2.25", timeText: "15 mins", placesText: "89 places" });
  assert.deepEqual(task, { platform: "prolific", requester_id: "5f1e", requester_name: "Dr Ada", title: "Memory",
    reward_cents: 225, currency: "GBP", hit_set_id: "6644", url: "https://app.prolific.com/studies/6644",
    stated_seconds: 900, available: 89 });
  assert.equal(rows.prolificTaskFromCard({ title: "Memory", rewardText: "£2.25" }), null);
});

test("fingerprint is stable and tells payloads apart", () => {
  const a = { tasks: [{ title: "x", reward_cents: 1 }] };
  assert.equal(rows.fingerprint(a), rows.fingerprint(JSON.parse(JSON.stringify(a))));
  assert.notEqual(rows.fingerprint(a), rows.fingerprint({ tasks: [{ title: "x", reward_cents: 2 }] }));
});

test("a row whose title reads like a button was read from the wrong place", () => {
  for (const title of ["Preview", "Accept & Work", " accept ", "Work"]) {
    assert.equal(rows.mturkTaskFromCells({ requesterHref: "/requesters/A1/projects", title, rewardText: "$0.10" }), null, title);
  }
});

test("a search result or queue project becomes a task, with the Masters qualifications mturk-suite lists", () => {
  const result = {
    hit_set_id: "3BH1IVA3VJXE20OLEULG3K8PC6Q1RU", requester_id: "AGVV5AWLJY7H2", requester_name: "Ibotta Turk",
    title: "Are these receipts the same?", description: "Tell us if two receipts are the same",
    monetary_reward: { amount_in_dollars: 0.01, currency_code: "USD" }, assignable_hits_count: 1,
    assignment_duration_in_seconds: 360, caller_meets_requirements: true,
    project_requirements: [{ qualification_type_id: "2NDP2L92HECWY8NS8H3CK0CP5L9GHO", comparator: "Exists" }],
  };
  assert.deepEqual(rows.mturkTaskFromResult(result), {
    platform: "mturk", requester_id: "AGVV5AWLJY7H2", requester_name: "Ibotta Turk", title: "Are these receipts the same?",
    reward_cents: 1, currency: "USD", masters_required: true, hit_set_id: "3BH1IVA3VJXE20OLEULG3K8PC6Q1RU",
    url: "https://worker.mturk.com/projects/3BH1IVA3VJXE20OLEULG3K8PC6Q1RU/tasks", description: "Tell us if two receipts are the same",
    available: 1, time_allotted_seconds: 360, qualified: true,
  });
  for (const id of rows.MASTERS_QUALIFICATION_IDS) {
    assert.equal(rows.mastersRequired({ project_requirements: [{ qualification_type_id: id, comparator: "Exists" }] }), true, id);
    assert.equal(rows.mastersRequired({ hit_requirements: [{ qualification_type: { qualification_type_id: id } }] }), true, id);
    assert.equal(rows.mastersRequired({ project_requirements: [{ qualification_type_id: id, comparator: "DoesNotExist" }] }), false);
  }
  assert.deepEqual(rows.MASTERS_QUALIFICATION_IDS.slice(0, 3), ["2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", "2NDP2L92HECWY8NS8H3CK0CP5L9GHO", "21VZU98JHSTLZ5BPP4A9NOBJEK3DPG"]);
  assert.equal(rows.mturkTaskFromResult({ ...result, title: " " }), null);
  assert.equal(rows.mturkTaskFromResult({ ...result, monetary_reward: {} }), null);
});

test("a card's data-testid gives its study id; the tags' and panels' test ids give none", () => {
  assert.equal(rows.studyIdFromTestId("study-676eda540ac41cc075b4e578"), "676eda540ac41cc075b4e578");
  for (const other of ["study-tag-reward", "study-details", "study-list-title", "study-", "studies-list", null, "study-card"]) {
    assert.equal(rows.studyIdFromTestId(other), null, String(other));
  }
});

test("a study is cut to the fields the server's parse_studies reads", () => {
  const live = require("../../../tests/fixtures/scrapers/prolific_studies_live.json").results[0];
  const picked = rows.prolificStudyForServer(live);
  assert.deepEqual(Object.keys(picked).sort(), [...rows.STUDY_FIELDS.filter((k) => k in live), "researcher"].sort());
  assert.deepEqual(picked.researcher, { id: live.researcher.id, name: live.researcher.name });
  assert.equal("previous_submission_count" in picked || "submission_started_at" in picked || "pii" in picked, false);
  assert.equal(rows.prolificStudyForServer(null), null);
  assert.equal(rows.prolificStudyForServer([1]), null);
});
