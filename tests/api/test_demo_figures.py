"""Demo data is dated as an established community's (issue 18 item 5): its workers joined before their work, so
their reviews count. The Turkopticon API shows Fairfinder's own mean, each account weighed once by its standing
(docs/figures.md): one number everywhere."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from server.db.engine import write_transaction
from server.demo import seed_demo
from server.domain.figures import rating_text
from server.domain.moderation import NEW_ACCOUNT_AGE
from tests.helpers import Db


def moment(value: object) -> datetime:
    found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return found.replace(tzinfo=timezone.utc) if found.tzinfo is None else found


def test_demo_reviews_are_by_established_accounts_and_their_means_agree_everywhere(client, db: Db):
    async def seed() -> None:
        async with client.app.state.sessionmaker() as session, write_transaction(session):
            await seed_demo(session)

    with client.portal() as portal:
        portal.call(seed)
    pairs = db.rows("SELECT w.created_at, r.created_at FROM reviews r JOIN workers w ON w.id = r.worker_id")
    assert pairs
    assert all(moment(joined) + NEW_ACCOUNT_AGE <= moment(wrote) for joined, wrote in pairs)
    assert all(moment(joined) <= moment(wrote) - timedelta(days=120) for joined, wrote in pairs)

    requesters = [rid for (rid,) in db.rows(
        "SELECT r.external_id FROM requesters r JOIN reviews v ON v.requester_id = r.id WHERE r.platform = 'mturk' "
        "AND v.rating_pay IS NOT NULL GROUP BY r.external_id ORDER BY COUNT(*) DESC, r.external_id LIMIT 5")]
    assert requesters
    to1 = json.loads(client.get("/api/multi-attrs.php", params={"ids": ",".join(requesters)}).text)
    for rid in requesters:
        weighted = client.get(f"/api/v1/requesters/mturk/{rid}").json()["scores"]["pay"]["mean"]
        assert 1 <= weighted <= 5 and rating_text(weighted) == f"{weighted:.2f}", rid  # two decimals, rounded once
        # One definition everywhere (issue 18): the Turkopticon API shows the same weighted mean.
        assert to1[rid]["attrs"]["pay"] == rating_text(weighted), rid
