"""GET /me/certificate (the form and its preview) and the cookie downloads /me/certificate.pdf and .json."""
from __future__ import annotations

import json

import pytest
from litestar.testing import TestClient

from tests.certificate.history import record
from tests.helpers import worker_id
from tests.helpers import Db
from tests.requester_page.dom import Node, parse


def sign_in(client: TestClient, headers: dict[str, str]) -> None:
    token = headers["Authorization"].split(" ", 1)[1]
    response = client.post("/me/sign-in", data={"token": token, "next": "/me/certificate"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/me/certificate"


def page(client: TestClient, status: int = 200, params: list[tuple[str, str]] | None = None) -> Node:
    response = client.get("/me/certificate", params=params or [])
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    return parse(response.text)


@pytest.fixture
def picks(client: TestClient, alice: dict[str, str], db: Db) -> dict[str, int]:
    found = record(db, worker_id(client, alice))
    sign_in(client, alice)
    return found


def test_signed_out_is_asked_to_sign_in_and_comes_back(client):
    doc = page(client, 401)
    main = doc.find("main")
    assert "Sign in to make your work certificate" in main.text()
    form = main.find("form", action="/me/sign-in")
    assert form.find("input", name="next").attrs["value"] == "/me/certificate"
    for path in ("/me/certificate.pdf", "/me/certificate.json"):
        response = client.get(path)
        assert response.status_code == 401 and response.headers["content-type"].startswith("text/html")
        assert "%PDF" not in response.text and "credentialSubject" not in response.text


def test_form_is_labelled_and_grouped(client, picks):
    doc = page(client)
    main = doc.find("main")
    assert main.find("h1").text() == "Your work certificate"
    form = main.find("form", id="certificate-form")
    assert form.attrs["method"] == "get" and form.attrs["action"] == "/me/certificate"
    labels = {label.attrs["for"] for label in form.find_all("label")}
    inputs = [node for node in form.find_all("input") if node.attrs.get("type") != "hidden"]
    assert inputs and all(node.attrs["id"] in labels for node in inputs)  # every control has its label
    legends = [legend.text() for legend in form.find_all("legend")]
    assert legends == ["Period", "Platforms", "What to include", "Requester feedback to quote",
                       "Tasks you entered yourself"]
    # Defaults: every section but earnings ticked; the period filled in with the whole record.
    ticked = {node.attrs["value"] for node in form.find_all("input", name="section") if "checked" in node.attrs}
    assert ticked == {"kinds", "approval", "hours", "feedback"}
    assert form.find("input", id="from").attrs["value"] == "2026-01-12"
    # The feedback rows to choose from: the worker's own, with their text.
    picks_text = form.find("fieldset", id="feedback-fieldset").text()
    assert "Great work, thank you!" in picks_text and "Too many errors" in picks_text
    buttons = {button.text(): button.attrs.get("formaction") for button in form.find_all("button")}
    assert buttons == {"Preview": None, "Download the PDF": "/me/certificate.pdf",
                       "Download the JSON": "/me/certificate.json"}


def test_preview_shows_what_will_be_included(client, picks):
    doc = page(client, params=[("sent", "1"), ("section", "kinds"), ("section", "feedback"),
                               ("pick", str(picks["receipts"])), ("holder_name", "Alice Example")])
    preview = doc.find("section", **{"aria-labelledby": "preview-heading"})
    text = preview.text()
    assert "Holder: Alice Example" in text and "Great work, thank you!" in text
    assert "Too many errors" not in text  # not picked
    assert [h.text() for h in preview.find_all("h3")] == ["Summary", "Platforms", "Kinds of work", "Requester feedback"]
    assert "Left out: Approval rate, Hours worked, Earnings" in text
    tables = preview.find_all("table")
    assert all(table.find("caption").text() for table in tables)
    assert all(th.attrs.get("scope") in ("col", "row") for table in tables for th in table.find_all("th"))
    link = preview.find("a", id="download-json").attrs["href"]
    assert link.startswith("/me/certificate.json?") and "include=kinds%2Cfeedback" in link
    # The link downloads exactly what the preview showed.
    vc = client.get(link).json()
    assert vc["credentialSubject"]["holderName"] == "Alice Example"
    assert [q["text"] for q in vc["credentialSubject"]["requesterFeedback"]] == ["Great work, thank you!"]
    assert "approvalRate" not in vc["credentialSubject"]


def test_no_section_ticked_means_only_the_summary(client, picks):
    doc = page(client, params=[("sent", "1")])
    preview = doc.find("section", **{"aria-labelledby": "preview-heading"})
    assert [h.text() for h in preview.find_all("h3")] == ["Summary", "Platforms"]
    assert "only the summary" in preview.text()


def test_a_bad_choice_is_shown_next_to_its_field(client, picks):
    doc = page(client, 400, params=[("sent", "1"), ("from", "2026-31-01"), ("section", "kinds")])
    summary = doc.find("div", id="error-summary")
    assert summary.attrs["role"] == "alert"
    assert summary.find("a").attrs["href"] == "#from"
    field = doc.find("input", id="from")
    assert field.attrs["aria-invalid"] == "true" and field.attrs["value"] == "2026-31-01"
    assert "from-error" in field.attrs["aria-describedby"]
    ticked = {node.attrs["value"] for node in doc.find_all("input", name="section") if "checked" in node.attrs}
    assert ticked == {"kinds"}  # the choices made are kept
    # Someone else's (or an unknown) feedback id: the feedback group says so.
    doc = page(client, 400, params=[("sent", "1"), ("pick", "999999")])
    assert doc.find("div", id="error-summary").find("a").attrs["href"] == "#feedback-fieldset"


def test_cookie_downloads(client, picks, tmp_path):
    response = client.get("/me/certificate.json", params=[("sent", "1"), ("section", "earnings")])
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    subject = response.json()["credentialSubject"]
    assert subject["choices"]["sections"] == ["earnings"] and subject["tasksRecorded"] == 6
    pdf = client.get("/me/certificate.pdf", params={"include": "kinds"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-disposition"].startswith("attachment;")
    # A bad choice sends the download back to the form, which explains it.
    bad = client.get("/me/certificate.pdf", params={"tz": "Nowhere/Land"}, follow_redirects=False)
    assert bad.status_code == 303 and bad.headers["location"] == "/me/certificate?tz=Nowhere%2FLand"


def test_the_session_shows_only_its_own_worker(client, picks, bob, db):
    sign_in(client, bob)
    doc = page(client)
    assert "Great work" not in doc.text()
    vc = json.loads(client.get("/me/certificate.json").text)
    assert vc["credentialSubject"]["tasksRecorded"] == 0


def test_the_worker_chooses_how_self_reported_tasks_are_treated(client, picks, db):
    """Issue 18 item 4: tasks entered by hand are labelled self-reported or left out, as the worker chooses on the
    form (radio buttons in a fieldset with its legend), and the signed document says which."""
    # Two of the six tasks were captured from the platform's own pages; the other four were typed.
    captured = [row[0] for row in db.rows("SELECT id FROM work_history ORDER BY id LIMIT 2")]
    for item_id in captured:
        db.run("UPDATE work_history SET source = 'platform_page' WHERE id = ?", item_id)
    group = page(client).find("fieldset", id="self-reported-fieldset")
    assert group.find("legend").text() == "Tasks you entered yourself"
    radios = group.find_all("input", name="self_reported")
    assert [(r.attrs["type"], r.attrs["value"], "checked" in r.attrs) for r in radios] == [
        ("radio", "label", True), ("radio", "omit", False)]  # by default they count, labelled
    assert {label.attrs["for"] for label in group.find_all("label")} == {r.attrs["id"] for r in radios}

    doc = page(client, params=[("sent", "1"), ("section", "kinds"), ("self_reported", "omit")])
    chosen = {r.attrs["value"] for r in doc.find_all("input", name="self_reported") if "checked" in r.attrs}
    assert chosen == {"omit"}  # the choice is kept on the form
    preview = doc.find("section", **{"aria-labelledby": "preview-heading"})
    assert "self-reported tasks left out" in preview.text()
    link = preview.find("a", id="download-json").attrs["href"]
    assert "self_reported=omit" in link
    left_out = client.get(link).json()["credentialSubject"]
    assert left_out["choices"]["selfReported"] == "omit" and left_out["tasksRecorded"] == 2
    # The form's own download button sends the same choice.
    sent = client.get("/me/certificate.json", params=[("sent", "1"), ("section", "kinds"), ("self_reported", "omit")])
    assert sent.json()["credentialSubject"]["choices"]["selfReported"] == "omit"
    assert sent.json()["credentialSubject"]["tasksRecorded"] == 2

    labelled = client.get("/me/certificate.json", params=[("sent", "1"), ("section", "kinds"),
                                                        ("self_reported", "label")]).json()["credentialSubject"]
    assert labelled["choices"]["selfReported"] == "label" and labelled["tasksRecorded"] == 6
    assert "4 self-reported" in page(client, params=[("sent", "1"), ("self_reported", "label")]).find(
        "section", **{"aria-labelledby": "preview-heading"}).text()

    # Anything else is refused next to the group, and the form keeps what was sent.
    bad = page(client, 400, params=[("sent", "1"), ("self_reported", "hide")])
    assert bad.find("div", id="error-summary").find("a").attrs["href"] == "#self-reported-fieldset"
    assert bad.find("p", id="self-reported-error") is not None
