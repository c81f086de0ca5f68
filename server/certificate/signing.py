"""Signing and verifying work certificates: W3C Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite.

* Canonical form: JCS (RFC 8785) by the `rfc8785` package (`canonicalize`): objects with members sorted by
  their names' UTF-16 code units, strings escaped as ECMAScript's JSON.stringify does, numbers in ECMAScript's
  shortest round-trip form. Integers beyond ±(2^53 - 1) and non-finite numbers are refused (no JSON parser
  agrees on them); so are documents nested more than 100 levels deep. The credentials we issue hold only strings, integers, booleans, null, lists
  and objects: approvalRate is a decimal *string*, hours are integer seconds (docs/certificate.md).
* Proof (Data Integrity EdDSA Cryptosuites v1.0, eddsa-jcs-2022): the proof options (type DataIntegrityProof,
  cryptosuite, created, verificationMethod, proofPurpose assertionMethod, and the document's @context) are
  canonicalized and hashed with SHA-256, so is the document without its proof; Ed25519 signs the 64 bytes
  hash(options) + hash(document); proofValue is the signature in multibase base58btc ("z…").
* Key: an Ed25519 key derived from the server secret with HKDF-SHA256 and a fixed info string, so every
  server process has it and nothing new is stored. Its public half is published as a Multikey
  (`publicKeyMultibase`, "z6Mk…") and a JWK at GET /api/v1/certificates/keys; the key's id (fingerprint) is
  its Multikey encoding, the fragment of the proof's verificationMethod. A new server secret means a new key:
  certificates signed with the old one then verify as `unknown_key`.

Pure functions and one cached derivation; no I/O.
"""
from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from server.domain.errors import FairfinderError

CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_TYPE = "DataIntegrityProof"
PROOF_PURPOSE = "assertionMethod"
KEYS_PATH = "/api/v1/certificates/keys"
HKDF_SALT = b"fairfinder"
HKDF_INFO = b"fairfinder work certificate signing key, ed25519, v1"
MULTIKEY_ED25519_PUBLIC = b"\xed\x01"  # multicodec ed25519-pub, as an unsigned varint
MULTIKEY_ED25519_PRIVATE = b"\x80\x26"  # multicodec ed25519-priv
MAX_SAFE_INTEGER = 2**53 - 1
MAX_PROOF_VALUE_CHARS = 200  # a 64-byte signature is 87 or 88 base58 characters

# ------------------------------------------------------------------------------------------------
# JCS (RFC 8785)


class CanonicalizationError(FairfinderError, ValueError):
    """A value JCS cannot represent the same way everywhere (a huge integer, NaN, a lone surrogate)."""


MAX_DEPTH = 100  # deeper documents are refused before canonicalizing (rfc8785 recurses once per level)


def _depth_ok(value: Any) -> bool:
    """Whether `value` nests at most MAX_DEPTH lists or objects deep (checked without recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if depth >= MAX_DEPTH:
                return False
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return True


def _plain(value: Any) -> Any:
    """Tuples as lists: rfc8785 reads only the types json.loads makes."""
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {name: _plain(item) for name, item in value.items()}
    return value


def canonicalize(value: Any) -> bytes:
    """`value` (parsed JSON) in the JSON Canonicalization Scheme (RFC 8785, by the `rfc8785` package), as UTF-8
    bytes. Raises CanonicalizationError for what has no one canonical form."""
    if not _depth_ok(value):
        raise CanonicalizationError(f"the document is nested more than {MAX_DEPTH} levels deep")
    try:
        return rfc8785.dumps(_plain(value))
    except rfc8785.CanonicalizationError as error:
        raise CanonicalizationError(str(error)) from None


class DuplicateMemberError(FairfinderError, ValueError):
    """A JSON object that names one member twice (I-JSON refuses it)."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise DuplicateMemberError(f"the member {name!r} appears twice in one object")
        result[name] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _integer(text: str) -> int | float:
    """An integer beyond ±(2^53 - 1) is read as the double it is in I-JSON (and in ECMAScript), so a document
    canonicalizes here as it does everywhere else."""
    value = int(text)
    return value if abs(value) <= MAX_SAFE_INTEGER else float(value)


