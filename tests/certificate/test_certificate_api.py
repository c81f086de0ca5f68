"""GET /api/v1/me/certificate.json and the public certificate routes (keys, schema, context, verify)."""
from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import datetime, timezone

import jsonschema_rs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from litestar.testing import TestClient

from server.certificate import signing
from tests.api.conftest import BAD_AUTH, assert_error
from tests.certificate.history import add_history, D1, record
from tests.helpers import worker_id
from tests.helpers import Db

URL = "/api/v1/me/certificate.json"


def certificate(client: TestClient, headers: dict[str, str], **params: str) -> dict:
    response = client.get(URL, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def alice_record(client: TestClient, alice: dict[str, str], db: Db) -> dict[str, int]:
    return record(db, worker_id(client, alice))


# ------------------------------------------------------------------------------------------------
# The document


def test_default_certificate_of_the_whole_record(client, alice, alice_record):
    response = client.get(URL, headers=alice)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="work-certificate-') and disposition.endswith('.json"')
    vc = response.json()
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert vc["@context"][1].endswith("/api/v1/certificates/context/v1.json")
    assert vc["type"] == ["VerifiableCredential", "WorkHistoryCredential"]
    assert vc["id"].startswith("urn:uuid:") and len(vc["id"]) == 45
    assert vc["issuer"] == {"id": "http://127.0.0.1:8000", "name": "Fairfinder"}
    assert vc["credentialSchema"] == {"id": "http://127.0.0.1:8000/api/v1/certificates/schema/v1.json",
                                      "type": "JsonSchema"}
    subject = vc["credentialSubject"]
    assert subject["schemaVersion"] == "1.1"
    assert "holderName" not in subject
    # Default period: from the first recorded day to today.
    assert subject["period"]["from"] == "2026-01-12" and subject["period"]["timeZone"] == "UTC"
    assert subject["tasksRecorded"] == 6 and subject["tasksApproved"] == 4
    assert (subject["tasksDecided"], subject["tasksRejected"], subject["approvalRate"]) == (5, 1, "0.800")
    assert [(p["platform"], p["tasksRecorded"], p["tasksApproved"]) for p in subject["platforms"]] == [
        ("mturk", 5, 3), ("prolific", 1, 1)]
    assert subject["kindsOfWork"] == [
        {"kind": "surveys", "name": "Surveys and studies", "tasks": 2},
        {"kind": "data_labelling", "name": "Data labelling", "tasks": 1},
        {"kind": "data_entry", "name": "Data entry and web research", "tasks": 1}]
    # Paid: 10 + 5 + 20 min; unpaid: the rejected 5 min; searching: 2 + 3 min (the gap to February is a break).
    assert subject["hoursWorked"] == {"paidWorkSeconds": 2100, "unpaidWorkSeconds": 300, "searchingSeconds": 300,
                                      "totalSeconds": 2700, "timedTasks": 4, "tasks": 6}
    assert "earnings" not in subject  # off unless chosen
    assert subject["requesterFeedback"] == []  # quoted only when picked
    assert subject["choices"] == {"sections": ["kinds", "approval", "hours", "feedback"], "platforms": None,
                                  "feedbackQuoted": 0, "holderNameGiven": False, "selfReported": "label"}
    # The test record is written straight into the table, as rows of unknown origin are: self-reported.
    assert subject["sources"] == {"platformPages": 0, "extensionTimings": 0, "selfReported": 6}
    assert "4 tasks approved" in vc["description"]
    proof = vc["proof"]
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["proofPurpose"] == "assertionMethod" and proof["proofValue"].startswith("z")
    assert proof["verificationMethod"].startswith("http://127.0.0.1:8000/api/v1/certificates/keys#z6Mk")


def test_the_credential_follows_its_published_schema(client, alice, alice_record):
    schema = client.get("/api/v1/certificates/schema/v1.json")
    assert schema.status_code == 200 and schema.headers["content-type"].startswith("application/schema+json")
    assert schema.json()["$id"] == "http://127.0.0.1:8000/api/v1/certificates/schema/v1.json"
    validator = jsonschema_rs.validator_for(schema.json())
    everything = certificate(client, alice, include="kinds,approval,hours,earnings,feedback",
                             holder_name="Alice Example",
                             feedback=str(alice_record["receipts"]))
    minimal = certificate(client, alice, include="")
    for document in (everything, minimal):
        errors = [error.message for error in validator.iter_errors(document)]
        assert errors == []
    broken = copy.deepcopy(everything)
    broken["credentialSubject"]["approvalRate"] = 0.8  # a float, not the decimal string
    assert not validator.is_valid(broken)


def test_earnings_only_when_chosen(client, alice, alice_record):
    subject = certificate(client, alice, include="earnings")["credentialSubject"]
    assert subject["earnings"] == [
        {"currency": "GBP", "earnedMinor": 200, "pendingMinor": 0, "rejectedMinor": 0,
         "hourlyWithoutUnpaidMinor": 600, "hourlyWithUnpaidMinor": 600},
        # USD: $1.75 earned over 15 min of paid work; with the rejected 5 min and 5 min searching: 25 min.
        {"currency": "USD", "earnedMinor": 175, "pendingMinor": 200, "rejectedMinor": 80,
         "hourlyWithoutUnpaidMinor": 600, "hourlyWithUnpaidMinor": 360}]
    for left_out in ("kindsOfWork", "hoursWorked", "tasksDecided", "approvalRate", "requesterFeedback"):
        assert left_out not in subject
    assert subject["choices"]["sections"] == ["earnings"]


def test_period_platforms_and_zone(client, alice, alice_record):
    january = certificate(client, alice, **{"from": "2026-01-13", "to": "2026-01-31"})["credentialSubject"]
    assert january["period"] == {"from": "2026-01-13", "to": "2026-01-31", "timeZone": "UTC"}
    assert (january["tasksRecorded"], january["tasksApproved"], january["approvalRate"]) == (2, 1, "1.000")
    prolific = certificate(client, alice, platforms="prolific", tz="Europe/London")["credentialSubject"]
    assert [p["platform"] for p in prolific["platforms"]] == ["prolific"]
    assert prolific["tasksApproved"] == 1 and prolific["choices"]["platforms"] == ["prolific"]
    assert prolific["period"]["timeZone"] == "Europe/London"
    nothing = certificate(client, alice, platforms="toloka")
    assert nothing["credentialSubject"]["tasksRecorded"] == 0
    assert "no work was recorded in this period" in nothing["description"]


def test_feedback_and_holder_name(client, alice, alice_record):
    picked = f"{alice_record['study']},{alice_record['receipts']}"
    subject = certificate(client, alice, feedback=picked, holder_name="  Alice   Example ")["credentialSubject"]
    assert subject["holderName"] == "Alice Example"
    assert subject["requesterFeedback"] == [
        {"platform": "mturk", "requesterName": "Receipt Hog", "date": "2026-01-13", "text": "Great work, thank you!"},
        {"platform": "prolific", "requesterName": "Oxford Decision Lab", "date": "2026-02-02",
         "text": "Very thoughtful answers"}]
    assert "Too many errors" not in json.dumps(subject)  # not picked, not quoted
    assert subject["choices"]["feedbackQuoted"] == 2 and subject["choices"]["holderNameGiven"] is True
    # Picked but the section is left out: nothing is quoted.
    without = certificate(client, alice, feedback=picked, include="kinds")["credentialSubject"]
    assert "requesterFeedback" not in without and without["choices"]["feedbackQuoted"] == 0


def test_a_worker_without_history_gets_zeros(client, bob):
    vc = certificate(client, bob)
    subject = vc["credentialSubject"]
    assert subject["tasksRecorded"] == 0 and subject["tasksApproved"] == 0 and subject["approvalRate"] is None
    assert subject["kindsOfWork"] == [] and subject["platforms"] == []
    assert subject["period"]["from"] == subject["period"]["to"]  # today
    assert "no work was recorded" in vc["description"]


# ------------------------------------------------------------------------------------------------
# Bad options change nothing and say which field


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-13-01"}, "from"),
    ({"from": "12/01/2026"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
    ({"from": "1999-01-01"}, "from"),
    ({"tz": "Mars/Olympus"}, "tz"),
    ({"tz": "../../etc/passwd"}, "tz"),
    ({"platforms": "MTurk!"}, "platforms"),
    ({"platforms": ",".join(f"p{i}x" for i in range(11))}, "platforms"),
    ({"include": "kinds,salary"}, "include"),
    ({"feedback": "abc"}, "feedback"),
    ({"feedback": "0"}, "feedback"),
    ({"feedback": ",".join(str(i) for i in range(1, 12))}, "feedback"),
    ({"feedback": "999999"}, "feedback"),
    ({"holder_name": "x" * 101}, "holder_name"),
    ({"holder_name": "Alice\u202eelgoog"}, "holder_name"),
    ({"holder_name": "Alice\nBob"}, "holder_name"),
])
def test_bad_options_are_400_with_their_field(client, alice, alice_record, db, params, field):
    before = db.dump()
    assert_error(client.get(URL, headers=alice, params=params), 400, "invalid_parameter", field)
    assert db.dump() == before


def test_feedback_must_be_the_workers_own_with_text_inside_the_period(client, alice, bob, alice_record, db):
    bobs = add_history(db, worker_id(client, bob), "B1", "Survey", "approved", D1, feedback="Bob did well")
    body = assert_error(client.get(URL, headers=alice, params={"feedback": str(bobs)}), 400, "invalid_parameter",
                        "feedback")
    assert "not a task in your work history" in body["message"] and "Bob" not in body["message"]
    # Bob cannot quote Alice's either.
    assert_error(client.get(URL, headers=bob, params={"feedback": str(alice_record["receipts"])}), 400,
                 "invalid_parameter", "feedback")
    no_text = add_history(db, worker_id(client, alice), "A9", "Survey", "approved", D1)
    assert "no requester feedback" in assert_error(
        client.get(URL, headers=alice, params={"feedback": str(no_text)}), 400, "invalid_parameter", "feedback")["message"]
    assert "outside the period" in assert_error(client.get(URL, headers=alice, params={
        "feedback": str(alice_record["study"]), "to": "2026-01-31"}), 400, "invalid_parameter", "feedback")["message"]
    assert "outside the period" in assert_error(client.get(URL, headers=alice, params={
        "feedback": str(alice_record["study"]), "platforms": "mturk"}), 400, "invalid_parameter", "feedback")["message"]


@pytest.mark.parametrize("case", list(BAD_AUTH))
@pytest.mark.parametrize("path", [URL, "/api/v1/me/certificate.pdf"])
def test_without_a_valid_token_401(client, case, path):
    headers, code = BAD_AUTH[case]
    assert_error(client.get(path, headers=headers), 401, code)


def test_each_worker_gets_only_their_own(client, alice, bob, alice_record):
    bobs = certificate(client, bob)["credentialSubject"]
    alices = certificate(client, alice)["credentialSubject"]
    assert bobs["tasksRecorded"] == 0 and alices["tasksRecorded"] == 6


def test_making_a_certificate_writes_nothing(client, alice, alice_record, db):
    before = db.dump()
    certificate(client, alice, include="kinds,approval,hours,earnings,feedback")
    assert db.dump() == before


# ------------------------------------------------------------------------------------------------
# Keys, verification


def test_keys_document_and_independent_verification(client, alice, alice_record):
    keys = client.get("/api/v1/certificates/keys")
    assert keys.status_code == 200 and "public" in keys.headers["cache-control"]
    document = keys.json()
    assert document["id"] == "http://127.0.0.1:8000/api/v1/certificates/keys"
    assert document["controller"] == "http://127.0.0.1:8000"
    (method,) = document["verificationMethod"]
    assert method["type"] == "Multikey" and method["controller"] == "http://127.0.0.1:8000"
    assert method["id"] == f"{document['id']}#{method['publicKeyMultibase']}"
    assert document["assertionMethod"] == [method["id"]]
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert method["publicKeyJwk"]["kty"] == "OKP" and method["publicKeyJwk"]["crv"] == "Ed25519"

    vc = certificate(client, alice, include="kinds,approval,hours,earnings,feedback",
                     feedback=str(alice_record["receipts"]), holder_name="Zoë Ünicode ✓")
    assert vc["proof"]["verificationMethod"] == method["id"]
    # An outsider's check, from the published key alone (its own base58 and JCS, not ours): decode the Multikey,
    # compare with the JWK, rebuild the signed bytes as eddsa-jcs-2022 says, verify with `cryptography`.
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

    def b58(text: str) -> bytes:
        number = 0
        for char in text:
            number = number * 58 + alphabet.index(char)
        return number.to_bytes((number.bit_length() + 7) // 8, "big")

    raw = b58(method["publicKeyMultibase"][1:])
    assert raw[:2] == b"\xed\x01" and len(raw) == 34
    assert base64.urlsafe_b64decode(method["publicKeyJwk"]["x"] + "=") == raw[2:]

    def jcs(value: object) -> bytes:  # enough of RFC 8785 for this document: ints, strings, no floats
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    proof = dict(vc["proof"])
    signature = b58(proof.pop("proofValue")[1:]).rjust(64, b"\0")
    unsigned = {name: value for name, value in vc.items() if name != "proof"}
    signed_bytes = hashlib.sha256(jcs(proof)).digest() + hashlib.sha256(jcs(unsigned)).digest()
    Ed25519PublicKey.from_public_bytes(raw[2:]).verify(signature, signed_bytes)  # raises if not genuine


def verify(client: TestClient, document: object) -> dict:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    response = client.post("/api/v1/certificates/verify", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    return response.json()


def test_verify_endpoint(client, alice, alice_record):
    vc = certificate(client, alice, feedback=str(alice_record["receipts"]))
    answer = verify(client, vc)
    assert answer == {"valid": True, "issuer": "http://127.0.0.1:8000", "issuer_name": "Fairfinder",
                      "issued": vc["validFrom"], "key_id": vc["proof"]["verificationMethod"].split("#")[1],
                      "credential_id": vc["id"]}
    # The bytes as downloaded (indented) verify too: the proof covers the canonical form.
    assert verify(client, client.get(URL, headers=alice).content)["valid"] is True


def tampered(vc: dict, change) -> dict:
    copy_ = copy.deepcopy(vc)
    change(copy_)
    return copy_


@pytest.mark.parametrize(("change", "reason"), [
    (lambda vc: vc["credentialSubject"].__setitem__("tasksApproved", 4000), "tampered"),
    (lambda vc: vc["credentialSubject"].__setitem__("approvalRate", "1.000"), "tampered"),
    (lambda vc: vc["credentialSubject"]["requesterFeedback"][0].__setitem__("text", "Best worker ever"), "tampered"),
    (lambda vc: vc["credentialSubject"].__setitem__("holderName", "Mallory"), "tampered"),
    (lambda vc: vc.__setitem__("validFrom", "2020-01-01T00:00:00Z"), "tampered"),
    (lambda vc: vc["proof"].__setitem__("created", "2020-01-01T00:00:00Z"), "tampered"),
    (lambda vc: vc["@context"].append("https://example.org/other"), "tampered"),
    (lambda vc: vc["issuer"].__setitem__("id", "https://evil.example"), "issuer_mismatch"),
    (lambda vc: vc.pop("proof"), "no_proof"),
    (lambda vc: vc["proof"].__setitem__("proofValue", "z" + "1" * 20), "bad_proof_format"),
    (lambda vc: vc["proof"].__setitem__("proofValue", "not-multibase"), "bad_proof_format"),
    (lambda vc: vc["proof"].__setitem__("cryptosuite", "ecdsa-jcs-2019"), "bad_proof_format"),
    (lambda vc: vc.__setitem__("proof", [vc["proof"]]), "bad_proof_format"),
    (lambda vc: vc["proof"].__setitem__("verificationMethod", vc["proof"]["verificationMethod"][:-3] + "abc"),
     "unknown_key"),
    (lambda vc: vc["credentialSubject"].__setitem__("tasksApproved", 2**60), "tampered"),
    (lambda vc: vc["credentialSubject"].__setitem__("holderName", "\ud800"), "unsupported_value"),
])
def test_verify_rejects_a_changed_copy_with_its_reason(client, alice, alice_record, change, reason):
    vc = certificate(client, alice, feedback=str(alice_record["receipts"]), holder_name="Alice")
    answer = verify(client, tampered(vc, change))
    assert answer["valid"] is False and answer["reason"] == reason, answer
    assert answer["message"] and "issuer" not in answer


def test_a_certificate_of_another_key_is_unknown(client, alice, alice_record):
    vc = certificate(client, alice)
    other = signing.derive_key("another server's secret")
    resigned = signing.sign(vc, other, other.verification_method(vc["issuer"]["id"]), datetime.now(timezone.utc))
    assert verify(client, resigned)["reason"] == "unknown_key"


@pytest.mark.parametrize(("body", "reason"), [
    (b"not json at all", "not_json"),
    (b"\xff\xfe", "not_json"),
    (b"[" * 5000 + b"]" * 5000, "not_json"),
    (b'{"a": NaN}', "not_json"),
    (b'{"a": 1, "a": 2}', "not_json"),
    (b"[]", "not_a_credential"),
    (b'"text"', "not_a_credential"),
    (b"{}", "no_proof"),
    (b'{"proof": {"type": "DataIntegrityProof"}}', "bad_proof_format"),
])
def test_verify_never_fails_on_garbage(client, body, reason):
    answer = verify(client, body)
    assert answer["valid"] is False and answer["reason"] == reason, answer


def test_verify_bounds_the_body(client):
    response = client.post("/api/v1/certificates/verify", content=b" " * (256 * 1024 + 1),
                           headers={"Content-Type": "application/json"})
    assert_error(response, 413, "payload_too_large")


def test_context_document(client):
    response = client.get("/api/v1/certificates/context/v1.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/ld+json")
    terms = response.json()["@context"]
    assert terms["@version"] == 1.1
    assert terms["WorkHistoryCredential"]["@id"].endswith("/api/v1/certificates/vocab#WorkHistoryCredential")
    assert terms["kindsOfWork"]["@type"] == "@json"


def test_timed_tasks_not_yet_in_the_history_count_too(client, bob):
    # The extension's timing of a task whose history has not been synced yet (server/me/records.py).
    timing = {"platform": "mturk", "requester_id": "AREQT", "requester_name": "Timed Lab",
              "title": "Label images of street signs", "reward_cents": 120, "assignment_id": "ATIMED",
              "accepted_at": "2026-03-02T10:00:00Z", "ended_at": "2026-03-02T10:12:00Z", "outcome": "approved"}
    assert client.post("/api/v1/timings", headers=bob, json=timing).status_code == 201
    subject = certificate(client, bob, tz="Europe/Berlin")["credentialSubject"]
    assert subject["period"]["from"] == "2026-03-02"  # the first recorded day comes from the timing
    assert subject["tasksApproved"] == 1
    assert subject["kindsOfWork"] == [{"kind": "data_labelling", "name": "Data labelling", "tasks": 1}]
    assert subject["hoursWorked"]["paidWorkSeconds"] == 720 and subject["hoursWorked"]["timedTasks"] == 1
