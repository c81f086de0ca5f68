"""The wire format of the certificate routes that are not the credential itself (that one is a JSON document
built by credential.py and described by its JSON Schema, schema.py)."""
from __future__ import annotations

from typing import Literal

import msgspec

MAX_VERIFY_BYTES = 256 * 1024  # the largest certificate read back; one with ten long quotes is well under 64 KiB

class PublicKeyJwk(msgspec.Struct, kw_only=True):
    kty: Literal["OKP"] = "OKP"
    crv: Literal["Ed25519"] = "Ed25519"
    x: str  # the raw public key, base64url without padding


class VerificationMethod(msgspec.Struct, kw_only=True):
    id: str  # <keys URL>#<publicKeyMultibase>: the proofs' verificationMethod
    type: Literal["Multikey"] = "Multikey"
    controller: str  # the issuer: this server's public base URL
    publicKeyMultibase: str  # noqa: N815 - the W3C name
    publicKeyJwk: PublicKeyJwk  # noqa: N815


class KeysOut(msgspec.Struct, kw_only=True):
    """A controlled identifier document (W3C CID 1.0) listing the keys that sign this server's certificates."""

    context: list[str] = msgspec.field(name="@context")
    id: str
    controller: str
    verificationMethod: list[VerificationMethod]  # noqa: N815
    assertionMethod: list[str]  # noqa: N815


class VerifyOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The answer of POST /api/v1/certificates/verify: always 200 for a document that was read."""

    valid: bool
    issuer: str | None = None  # the issuer's id (URL) when valid
    issuer_name: str | None = None
    issued: str | None = None  # validFrom
    key_id: str | None = None
    credential_id: str | None = None
    reason: str | None = None  # when not valid: not_json, not_a_credential, no_proof, bad_proof_format,
    # unknown_key, issuer_mismatch, unsupported_value, tampered
    message: str | None = None
