"""GET /listen: the server-rendered task list for screen-reader users (no JavaScript needed)."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from html.parser import HTMLParser

import pytest
from litestar.testing import TestClient
from sqlalchemy.exc import OperationalError

from server.db.engine import write_transaction
from server.demo import seed_demo
from server.domain.filters import Filters
from server.listen.items import listen_items
from tests.conftest import register
from tests.database import Sql


class Page(HTMLParser):
    """A small DOM-less reading of a page: tags with their attributes, text per element of interest."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.h2_in_article: list[str] = []
        self.h2_in_main: list[str] = []
        self.summaries: list[str] = []
        self._capture: str | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in {"input", "meta", "link", "br", "img"}:
            self.stack.append(tag)
        if tag in {"h2", "summary"}:
            self._capture, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == self._capture:
            text = " ".join("".join(self._text).split())
            if tag == "summary":
                self.summaries.append(text)
            else:
                if "main" in self.stack:
                    self.h2_in_main.append(text)
                if "article" in self.stack:
                    self.h2_in_article.append(text)
            self._capture = None
        while self.stack:
            if self.stack.pop() == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._capture:
            self._text.append(data)

    def find(self, tag: str, **attrs: str | bool) -> list[dict[str, str | None]]:
        """Elements with these attribute values (True: the attribute is present, as for `checked`)."""
        def matches(a: dict[str, str | None], key: str, value: str | bool) -> bool:
            return key in a if value is True else a.get(key) == value

        return [a for t, a in self.tags if t == tag and all(matches(a, k, v) for k, v in attrs.items())]


def seed(client: TestClient) -> None:
    async def run() -> None:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            await seed_demo(session)

    client.blocking_portal.call(run)


def expected_titles(client: TestClient, filters: Filters, platform: str = "mturk") -> tuple[list[str], list[str]]:
    async def run() -> tuple[list[str], list[str]]:
        async with client.app.state.sessionmaker() as session:
            shown, hidden = await listen_items(session, platform, filters, datetime.now(timezone.utc))
        return [i.annotation.title for i in shown], [i.annotation.title for i in hidden]

    return client.blocking_portal.call(run)


def norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def demo(client: TestClient) -> TestClient:
    seed(client)
    return client


def get_page(client: TestClient, url: str = "/listen", status: int = 200) -> tuple[str, Page]:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text
    return response.text, Page(response.text)


# ------------------------------------------------------------------------------------------------
# Structure


def test_page_structure_and_order(demo: TestClient) -> None:
    html, page = get_page(demo)
    assert page.find("html", lang="en")
    assert re.search(r'<a class="skip-link" href="#main">', html)
    for landmark in ("header", "nav", "main", "footer"):
        assert page.find(landmark), landmark
    assert page.find("main", id="main")
    assert re.search(r"<h1>Tasks, best paid first</h1>", html)
    assert page.find("div", role="status", **{"aria-live": "polite"})
    shown, hidden = expected_titles(demo, Filters())
    assert len(shown) == 27 and hidden == []
    assert page.h2_in_article == [norm(t) for t in shown]  # one h2 per task, best paid first
    assert html.count("<article") == len(shown)
    assert "27 tasks on MTurk, best paid first." in norm(html)
    assert 'id="hidden"' not in html
    # the form: labelled controls, fieldset with legend, GET
    assert '<form method="get" action="/listen"' in html
    assert "<legend>Hide tasks that…</legend>" in html
    for control in ("platform", "verbosity", "min_hourly"):
        assert f'<label for="{control}">' in html and f'id="{control}"' in html
    assert len(page.find("input", type="checkbox", name="hide")) == 8
    assert page.find("a", id="refresh")


def test_every_article_has_sentence_facts_and_no_script_needed(demo: TestClient) -> None:
    html, _ = get_page(demo, "/listen?verbosity=full")
    articles = re.findall(r"<article.*?</article>", html, re.S)
    assert len(articles) == 27
    for article in articles:
        first_p = re.search(r"</h2>\s*<p class=\"sentence\">(.*?)</p>", article, re.S)
        assert first_p and first_p.group(1).strip()
        for term in ("Hourly pay", "Time", "Reward", "Requester", "Approval", "Rejections and blocks", "Flags"):
            assert f"<dt>{term}</dt>" in article
    # content is in the HTML itself: removing the script changes nothing about what can be read
    without_script = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    assert without_script.count("<article") == 27
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/listen/static/listen.js" defer>']


