"""Bearer tokens and keyed hashes. Tokens are random, shown once, and stored only as SHA-256."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from litestar import Request
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import write_transaction
from server.db.models import Token, Worker
from server.domain.moderation import is_moderator, is_muted
from server.errors import ApiError

TOKEN_PREFIX = "ff_"
# Writing last_used_at on every request would turn reads into writes; a coarse time is enough.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def platform_id_hmac(secret: str, platform: str, worker_id: str) -> str:
    """A worker's platform ID as stored: keyed, so a leaked database does not reveal who is who."""
    message = f"{platform}:{worker_id.strip().upper()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def worker_for_token(session: AsyncSession, token: str) -> tuple[Worker, Token] | None:
    """The worker of an active token: known, not revoked, not past its end (a browser's sign-in token ends)."""
    row = (
        await session.execute(
            select(Worker, Token)
            .join(Token, Token.worker_id == Worker.id)
            .where(Token.token_hash == hash_token(token), Token.revoked_at.is_(None),
                   or_(Token.expires_at.is_(None), Token.expires_at > datetime.now(timezone.utc)))
        )
    ).first()
    return (row[0], row[1]) if row else None


async def authenticate(request: Request, session: AsyncSession, *, required: bool) -> Worker | None:
    token = bearer_token(request)
    if token is None:
        if required or "authorization" in request.headers:
            raise ApiError(401, "unauthorized", "Send a token: 'Authorization: Bearer <token>'.")
        return None
    worker = await use_token(session, token)
    if worker is None:
        raise ApiError(401, "invalid_token", "This token is unknown, has been revoked or has ended.")
    return worker


async def use_token(session: AsyncSession, token: str) -> Worker | None:
    """The worker of an active token (noting, coarsely, that it was used); None when unknown, revoked or ended.

    Shared by the bearer header here and the pages' cookies (server/web/session.py).
    """
    found = await worker_for_token(session, token)
    if found is None:
        return None
    worker, token_row = found
    now = datetime.now(timezone.utc)
    if token_row.last_used_at is None or now - token_row.last_used_at > LAST_USED_RESOLUTION:
        async with write_transaction(session):
            await session.execute(update(Token).where(Token.id == token_row.id).values(last_used_at=now))
    return worker


async def provide_worker(request: Request, db_session: AsyncSession) -> Worker:
    worker = await authenticate(request, db_session, required=True)
    assert worker is not None
    return worker


async def provide_optional_worker(request: Request, db_session: AsyncSession) -> Worker | None:
    return await authenticate(request, db_session, required=False)


def require_moderator(worker: Worker) -> Worker:
    """Moderators and admins only (server/moderation)."""
    if not is_moderator(worker.role):
        raise ApiError(403, "forbidden", "This needs a moderator or admin token.")
    return worker


def ensure_not_muted(worker: Worker) -> None:
    """Muted workers can read but not post reviews, edits or flags until their mute ends."""
    now = datetime.now(timezone.utc)
    if is_muted(worker.muted_until, now):
        assert worker.muted_until is not None
        reason = f" Reason: {worker.mute_reason}" if worker.mute_reason else ""
        raise ApiError(403, "muted", f"Your account is muted until {worker.muted_until:%Y-%m-%d %H:%M} UTC.{reason}")


async def provide_moderator(request: Request, db_session: AsyncSession) -> Worker:
    return require_moderator(await provide_worker(request, db_session))
