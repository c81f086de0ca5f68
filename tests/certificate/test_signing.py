"""server/certificate/signing.py: JCS (RFC 8785), multibase, and eddsa-jcs-2022 proofs, checked against the
published test vectors of RFC 8785 and of W3C Data Integrity EdDSA Cryptosuites v1.0."""
from __future__ import annotations

import copy
import hashlib
import struct
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.certificate import signing
from server.certificate.signing import (CanonicalizationError, VerificationError, base58btc_decode, base58btc_encode,
                                        canonicalize, derive_key, parse_json, sign, verify, verify_bytes)

# ------------------------------------------------------------------------------------------------
# RFC 8785


# Appendix B: IEEE 754 binary64 values and their canonical form.
APPENDIX_B = [
    ("0000000000000000", "0"), ("8000000000000000", "0"), ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"), ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"), ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"), ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"), ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"), ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"), ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"), ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"), ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"), ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"), ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B)
def test_rfc8785_numbers(bits, expected):
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    assert canonicalize(value) == expected.encode()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 2**53, -(2**53)])
def test_numbers_without_one_canonical_form_are_refused(value):
    with pytest.raises(CanonicalizationError):
        canonicalize([value])


def test_rfc8785_section_3_2_2_example():
    # The example of RFC 8785 §3.2.2 (parsed the way a JSON parser reads its numbers).
    parsed = parse_json(rb"""{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }""")
    assert canonicalize(parsed) == ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                                    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}').encode()


def test_rfc8785_section_3_2_3_sorting_by_utf16_code_units():
    parsed = parse_json(b'{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With '
                        b'Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", '
                        b'"\\u00f6": "Latin Small Letter O With Diaeresis"}')
    names = [value for value in parse_json(canonicalize(parsed)).values()]
    assert names == ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign",
                     "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"]  # the emoji sorts before U+FB33


def test_strings_escape_only_what_ecmascript_escapes():
    assert canonicalize("a\x00\x1f\u2028é\"\\/") == '"a\\u0000\\u001f\u2028é\\"\\\\/"'.encode()
    with pytest.raises(CanonicalizationError):
        canonicalize("\ud800")  # a lone surrogate


def test_integers_beyond_the_safe_range_read_as_doubles():
    assert canonicalize(parse_json(b"[9007199254740993, 100000000000000000000000]")) == b"[9007199254740992,1e+23]"
    assert canonicalize(parse_json(b"[9007199254740991]")) == b"[9007199254740991]"


def test_parse_json_is_strict():
    with pytest.raises(ValueError, match="twice"):
        parse_json(b'{"a": 1, "a": 1}')
    for text in (b"NaN", b"[Infinity]", b"{'a': 1}", b"\xff"):
        with pytest.raises(ValueError):
            parse_json(text)


@given(st.recursive(st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text() |
                    st.floats(allow_nan=False, allow_infinity=False),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                    max_leaves=20))
def test_canonical_form_is_json_that_reads_back_the_same(value):
    text = canonicalize(value)
    assert parse_json(text) == value or value != value  # noqa: PLR0124 - floats are never NaN here
    assert canonicalize(parse_json(text)) == text  # idempotent


# ------------------------------------------------------------------------------------------------
# Multibase and keys


def test_base58btc():
    assert base58btc_encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert base58btc_decode("2NEpo7TZRRrLZSi2U") == b"Hello World!"
    assert base58btc_encode(b"\0\0\x01") == "112" and base58btc_decode("112") == b"\0\0\x01"
    with pytest.raises(ValueError):
        base58btc_decode("0OIl")


def test_the_key_is_derived_from_the_secret_alone():
    first, again, other = derive_key("secret one"), derive_key("secret one"), derive_key("secret two")
    assert first.key_id == again.key_id and first.key_id != other.key_id
    assert first.key_id.startswith("z6Mk") and len(first.key_id) == 48
    assert signing.public_key_from_multikey(first.key_id).public_bytes_raw() == first.public.public_bytes_raw()
    with pytest.raises(ValueError):
        derive_key("")


# ------------------------------------------------------------------------------------------------
# W3C vc-di-eddsa test vectors (eddsa-jcs-2022): TestVectors/keyPair.json and eddsa-jcs-2022/*


VECTOR_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_PRIVATE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
VECTOR_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]
VECTOR_DOCUMENT = {
    "@context": VECTOR_CONTEXT, "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"], "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.", "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
VECTOR_PROOF = {
    "type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "created": "2023-02-24T23:36:38Z",
    "verificationMethod": f"https://vc.example/issuers/5678#{VECTOR_PUBLIC}", "proofPurpose": "assertionMethod",
    "@context": VECTOR_CONTEXT,
    "proofValue": "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4",
}


