"""Accounts, tokens and saved filters."""
from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import hash_token, new_token, provide_worker
from server.db.engine import write_transaction
from server.db.models import SavedFilters, Token, Worker, WorkerPlatformId, utcnow
from server.db.upsert import rows_affected
from server.domain.filters import FilterError, Filters, validate_filters
from server.domain.paging import is_row_id
from server.errors import ApiError, error_responses, not_found
from server.settings import Settings
from server.workers.queries import load_filters
from server.workers.schemas import (
    FiltersIn,
    NewTokenOut,
    OptionalBodyOperation,
    RegisteredOut,
    RegisterIn,
    SignInLinkIn,
    SignInLinkOut,
    TokenIn,
    TokenOut,
    WorkerExport,
    WorkerOut,
)
from server.workers.sign_in import LINK_SECONDS, create_link
from server.workers.service import DeleteMode, build_export, delete_account, export_filename, register_worker

MAX_TOKENS_PER_WORKER = 20


def token_out(token: Token) -> TokenOut:
    return TokenOut(id=token.id, label=token.label, created_at=token.created_at,
                    last_used_at=token.last_used_at, revoked_at=token.revoked_at)


async def worker_out(session: AsyncSession, worker: Worker) -> WorkerOut:
    platforms = sorted(set(await session.scalars(
        select(WorkerPlatformId.platform).where(WorkerPlatformId.worker_id == worker.id))))
    return WorkerOut(id=worker.id, handle=worker.handle, role=worker.role, created_at=worker.created_at, platforms=platforms)