def test_verbosity_changes_the_sentence(demo: TestClient) -> None:
    short, _ = get_page(demo, "/listen?verbosity=short")
    full, _ = get_page(demo, "/listen?verbosity=full")
    first = lambda html: re.search(r'<p class="sentence">(.*?)</p>', html, re.S).group(1)  # noqa: E731
    assert len(first(short)) < len(first(full))


def test_static_files_are_served(client: TestClient) -> None:
    css = client.get("/listen/static/listen.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "prefers-color-scheme: dark" in css.text
    js = client.get("/listen/static/listen.js")
    assert js.status_code == 200 and "speechSynthesis" in js.text


def test_security_headers(client: TestClient) -> None:
    response = client.get("/listen")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


# ------------------------------------------------------------------------------------------------
# Filters for this view


def test_min_hourly_and_hide_needs_sight(demo: TestClient) -> None:
    html, page = get_page(demo, "/listen?min_hourly=3&hide=needs_sight")
    shown, hidden = expected_titles(demo, Filters(min_hourly_cents=300, hide_needs=["needs_sight"]))
    assert hidden and shown
    assert page.h2_in_article == [norm(t) for t in shown]
    assert "Hidden by your filters" in page.h2_in_main
    assert page.summaries == [norm(t) for t in hidden]
    assert "needs sight (reported by reviewers)" in html
    assert "below your $3.00/h minimum" in html
    assert f"{len(hidden)} hidden by your filters: <a href=\"#hidden\">" in html
    assert page.find("input", id="hide-needs_sight", checked=True)  # the form shows what applies
    assert page.find("input", id="min_hourly", value="3")
    # hidden tasks are collapsed: no open attribute
    assert "<details open" not in html


def test_dollar_sign_and_zero(demo: TestClient) -> None:
    _, page = get_page(demo, "/listen?min_hourly=%247.25")
    shown, _ = expected_titles(demo, Filters(min_hourly_cents=725))
    assert page.h2_in_article == [norm(t) for t in shown]
    _, page = get_page(demo, "/listen?min_hourly=0")
    assert len(page.h2_in_article) == 27


def test_empty_database_has_an_empty_state(client: TestClient) -> None:
    html, page = get_page(client)
    assert page.h2_in_article == []
    assert "There are no tasks on MTurk yet." in norm(html)
    assert '<a href="#filters">change your filters or the platform</a>' in html


def test_everything_filtered_away(demo: TestClient) -> None:
    html, page = get_page(demo, "/listen?min_hourly=1000")
    assert page.h2_in_article == []
    assert "No tasks on MTurk match your filters. 27 tasks hidden:" in norm(html)
    assert '<a href="#filters">change your filters</a>' in html
    assert len(page.summaries) == 27


def test_prolific_platform(demo: TestClient) -> None:
    html, page = get_page(demo, "/listen?platform=prolific")
    assert page.h2_in_article == []
    assert "There are no tasks on Prolific yet." in norm(html)


@pytest.mark.parametrize(("query", "field", "words"), [
    ("min_hourly=abc", "min_hourly", "as a number of dollars"),
    ("min_hourly=-1", "min_hourly", "cannot be negative"),
    ("min_hourly=NaN", "min_hourly", "as a number of dollars"),
    ("min_hourly=1e30", "min_hourly", "at most"),
    ("platform=ebay", "platform", "Choose MTurk or Prolific"),
    ("verbosity=loud", "verbosity", "short, normal or full"),
    ("hide=nonsense", "hide-needs_sight", "not one this page knows"),
])
def test_bad_values_give_400_with_error_summary(demo: TestClient, query: str, field: str, words: str) -> None:
    html, page = get_page(demo, f"/listen?{query}", status=400)
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', html, re.S)
    assert summary, html
    assert f'<a href="#{field}">' in summary.group(0) and words in summary.group(0)
    assert page.find("select", id=field) or page.find("input", id=field)
    assert "<title>Error: Tasks, best paid first" in html
    assert page.h2_in_article == []


def test_bad_value_is_escaped_and_kept_in_the_form(demo: TestClient) -> None:
    html, page = get_page(demo, '/listen?min_hourly="><script>alert(1)</script>', status=400)
    assert "<script>alert(1)" not in html
    assert page.find("input", id="min_hourly", value='"><script>alert(1)</script>')
    assert page.find("input", id="min_hourly", **{"aria-invalid": "true"})


def test_unchecking_all_needs_overrides_saved_ones(client: TestClient) -> None:
    seed(client)
    headers = register(client, "sighted-no-more")
    assert client.put("/api/v1/me/filters", headers=headers, json={"hide_needs": ["needs_sight"]}).status_code == 200
    token = headers["Authorization"].removeprefix("Bearer ")
    assert client.post("/listen/sign-in", data={"token": token}, follow_redirects=False).status_code == 303
    _, page = get_page(client)
    assert len(page.h2_in_article) < 27 and page.find("input", id="hide-needs_sight", checked=True)
    _, page = get_page(client, "/listen?custom=1&min_hourly=")  # the form, submitted with nothing checked
    assert len(page.h2_in_article) == 27


# ------------------------------------------------------------------------------------------------
# Signing in with a cookie


def test_signed_in_uses_saved_filters(client: TestClient) -> None:
    seed(client)
    headers = register(client, "alice")
    saved = {"min_hourly_cents": 500, "hide_needs": ["needs_sight"]}
    assert client.put("/api/v1/me/filters", headers=headers, json=saved).status_code == 200
    token = headers["Authorization"].removeprefix("Bearer ")

    _, anonymous = get_page(client)
    assert len(anonymous.h2_in_article) == 27

    response = client.post("/listen/sign-in", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/listen?notice=signed-in"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("ff_token=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/listen" in cookie
    assert "Secure" not in cookie  # plain http in tests

    html, page = get_page(client, "/listen?notice=signed-in")
    shown, hidden = expected_titles(client, Filters(min_hourly_cents=500, hide_needs=["needs_sight"]))
    assert page.h2_in_article == [norm(t) for t in shown]
    assert page.summaries == [norm(t) for t in hidden]
    assert "Signed in as alice." in html
    assert "You are signed in." in html  # announced in the status region
    assert page.find("input", id="min_hourly", value="5.00")
    assert page.find("form", method="post", action="/listen/sign-out")

    # a view's own values override the saved ones
    _, page = get_page(client, "/listen?min_hourly=0&custom=1")
    assert len(page.h2_in_article) == 27

    response = client.post("/listen/sign-out", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/listen?notice=signed-out"
    assert 'ff_token=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    html, page = get_page(client, "/listen?notice=signed-out")
    assert len(page.h2_in_article) == 27
    assert "You are signed out." in html and "Not signed in" in html


def test_secure_cookie_over_https(settings) -> None:
    from server.app import create_app  # noqa: PLC0415

    with TestClient(app=create_app(settings), base_url="https://testserver.local") as client:
        headers = register(client, "secure")
        token = headers["Authorization"].removeprefix("Bearer ")
        response = client.post("/listen/sign-in", data={"token": token}, follow_redirects=False)
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(("token", "status"), [("ff_not-a-token", 401), ("", 400), ("x" * 500, 401)])
def test_bad_token(client: TestClient, token: str, status: int) -> None:
    response = client.post("/listen/sign-in", data={"token": token}, follow_redirects=False)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in response.headers
    assert 'role="alert"' in response.text and '<a href="#token">' in response.text
    assert 'aria-invalid="true"' in response.text
    assert token not in response.text or not token


def test_revoked_token_cookie_is_dropped(client: TestClient) -> None:
    headers = register(client, "revoking")
    token = headers["Authorization"].removeprefix("Bearer ")
    assert client.post("/listen/sign-in", data={"token": token}, follow_redirects=False).status_code == 303
    [info] = client.get("/api/v1/me/tokens", headers=headers).json()
    assert client.delete(f"/api/v1/me/tokens/{info['id']}", headers=headers).status_code == 204
    response = client.get("/listen")
    assert response.status_code == 200
    assert "Not signed in" in response.text
    assert response.headers["set-cookie"].startswith("ff_token=")


@pytest.mark.parametrize("header", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                    {"Referer": "https://evil.example/listen"}])
def test_cross_site_posts_are_refused(client: TestClient, header: dict[str, str]) -> None:
    token = register(client, "csrf")["Authorization"].removeprefix("Bearer ")
    response = client.post("/listen/sign-in", data={"token": token}, headers=header, follow_redirects=False)
    assert response.status_code == 403 and "set-cookie" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    response = client.post("/listen/sign-out", headers=header, follow_redirects=False)
    assert response.status_code == 403


def test_same_origin_post_is_accepted(client: TestClient) -> None:
    token = register(client, "same")["Authorization"].removeprefix("Bearer ")
    response = client.post("/listen/sign-in", data={"token": token}, follow_redirects=False,
                           headers={"Origin": "http://testserver.local", "Referer": "http://testserver.local/listen"})
    assert response.status_code == 303


# ------------------------------------------------------------------------------------------------
# Escaping and errors


def test_hostile_title_is_escaped(client: TestClient) -> None:
    title = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'
    body = {"platform": "mturk", "tasks": [{"platform": "mturk", "requester_id": "AEVIL", "requester_name": "<b>Evil</b>",
                                            "title": title, "reward_cents": 100, "hit_set_id": "3EVIL\"><x"}]}
    # A group id that is not MTurk's is refused before anything is stored (scrapers/ids.py) ...
    assert client.post("/api/v1/annotate", json=body).status_code == 422
    body["tasks"][0]["hit_set_id"] = "3EVIL0000000000000000000000000"
    assert client.post("/api/v1/annotate", json=body).status_code == 200
    html, page = get_page(client)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>Evil</b>" not in html
    assert "&lt;script&gt;" in html
    assert page.h2_in_article == [norm(title)]
    links = [a for a in page.find("a") if (a.get("href") or "").startswith("https://worker.mturk.com")]
    assert [a.get("href") for a in links] == [
        "https://worker.mturk.com/projects/3EVIL0000000000000000000000000/tasks",
        "https://worker.mturk.com/projects/3EVIL0000000000000000000000000/tasks/accept_random"]
    # ... and a stored one that is not (written before ids were checked) makes no link at all.
    Sql(client.app.state.settings.database_url).run("UPDATE task_types SET latest_hit_set_id = ?",
                                                    '3EVIL"><x/../../../requesters/AEVIL')
    client.app.state.annotate_cache.clear()
    html, page = get_page(client)
    assert page.h2_in_article == [norm(title)]
    assert not [a for a in page.find("a") if (a.get("href") or "").startswith("https://worker.mturk.com")]
    hrefs = [a.get("href") or "" for a in page.find("a")]
    assert not [href for href in hrefs if "3EVIL" in href or "requesters/AEVIL" in href]
    assert [href for href in hrefs if "AEVIL" in href] == ["/r/mturk/AEVIL"]  # the requester's id is valid: its page


def test_task_links_have_the_title_in_their_name(client: TestClient) -> None:
    body = {"platform": "mturk", "tasks": [{"platform": "mturk", "requester_id": "AREQ1", "title": "Tag photos",
                                            "reward_cents": 100, "hit_set_id": "3ABC00000000000000000000000000"}]}
    assert client.post("/api/v1/annotate", json=body).status_code == 200
    html, _ = get_page(client)
    assert ('Preview<span class="visually-hidden"> “Tag photos”</span> on MTurk' in html)
    assert ('Accept<span class="visually-hidden"> “Tag photos”</span> on MTurk' in html)
    assert 'href="https://worker.mturk.com/projects/3ABC00000000000000000000000000/tasks/accept_random"' in html


def test_database_busy_renders_an_html_error_page(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    async def busy(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr("server.listen.routes.listen_items", busy)
    response = client.get("/listen")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["retry-after"] == "1"
    assert "<h1>The list is busy</h1>" in response.text and '<html lang="en">' in response.text
    assert "Traceback" not in response.text and "SELECT" not in response.text


def test_unexpected_error_renders_an_html_error_page(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("server.listen.routes.listen_items", broken)
    response = client.get("/listen")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "secret internals" not in response.text and "<h1>Something went wrong</h1>" in response.text


def test_api_errors_stay_json(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
