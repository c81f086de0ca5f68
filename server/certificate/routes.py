"""Routes of the work certificate (docs/certificate.md).

API (JSON errors):
* GET /api/v1/me/certificate.json, GET /api/v1/me/certificate.pdf (bearer): the worker's own certificate,
  options as query parameters (options.py); a download, never cached.
* GET /api/v1/certificates/keys, …/schema/v1.json, …/context/v1.json (public): the key that signs, the
  JSON Schema, the JSON-LD context.
* POST /api/v1/certificates/verify (public): is this credential genuine and unchanged? Always an answer,
  never a 500.

Pages (cookie session of server/me/session.py, HTML errors): GET /me/certificate (the form and a preview),
GET /me/certificate.json and /me/certificate.pdf (the same downloads).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import anyio
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import Provide
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import Parameter
from litestar.response.redirect import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import provide_worker
from server.certificate import signing
from server.certificate.pdf import PdfUnavailable, render_pdf_async
from server.certificate.queries import feedback_choices, issuer_of, signed_certificate, unsigned_certificate
from server.certificate.schema import schema
from server.certificate.schemas import MAX_VERIFY_BYTES, KeysOut, PublicKeyJwk, VerificationMethod, VerifyOut
from server.certificate.view import SECTION_NAMES, certificate_view
from server.db.models import Worker
from server.domain.certificate_options import (
    DEFAULT_SECTIONS,
    MAX_FEEDBACK,
    MAX_HOLDER_NAME,
    SECTIONS,
    OptionError,
    Options,
    parse_options,
)
from server.domain.credential import PLATFORM_NAMES, VERIFY_PATH, context_document
from server.errors import ApiError, error_responses, field_error
from server.me.session import EXCEPTION_HANDLERS, ME_SESSION, message_page, page_context, render
from server.settings import Settings

log = logging.getLogger("fairfinder.certificate")

CERTIFICATE_TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
DOWNLOAD_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
PUBLIC_CACHE = {"Cache-Control": "public, max-age=3600"}
CID_CONTEXT = "https://www.w3.org/ns/cid/v1"
PDF_MEDIA_TYPE = "application/pdf"

_DOC = {
    "from": "first day, YYYY-MM-DD (default: your first recorded day)",
    "to": "last day, YYYY-MM-DD, included (default: today in `tz`)",
    "tz": "IANA time zone of the days of timed work (default UTC)",
    "platforms": "comma list of platforms, e.g. mturk,prolific (default: all)",
    "include": f"comma list of sections from {', '.join(SECTIONS)} (default: all but earnings; empty: none)",
    "feedback": f"comma list of work history ids whose requester feedback to quote (yours, at most {MAX_FEEDBACK})",
    "holder_name": f"your name as it should be printed, plain text, at most {MAX_HOLDER_NAME} characters "
                   "(default: none)",
    "self_reported": "tasks you sent as items rather than platform pages: label (count them and say how many; "
                     "the default) or omit (leave them out)",
}


def _limiter(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    if getattr(state, "certificate_pdf_limiter", None) is None:
        state.certificate_pdf_limiter = anyio.CapacityLimiter(2)
    return state.certificate_pdf_limiter


def _params(request: Request) -> dict[str, str | None]:
    """The option parameters as sent: an absent one is None, so that `include=` (none) differs from no include."""
    query = request.query_params
    return {name: (query.get(name) if name in query else None) for name in _DOC}


def _options(request: Request) -> Options:
    try:
        return parse_options(_params(request))
    except OptionError as error:
        raise field_error(error.field, error.message.removeprefix(f"{error.field}: "), status=400) from None


def _file_name(credential: dict[str, Any], suffix: str) -> str:
    return f"work-certificate-{credential['validFrom'][:10]}.{suffix}"


def _download(body: bytes, media_type: str, file_name: str) -> Response[bytes]:
    return Response(body, media_type=media_type, headers={
        **DOWNLOAD_HEADERS, "Content-Disposition": f'attachment; filename="{file_name}"'})


async def certificate_json(db_session: AsyncSession, settings: Settings, worker: Worker, options: Options
                           ) -> Response[dict[str, Any]]:
    signed, _, _ = await signed_certificate(db_session, settings, worker, options)
    return Response(signed, media_type=MediaType.JSON, headers={
        **DOWNLOAD_HEADERS, "Content-Disposition": f'attachment; filename="{_file_name(signed, "json")}"'})


async def certificate_pdf(request: Request, db_session: AsyncSession, settings: Settings, worker: Worker,
                          options: Options) -> Response[bytes]:
    signed, body, _ = await signed_certificate(db_session, settings, worker, options)
    pdf = await render_pdf_async(signed, body, issuer_of(settings), _limiter(request))
    return _download(pdf, PDF_MEDIA_TYPE, _file_name(signed, "pdf"))


def keys_document(settings: Settings) -> KeysOut:
    key = signing.derive_key(settings.secret)
    issuer = issuer_of(settings)
    method = VerificationMethod(id=key.verification_method(issuer.base_url), controller=issuer.base_url,
                                publicKeyMultibase=key.key_id, publicKeyJwk=PublicKeyJwk(x=key.jwk()["x"]))
    return KeysOut(context=[CID_CONTEXT], id=signing.keys_url(issuer.base_url), controller=issuer.base_url,
                   verificationMethod=[method], assertionMethod=[method.id])


def verify_document(data: bytes, settings: Settings) -> VerifyOut:
    """The answer about `data` (a credential as JSON text), checked with this server's key."""
    key = signing.derive_key(settings.secret)
    try:
        verified = signing.verify_bytes(data, {key.key_id: key.public})
    except signing.VerificationError as error:
        return VerifyOut(valid=False, reason=error.reason, message=error.message)
    return VerifyOut(valid=True, issuer=verified.issuer, issuer_name=verified.issuer_name, issued=verified.issued,
                     key_id=verified.key_id, credential_id=verified.credential_id)