class RegistrationController(Controller):
    path = "/api/v1/workers"
    tags = ["workers"]

    @post("/", status_code=201, responses=error_responses(400, 409, 413, 422), summary="Register a pseudonymous worker account and get its first token")
    async def register(self, data: RegisterIn, db_session: AsyncSession, settings: Settings) -> RegisteredOut:
        async with write_transaction(db_session):
            worker, token, token_row = await register_worker(db_session, settings, data)
        return RegisteredOut(worker=await worker_out(db_session, worker), token=token, token_info=token_out(token_row))


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["workers"]
    dependencies = {"worker": Provide(provide_worker)}

    @get("/", responses=error_responses(401), summary="The signed-in worker")
    async def me(self, worker: Worker, db_session: AsyncSession) -> WorkerOut:
        return await worker_out(db_session, worker)

    @get("/tokens", responses=error_responses(401), summary="List your tokens (never their values)")
    async def list_tokens(self, worker: Worker, db_session: AsyncSession) -> list[TokenOut]:
        rows = await db_session.scalars(select(Token).where(Token.worker_id == worker.id).order_by(Token.id))
        return [token_out(t) for t in rows]

    @post("/tokens", status_code=201, responses=error_responses(400, 401, 409, 413, 422), operation_class=OptionalBodyOperation,
          summary="Issue another token (shown once)", description="The body (a `label`) may be left out.")
    async def issue_token(self, worker: Worker, db_session: AsyncSession, data: TokenIn | None = None) -> NewTokenOut:
        token = new_token()
        async with write_transaction(db_session):
            # A browser's sign-in tokens end by themselves and do not count.
            active = await db_session.scalars(select(Token.id).where(
                Token.worker_id == worker.id, Token.revoked_at.is_(None), Token.expires_at.is_(None)))
            if len(list(active)) >= MAX_TOKENS_PER_WORKER:
                raise ApiError(409, "too_many_tokens",
                               f"You have {MAX_TOKENS_PER_WORKER} active tokens; revoke one first.")
            row = Token(worker_id=worker.id, token_hash=hash_token(token), label=(data.label if data else ""))
            db_session.add(row)
        return NewTokenOut(token=token, token_info=token_out(row))

    @delete("/tokens/{token_id:int}", status_code=204, responses=error_responses(401, 404), summary="Revoke a token")
    async def revoke_token(self, worker: Worker, db_session: AsyncSession, token_id: int) -> None:
        if not is_row_id(token_id):
            raise not_found("An active token with this id")
        async with write_transaction(db_session):
            result = await db_session.execute(
                update(Token).where(Token.id == token_id, Token.worker_id == worker.id, Token.revoked_at.is_(None))
                .values(revoked_at=utcnow()))
            if rows_affected(result) == 0:
                raise not_found("An active token with this id")

    @post("/sign-in-links", status_code=201, responses=error_responses(400, 401, 413, 422),
          operation_class=OptionalBodyOperation, summary="A one-time link that opens a page signed in",
          description="For the extension's \"Open my earnings\" and the like: the answer's `url` signs the browser in "
                      "on that page (with a sign-in of its own, listed with your tokens) and leads there. It works "
                      f"once, for {LINK_SECONDS} seconds; only a hash of its code is kept. The body may be left out "
                      "(it opens /me).")
    async def sign_in_link(self, request: Request, worker: Worker, db_session: AsyncSession, settings: Settings,
                           data: SignInLinkIn | None = None) -> SignInLinkOut:
        next_path = data.next if data else "/me"
        async with write_transaction(db_session):
            link = await create_link(db_session, worker.id, next_path, utcnow())
        base = settings.public_url or str(request.base_url).rstrip("/")
        return SignInLinkOut(url=base + link.path, path=link.path, expires_at=link.expires_at, next=next_path)

    @get("/filters", responses=error_responses(401), summary="Your saved filters (defaults until you save some)")
    async def get_filters(self, worker: Worker, db_session: AsyncSession) -> Filters:
        return await load_filters(db_session, worker)

    @put("/filters", responses=error_responses(400, 401, 413, 422), summary="Replace your saved filters")
    async def put_filters(self, worker: Worker, db_session: AsyncSession, data: FiltersIn) -> Filters:
        try:
            validate_filters(data)
        except FilterError as error:
            raise ApiError(422, "invalid_field", f"{error.field}: {error.message}", error.field) from None
        async with write_transaction(db_session):
            saved = await db_session.get(SavedFilters, worker.id)
            stored = msgspec.to_builtins(data)
            if saved is None:
                db_session.add(SavedFilters(worker_id=worker.id, filters=stored))
            else:
                saved.filters = stored
                saved.updated_at = utcnow()
        return data

    @get("/export", responses=error_responses(401), summary="Download everything stored about you as one JSON document",
         description="Your account, linked platforms (names only: the IDs are kept as keyed hashes), tokens "
                     "(metadata, never values or hashes), reviews with their edit history and status, timings, "
                     "saved filters, the flags you made and moderation decisions about you or your reviews "
                     "(never naming the moderator). See docs/privacy.md.",
         response_headers=[ResponseHeader(name="Content-Disposition", documentation_only=True,
                                          description='attachment; filename="fairfinder-<handle>-YYYYMMDD.json"')])
    async def export(self, worker: Worker, db_session: AsyncSession) -> Response[WorkerExport]:
        document = await build_export(db_session, worker, utcnow())
        filename = export_filename(worker.handle, document.generated_at)
        return Response(document, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                           "Cache-Control": "no-store"})

    @delete("/", status_code=204, responses=error_responses(400, 401),
            summary="Delete your account (reviews=delete removes your reviews, reviews=keep leaves them anonymized)",
            description="One transaction. `reviews=delete` deletes the account and everything of it: reviews, "
                        "timings, imported work history, tokens, linked platform IDs, saved filters and the flags "
                        "you made. `reviews=keep` "
                        "deletes the same except the reviews, which stay, shown by \"former member\". Either way "
                        "your tokens stop working and your handle is free again. The parameter is required so "
                        "that nothing is deleted by accident. See docs/privacy.md.")
    async def delete_me(
        self, worker: Worker, db_session: AsyncSession,
        reviews: Annotated[DeleteMode, Parameter(
            description="keep: leave your reviews, anonymized; delete: delete them too. Required.")],
    ) -> None:
        async with write_transaction(db_session):
            await delete_account(db_session, worker, reviews)
