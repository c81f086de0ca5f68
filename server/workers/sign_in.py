"""One-time sign-in links and the browser sessions they start.

A link (POST /api/v1/me/sign-in-links, or `fairfinder sign-in-link`) carries a random code; only its SHA-256 is
stored, with the worker, the page it leads to and an end about a minute away. Redeeming it (GET /sign-in/<code>,
server/front) marks it used in the same statement that checks it, so it works once even when two requests race.
The browser is then signed in with a token of its own (`start_browser_session`): listed with the worker's tokens,
revocable, and ending when its cookie would. The worker's kept token never travels in a URL or a cookie this way.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import hash_token, new_token
from server.db.models import SignInLink, Token
from server.db.upsert import rows_affected
from server.errors import FairfinderError

LINK_SECONDS = 60
SIGN_IN_PATH = "/sign-in/"
# Used and ended links are kept a day (so a late click can be told "used" rather than "unknown"), then purged.
KEEP_ENDED = timedelta(days=1)
MAX_CODE_CHARS = 100  # codes are 43 characters; anything longer is no code


@dataclass(frozen=True)
class NewLink:
    code: str
    path: str  # /sign-in/<code>
    expires_at: datetime


@dataclass(frozen=True)
class Redeemed:
    worker_id: int
    next_path: str


class LinkRefused(FairfinderError):
    """The code is unknown, used or ended (`reason`: "unknown", "used", "expired")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def create_link(session: AsyncSession, worker_id: int, next_path: str, now: datetime) -> NewLink:
    """A new link for `worker_id` leading to `next_path` (a page of server/web/session.py, checked by the caller).
    Runs in the caller's write transaction; purges links that ended more than a day ago."""
    await session.execute(delete(SignInLink).where(SignInLink.expires_at < now - KEEP_ENDED))
    code = secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=LINK_SECONDS)
    session.add(SignInLink(code_hash=hash_token(code), worker_id=worker_id, next_path=next_path, created_at=now,
                           expires_at=expires_at))
    await session.flush()
    return NewLink(code=code, path=SIGN_IN_PATH + code, expires_at=expires_at)


async def redeem_link(session: AsyncSession, code: str, now: datetime) -> Redeemed:
    """Use the link once: its worker and page, else LinkRefused. Runs in the caller's write transaction."""
    if not code or len(code) > MAX_CODE_CHARS:
        raise LinkRefused("unknown")
    code_hash = hash_token(code)
    result = await session.execute(
        update(SignInLink).where(SignInLink.code_hash == code_hash, SignInLink.used_at.is_(None),
                                 SignInLink.expires_at > now).values(used_at=now)
        .execution_options(synchronize_session=False))
    row = (await session.execute(select(SignInLink.worker_id, SignInLink.next_path, SignInLink.used_at)
                                 .where(SignInLink.code_hash == code_hash))).first()
    if rows_affected(result) == 1 and row is not None:
        return Redeemed(worker_id=row.worker_id, next_path=row.next_path)
    if row is None:
        raise LinkRefused("unknown")
    raise LinkRefused("used" if row.used_at is not None else "expired")


async def start_browser_session(session: AsyncSession, worker_id: int, seconds: int, now: datetime, label: str,
                                replaces: str | None = None) -> str:
    """A new token for a browser's cookie, ending in `seconds`. `replaces`: the token of the cookie it replaces;
    when that one was a browser's token too it is revoked (a token the worker keeps never is). Runs in the
    caller's write transaction."""
    if replaces:
        await session.execute(update(Token).where(Token.token_hash == hash_token(replaces), Token.revoked_at.is_(None),
                                                  Token.expires_at.is_not(None)).values(revoked_at=now)
                              .execution_options(synchronize_session=False))
    token = new_token()
    session.add(Token(worker_id=worker_id, token_hash=hash_token(token), label=label, created_at=now,
                      expires_at=now + timedelta(seconds=seconds)))
    await session.flush()
    return token
