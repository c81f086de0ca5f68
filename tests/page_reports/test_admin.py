"""What admins read: GET /api/v1/admin/page-reports (an admin token) and the /admin/page-reports page, both grouping
reports by shape with first and last seen, counts per day, versions and browsers, and the shape itself."""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.helpers import Db
from tests.page_reports.conftest import ADMIN_PATH, PATH, a_report, account

PAGE = "/admin/page-reports"


def post(client: TestClient, days_ago: int = 0, **changes: Any) -> str:
    """Post a report and date it `days_ago` days before the day the first report of the test got (so a test that
    runs across midnight still sees its reports on the days it meant); its fingerprint."""
    response = client.post(PATH, json=a_report(**changes))
    assert response.status_code == 201, response.text
    db = Db(client.app.state.settings.database_url)
    first = date.fromisoformat(str(db.value("SELECT day FROM page_reports ORDER BY id LIMIT 1")))
    last = db.value("SELECT max(id) FROM page_reports")
    db.run("UPDATE page_reports SET day = ? WHERE id = ?", (first - timedelta(days=days_ago)).isoformat(), last)
    return response.json()["fingerprint"]


PROLIFIC = {"platform": "prolific", "page": "studies", "probes": {"study_cards": 0},
            "elements": [{"tag": "li", "classes": [], "testid": "study-#", "count": 12}]}


def seed(client: TestClient) -> dict[str, str]:
    """Four MTurk reports of one shape (20 days ago, yesterday, twice today: two versions, two browsers) and one
    Prolific report of another shape, today. "Today" is the test's first report's day."""
    post(client, days_ago=0)  # moved below: the first report fixes the test's day
    post(client, days_ago=1)
    mturk = post(client)
    post(client, browser="chromium", extension_version="0.2.0", counts={"rows_seen": 0, "tasks_read": 0, "data_items": 20})
    prolific = post(client, **PROLIFIC)
    db = Db(client.app.state.settings.database_url)
    anchor = date.fromisoformat(str(db.value("SELECT day FROM page_reports ORDER BY id LIMIT 1")))
    # The oldest report: 20 days back, before the default period (the shape was first seen then).
    db.run("UPDATE page_reports SET day = ? WHERE id = (SELECT min(id) FROM page_reports)",
           (anchor - timedelta(days=20)).isoformat())
    return {"mturk": mturk, "prolific": prolific, "day": anchor.isoformat()}


def test_only_admins_read_the_reports(client: TestClient, admin: dict[str, str]):
    assert client.get(ADMIN_PATH).json()["code"] == "unauthorized"
    worker = account(client, "plain")
    assert client.get(ADMIN_PATH, headers=worker).status_code == 403
    moderator = account(client, "mod", "moderator")
    refused = client.get(ADMIN_PATH, headers=moderator)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert client.get(ADMIN_PATH, headers=admin).status_code == 200


def test_reports_are_grouped_by_shape_with_days_versions_and_browsers(client: TestClient, admin: dict[str, str]):
    prints = seed(client)
    day = date.fromisoformat(prints["day"])
    found = client.get(ADMIN_PATH, headers=admin, params={"since": (day - timedelta(days=6)).isoformat()}).json()
    assert found["reports"] == 4  # the one of 20 days ago is before the period
    assert found["until"] in {prints["day"], (day + timedelta(days=1)).isoformat()}  # a run crossing midnight
    by_print = {s["fingerprint"]: s for s in found["shapes"]}
    assert set(by_print) == {prints["mturk"], prints["prolific"]}
    mturk = by_print[prints["mturk"]]
    assert (mturk["platform"], mturk["page"], mturk["problem"], mturk["reports"]) == ("mturk", "search", "no_tasks", 3)
    assert mturk["days"] == [{"day": (day - timedelta(days=1)).isoformat(), "reports": 1},
                             {"day": prints["day"], "reports": 2}]
    assert mturk["first_seen"] == (day - timedelta(days=20)).isoformat()  # before the period
    assert mturk["last_seen"] == prints["day"]
    assert mturk["versions"] == [{"extension_version": "0.1.0", "reports": 2},
                                 {"extension_version": "0.2.0", "reports": 1}]
    assert mturk["browsers"] == [{"browser": "firefox", "reports": 2}, {"browser": "chromium", "reports": 1}]
    # The shape as the newest report sent it.
    assert mturk["latest"]["elements"] == a_report()["elements"]
    assert mturk["latest"]["counts"] == {"rows_seen": 0, "tasks_read": 0, "data_items": 20}
    assert (mturk["latest"]["browser"], mturk["latest"]["extension_version"]) == ("chromium", "0.2.0")
    prolific = by_print[prints["prolific"]]
    assert prolific["first_seen"] == prolific["last_seen"] and prolific["reports"] == 1
    # Per day, platform and version.
    totals = {(t["day"], t["platform"], t["extension_version"]): t["reports"] for t in found["per_day"]}
    assert sum(totals.values()) == 4 and len(totals) == 4
    assert [t["day"] for t in found["per_day"]] == sorted((t["day"] for t in found["per_day"]), reverse=True)


def test_filters_by_platform_version_and_since(client: TestClient, admin: dict[str, str]):
    prints = seed(client)
    since = (date.fromisoformat(prints["day"]) - timedelta(days=30)).isoformat()
    only = client.get(ADMIN_PATH, headers=admin, params={"platform": "prolific", "since": since}).json()
    assert [s["fingerprint"] for s in only["shapes"]] == [prints["prolific"]] and only["platform"] == "prolific"
    version = client.get(ADMIN_PATH, headers=admin, params={"version": "0.2.0", "since": since}).json()
    assert version["reports"] == 1 and version["shapes"][0]["versions"] == [{"extension_version": "0.2.0", "reports": 1}]
    everything = client.get(ADMIN_PATH, headers=admin, params={"since": since}).json()
    assert everything["reports"] == 5
    assert client.get(ADMIN_PATH, headers=admin, params={"since": "2999-01-01"}).json()["reports"] == 0
    limited = client.get(ADMIN_PATH, headers=admin, params={"since": since, "limit": 1}).json()
    assert len(limited["shapes"]) == 1 and limited["more_shapes"] == 1