def test_w3c_vector_hashes():
    assert hashlib.sha256(canonicalize(VECTOR_DOCUMENT)).hexdigest() == (
        "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19")  # docHashJCS.txt
    options = {**{k: v for k, v in VECTOR_PROOF.items() if k != "proofValue"},
               "verificationMethod": f"did:key:{VECTOR_PUBLIC}#{VECTOR_PUBLIC}"}
    assert canonicalize(options).decode() == (  # proofCanonJCS.txt
        '{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],'
        '"created":"2023-02-24T23:36:38Z","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod",'
        '"type":"DataIntegrityProof","verificationMethod":"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2'
        '#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}')
    assert signing.hash_data(options, VECTOR_DOCUMENT).hex() == (  # combinedHashJCS.txt
        "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db"
        "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19")


def test_w3c_vector_key_pair_and_signature():
    private = signing.private_key_from_multikey(VECTOR_PRIVATE)
    key = signing.key_from_private(private)
    assert key.key_id == VECTOR_PUBLIC
    options = {k: v for k, v in VECTOR_PROOF.items() if k != "proofValue"}
    signature = signing.multibase_decode(VECTOR_PROOF["proofValue"])
    key.public.verify(signature, signing.hash_data(options, VECTOR_DOCUMENT))  # signedJCS.json verifies
    # Ed25519 is deterministic: signing the vector ourselves gives the published proof.
    ours = sign(VECTOR_DOCUMENT, key, VECTOR_PROOF["verificationMethod"],
                datetime(2023, 2, 24, 23, 36, 38, tzinfo=timezone.utc))
    assert ours["proof"] == VECTOR_PROOF


# ------------------------------------------------------------------------------------------------
# Our proofs

KEY = derive_key("test secret")
BASE = "https://fair.example"


def credential() -> dict:
    return {"@context": ["https://www.w3.org/ns/credentials/v2", f"{BASE}/ctx"], "id": "urn:uuid:1",
            "type": ["VerifiableCredential", "WorkHistoryCredential"], "issuer": {"id": BASE, "name": "Fair"},
            "validFrom": "2026-01-31T10:00:00Z", "credentialSubject": {"tasksApproved": 12, "holderName": "Zoë"}}


def signed() -> dict:
    return sign(credential(), KEY, KEY.verification_method(BASE), datetime(2026, 1, 31, 10, tzinfo=timezone.utc))


def test_sign_then_verify():
    document = signed()
    assert document["proof"]["verificationMethod"] == f"{BASE}/api/v1/certificates/keys#{KEY.key_id}"
    result = verify(document, {KEY.key_id: KEY.public})
    assert (result.issuer, result.issuer_name, result.issued, result.key_id, result.credential_id) == (
        BASE, "Fair", "2026-01-31T10:00:00Z", KEY.key_id, "urn:uuid:1")


def test_member_order_and_spacing_do_not_matter():
    import json  # noqa: PLC0415

    document = signed()
    reordered = json.dumps(dict(reversed(list(document.items()))), indent=4).encode()
    assert verify_bytes(reordered, {KEY.key_id: KEY.public}).issuer == BASE


def test_one_changed_value_fails_as_tampered():
    document = signed()
    document["credentialSubject"]["tasksApproved"] = 13
    with pytest.raises(VerificationError) as caught:
        verify(document, {KEY.key_id: KEY.public})
    assert caught.value.reason == "tampered"


def test_a_signature_of_another_key_fails():
    other = derive_key("another secret")
    forged = sign(credential(), other, f"{BASE}/api/v1/certificates/keys#{KEY.key_id}",  # claims our key id
                  datetime(2026, 1, 31, tzinfo=timezone.utc))
    with pytest.raises(VerificationError) as caught:
        verify(forged, {KEY.key_id: KEY.public})
    assert caught.value.reason == "tampered"
    honest = sign(credential(), other, other.verification_method(BASE), datetime(2026, 1, 31, tzinfo=timezone.utc))
    with pytest.raises(VerificationError) as caught:
        verify(honest, {KEY.key_id: KEY.public})
    assert caught.value.reason == "unknown_key"


def test_signing_replaces_an_old_proof():
    document = signed()
    again = sign(document, KEY, KEY.verification_method(BASE), datetime(2026, 2, 1, tzinfo=timezone.utc))
    assert again["proof"]["created"] == "2026-02-01T00:00:00Z"
    assert verify(again, {KEY.key_id: KEY.public}).key_id == KEY.key_id
    assert copy.deepcopy(again) == again
