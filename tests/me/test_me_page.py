"""GET /me: signed out and in, the numbers of the worked example in its sentences and tables, charts, bad input,
the cookie session (server/me/session.py) and deleting the history with CSRF protection."""
from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from server.me.session import ME_SESSION
from tests.helpers import Db
from tests.helpers import worker_id
from tests.me.example import PERIOD, SHOP, add_history, worked_example
from tests.requester_page.dom import Node, facts, parse, table_rows

COOKIE = ME_SESSION.name


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].split(" ", 1)[1]


def sign_in(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post("/me/sign-in", data={"token": token_of(headers)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/me"


def page(client: TestClient, status: int = 200, **params: str) -> Node:
    response = client.get("/me", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    return parse(response.text)


def csrf(doc: Node) -> str:
    return doc.find("form", action="/me/history/delete").find("input", name="csrf").attrs["value"] or ""


def headings(doc: Node, tag: str = "h2") -> list[str]:
    return [h.text() for h in doc.find("main").find_all(tag)]


def history_rows(db: Db, worker: int) -> int:
    return db.value("SELECT COUNT(*) FROM work_history WHERE worker_id = ?", worker)


# ------------------------------------------------------------------------------------------------
# Signed out, signing in and out


def test_signed_out_page_explains_and_offers_sign_in(client: TestClient) -> None:
    doc = page(client)
    main = doc.find("main")
    assert main.find("h1").text() == "Your earnings: sign in"
    assert "effective hourly pay" in main.text() and "Only you can see it" in main.text()
    form = main.find("form", action="/me/sign-in")
    assert form.attrs["method"] == "post"
    assert form.find("input", id="token").attrs["type"] == "password"
    assert form.find("label").attrs["for"] == "token"
    assert not main.find_all("svg") and not main.find_all("table") and "Summary" not in headings(doc)
    assert doc.find("meta", name="robots").attrs["content"] == "noindex, nofollow"


def test_sign_in_sets_a_private_cookie_and_shows_the_page(client: TestClient, alice: dict[str, str]) -> None:
    response = client.post("/me/sign-in", data={"token": token_of(alice)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/me"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for part in ("HttpOnly", "Path=/me", "SameSite=lax"):
        assert part in cookie
    assert "Secure" not in cookie  # plain http here; https gets Secure
    doc = page(client)
    assert doc.find("main").find("h1").text() == "Your earnings"
    assert "Signed in as alice." in doc.find("header").text()
    # the cookie is the /me pages' own: the JSON API still wants the bearer header
    assert client.get("/api/v1/me/earnings").status_code == 401


def test_sign_in_on_https_marks_the_cookie_secure(client: TestClient, alice: dict[str, str]) -> None:
    response = client.post("https://testserver.local/me/sign-in", data={"token": token_of(alice)},
                           follow_redirects=False)
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize("next_path,location", [
    ("/me/certificate", "/me/certificate"),
    ("https://evil.example/", "/me"),
    ("//evil.example/me", "/me"),
    ("/me/../listen", "/me"),
    ("/meow", "/me"),
    ("", "/me"),
])
def test_sign_in_returns_only_to_me_pages(client: TestClient, alice: dict[str, str], next_path: str,
                                          location: str) -> None:
    response = client.post("/me/sign-in", data={"token": token_of(alice), "next": next_path}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == location


@pytest.mark.parametrize("token,status,message", [
    ("", 400, "Enter your Fairfinder token."),
    ("ff_not-a-token", 401, "This token is unknown or has been revoked."),
    ("x" * 5000, 401, "This token is unknown or has been revoked."),
])
def test_bad_sign_in(client: TestClient, token: str, status: int, message: str) -> None:
    response = client.post("/me/sign-in", data={"token": token}, follow_redirects=False)
    assert response.status_code == status
    assert "set-cookie" not in response.headers or f"{COOKIE}=\"\"" in response.headers["set-cookie"]
    doc = parse(response.text)
    summary = doc.find("div", id="error-summary")
    assert message in summary.text() and summary.find("a").attrs["href"] == "#token"
    assert doc.find("input", id="token").attrs["aria-invalid"] == "true"
    assert doc.find("title").text().startswith("Error:")


def test_sign_in_from_another_site_is_refused(client: TestClient, alice: dict[str, str]) -> None:
    response = client.post("/me/sign-in", data={"token": token_of(alice)}, headers={"Origin": "https://evil.example"},
                           follow_redirects=False)
    assert response.status_code == 403 and "set-cookie" not in response.headers
    assert page(client).find("h1").text() == "Your earnings: sign in"


def test_sign_out_needs_the_csrf_token(client: TestClient, alice: dict[str, str]) -> None:
    sign_in(client, alice)
    doc = page(client)
    form = doc.find("form", action="/me/sign-out")
    token = form.find("input", name="csrf").attrs["value"]
    refused = client.post("/me/sign-out", data={"csrf": "0" * 64}, follow_redirects=False)
    assert refused.status_code == 403 and "Form refused" in refused.text
    assert page(client).find("h1").text() == "Your earnings"  # still signed in
    response = client.post("/me/sign-out", data={"csrf": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/me"
    assert f'{COOKIE}=""' in response.headers["set-cookie"] and "Path=/me" in response.headers["set-cookie"]
    assert page(client).find("h1").text() == "Your earnings: sign in"


def test_revoked_token_signs_out(client: TestClient, alice: dict[str, str]) -> None:
    issued = client.post("/api/v1/me/tokens", headers=alice, json={"label": "browser"}).json()
    sign_in(client, {"Authorization": f"Bearer {issued['token']}"})
    assert page(client).find("h1").text() == "Your earnings"
    assert client.delete(f"/api/v1/me/tokens/{issued['token_info']['id']}", headers=alice).status_code == 204
    response = client.get("/me")
    assert parse(response.text).find("h1").text() == "Your earnings: sign in"
    assert f'{COOKIE}=""' in response.headers["set-cookie"]  # the dead cookie is dropped


# ------------------------------------------------------------------------------------------------
# The signed-in page


def test_page_shows_the_worked_example(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    worked_example(client, db, alice)
    sign_in(client, alice)
    doc = page(client, **PERIOD)
    main = doc.find("main")
    assert main.find("h1").text() == "Your earnings"
    assert headings(doc) == ["Summary", "By day", "By week", "By requester", "By task type", "Unpaid time",
                             "Your history", "Your work certificate"]
    assert main.find("p", **{"class": "sentence"}).text() == (
        "You earned $6.00 an hour while working, $3.00 an hour counting returned work and time spent searching.")
    assert facts(main.find("dl")) == {
        "Earned (approved)": "$1.00", "Pending (waiting for approval)": "$0.50", "Rejected (not paid)": "$0.40",
        "Approval rate": "50%", "Hourly while working (pending pay included)": "$6.00 an hour",
        "Hourly counting unpaid time (pending pay included)": "$3.00 an hour"}
    # which figures include pending pay, and why (issue 19: the headline did not say)
    assert main.find("p", **{"class": "pending-note"}).text() == (
        "Both hourly figures count your pending pay ($0.50) as paid: it is the pay you can expect, and most pending "
        "work is approved. “Earned (approved)” below counts only money already approved, so it is lower; if pending "
        "work is rejected, the hourly figures go down.")
    tables = {t.find("caption").attrs["id"]: t for t in main.find_all("table")}
    assert table_rows(tables["c1-days-caption"]) == [
        ["14 January 2026", "4", "$1.00", "$0.50", "$0.40", "$6.00/h", "$3.00/h", "25 min"]]
    assert "6 days without tasks are left out" in tables["c1-days-caption"].find("caption").text()
    assert table_rows(tables["c1-weeks-caption"]) == [
        ["Week of 12 January 2026", "4", "$1.00", "$0.50", "$0.40", "$6.00/h", "$3.00/h", "25 min"]]
    assert table_rows(tables["c1-requesters-caption"]) == [
        ["Shop Lab (AREQSHOP)", "MTurk", "2", "1", "0", "100%", "$1.00", "$0.50", "$6.00/h", "$5.00/h"],
        ["Bad Lab (AREQBAD)", "MTurk", "2", "0", "1", "0%", "$0.00", "$0.00", "–", "$0.00/h"]]
    task_rows = table_rows(tables["c1-tasks-caption"])
    assert task_rows[0] == ["Survey about shopping", "Shop Lab (MTurk)", "$0.80", "1", "1", "0", "$1.00", "$6.00/h",
                            "$6.00/h"]
    assert len(task_rows) == 4
    for table in main.find_all("table"):
        assert all(th.attrs.get("scope") == "col" for th in table.find("thead").find_all("th"))
        assert all(th.attrs.get("scope") == "row" for th in table.find("tbody").find_all("th"))
    unpaid = main.find("section", **{"aria-labelledby": "c1-unpaid"}).text()
    assert "Of 30 min spent working and searching, 15 min was unpaid: 10 min on work that was returned or rejected, " \
           "and 5 min searching between tasks." in unpaid
    assert "10 minutes or shorter" in unpaid
    assert table_rows(tables["history-caption"])[0][:2] == ["MTurk", "3 tasks"]
    assert main.find("a", href="/me/certificate").text() == "Your work certificate"


def test_charts_are_images_with_text_alternatives(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    worked_example(client, db, alice)
    sign_in(client, alice)
    doc = page(client, **PERIOD)
    charts = doc.find("main").find_all("svg")
    assert [svg.attrs["id"] for svg in charts] == ["c1-days", "c1-weeks"]
    for svg in charts:
        assert svg.attrs["role"] == "img"
        title = svg.find("title")
        assert svg.attrs["aria-labelledby"] == title.attrs["id"]
        assert svg.find("desc").attrs["id"] == svg.attrs["aria-describedby"]
        # the data table the chart shows comes right after it
        section = svg.parent.parent
        assert section.tag == "section" and section.find("table")
    assert charts[0].find("title").text() == "Money earned by day, in USD"
    assert charts[0].find("desc").text() == "Highest day: 14 January 2026, $1.00 earned. 1 day of 7 had tasks."
    assert charts[1].find("desc").text() == "Highest week: the week of 12 January 2026, $1.00 earned."
    assert len(charts[0].find_all("rect", **{"class": "bar solid"})) == 2  # the legend's swatch and one day


def test_gap_minutes_changes_the_page(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    worked_example(client, db, alice)
    sign_in(client, alice)
    doc = page(client, **PERIOD, gap_minutes="0")
    assert "$6.00 an hour while working, $3.60 an hour counting" in doc.find("p", **{"class": "sentence"}).text()
    assert doc.find("input", id="gap_minutes").attrs["value"] == "0"
    assert "not counted as searching" in doc.find("section", **{"aria-labelledby": "c1-unpaid"}).text()


def test_empty_state_says_how_to_sync(client: TestClient, alice: dict[str, str]) -> None:
    sign_in(client, alice)
    doc = page(client)
    main = doc.find("main")
    assert headings(doc) == ["Summary", "Your history", "Your work certificate"]
    assert "You have no tasks in this period yet" in main.text()
    assert "Sync the last 45 days from MTurk" in main.text()
    assert "No work history is imported yet." in main.text()
    assert not main.find_all("svg") and not main.find_all("form", action="/me/history/delete")


def test_one_block_per_currency(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    worker = worker_id(client, alice)
    add_history(db, worker, "P1", ("PROLAB", "Prolific Lab"), "Study on memory", 450, "approved", currency="GBP",
                platform="prolific")
    add_history(db, worker, "M1", SHOP, "Survey about shopping", 80, "approved")
    sign_in(client, alice)
    doc = page(client, **PERIOD)
    assert headings(doc) == ["Money in GBP", "Money in USD", "Your history", "Your work certificate"]
    assert headings(doc, "h3")[:2] == ["Summary in GBP", "By day in GBP"]
    earned = [facts(dl)["Earned (approved)"] for dl in doc.find("main").find_all("dl")]
    assert earned == ["£4.50", "$0.80"]
    ids = [node.attrs["id"] for node in doc.walk() if "id" in node.attrs]
    assert len(ids) == len(set(ids))  # two charts per currency, ids unique on the page


def test_names_and_titles_are_escaped(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    worker = worker_id(client, alice)
    add_history(db, worker, "X1", ("AEVIL", "<script>alert(1)</script>"), "<img src=x onerror=alert(2)>", 10,
                "approved")
    sign_in(client, alice)
    response = client.get("/me", params=PERIOD)
    assert "<script>alert(1)" not in response.text and "<img src=x" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize("params,fields", [
    ({"from": "yesterday"}, ["from"]),
    ({"from": "2026-02-01", "to": "2026-01-01"}, ["from"]),
    ({"tz": "Mars/Base", "gap_minutes": "500"}, ["tz", "gap_minutes"]),
    ({"gap_minutes": "5", "to": "2026-13-01", "from": "x" * 300}, ["from", "to"]),
    ({"tz": "\u202eEurope/Berlin"}, ["tz"]),
])
def test_bad_period_shows_the_form_with_errors(client: TestClient, alice: dict[str, str], params: dict,
                                               fields: list[str]) -> None:
    sign_in(client, alice)
    doc = page(client, 400, **params)
    summary = doc.find("div", id="error-summary")
    assert [a.attrs["href"] for a in summary.find_all("a")] == [f"#{field}" for field in fields]
    for field in fields:
        control = doc.find("input", id=field)
        assert control.attrs["aria-invalid"] == "true"
        assert f"{field}-error" in (control.attrs["aria-describedby"] or "")
        assert doc.find("p", id=f"{field}-error").text()
    assert doc.find("title").text() == "Error: Your earnings – Fairfinder"
    assert not doc.find("main").find_all("svg")
    assert all(len(node.attrs.get("value") or "") <= 64 for node in doc.find_all("input"))


def test_form_shows_the_values_back(client: TestClient, alice: dict[str, str]) -> None:
    sign_in(client, alice)
    doc = page(client, 400, **{"from": "2026-01-01", "to": "2026-01-31", "tz": "Asia/Kolkata", "gap_minutes": "x"})
    values = {name: doc.find("input", id=name).attrs["value"] for name in ("from", "to", "tz", "gap_minutes")}
    assert values == {"from": "2026-01-01", "to": "2026-01-31", "tz": "Asia/Kolkata", "gap_minutes": "x"}


# ------------------------------------------------------------------------------------------------
# Deleting the history


def test_delete_history_with_csrf_and_confirmation(client: TestClient, db: Db, alice: dict[str, str],
                                                   bob: dict[str, str]) -> None:
    worker = worked_example(client, db, alice)
    bob_id = worker_id(client, bob)
    add_history(db, bob_id, "B1", SHOP, "Survey about shopping", 80, "approved")
    sign_in(client, alice)
    token = csrf(page(client, **PERIOD))
    response = client.post("/me/history/delete", data={"csrf": token, "confirm": "yes"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/me?notice=history-deleted&n=3#history"
    assert history_rows(db, worker) == 0 and history_rows(db, bob_id) == 1
    doc = page(client, notice="history-deleted", n="3", **PERIOD)
    assert doc.find("p", id="notice").text() == "Your imported work history was deleted. 3 tasks removed."
    assert "No work history is imported yet." in doc.find("main").text()
    # the timed work is still there: the returned task's timing has no history row anyway
    assert "Returned: 1 task" in doc.find("main").text()


@pytest.mark.parametrize("data,headers,status", [
    ({"confirm": "yes"}, {}, 403),  # no CSRF token
    ({"confirm": "yes", "csrf": "0" * 64}, {}, 403),  # a wrong one
    ({"confirm": "yes", "csrf": "CSRF"}, {"Origin": "https://evil.example"}, 403),  # from another site
    ({"csrf": "CSRF"}, {}, 400),  # not confirmed
])
def test_delete_history_refused(client: TestClient, db: Db, alice: dict[str, str], data: dict, headers: dict,
                                status: int) -> None:
    worker = worked_example(client, db, alice)
    sign_in(client, alice)
    token = csrf(page(client, **PERIOD))
    data = {key: (token if value == "CSRF" else value) for key, value in data.items()}
    response = client.post("/me/history/delete", data=data, headers=headers, follow_redirects=False)
    assert response.status_code == status
    assert history_rows(db, worker) == 3
    doc = parse(response.text)
    if status == 400:
        assert doc.find("div", id="error-summary").find("a").attrs["href"] == "#confirm"
        assert doc.find("input", id="confirm").attrs["aria-invalid"] == "true"
    else:
        assert doc.find("h1").text() == "Form refused"


def test_another_sessions_csrf_token_does_not_work(client: TestClient, db: Db, alice: dict[str, str],
                                                   bob: dict[str, str]) -> None:
    worker = worked_example(client, db, alice)
    sign_in(client, bob)
    add_history(db, worker_id(client, bob), "B1", SHOP, "Survey about shopping", 80, "approved")
    bobs = csrf(page(client, **PERIOD))
    sign_in(client, alice)
    response = client.post("/me/history/delete", data={"csrf": bobs, "confirm": "yes"}, follow_redirects=False)
    assert response.status_code == 403 and history_rows(db, worker) == 3


def test_delete_history_signed_out(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    worker = worked_example(client, db, alice)
    response = client.post("/me/history/delete", data={"confirm": "yes"}, follow_redirects=False)
    assert response.status_code == 401
    assert "Your sign-in has ended" in response.text and history_rows(db, worker) == 3


def test_no_worker_id_in_links(client: TestClient, db: Db, alice: dict[str, str]) -> None:
    worked_example(client, db, alice)
    sign_in(client, alice)
    doc = page(client, **PERIOD)
    targets = [n.attrs.get("href") or n.attrs.get("action") or "" for n in doc.walk() if n.tag in ("a", "form", "link")]
    assert targets and all(not re.search(r"worker|handle|alice", target) for target in targets)