def parse_json(data: bytes | str) -> Any:
    """Strict JSON (I-JSON, RFC 7493, as JCS requires): no duplicate member names, no NaN or Infinity, numbers
    as doubles. Raises ValueError (and RecursionError for absurd nesting) on anything else."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_int=_integer)


# ------------------------------------------------------------------------------------------------
# Multibase base58btc and keys (written here: 20 lines checked by the W3C vectors; the `base58` package was last
# released in 2021)

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: index for index, char in enumerate(_ALPHABET)}


def base58btc_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, remainder = divmod(number, 58)
        out.append(_ALPHABET[remainder])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def base58btc_decode(text: str) -> bytes:
    """ValueError for characters outside the alphabet."""
    number = 0
    for char in text:
        if char not in _INDEX:
            raise ValueError(f"{char!r} is not a base58btc character")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def multibase_encode(data: bytes) -> str:
    return "z" + base58btc_encode(data)


def multibase_decode(text: str) -> bytes:
    if not text.startswith("z"):
        raise ValueError("only base58btc multibase values ('z…') are read")
    return base58btc_decode(text[1:])


def public_multikey(public: Ed25519PublicKey) -> str:
    """The Multikey encoding of an Ed25519 public key: "z6Mk…"."""
    return multibase_encode(MULTIKEY_ED25519_PUBLIC + public.public_bytes(serialization.Encoding.Raw,
                                                                         serialization.PublicFormat.Raw))


def public_key_from_multikey(text: str) -> Ed25519PublicKey:
    raw = multibase_decode(text)
    if not raw.startswith(MULTIKEY_ED25519_PUBLIC) or len(raw) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def private_key_from_multikey(text: str) -> Ed25519PrivateKey:
    raw = multibase_decode(text)
    if not raw.startswith(MULTIKEY_ED25519_PRIVATE) or len(raw) != 34:
        raise ValueError("not an Ed25519 private Multikey")
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    key_id: str  # the Multikey encoding of the public key: its fingerprint

    def jwk(self) -> dict[str, str]:
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")}

    def verification_method(self, base_url: str) -> str:
        return f"{keys_url(base_url)}#{self.key_id}"


def keys_url(base_url: str) -> str:
    return base_url.rstrip("/") + KEYS_PATH


def key_from_private(private: Ed25519PrivateKey) -> SigningKey:
    public = private.public_key()
    return SigningKey(private=private, public=public, key_id=public_multikey(public))


@lru_cache(maxsize=4)
def derive_key(secret: str) -> SigningKey:
    """This server's certificate key: HKDF-SHA256 of the server secret (module docstring)."""
    if not secret:
        raise ValueError("the server secret is empty: no certificate key can be derived")
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=HKDF_INFO).derive(secret.encode("utf-8"))
    return key_from_private(Ed25519PrivateKey.from_private_bytes(seed))


# ------------------------------------------------------------------------------------------------
# Proofs


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def hash_data(proof_options: Mapping[str, Any], document: Mapping[str, Any]) -> bytes:
    """SHA-256(JCS(proof options)) + SHA-256(JCS(document without proof)): what Ed25519 signs."""
    options_hash = hashlib.sha256(canonicalize(dict(proof_options))).digest()
    return options_hash + hashlib.sha256(canonicalize(dict(document))).digest()


def sign(document: Mapping[str, Any], key: SigningKey, verification_method: str, created: datetime) -> dict[str, Any]:
    """`document` with an eddsa-jcs-2022 Data Integrity proof added (any proof it had is replaced)."""
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    options: dict[str, Any] = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "created": _timestamp(created),
                               "verificationMethod": verification_method, "proofPurpose": PROOF_PURPOSE}
    if "@context" in unsecured:
        options["@context"] = unsecured["@context"]
    signature = key.private.sign(hash_data(options, unsecured))
    return {**unsecured, "proof": {**options, "proofValue": multibase_encode(signature)}}