@dataclass
class _VerifyOperation(Operation):
    """POST /certificates/verify reads its body raw; this documents what it expects."""

    def __post_init__(self) -> None:
        body_schema = Schema(type=OpenAPIType.OBJECT, title="Credential",
                             description="The signed credential (see /api/v1/certificates/schema/v1.json)")
        self.request_body = RequestBody(required=True, description="A work certificate as downloaded, at most 256 KiB",
                                        content={MediaType.JSON: OpenAPIMediaType(schema=body_schema)})


class CertificateController(Controller):
    path = "/api/v1"
    tags = ["certificate"]

    @get("/me/certificate.json", dependencies={"worker": Provide(provide_worker)}, media_type=MediaType.JSON,
         responses=error_responses(401),
         summary="Your work certificate as a signed W3C Verifiable Credential (docs/certificate.md)")
    async def own_json(
        self, request: Request, worker: Worker, db_session: AsyncSession, settings: Settings,
        from_: Annotated[str | None, Parameter(query="from", description=_DOC["from"])] = None,
        to: Annotated[str | None, Parameter(description=_DOC["to"])] = None,
        tz: Annotated[str | None, Parameter(description=_DOC["tz"])] = None,
        platforms: Annotated[str | None, Parameter(description=_DOC["platforms"])] = None,
        include: Annotated[str | None, Parameter(description=_DOC["include"])] = None,
        feedback: Annotated[str | None, Parameter(description=_DOC["feedback"])] = None,
        holder_name: Annotated[str | None, Parameter(description=_DOC["holder_name"])] = None,
        self_reported: Annotated[str | None, Parameter(description=_DOC["self_reported"])] = None,
    ) -> Response[dict[str, Any]]:
        options = _options(request)
        try:
            return await certificate_json(db_session, settings, worker, options)
        except OptionError as error:
            raise field_error(error.field, error.message.removeprefix(f"{error.field}: "), status=400) from None

    @get("/me/certificate.pdf", dependencies={"worker": Provide(provide_worker)}, media_type=PDF_MEDIA_TYPE,
         responses=error_responses(401, 503),
         summary="Your work certificate as a tagged PDF with the signed JSON attached (503 pdf_unavailable "
                 "when this server cannot render PDFs)")
    async def own_pdf(
        self, request: Request, worker: Worker, db_session: AsyncSession, settings: Settings,
        from_: Annotated[str | None, Parameter(query="from", description=_DOC["from"])] = None,
        to: Annotated[str | None, Parameter(description=_DOC["to"])] = None,
        tz: Annotated[str | None, Parameter(description=_DOC["tz"])] = None,
        platforms: Annotated[str | None, Parameter(description=_DOC["platforms"])] = None,
        include: Annotated[str | None, Parameter(description=_DOC["include"])] = None,
        feedback: Annotated[str | None, Parameter(description=_DOC["feedback"])] = None,
        holder_name: Annotated[str | None, Parameter(description=_DOC["holder_name"])] = None,
        self_reported: Annotated[str | None, Parameter(description=_DOC["self_reported"])] = None,
    ) -> Response[bytes]:
        options = _options(request)
        try:
            return await certificate_pdf(request, db_session, settings, worker, options)
        except OptionError as error:
            raise field_error(error.field, error.message.removeprefix(f"{error.field}: "), status=400) from None
        except PdfUnavailable as error:
            raise ApiError(503, "pdf_unavailable",
                           f"{error} The JSON certificate (certificate.json) still works.") from None

    @get("/certificates/keys", responses=error_responses(),
         summary="The public key that signs this server's certificates (Multikey and JWK)")
    async def keys(self, settings: Settings) -> Response[KeysOut]:
        return Response(keys_document(settings), headers=PUBLIC_CACHE)

    @get("/certificates/schema/v1.json", media_type="application/schema+json", responses=error_responses(),
         summary="The JSON Schema of version 1 of the work certificate")
    async def schema_v1(self, settings: Settings) -> Response[dict[str, Any]]:
        return Response(schema(issuer_of(settings).base_url), media_type="application/schema+json",
                        headers=PUBLIC_CACHE)

    @get("/certificates/context/v1.json", media_type="application/ld+json", responses=error_responses(),
         summary="The JSON-LD context of the work certificate's terms")
    async def context_v1(self, settings: Settings) -> Response[dict[str, Any]]:
        return Response(context_document(issuer_of(settings)), media_type="application/ld+json", headers=PUBLIC_CACHE)

    @post("/certificates/verify", status_code=200, request_max_body_size=MAX_VERIFY_BYTES,
          operation_class=_VerifyOperation,
          responses=error_responses(413),
          summary="Check a certificate (the signed JSON as the body): genuine and unchanged, or why not")
    async def verify(self, request: Request, settings: Settings) -> VerifyOut:
        # The raw body, read here: JCS needs the document exactly as sent (duplicate names, big numbers).
        data = await request.body()
        return verify_document(data, settings)