@pytest.mark.parametrize(("params", "field"), [({"platform": "upwork"}, "platform"), ({"version": "1.0 beta"}, "version"),
                                               ({"since": "last week"}, "since"), ({"limit": "0"}, "limit"),
                                               ({"limit": "201"}, "limit")])
def test_a_bad_query_is_a_400_naming_it(client: TestClient, admin: dict[str, str], params: dict[str, str], field: str):
    response = client.get(ADMIN_PATH, headers=admin, params=params)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_parameter" and response.json()["field"] == field


# --- the page ---------------------------------------------------------------------------------------


def sign_in(client: TestClient, headers: dict[str, str]) -> Any:
    token = headers["Authorization"].removeprefix("Bearer ")
    return client.post(f"{PAGE}/sign-in", data={"token": token}, headers={"Origin": "http://testserver.local"},
                       follow_redirects=False)


def test_the_page_asks_for_an_admin_sign_in(client: TestClient, admin: dict[str, str]):
    first = client.get(PAGE)
    assert first.status_code == 200 and "Page reports: sign in" in first.text
    assert first.headers["x-robots-tag"] == "noindex, nofollow" and first.headers["cache-control"] == "no-store"
    wrong = client.post(f"{PAGE}/sign-in", data={"token": "ff_wrong"}, follow_redirects=False)
    assert wrong.status_code == 401 and 'aria-invalid="true"' in wrong.text
    worker = sign_in(client, account(client, "plain"))
    assert worker.status_code == 403 and "Admins only" in worker.text and "set-cookie" not in worker.headers
    moderator = sign_in(client, account(client, "mod", "moderator"))
    assert moderator.status_code == 403 and "set-cookie" not in moderator.headers
    cross_site = client.post(f"{PAGE}/sign-in", data={"token": admin["Authorization"][7:]},
                             headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert cross_site.status_code == 403 and "set-cookie" not in cross_site.headers
    signed = sign_in(client, admin)
    assert signed.status_code == 303 and signed.headers["location"] == f"{PAGE}?notice=signed-in"
    cookie = signed.headers["set-cookie"]
    assert "ff_page_reports=" in cookie and "HttpOnly" in cookie and "Path=/admin/page-reports" in cookie
    assert "SameSite=Strict" in cookie or "samesite=strict" in cookie.lower()


def test_the_page_shows_the_shapes(client: TestClient, admin: dict[str, str]):
    prints = seed(client)
    sign_in(client, admin)
    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    text = re.sub(r"\s+", " ", page.text)
    assert "4 reports in the last 7 days" in text and "of 2 shapes" in text
    assert "MTurk search page: no task could be read" in text and "Prolific studies list: no task could be read" in text
    assert prints["mturk"][:12] in text and prints["prolific"][:12] in text
    assert "0.1.0 (2), 0.2.0 (1)" in text and "firefox (2), chromium (1)" in text
    assert '<td><code>hit-card</code></td>' in text and '<td><code>study-#</code></td>' in text
    assert text.count('class="tag">new</span>') == 1  # the Prolific shape; the MTurk one was seen 20 days ago
    prolific = client.get(PAGE, params={"platform": "prolific", "days": "7"})
    assert "1 report in the last 7 days" in re.sub(r"\s+", " ", prolific.text)
    assert prints["mturk"][:12] not in prolific.text
    # The version choice lists what is stored; the period is one of the listed ones.
    assert '<option value="0.2.0">0.2.0</option>' in text
    month = client.get(PAGE, params={"days": "30"})
    assert "5 reports in the last 30 days" in re.sub(r"\s+", " ", month.text)


@pytest.mark.parametrize(("params", "heading"), [({"platform": "upwork"}, "No such platform"),
                                                 ({"version": "9.9.9"}, "No reports of this version"),
                                                 ({"days": "365"}, "No such period"), ({"days": "abc"}, "No such period")])
def test_a_bad_choice_is_a_400_page_in_words(client: TestClient, admin: dict[str, str], params: dict[str, str],
                                             heading: str):
    seed(client)
    sign_in(client, admin)
    response = client.get(PAGE, params=params)
    assert response.status_code == 400 and f"<h1>{heading}</h1>" in response.text


def test_an_empty_period_says_so(client: TestClient, admin: dict[str, str]):
    sign_in(client, admin)
    page = client.get(PAGE)
    assert page.status_code == 200 and "No page reports in this period" in page.text


def test_signing_out_needs_the_session_csrf_token(client: TestClient, admin: dict[str, str]):
    sign_in(client, admin)
    page = client.get(PAGE).text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert csrf
    origin = {"Origin": "http://testserver.local"}
    forged = client.post(f"{PAGE}/sign-out", data={"csrf": "0" * 64}, headers=origin, follow_redirects=False)
    assert forged.status_code == 403 and "Form refused" in forged.text
    assert client.get(PAGE).status_code == 200 and "Signed in as boss" in client.get(PAGE).text
    out = client.post(f"{PAGE}/sign-out", data={"csrf": csrf.group(1)}, headers=origin, follow_redirects=False)
    assert out.status_code == 303 and 'ff_page_reports=""' in out.headers["set-cookie"]
    client.cookies.clear()
    assert "Page reports: sign in" in client.get(PAGE).text
