"""The moderation page (/moderation) in process: sign-in and roles, every form action changing the review and the
requester's figures, CSRF refusals, escaping of user text, form errors linked to their fields, notices, pages."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from server.domain.figures import two_decimals
from server.moderation.pages import MODERATION_SESSION
from server.web.csrf import csrf_token
from tests.conftest import TEST_SECRET
from tests.helpers import stamp
from tests.moderation.conftest import account, flag, means, review, sql, stars, summary
from tests.requester_page.dom import Node, parse

COOKIE = MODERATION_SESSION.name

ORIGIN = "http://testserver.local"  # the TestClient's host: same_site() compares Origin with it
EVIL = "https://evil.example"


def no_server_errors(response: httpx.Response) -> None:
    response.read()
    assert response.status_code < 500, f"{response.request.method} {response.request.url}: {response.text}"
    assert "Traceback" not in response.text


@pytest.fixture
def client(client: TestClient) -> Iterator[TestClient]:
    """HTML pages answer errors as pages, not the API's JSON: check only that nothing broke."""
    client.event_hooks["response"] = [no_server_errors]
    yield client


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def sign_in(client: TestClient, headers: dict[str, str]) -> httpx.Response:
    response = client.post("/moderation/sign-in", data={"token": token_of(headers)}, headers={"Origin": ORIGIN},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return response


def page(client: TestClient, url: str = "/moderation", status: int = 200) -> Node:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return parse(response.text)


def csrf_of(client: TestClient) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/moderation").text)
    assert match, "no CSRF field on the page"
    return match.group(1)


def submit(client: TestClient, path: str, data: dict[str, Any], *, origin: str | None = ORIGIN, csrf: bool = True,
           follow: bool = False) -> httpx.Response:
    """Send a form as the browser would: same-site Origin and the page's CSRF field unless told otherwise."""
    body = {"csrf": csrf_of(client), **data} if csrf else dict(data)
    headers = {"Origin": origin} if origin else {}
    return client.post(path, data=body, headers=headers, follow_redirects=follow)


def status_of(settings: Any, review_id: int) -> str:
    return sql(settings, "SELECT status FROM reviews WHERE id = ?", review_id)[0][0]


def error_summary(doc: Node) -> Node:
    return doc.by_id("error-summary")


def flagged_setup(client: TestClient) -> tuple[dict[str, str], dict[str, Any]]:
    """A moderator (signed in), two good reviews of AREQ1 and a flagged 1-star one; returns (moderator, bad review)."""
    moderator = account(client, "mod", "moderator")
    for handle in ("good1", "good2"):
        review(client, account(client, handle), **stars(5))
    bad = review(client, account(client, "grumpy"), **stars(1, comment="Terrible."))
    flag(client, account(client, "flagger"), bad["id"], "abusive", "insults the requester")
    sign_in(client, moderator)
    return moderator, bad


# ------------------------------------------------------------------------------------------------
# Who may see the page


def test_anonymous_visitors_get_the_sign_in_form(client):
    response = client.get("/moderation")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    doc = parse(response.text)
    assert [h.text() for h in doc.find_all("h1")] == ["Moderation: sign in"]
    form = doc.find("form", action="/moderation/sign-in")
    assert form.attrs["method"] == "post"
    assert doc.find("label", for_="token").text() == "Your Fairfinder token"
    assert doc.by_id("token").attrs["type"] == "password"
    assert doc.find_all("nav") == []  # no queue links for strangers
    for url in ("/moderation/log", "/moderation/reviews/1", "/moderation?kind=held"):
        assert parse(client.get(url).text).find("form", action="/moderation/sign-in")


def test_sign_in_sets_a_strict_http_only_cookie_for_the_page_only(client, settings):
    moderator = account(client, "mod", "moderator")
    response = sign_in(client, moderator)
    assert response.headers["location"] == "/moderation?notice=signed-in"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/moderation"} <= attributes
    html = client.get("/moderation?notice=signed-in").text
    doc = parse(html)
    assert doc.by_id("notice").text() == "You are signed in."
    assert "Signed in as mod (moderator)." in doc.find("header").text()
    assert [a.text() for a in doc.find("nav", aria_label="Moderation views").find_all("a")] == [
        "Flagged", "Held (bursts)", "Hidden", "Log"]
    assert doc.find("a", href="/moderation?kind=flagged").attrs["aria-current"] == "page"
    # the forms carry the session's CSRF token, never the token itself
    token = token_of(moderator)
    assert token not in html
    assert csrf_of(client) == csrf_token(TEST_SECRET, token, "moderation") != token
    # the cookie is not sent to the API: the page's session is no bearer token there
    assert client.get("/api/v1/moderation/queue").status_code == 401


def test_sign_in_errors_are_linked_to_the_token_field(client):
    blank = client.post("/moderation/sign-in", data={"token": "  "}, headers={"Origin": ORIGIN})
    assert blank.status_code == 400
    doc = parse(blank.text)
    assert error_summary(doc).find("a").attrs["href"] == "#token"
    assert doc.by_id("token").attrs["aria-invalid"] == "true"
    assert "token-error" in doc.by_id("token").attrs["aria-describedby"]
    unknown = client.post("/moderation/sign-in", data={"token": "ff_nobody"}, headers={"Origin": ORIGIN})
    assert unknown.status_code == 401 and "unknown or has been revoked" in unknown.text
    assert "set-cookie" not in unknown.headers


def test_sign_in_from_another_site_is_refused(client):
    moderator = account(client, "mod", "moderator")
    response = client.post("/moderation/sign-in", data={"token": token_of(moderator)}, headers={"Origin": EVIL},
                           follow_redirects=False)
    assert response.status_code == 403 and "Form refused" in response.text
    assert "set-cookie" not in response.headers


def test_workers_without_the_role_get_a_clear_403_page(client, settings):
    worker = account(client, "plain")
    response = client.post("/moderation/sign-in", data={"token": token_of(worker)}, headers={"Origin": ORIGIN},
                           follow_redirects=False)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers  # a worker's token opens nothing here, so it is not kept
    doc = parse(response.text)
    assert doc.find("h1").text() == "Moderators only"
    assert "signed in as plain, which is not a moderator or admin account" in doc.by_id("message").text()

    # a moderator demoted while signed in: the next page and the next form are refused
    _, bad = flagged_setup(client)
    sql(settings, "UPDATE workers SET role = 'worker' WHERE handle = 'mod'")
    doc = page(client, "/moderation", 403)
    assert doc.find("h1").text() == "Moderators only"
    assert doc.find_all("nav", aria_label="Moderation views") == []
    assert doc.find("form", action="/moderation/sign-out")  # they can still sign out
    forged = client.post(f"/moderation/reviews/{bad['id']}/decision", headers={"Origin": ORIGIN},
                         data={"action": "hide", "csrf": csrf_token(TEST_SECRET, "whatever", "moderation")})
    assert forged.status_code == 403
    assert status_of(settings, bad["id"]) == "visible"


def test_sign_out_forgets_the_cookie(client):
    moderator = account(client, "mod", "moderator")
    sign_in(client, moderator)
    refused = submit(client, "/moderation/sign-out", {}, csrf=False)
    assert refused.status_code == 403  # a sign-out form needs the CSRF field too
    response = submit(client, "/moderation/sign-out", {})
    assert response.status_code == 303 and response.headers["location"] == "/moderation?notice=signed-out"
    assert f'{COOKIE}=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    doc = page(client, "/moderation?notice=signed-out")
    assert doc.by_id("notice").text() == "You are signed out."
    assert doc.find("form", action="/moderation/sign-in")


# ------------------------------------------------------------------------------------------------
# The queue and what each item shows


def test_a_queue_item_shows_what_a_moderator_needs(client, settings):
    _, bad = flagged_setup(client)
    client.patch(f"/api/v1/reviews/{bad['id']}", headers=account(client, "other"), json={"comment": "x"})  # not theirs
    sql(settings, "UPDATE workers SET created_at = ? WHERE handle = 'grumpy'", stamp(datetime.now(timezone.utc) - timedelta(days=2)))
    doc = page(client)
    assert [h.text() for h in doc.find_all("h1")] == ["Flagged reviews"]
    items = doc.find_all("article")
    assert [a.attrs["id"] for a in items] == [f"review-{bad['id']}"]
    item = items[0]
    assert item.find("h2").text() == f"Review {bad['id']}: Shop Lab on MTurk"
    assert [h.text() for h in item.find_all("h3")] == ["Comment", "Flags", "Author", "Decide"]
    text = item.text()
    assert "Visible" in text and "1 open flag" in text
    assert item.find("a", href="/r/mturk/AREQ1").text() == "Shop Lab (AREQ1)"
    assert "The requester as a whole" in text and "Pay 1 of 5" in text
    assert item.find("p", class_="comment").text() == "Terrible."
    flag_text = item.find("ul", class_="flags").text()
    assert "Abusive , flagged by flagger (worker) on" in flag_text and "Note: insults the requester" in flag_text
    assert "Open" in flag_text
    assert "grumpy" in text and "New account" in text and "2 days, since" in text and "Not muted" in text
    assert "Never edited" in text
    # the forms: a decision with a labelled note in a fieldset, and a mute
    decision = item.find("form", action=f"/moderation/reviews/{bad['id']}/decision")
    assert decision.find("legend").text() == f"Decision on review {bad['id']}"
    assert decision.find("label", for_=f"note-{bad['id']}")
    assert [b.text() for b in decision.find_all("button")] == [f"Hide review {bad['id']}",
                                                               f"Dismiss flags on review {bad['id']}"]
    mute = item.find("form", action=f"/moderation/reviews/{bad['id']}/mute-author")
    assert mute.find("legend").text() == f"Mute grumpy, the author of review {bad['id']}"
    assert mute.find("label", for_=f"days-{bad['id']}") and mute.find("label", for_=f"reason-{bad['id']}")
    assert item.find_all("form", action=f"/moderation/reviews/{bad['id']}/unmute-author") == []


def test_edits_link_to_a_page_of_earlier_versions(client, settings):
    moderator = account(client, "mod", "moderator")
    author = account(client, "author")
    made = review(client, author, **stars(4, comment="First <b>version</b>"))
    for comment in ("Second", "Third"):
        assert client.patch(f"/api/v1/reviews/{made['id']}", headers=author, json={"comment": comment}).status_code == 200
    flag(client, account(client, "flagger"), made["id"], "spam")
    sign_in(client, moderator)
    item = page(client).by_id(f"review-{made['id']}")
    link = item.find("a", href=f"/moderation/reviews/{made['id']}#versions")
    assert link.text() == f"2 edits: earlier versions of review {made['id']}"
    response = client.get(f"/moderation/reviews/{made['id']}")
    assert response.status_code == 200
    assert "First &lt;b&gt;version&lt;/b&gt;" in response.text and "<b>version" not in response.text
    doc = parse(response.text)
    assert [h.text() for h in doc.find_all("h1")] == [f"Review {made['id']}: Shop Lab on MTurk"]
    versions = doc.by_id("versions")
    assert [c.text() for c in versions.find_all("p", class_="comment")] == ["Second", "First <b>version</b>"]
    assert page(client, "/moderation/reviews/999999", 404).find("h1").text() == "Review not found"


def test_escaping_of_comments_flag_notes_and_log_notes(client, settings):
    moderator = account(client, "mod", "moderator")
    made = review(client, account(client, "author"), **stars(2, comment="<script>alert('comment')</script>"))
    flag(client, account(client, "flagger"), made["id"], "other", '<img src=x onerror="alert(1)">')
    sign_in(client, moderator)
    html = client.get("/moderation").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;comment&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert len(re.findall(r"<script\b", html)) == 1  # only the page's own file
    assert submit(client, f"/moderation/reviews/{made['id']}/decision",
                  {"action": "hide", "note": "</td><script>alert('log')</script>"}).status_code == 303
    log_html = client.get("/moderation/log").text
    assert "<script>alert('log')" not in log_html and "&lt;/td&gt;&lt;script&gt;" in log_html
    hidden_html = client.get("/moderation?kind=hidden").text  # the last decision, quoted in the item
    assert "<script>alert" not in hidden_html and "&lt;script&gt;alert(&#39;log&#39;)" in hidden_html


# ------------------------------------------------------------------------------------------------
# Each action through its form


def test_hide_restore_and_dismiss_through_the_forms_move_the_figures(client, settings):
    moderator, bad = flagged_setup(client)
    with_bad = means(client)
    assert with_bad["pay"] == two_decimals((5 + 5 + 1) / 3)  # shown with two decimals

    hidden = submit(client, f"/moderation/reviews/{bad['id']}/decision", {"action": "hide", "note": "rude", "kind": "flagged"})
    assert hidden.status_code == 303
    assert hidden.headers["location"] == f"/moderation?kind=flagged&notice=hide&review={bad['id']}&n=1"
    assert status_of(settings, bad["id"]) == "hidden"
    assert means(client)["pay"] == 5.0  # only visible reviews count
    doc = page(client, hidden.headers["location"])
    assert doc.by_id("notice").text() == f"Review {bad['id']} hidden. 1 open flag closed."
    assert doc.find_all("article") == []  # its flags are closed: it left the flagged queue
    assert "No review has open flags" in doc.find("main").text()
    hidden_queue = page(client, "/moderation?kind=hidden")
    item = hidden_queue.by_id(f"review-{bad['id']}")
    assert "Hidden by mod on" in item.text() and "“rude”" in item.text()
    assert "Closed" in item.find("ul", class_="flags").text()

    restored = submit(client, f"/moderation/reviews/{bad['id']}/decision", {"action": "restore", "kind": "hidden"},
                      follow=True)
    assert restored.status_code == 200
    assert parse(restored.text).by_id("notice").text() == f"Review {bad['id']} restored: it is visible again."
    assert status_of(settings, bad["id"]) == "visible"
    assert means(client) == with_bad

    flag(client, account(client, "boss", "admin"), bad["id"], "spam")  # an admin's flag hides it at once
    assert status_of(settings, bad["id"]) == "hidden" and means(client)["pay"] == 5.0
    dismissed = submit(client, f"/moderation/reviews/{bad['id']}/decision", {"action": "dismiss"}, follow=True)
    assert parse(dismissed.text).by_id("notice").text() == (
        f"Flags on review {bad['id']} dismissed: the review is visible. 1 open flag closed.")
    assert status_of(settings, bad["id"]) == "visible" and means(client) == with_bad
    assert sql(settings, "SELECT count(*) FROM review_flags WHERE resolved_at IS NULL") == [(0,)]
    assert [row[0] for row in sql(settings, "SELECT action FROM moderation_actions ORDER BY id")] == [
        "hide", "restore", "hide", "dismiss"]
    entries = page(client, "/moderation/log").find("table").find("tbody").find_all("tr")
    assert [row.find_all("td")[0].text() for row in entries] == ["Flags dismissed", "Hidden", "Restored", "Hidden"]
    assert entries[-1].find("a", href=f"/moderation/reviews/{bad['id']}")


def test_restoring_a_held_burst_from_the_held_queue(client, settings):
    moderator = account(client, "mod", "moderator")
    for handle in ("good1", "good2"):
        review(client, account(client, handle), **stars(5))
    baseline = means(client)
    bombs = [review(client, account(client, f"fresh{i}", new=True), **stars(1)) for i in range(3)]
    assert [status_of(settings, b["id"]) for b in bombs] == ["held"] * 3
    assert means(client) == baseline
    sign_in(client, moderator)
    doc = page(client, "/moderation?kind=held")
    assert doc.find("h1").text() == "Held reviews"
    assert {a.attrs["id"] for a in doc.find_all("article")} == {f"review-{b['id']}" for b in bombs}
    item = doc.by_id(f"review-{bombs[0]['id']}")
    assert "Held automatically on" in item.text() and "burst: 3 reviews from new accounts" in item.text()
    assert "New account" in item.text()
    response = submit(client, f"/moderation/reviews/{bombs[0]['id']}/decision", {"action": "restore", "kind": "held"})
    assert response.headers["location"].startswith("/moderation?kind=held&notice=restore")
    assert status_of(settings, bombs[0]["id"]) == "visible"
    # shown again; a new account's 1 star counts only from its eighth day, so the mean stays
    assert summary(client)["reviews"] == 3 and means(client)["pay"] == baseline["pay"]
    assert {a.attrs["id"] for a in page(client, "/moderation?kind=held").find_all("article")} == {
        f"review-{b['id']}" for b in bombs[1:]}


def test_mute_and_unmute_the_author_through_the_forms(client, settings):
    _, bad = flagged_setup(client)
    response = submit(client, f"/moderation/reviews/{bad['id']}/mute-author", {"days": "3", "reason": "insults"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/moderation?kind=flagged&notice=mute&review={bad['id']}&n=3"
    until, reason = sql(settings, "SELECT muted_until, mute_reason FROM workers WHERE handle = 'grumpy'")[0]
    assert until is not None and reason == "insults"
    doc = page(client, response.headers["location"])
    assert doc.by_id("notice").text() == f"The author of review {bad['id']} is muted for 3 days."
    item = doc.by_id(f"review-{bad['id']}")
    assert "Muted until" in item.text()
    unmute = item.find("form", action=f"/moderation/reviews/{bad['id']}/unmute-author")
    assert unmute.find("button").text().replace(" ,", ",") == f"Unmute grumpy, the author of review {bad['id']}"
    assert sql(settings, "SELECT count(*) FROM moderation_actions WHERE action = 'mute'") == [(1,)]

    response = submit(client, f"/moderation/reviews/{bad['id']}/unmute-author", {}, follow=True)
    assert parse(response.text).by_id("notice").text() == f"The author of review {bad['id']} is no longer muted."
    assert sql(settings, "SELECT muted_until FROM workers WHERE handle = 'grumpy'") == [(None,)]
    again = submit(client, f"/moderation/reviews/{bad['id']}/unmute-author", {})
    assert again.status_code == 409 and "This worker is not muted." in parse(again.text).by_id("error-summary").text()


def test_a_muted_author_is_refused_by_the_api(client, settings):
    moderator = account(client, "mod", "moderator")
    author = account(client, "author")
    made = review(client, author, **stars(1))
    flag(client, account(client, "flagger"), made["id"], "spam")
    sign_in(client, moderator)
    assert submit(client, f"/moderation/reviews/{made['id']}/mute-author", {"days": "1"}).status_code == 303
    refused = client.patch(f"/api/v1/reviews/{made['id']}", headers=author, json={"comment": "again"})
    assert refused.status_code == 403 and refused.json()["code"] == "muted"


# ------------------------------------------------------------------------------------------------
# CSRF


@pytest.mark.parametrize("case", ["no token", "wrong token", "token of another session", "cross-site Origin",
                                  "cross-site Referer", "malformed Origin"])
def test_forms_without_the_csrf_token_or_from_another_site_are_refused(client, settings, case):
    _, bad = flagged_setup(client)
    own = csrf_of(client)
    data: dict[str, Any] = {"action": "hide", "csrf": own}
    headers = {"Origin": ORIGIN}
    if case == "no token":
        del data["csrf"]
    elif case == "wrong token":
        data["csrf"] = "0" * 64
    elif case == "token of another session":
        data["csrf"] = csrf_token(TEST_SECRET, token_of(account(client, "mod2", "moderator")), "moderation")
    elif case == "cross-site Origin":
        headers = {"Origin": EVIL}
    elif case == "cross-site Referer":
        headers = {"Referer": f"{EVIL}/moderation"}
    elif case == "malformed Origin":
        headers = {"Origin": "http://[::1"}
    before = sql(settings, "SELECT * FROM reviews"), sql(settings, "SELECT * FROM review_flags")
    for path, body in ((f"/moderation/reviews/{bad['id']}/decision", data),
                       (f"/moderation/reviews/{bad['id']}/mute-author", {**data, "days": "3"}),
                       (f"/moderation/reviews/{bad['id']}/unmute-author", data)):
        response = client.post(path, data=body, headers=headers, follow_redirects=False)
        assert response.status_code == 403, (path, response.text)
        assert parse(response.text).find("h1").text() == "Form refused"
    assert (sql(settings, "SELECT * FROM reviews"), sql(settings, "SELECT * FROM review_flags")) == before
    assert sql(settings, "SELECT count(*) FROM moderation_actions") == [(0,)]
    assert sql(settings, "SELECT muted_until FROM workers WHERE handle = 'grumpy'") == [(None,)]


def test_forms_without_a_session_ask_to_sign_in_again(client, settings):
    _, bad = flagged_setup(client)
    csrf = csrf_of(client)
    client.cookies.clear()
    response = client.post(f"/moderation/reviews/{bad['id']}/decision", data={"action": "hide", "csrf": csrf},
                           headers={"Origin": ORIGIN})
    assert response.status_code == 401 and "Your sign-in has ended" in response.text
    assert parse(response.text).find("form", action="/moderation/sign-in")
    assert status_of(settings, bad["id"]) == "visible"


# ------------------------------------------------------------------------------------------------
# Errors in forms


def test_a_too_long_note_is_an_error_linked_to_its_field_and_keeps_what_was_typed(client, settings):
    _, bad = flagged_setup(client)
    note = "n" * 501
    response = submit(client, f"/moderation/reviews/{bad['id']}/decision", {"action": "hide", "note": note})
    assert response.status_code == 400
    doc = parse(response.text)
    assert doc.find("title").text().startswith("Error: ")
    link = error_summary(doc).find("a")
    assert link.attrs["href"] == f"#note-{bad['id']}" and "at most 500 characters; it has 501" in link.text()
    field = doc.by_id(f"note-{bad['id']}")
    assert field.attrs["aria-invalid"] == "true" and field.text() == note
    assert field.attrs["aria-describedby"] == f"note-{bad['id']}-hint note-{bad['id']}-error"
    assert doc.by_id(f"note-{bad['id']}-error").text() == link.text()
    assert status_of(settings, bad["id"]) == "visible"


@pytest.mark.parametrize("days", ["", "abc", "0", "366", "-1", "1.5", "٣"])
def test_bad_mute_lengths_are_errors_linked_to_the_days_field(client, settings, days):
    _, bad = flagged_setup(client)
    response = submit(client, f"/moderation/reviews/{bad['id']}/mute-author", {"days": days, "reason": "kept"})
    assert response.status_code == 400
    doc = parse(response.text)
    assert error_summary(doc).find("a").attrs["href"] == f"#days-{bad['id']}"
    assert doc.by_id(f"days-{bad['id']}").attrs["aria-invalid"] == "true"
    assert doc.by_id(f"days-{bad['id']}").attrs["value"] == days.strip()
    assert doc.by_id(f"reason-{bad['id']}").text() == "kept"
    assert sql(settings, "SELECT muted_until FROM workers WHERE handle = 'grumpy'") == [(None,)]


def test_a_too_long_mute_reason_is_linked_to_its_field(client, settings):
    _, bad = flagged_setup(client)
    response = submit(client, f"/moderation/reviews/{bad['id']}/mute-author", {"days": "2", "reason": "r" * 501})
    assert response.status_code == 400
    assert error_summary(parse(response.text)).find("a").attrs["href"] == f"#reason-{bad['id']}"


def test_refusals_of_the_rules_are_shown_on_the_page(client, settings):
    moderator = account(client, "mod", "moderator")
    own = review(client, moderator, **stars(3))
    flag(client, account(client, "flagger"), own["id"], "spam")
    sign_in(client, moderator)
    item = page(client).by_id(f"review-{own['id']}")
    assert "This is your own review: another moderator decides on it." in item.text()
    assert item.find_all("form") == []
    response = submit(client, f"/moderation/reviews/{own['id']}/decision", {"action": "hide"})
    assert response.status_code == 403
    summary = error_summary(parse(response.text))
    assert "Another moderator decides on your own reviews." in summary.text()
    assert summary.find("a").attrs["href"] == f"#review-{own['id']}"
    assert submit(client, "/moderation/reviews/999999/decision", {"action": "hide"}).status_code == 404
    assert submit(client, f"/moderation/reviews/{own['id']}/decision", {"action": "delete"}).status_code == 400
    # a moderator may not mute another moderator: no form, and a forged one is refused
    other = review(client, account(client, "peer", "moderator"), **stars(2))
    flag(client, account(client, "flagger2"), other["id"], "spam")
    item = page(client).by_id(f"review-{other['id']}")
    assert "Only admins mute moderators." in item.text()
    assert item.find_all("form", action=f"/moderation/reviews/{other['id']}/mute-author") == []
    assert submit(client, f"/moderation/reviews/{other['id']}/mute-author", {"days": "1"}).status_code == 403
    assert sql(settings, "SELECT count(*) FROM moderation_actions") == [(0,)]


def test_a_muted_moderator_can_read_but_not_decide(client, settings):
    _, bad = flagged_setup(client)
    sql(settings, "UPDATE workers SET muted_until = ? WHERE handle = 'mod'", stamp(datetime.now(timezone.utc) + timedelta(days=1)))
    doc = page(client)
    assert "You can read the queue, but decisions and mutes are refused" in doc.by_id("muted-warning").text()
    response = submit(client, f"/moderation/reviews/{bad['id']}/decision", {"action": "hide"})
    assert response.status_code == 403 and "Your account is muted until" in error_summary(parse(response.text)).text()
    assert status_of(settings, bad["id"]) == "visible"


def test_a_form_on_the_review_page_returns_to_it(client, settings):
    _, bad = flagged_setup(client)
    response = submit(client, f"/moderation/reviews/{bad['id']}/decision", {"action": "hide", "kind": "review"})
    assert response.headers["location"] == f"/moderation/reviews/{bad['id']}?notice=hide&review={bad['id']}&n=1"
    doc = page(client, response.headers["location"])
    assert doc.by_id("notice").text() == f"Review {bad['id']} hidden. 1 open flag closed."
    error = submit(client, f"/moderation/reviews/{bad['id']}/decision", {"action": "hide", "kind": "review",
                                                                          "note": "x" * 600})
    assert error.status_code == 400 and parse(error.text).by_id(f"note-{bad['id']}").attrs["aria-invalid"] == "true"
    # redirects stay on this site whatever the form says
    odd = submit(client, f"/moderation/reviews/{bad['id']}/decision",
                 {"action": "restore", "kind": "https://evil.example/", "cursor": "//evil.example"})
    assert odd.headers["location"].startswith("/moderation?kind=flagged&notice=restore")


# ------------------------------------------------------------------------------------------------
# Pages of the queue and of the log


def test_older_link_pages_through_the_queue_with_the_api_cursor(client, settings):
    moderator = account(client, "mod", "moderator")
    flagger = account(client, "flagger")
    made = [review(client, account(client, f"author{i}"), **stars(3)) for i in range(23)]
    for r in made:
        flag(client, flagger, r["id"], "spam")
    sign_in(client, moderator)
    first = page(client)
    assert len(first.find_all("article")) == 20
    pages = first.find("nav", aria_label="Pages of this queue")
    older = pages.find("a", rel="next")
    assert older.text() == "Older" and older.attrs["href"].startswith("/moderation?kind=flagged&cursor=")
    second = page(client, older.attrs["href"])
    assert [a.attrs["id"] for a in second.find_all("article")] == [f"review-{r['id']}" for r in reversed(made[:3])]
    nav = second.find("nav", aria_label="Pages of this queue")
    assert nav.find_all("a", rel="next") == [] and nav.find("a", href="/moderation?kind=flagged").text() == "Newest"
    # a decision from page two comes back to page two
    cursor = older.attrs["href"].split("cursor=")[1]
    response = submit(client, f"/moderation/reviews/{made[0]['id']}/decision",
                      {"action": "dismiss", "kind": "flagged", "cursor": cursor})
    assert response.headers["location"].startswith(f"/moderation?kind=flagged&cursor={cursor}&notice=dismiss")
    assert page(client, "/moderation?kind=flagged&cursor=bogus", 400).find("h1").text() == "No such page of the queue"
    assert page(client, "/moderation?kind=everything", 400).find("h1").text() == "No such queue"


def test_log_pages(client, settings):
    moderator = account(client, "mod", "moderator")
    made = review(client, account(client, "author"), **stars(3))
    sign_in(client, moderator)
    for _ in range(26):  # 52 entries: hide and restore
        assert submit(client, f"/moderation/reviews/{made['id']}/decision", {"action": "hide"}).status_code == 303
        assert submit(client, f"/moderation/reviews/{made['id']}/decision", {"action": "restore"}).status_code == 303
    doc = page(client, "/moderation/log")
    assert doc.find("h1").text() == "Moderation log"
    assert doc.find("a", href="/moderation/log").attrs["aria-current"] == "page"
    table = doc.find("table")
    assert table.find("caption").text() == "Moderation log, newest first"
    assert all("scope" in th.attrs for th in table.find_all("th"))
    assert len(table.find("tbody").find_all("tr")) == 50
    older = doc.find("nav", aria_label="Pages of the log").find("a", rel="next")
    assert len(page(client, older.attrs["href"]).find("tbody").find_all("tr")) == 2
    assert page(client, "/moderation/log?cursor=nope", 400).find("h1").text() == "No such page of the log"


def test_no_inline_script_style_or_handlers_and_the_static_files_are_served(client, settings):
    _, bad = flagged_setup(client)
    submit(client, f"/moderation/reviews/{bad['id']}/mute-author", {"days": "x"})  # a page with errors too
    for url in ("/moderation", "/moderation?kind=hidden", "/moderation/log", f"/moderation/reviews/{bad['id']}"):
        doc = page(client, url)
        for node in doc.walk():
            assert "style" not in node.attrs and not any(name.startswith("on") for name in node.attrs), (url, node.tag)
            assert node.tag != "style", url
            if node.tag == "script":
                assert node.attrs.get("src") and not node.text(), url
    html = client.get("/moderation").text
    for pattern, kind in ((r'href="(/moderation/static/moderation\.css\?v=[0-9a-f]+)"', "text/css"),
                          (r'src="(/moderation/static/moderation\.js\?v=[0-9a-f]+)"', "javascript")):
        match = re.search(pattern, html)
        assert match, pattern
        response = client.get(match.group(1))
        assert response.status_code == 200 and kind in response.headers["content-type"]