# ------------------------------------------------------------------------------------------------
# The /me/certificate pages (cookie session)


def page_params(request: Request) -> dict[str, str | None]:
    """The options as the form sends them: repeated checkboxes `platform`, `section` and `pick` (feedback ids)
    instead of comma lists; `sent=1` marks a submitted form, where no ticked section means none. The API's
    comma-list parameters work here too (the download links use them)."""
    params = _params(request)
    query = request.query_params
    if "section" in query or query.get("sent") == "1":
        params["include"] = ",".join(query.getall("section", []))
    if "pick" in query or (query.get("sent") == "1" and "feedback" not in query):
        params["feedback"] = ",".join(query.getall("pick", []))
    if "platform" in query:
        params["platforms"] = ",".join(query.getall("platform", []))
    return params


def _selected(options: Options | None, params: dict[str, str | None]) -> dict[str, Any]:
    """What the form's checkboxes and radio buttons show chosen: the options read, else (after an error) what was
    sent."""
    if options is not None:
        return {"sections": set(options.sections), "feedback": set(options.feedback_ids),
                "platforms": set(options.platforms), "self_reported": options.self_reported}
    include = params.get("include")
    return {"sections": set(DEFAULT_SECTIONS) if include is None else set(include.split(",")),
            "feedback": {int(part) for part in (params.get("feedback") or "").split(",") if part.isdigit()},
            "platforms": set((params.get("platforms") or "").split(",")),
            "self_reported": (params.get("self_reported") or "label").strip()}


