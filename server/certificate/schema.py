"""The JSON Schema (draft 2020-12) of version 1 of the work certificate, served at
GET /api/v1/certificates/schema/v1.json and named by every credential's `credentialSchema`.

Versioning (docs/certificate.md): `credentialSubject.schemaVersion` is "1.<minor>". A minor version only adds
optional members, so a reader of 1.0 reads any 1.x (the schema allows unknown members); a change that removes
or redefines a member is version 2, with a new schema URL (…/schema/v2.json) served beside this one.
"""
from __future__ import annotations

from typing import Any

from server.domain.certificate_options import SECTIONS, SELF_REPORTED_CHOICES
from server.domain.credential import CREDENTIAL_TYPE, SCHEMA_PATH, VC_CONTEXT
from server.domain.work_kinds import KINDS

_COUNT = {"type": "integer", "minimum": 0}
_DAY = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_MINOR = {"type": "integer", "description": "money in the currency's minor unit (cents, pence)"}


def _object(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or list(properties), **extra}


def schema(base_url: str) -> dict[str, Any]:
    subject = _object({
        "schemaVersion": {"type": "string", "pattern": r"^1\.\d+$"},
        "holderName": {"type": "string", "maxLength": 100, "description": "only when the worker typed one"},
        "period": _object({"from": _DAY, "to": _DAY, "timeZone": {"type": "string"}}),
        "platforms": {"type": "array", "items": _object({"platform": {"type": "string"}, "name": {"type": "string"},
                                                         "tasksRecorded": _COUNT, "tasksApproved": _COUNT})},
        "tasksRecorded": _COUNT,
        "tasksApproved": _COUNT,
        "tasksDecided": _COUNT,
        "tasksRejected": _COUNT,
        "approvalRate": {"type": ["string", "null"], "pattern": r"^(0\.\d{3}|1\.000)$",
                         "description": "approved / decided, three decimals, rounded down; null before any decision"},
        "kindsOfWork": {"type": "array", "items": _object({"kind": {"enum": list(KINDS)}, "name": {"type": "string"},
                                                           "tasks": _COUNT})},
        "hoursWorked": _object({"paidWorkSeconds": _COUNT, "unpaidWorkSeconds": _COUNT, "searchingSeconds": _COUNT,
                                "totalSeconds": _COUNT, "timedTasks": _COUNT, "tasks": _COUNT}),
        "earnings": {"type": "array", "items": _object({
            "currency": {"type": "string", "pattern": r"^[A-Z]{3}$"}, "earnedMinor": _MINOR, "pendingMinor": _MINOR,
            "rejectedMinor": _MINOR, "hourlyWithoutUnpaidMinor": {"type": ["integer", "null"]},
            "hourlyWithUnpaidMinor": {"type": ["integer", "null"]}})},
        "requesterFeedback": {"type": "array", "maxItems": 10, "items": _object({
            "platform": {"type": "string"}, "requesterName": {"type": "string"}, "date": _DAY,
            "text": {"type": "string"}})},
        "sources": _object({"platformPages": _COUNT, "extensionTimings": _COUNT, "selfReported": _COUNT},
                           description="tasks by where their record comes from (1.1)"),
        "choices": _object({"sections": {"type": "array", "items": {"enum": list(SECTIONS)}},
                            "platforms": {"type": ["array", "null"], "items": {"type": "string"}},
                            "feedbackQuoted": _COUNT, "holderNameGiven": {"type": "boolean"},
                            "selfReported": {"enum": list(SELF_REPORTED_CHOICES)}},
                           required=["sections", "platforms", "feedbackQuoted", "holderNameGiven"]),
        "dataSource": {"type": "string"},
    }, required=["schemaVersion", "period", "platforms", "tasksRecorded", "tasksApproved", "choices"])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": base_url.rstrip("/") + SCHEMA_PATH,
        "title": "Fairfinder work history credential, version 1",
        "description": "A W3C Verifiable Credential (Data Model 2.0) of a crowd worker's platform work history, "
                       "signed with a Data Integrity proof (eddsa-jcs-2022). See docs/certificate.md.",
        "type": "object",
        "required": ["@context", "id", "type", "issuer", "validFrom", "credentialSchema", "credentialSubject"],
        "properties": {
            "@context": {"type": "array", "prefixItems": [{"const": VC_CONTEXT}], "minItems": 2},
            "id": {"type": "string", "pattern": "^urn:uuid:[0-9a-f-]{36}$"},
            "type": {"type": "array", "allOf": [{"contains": {"const": "VerifiableCredential"}},
                                                {"contains": {"const": CREDENTIAL_TYPE}}]},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "issuer": _object({"id": {"type": "string", "format": "uri"}, "name": {"type": "string"}}),
            "validFrom": {"type": "string", "format": "date-time"},
            "credentialSchema": _object({"id": {"type": "string"}, "type": {"const": "JsonSchema"}}),
            "credentialSubject": subject,
            "proof": _object({"type": {"const": "DataIntegrityProof"}, "cryptosuite": {"const": "eddsa-jcs-2022"},
                              "created": {"type": "string"}, "verificationMethod": {"type": "string"},
                              "proofPurpose": {"const": "assertionMethod"},
                              "proofValue": {"type": "string", "pattern": "^z[1-9A-HJ-NP-Za-km-z]+$"}},
                             required=["type", "cryptosuite", "created", "verificationMethod", "proofPurpose",
                                       "proofValue"]),
        },
    }
