"""Hostile requests to the community endpoints: never a 5xx or a stack trace; bad weights are a 422."""
import pytest
from tests.conftest import register
CASES = ["/api/v1/export/ratings?since=", "/api/v1/export/ratings?since=notadate", "/api/v1/export/ratings?since=9999-01-01T00:00:00Z",
 "/api/v1/export/ratings?since=" + "9"*5000, "/api/multi-attrs.php", "/api/multi-attrs.php?ids=", "/api/multi-attrs.php?ids=%00%ff",
 "/api/multi-attrs.php?ids=" + ",".join(["A1"]*1000), "/requesters", "/requesters?rids=", "/requesters?rids=%3Cscript%3E",
 "/requesters/%20", "/requesters/" + "A"*5000, "/requesters?rids=A1&fields[requesters]=bogus", "/r/mturk/%3Cscript%3E", "/r/xx/A1", "/r/mturk/" + "A"*5000,
 "/r/?platform=mturk&id=", "/api/v1/admin/jobs?limit=0", "/api/v1/admin/jobs?limit=abc", "/api/v1/requesters/mturk/A1?x=1"]
@pytest.mark.parametrize("path", CASES)
def test_no_5xx(client, path):
    r = client.get(path, headers={"Authorization": "Bearer bogus"} if "admin" in path else {})
    assert r.status_code < 500, (path, r.status_code, r.text[:300])
    assert "Traceback" not in r.text
def test_filters_weights(client):
    h = register(client)
    for bad in [{"other_communities_weight": 2}, {"other_communities_weight": -0.1}, {"other_communities_weight": "x"},
                {"source_weights": {"": 0.5}}, {"source_weights": {"a": 1.5}}, {"source_weights": {"a"*100: 0.5}}]:
        r = client.put("/api/v1/me/filters", headers=h, json=bad)
        assert r.status_code == 422, (bad, r.status_code, r.text)