async def provide_page_worker(request: Request, db_session: AsyncSession) -> Worker:
    """The signed-in worker of the /me session; SignInRequired (the sign-in page, back here after) without one."""
    return await ME_SESSION.require_worker(request, db_session, status=401, next_path="/me/certificate",
                                           notice="Sign in to make your work certificate.")


class CertificatePageController(Controller):
    path = "/me"
    tags = ["me page"]
    include_in_schema = False
    exception_handlers = EXCEPTION_HANDLERS
    dependencies = {"worker": Provide(provide_page_worker)}

    @get("/certificate", media_type=MediaType.HTML)
    async def form(self, request: Request, db_session: AsyncSession, settings: Settings, worker: Worker
                   ) -> Response[str]:
        params = page_params(request)
        error: OptionError | None = None
        options: Options | None = None
        preview = None
        try:
            options = parse_options(params)
            credential, options = await unsigned_certificate(db_session, settings, worker, options)
            preview = certificate_view(credential)
        except OptionError as problem:
            error, options = problem, None
        values = {name: (params.get(name) or "").strip()[:120] for name in ("from", "to", "tz", "holder_name")}
        if options is not None:
            values.update({"from": str(options.start), "to": str(options.end), "tz": options.zone,
                           "holder_name": options.holder_name})
        context = page_context(
            request, worker, current="certificate", error=error, values=values, selected=_selected(options, params),
            sections=SECTION_NAMES, choices=await feedback_choices(db_session, worker.id), v=preview, h=3,
            query=urlencode(options.query()) if options is not None else "", platform_names=PLATFORM_NAMES,
            max_feedback=MAX_FEEDBACK, max_holder_name=MAX_HOLDER_NAME,
            verify_url=issuer_of(settings).url(VERIFY_PATH), keys_url=signing.keys_url(issuer_of(settings).base_url))
        return render(request, "certificate_page.html", context, 200 if error is None else 400)

    async def _download(self, request: Request, db_session: AsyncSession, settings: Settings, worker: Worker,
                        kind: str) -> Response[Any]:
        try:
            options = parse_options(page_params(request))
            if kind == "pdf":
                return await certificate_pdf(request, db_session, settings, worker, options)
            return await certificate_json(db_session, settings, worker, options)
        except OptionError:
            # Back to the form, which shows the problem next to its field.
            query = request.url.query
            return Redirect(f"/me/certificate?{query}" if query else "/me/certificate", status_code=303,
                            media_type=MediaType.HTML)
        except PdfUnavailable as error:
            return message_page(request, 503, "The PDF cannot be made here",
                                f"{error} You can still download the certificate as JSON.", worker)

    @get("/certificate.json", media_type=MediaType.JSON)
    async def page_json(self, request: Request, db_session: AsyncSession, settings: Settings, worker: Worker
                        ) -> Response[Any]:
        return await self._download(request, db_session, settings, worker, "json")

    @get("/certificate.pdf", media_type=PDF_MEDIA_TYPE)
    async def page_pdf(self, request: Request, db_session: AsyncSession, settings: Settings, worker: Worker
                       ) -> Response[Any]:
        return await self._download(request, db_session, settings, worker, "pdf")


CERTIFICATE_ROUTES: list = [CertificateController, CertificatePageController]
