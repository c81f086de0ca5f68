"""Cookie sessions of the pages: who is signed in, and the guards of their forms.

Signing in (a page's POST …/sign-in, the form field `token`) keeps the worker's API token in an HttpOnly cookie
sent to the page's path only (Secure on https). The token is checked through server/auth.py `use_token`, like
the bearer header; an unknown, revoked or expired token is no session. The pages' sessions are declared here, one
`CookieSession` each (its cookie's name, path, lifetime and SameSite, and the purpose of its CSRF tokens):
ME_SESSION (/me), LISTEN_SESSION (/listen), MODERATION_SESSION (/moderation). A one-time sign-in link or the
front door's account form (server/front) signs a browser in with a session token of its own (`SESSION_TOKEN_LABEL`,
ending with its cookie), never the token the worker keeps.

Page handlers ask for the signed-in worker through `require_worker`, or check a form through `checked_form`;
both raise (SignInRequired, FormRefused: server/web/errors.py) instead of returning a page, and the page's
exception handlers turn that into its sign-in or refusal page. Nothing here logs a worker id or a token.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from litestar import Request, Response
from litestar.datastructures import FormMultiDict
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import use_token
from server.db.models import Worker
from server.web.csrf import FIELD, csrf_matches, csrf_token, same_site
from server.web.errors import FormRefused, SignInRequired

MAX_TOKEN_CHARS = 200  # longer cookies or form values are no token (tokens are about 50 characters)
SESSION_ENDED = "Your sign-in has ended, so nothing was changed. Sign in again and repeat what you did."


@dataclass(frozen=True)
class CookieSession:
    """One page's sign-in cookie."""

    name: str
    path: str
    max_age: int  # seconds
    same_site: Literal["lax", "strict"]
    # Of its forms' CSRF tokens; None: the page has no form that changes anything but the session itself.
    csrf_purpose: str | None

    def token(self, request: Request[Any, Any, Any]) -> str | None:
        """The token in the cookie, when there is one of a plausible length (not yet checked)."""
        token = request.cookies.get(self.name)
        return token if token and len(token) <= MAX_TOKEN_CHARS else None

    def has_cookie(self, request: Request[Any, Any, Any]) -> bool:
        return bool(request.cookies.get(self.name))

    async def worker(self, request: Request[Any, Any, Any], db_session: AsyncSession) -> Worker | None:
        """The worker whose token is in the cookie; None without one, or for an unknown or revoked token."""
        token = self.token(request)
        return await use_token(db_session, token) if token else None

    async def require_worker(self, request: Request[Any, Any, Any], db_session: AsyncSession, *, status: int = 200,
                             notice: str | None = None, next_path: str | None = None) -> Worker:
        """The signed-in worker, else SignInRequired (the page answers with its sign-in form)."""
        worker = await self.worker(request, db_session)
        if worker is None:
            raise SignInRequired(status=status, notice=notice, next_path=next_path)
        return worker

    def csrf(self, request: Request[Any, Any, Any]) -> str | None:
        """The CSRF token this session's forms carry in the field `csrf` (None without a cookie)."""
        token = self.token(request)
        if token is None or self.csrf_purpose is None:
            return None
        return csrf_token(request.app.state.settings.secret, token, self.csrf_purpose)

    def csrf_ok(self, request: Request[Any, Any, Any], form: FormMultiDict) -> bool:
        return csrf_matches(form.get(FIELD), self.csrf(request))

    async def checked_form(self, request: Request[Any, Any, Any], db_session: AsyncSession
                           ) -> tuple[Worker, FormMultiDict]:
        """A signed-in worker's form POST: FormRefused when cross-site, SignInRequired (401) without a session,
        FormRefused for a missing or wrong CSRF token. Nothing is read from the form before these checks pass."""
        if not same_site(request):
            raise FormRefused()
        worker = await self.worker(request, db_session)
        if worker is None:
            raise SignInRequired(status=401, error=SESSION_ENDED)
        form = await request.form()
        if not self.csrf_ok(request, form):
            raise FormRefused(viewer=worker)
        return worker, form

    async def sign_in_form(self, request: Request[Any, Any, Any], db_session: AsyncSession
                           ) -> tuple[Worker, str, FormMultiDict]:
        """A sign-in form POST: (worker, token, form), else FormRefused (cross-site; there is no session yet, so no
        CSRF token: the Origin/Referer check and the SameSite cookie stop other sites) or SignInRequired with the
        reason (400 no token, 401 unknown or revoked)."""
        if not same_site(request):
            raise FormRefused()
        form = await request.form()
        token = str(form.get("token") or "").strip()
        if not token:
            raise SignInRequired(status=400, error="Enter your Fairfinder token.", form=form)
        worker = await use_token(db_session, token) if len(token) <= MAX_TOKEN_CHARS else None
        if worker is None:
            raise SignInRequired(status=401, error="This token is unknown or has been revoked. Check it and try "
                                                   "again.", form=form)
        return worker, token, form

    def start(self, response: Response[Any], request: Request[Any, Any, Any], token: str) -> None:
        """Keep `token` in this session's cookie."""
        response.set_cookie(self.name, token, path=self.path, max_age=self.max_age, httponly=True,
                            samesite=self.same_site, secure=request.url.scheme == "https")

    def end(self, response: Response[Any]) -> None:
        response.delete_cookie(self.name, path=self.path)

    def forget_stale(self, request: Request[Any, Any, Any], response: Response[Any]) -> None:
        """A cookie that no longer signs in (revoked, unknown): stop the browser sending it."""
        if self.has_cookie(request):
            self.end(response)


# ------------------------------------------------------------------------------------------------
# The pages' sessions (their pages: server/me, server/listen, server/moderation)

# Earnings are private: sign in again each month.
ME_SESSION = CookieSession(name="ff_me", path="/me", max_age=30 * 24 * 3600, same_site="lax", csrf_purpose="me")
# No CSRF token: the only form of a signed-in worker on /listen is signing out (checked by Origin/Referer).
LISTEN_SESSION = CookieSession(name="ff_token", path="/listen", max_age=90 * 24 * 3600, same_site="lax",
                               csrf_purpose=None)
# A moderator's token is powerful: sign in again each week.
MODERATION_SESSION = CookieSession(name="ff_moderation", path="/moderation", max_age=7 * 24 * 3600,
                                   same_site="strict", csrf_purpose="moderation")
PAGE_SESSIONS = (ME_SESSION, LISTEN_SESSION, MODERATION_SESSION)
# What a browser signed in by a link or by the account form holds (a token of its own, listed with the worker's
# tokens and revocable there; it stops working when its cookie would end).
SESSION_TOKEN_LABEL = "browser sign-in"
# Where a sign-in may lead: a page of a session above, or a page under it; nothing else (no open redirect).
_LOCAL_PAGE = re.compile(r"^/(me|listen|moderation)(/[a-z0-9][a-z0-9/._-]{0,100})?$")
SIGN_IN_PAGES = ("/me", "/me/certificate", "/listen", "/moderation")


def session_for(path: str) -> CookieSession | None:
    """The page session whose pages `path` is among, when it is a page a sign-in may lead to (else None)."""
    if not _LOCAL_PAGE.match(path) or ".." in path or "//" in path:
        return None
    return next((s for s in PAGE_SESSIONS if path == s.path or path.startswith(s.path + "/")), None)
