"""Cross-site request checks of the pages' forms: where a form came from, and the session's CSRF token.

Every form POST is checked against its Origin (else Referer) header, which must name this host. Forms of a
signed-in session also carry a CSRF token: an HMAC of the session token's hash keyed with the server secret
and named for one purpose (one page's session), so a page never carries the token itself, nobody without
the secret can make one, a token of one page's session is refused by another's forms, and signing in anew
changes it.
"""
from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from litestar import Request

from server.auth import hash_token

FIELD = "csrf"  # the forms' hidden field


def same_site(request: Request) -> bool:
    """Origin (else Referer), when sent, names this host. Sent by every browser on a cross-site form post."""
    host = (request.headers.get("host") or "").lower()
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value is None:
            continue
        try:
            netloc = urlsplit(value).netloc.lower()
        except ValueError:
            return False
        return bool(netloc) and netloc == host
    return True


def csrf_token(secret: str, token: str, purpose: str) -> str:
    """The hidden field of a session's forms (module docstring)."""
    return hmac.new(secret.encode(), f"fairfinder {purpose} csrf:".encode() + hash_token(token).encode(),
                    hashlib.sha256).hexdigest()


def csrf_matches(sent: object, expected: str | None) -> bool:
    """The form's field against the session's token, in constant time; never true without a session."""
    return expected is not None and hmac.compare_digest(str(sent or "").encode(), expected.encode())
