"""The wire format of the certificate routes that are not the credential itself (that one is a JSON document
built by credential.py and described by its JSON Schema, schema.py)."""
from __future__ import annotations

from typing import Annotated, Literal

import msgspec

MAX_VERIFY_BYTES = 256 * 1024  # the largest certificate read back; one with ten long quotes is well under 64 KiB


def _described(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)  # shown in the OpenAPI document


class PublicKeyJwk(msgspec.Struct, kw_only=True):
    kty: Annotated[Literal["OKP"], _described("The JWK key type: OKP (octet key pair).")] = "OKP"
    crv: Annotated[Literal["Ed25519"], _described("The curve: Ed25519.")] = "Ed25519"
    x: Annotated[str, _described("The raw 32-byte public key, base64url without padding.")]  # the raw public key, base64url without padding


class VerificationMethod(msgspec.Struct, kw_only=True):
    id: Annotated[str, _described(  # <keys URL>#<publicKeyMultibase>: the proofs' verificationMethod
        "<keys URL>#<publicKeyMultibase>: what a certificate's proof names as its verificationMethod.")]
    type: Annotated[Literal["Multikey"], _described("The key's format: Multikey.")] = "Multikey"
    controller: Annotated[str, _described("The issuer: this server's public base URL.")]  # the issuer: this server's public base URL
    publicKeyMultibase: Annotated[str, _described(  # noqa: N815 - the W3C name
        "The Ed25519 public key in Multikey form (multibase base58btc, starting with z6Mk).")]
    publicKeyJwk: Annotated[PublicKeyJwk, _described("The same key as a JSON Web Key.")]  # noqa: N815


class KeysOut(msgspec.Struct, kw_only=True):
    """A controlled identifier document (W3C CID 1.0) listing the keys that sign this server's certificates."""

    context: Annotated[list[str], _described("The JSON-LD context: https://www.w3.org/ns/cid/v1.")] = msgspec.field(
        name="@context")
    id: Annotated[str, _described("This document's URL.")]
    controller: Annotated[str, _described("The issuer: this server's public base URL.")]
    verificationMethod: Annotated[list[VerificationMethod], _described(  # noqa: N815
        "The keys that sign this server's certificates.")]
    assertionMethod: Annotated[list[str], _described(  # noqa: N815
        "The ids of the keys the issuer signs credentials with.")]


class VerifyOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The answer of POST /api/v1/certificates/verify: always 200 for a document that was read."""

    valid: Annotated[bool, _described(
        "True when this server issued the certificate and it is unchanged since; the other fields say who and "
        "when, or why not.")]
    issuer: Annotated[str | None, _described(  # the issuer's id (URL) when valid
        "The issuer's id (its URL); left out when not valid.")] = None
    issuer_name: Annotated[str | None, _described(
        "The issuer's name as the certificate gives it; left out when not valid or not given.")] = None
    issued: Annotated[str | None, _described(  # validFrom
        "When it was issued: the certificate's validFrom as written (else the proof's creation time); left out "
        "when not valid.")] = None
    key_id: Annotated[str | None, _described(
        "The signing key (its publicKeyMultibase); left out when not valid.")] = None
    credential_id: Annotated[str | None, _described(
        "The certificate's own id; left out when not valid or not given.")] = None
    reason: Annotated[str | None, _described(  # when not valid: not_json, not_a_credential, no_proof, ...
        "Why not valid: not_json, not_a_credential, no_proof, bad_proof_format, unknown_key, issuer_mismatch, "
        "unsupported_value or tampered; left out when valid.")] = None
    message: Annotated[str | None, _described("The same in words; left out when valid.")] = None
