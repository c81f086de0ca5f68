from tests.conftest import register


def test_register_and_annotate(client):
    headers = register(client, "alice")
    response = client.post("/api/v1/annotate", headers=headers, json={
        "platform": "mturk",
        "tasks": [{"platform": "mturk", "requester_id": "A1", "title": "Survey", "reward_cents": 50}],
    })
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["filters_from"] == "saved"
    assert body["tasks"][0]["hourly"]["basis"] == "unknown"
