"""The front door (issue 19 item 1): / for people and for programs, making an account on the web (/join), and the
one-time sign-in links (POST /api/v1/me/sign-in-links, GET /sign-in/<code>) that open a page signed in."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from server.me.session import ME_SESSION
from server.settings import Settings
from tests.helpers import Db, check_response, sign_up
from tests.requester_page.dom import parse

HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def web(client: TestClient) -> Iterator[TestClient]:
    client.event_hooks["response"].append(check_response)
    yield client


@pytest.fixture
def db(settings: Settings) -> Db:
    return Db(settings.database_url)


def test_a_browser_gets_the_start_page_a_program_gets_json(web: TestClient) -> None:
    page = web.get("/", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Accept" in page.headers["vary"]
    links = {a.attrs.get("href") for a in parse(page.text).find_all("a")}
    assert {"/listen", "/me", "/join", "/r/", "/schema"} <= links, links
    program = web.get("/", headers={"Accept": "application/json"})
    assert program.headers["content-type"].startswith("application/json")
    assert program.json()["docs"] == "/schema"
    assert web.get("/").json()["service"] == "Fairfinder", "no Accept: JSON, as before"


def test_join_makes_an_account_shows_its_token_once_and_signs_the_browser_in(web: TestClient, db: Db) -> None:
    form = web.get("/join")
    assert form.status_code == 200
    assert parse(form.text).find("input", name="handle") is not None
    made = web.post("/join", data={"handle": "web_joiner"})
    assert made.status_code == 201, made.text
    token = parse(made.text).find("input", id="token").attrs["value"]
    assert token and token.startswith("ff_")
    assert web.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["handle"] == "web_joiner"
    assert ME_SESSION.name in web.cookies, "the browser is signed in"
    assert token not in str(web.cookies.get(ME_SESSION.name)), "with a sign-in token of its own, not the kept one"
    assert "web_joiner" in web.get("/me").text
    assert made.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("handle", "status", "words"), [
    ("a b", 400, "letters, digits"),
    ("x" * 41, 400, "3 to 40 characters"),
])
def test_join_refuses_a_bad_handle_in_words_and_makes_nothing(web: TestClient, db: Db, handle: str, status: int,
                                                              words: str) -> None:
    before = db.count("workers")
    refused = web.post("/join", data={"handle": handle})
    assert refused.status_code == status
    assert words in refused.text
    assert db.count("workers") == before


def test_join_refuses_a_handle_taken(web: TestClient, db: Db) -> None:
    sign_up(web, "taken_one")
    before = db.count("workers")
    refused = web.post("/join", data={"handle": "taken_one"})
    assert refused.status_code == 409
    assert "taken_one" in refused.text
    assert db.count("workers") == before


def test_join_from_another_site_is_refused(web: TestClient, db: Db) -> None:
    before = db.count("workers")
    refused = web.post("/join", data={"handle": "cross_site"}, headers={"Origin": "https://elsewhere.example"})
    assert refused.status_code == 403
    assert db.count("workers") == before


def test_a_sign_in_link_opens_its_page_signed_in_once(web: TestClient, db: Db) -> None:
    headers = sign_up(web, "linked")
    made = web.post("/api/v1/me/sign-in-links", headers=headers, json={"next": "/listen"})
    assert made.status_code == 201, made.text
    link = made.json()
    assert re.fullmatch(r"/sign-in/[A-Za-z0-9_-]{20,}", link["path"])
    assert link["url"].endswith(link["path"]) and link["next"] == "/listen"
    assert headers["Authorization"].split()[1] not in link["url"]
    code = link["path"].rsplit("/", 1)[1]
    assert db.value("select count(*) from sign_in_links where code_hash = ?", code) == 0, "only a hash is kept"

    opened = web.get(link["path"], follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/listen"
    assert opened.headers["referrer-policy"] == "no-referrer"
    assert "Signed in as linked" in web.get("/listen").text

    again = web.get(link["path"], follow_redirects=False)
    assert again.status_code == 410
    assert "has been used" in again.text


def test_an_old_or_unknown_link_is_refused_and_signs_nobody_in(web: TestClient, db: Db) -> None:
    headers = sign_up(web, "late")
    link = web.post("/api/v1/me/sign-in-links", headers=headers).json()
    assert link["next"] == "/me", "no body: /me"
    # An old link: its end moved before now (the link's own lifetime is a minute).
    db.execute("update sign_in_links set expires_at = created_at where id = (select max(id) from sign_in_links)")
    old = web.get(link["path"], follow_redirects=False)
    assert old.status_code == 410
    assert "has ended" in old.text
    unknown = web.get("/sign-in/not-a-code-this-server-made", follow_redirects=False)
    assert unknown.status_code == 404
    assert ME_SESSION.name not in web.cookies


@pytest.mark.parametrize("body", [{"next": "https://elsewhere.example/"}, {"next": "/admin"}, {"nxt": "/me"}])
def test_a_link_to_another_page_is_refused_and_makes_nothing(web: TestClient, db: Db, body: dict[str, str]) -> None:
    headers = sign_up(web, "wanderer")
    refused = web.post("/api/v1/me/sign-in-links", headers=headers, json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] in {"next", "nxt"}
    assert db.count("sign_in_links") == 0
    assert web.post("/api/v1/me/sign-in-links", json={"next": "/me"}).status_code == 401