class VerificationError(FairfinderError):
    """Why a document does not verify: a machine `reason` and a sentence for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Verified:
    issuer: str  # the issuer's id (URL)
    issuer_name: str | None
    issued: str  # validFrom, as written
    key_id: str
    credential_id: str | None


def _proof_of(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise VerificationError("not_a_credential", "The document is not a JSON object.")
    if "proof" not in document:
        raise VerificationError("no_proof", "The document carries no proof: it was not signed, or the proof was "
                                            "removed.")
    proof = document["proof"]
    if not isinstance(proof, dict):
        raise VerificationError("bad_proof_format", "The proof must be one object (proof sets are not issued here).")
    for name, wanted in (("type", PROOF_TYPE), ("cryptosuite", CRYPTOSUITE), ("proofPurpose", PROOF_PURPOSE)):
        if proof.get(name) != wanted:
            raise VerificationError("bad_proof_format", f"The proof's {name} must be {wanted!r}.")
    for name in ("created", "verificationMethod", "proofValue"):
        if not isinstance(proof.get(name), str) or not proof[name]:
            raise VerificationError("bad_proof_format", f"The proof has no {name}.")
    return proof


def _signature(proof_value: str) -> bytes:
    if len(proof_value) > MAX_PROOF_VALUE_CHARS:
        raise VerificationError("bad_proof_format", "The proofValue is too long to be an Ed25519 signature.")
    try:
        signature = multibase_decode(proof_value)
    except ValueError:
        raise VerificationError("bad_proof_format", "The proofValue is not multibase base58btc ('z…').") from None
    if len(signature) != 64:
        raise VerificationError("bad_proof_format", "The proofValue is not a 64-byte Ed25519 signature.")
    return signature


def verify(document: Any, keys: Mapping[str, Ed25519PublicKey]) -> Verified:
    """Check `document`'s eddsa-jcs-2022 proof with one of `keys` (key id -> public key). Returns what it
    says about itself; raises VerificationError with the reason otherwise. Never anything else."""
    proof = _proof_of(document)
    signature = _signature(proof["proofValue"])
    method = proof["verificationMethod"]
    key_id = method.rpartition("#")[2]
    public = keys.get(key_id) if "#" in method else None
    if public is None:
        raise VerificationError("unknown_key", "The proof was made with a key this server does not hold "
                                "(another issuer, or this server's key before its secret changed).")
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_id, str) or method.partition("#")[0] != keys_url(issuer_id):
        raise VerificationError("issuer_mismatch", "The proof's key is not published by the credential's issuer.")
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    if "@context" in options:
        context = unsecured.get("@context")
        wanted = options["@context"]
        if context != wanted:  # stricter than "starts with": a context added later changes what terms mean
            raise VerificationError("tampered", "The document's @context differs from the one that was signed.")
        unsecured["@context"] = wanted
    try:
        public.verify(signature, hash_data(options, unsecured))
    except CanonicalizationError as error:
        raise VerificationError("unsupported_value", f"The document cannot be canonicalized: {error}.") from None
    except InvalidSignature:
        raise VerificationError("tampered", "The signature does not match the content: the document was changed "
                                "after it was issued.") from None
    name = issuer.get("name") if isinstance(issuer, dict) else None
    valid_from = document.get("validFrom")
    credential_id = document.get("id")
    return Verified(issuer=issuer_id, issuer_name=name if isinstance(name, str) else None,
                    issued=valid_from if isinstance(valid_from, str) else proof["created"], key_id=key_id,
                    credential_id=credential_id if isinstance(credential_id, str) else None)


def verify_bytes(data: bytes, keys: Mapping[str, Ed25519PublicKey]) -> Verified:
    """`verify` of a document as received: JSON text (strict, see parse_json)."""
    try:
        document = parse_json(data)
    except DuplicateMemberError as error:
        raise VerificationError("not_json", f"The document is not valid I-JSON: {error}.") from None
    except (ValueError, RecursionError):  # UnicodeDecodeError and json.JSONDecodeError are ValueErrors
        raise VerificationError("not_json", "The document is not JSON.") from None
    return verify(document, keys)
