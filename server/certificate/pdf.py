"""The certificate as a tagged PDF (PDF/UA-1) that carries its own proof.

The credential is rendered as an HTML document (templates/certificate_pdf.html: lang, title, headings,
tables with captions and header cells, a description list for the facts) and WeasyPrint turns it into a
tagged PDF with its Title and Lang set; the signed JSON is attached inside the PDF as an embedded file.

WeasyPrint is imported only when a PDF is asked for: a server whose machine lacks it (or Pango) still serves
the JSON, and the PDF routes answer 503 `pdf_unavailable`. Rendering is CPU work of a second or so: it runs in
a worker thread, at most two at a time, so the event loop keeps serving.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import anyio
from jinja2 import Environment, FileSystemLoader, select_autoescape

from server.certificate.signing import keys_url
from server.certificate.view import certificate_view, long_day
from server.domain.credential import SCHEMA_PATH, VERIFY_PATH, Issuer
from server.domain.errors import FairfinderError

log = logging.getLogger("fairfinder.certificate")

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
ATTACHMENT_NAME = "work-certificate.json"
_environment = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"]),
                           trim_blocks=True, lstrip_blocks=True)


class PdfUnavailable(FairfinderError, RuntimeError):
    """WeasyPrint (or the Pango library under it) is not installed on this machine."""


def certificate_html(credential: dict[str, Any], issuer: Issuer) -> str:
    """The HTML the PDF is made from."""
    view = certificate_view(credential)
    return _environment.get_template("certificate_pdf.html").render(
        v=view, h=2, issuer_name=credential["issuer"]["name"], issued_day=long_day(credential["validFrom"][:10]),
        verify_url=issuer.url(VERIFY_PATH), keys_url=keys_url(issuer.base_url), schema_url=issuer.url(SCHEMA_PATH),
        attachment_name=ATTACHMENT_NAME)


def _weasyprint() -> Any:
    try:
        import weasyprint  # noqa: PLC0415 - lazily: heavy, and optional at run time
    except (ImportError, OSError) as error:  # OSError: the Pango/GObject libraries are missing
        log.warning("PDF certificates unavailable: %s", type(error).__name__)
        raise PdfUnavailable("PDF rendering is not available on this server (WeasyPrint or Pango is "
                             "missing).") from None
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per rendering step otherwise
    return weasyprint


def render_pdf(html: str, signed_json: bytes) -> bytes:
    """Blocking: the tagged PDF of `html`, with `signed_json` attached as work-certificate.json."""
    weasyprint = _weasyprint()
    attachment = weasyprint.Attachment(string=signed_json, name=ATTACHMENT_NAME,
                                       description="The signed work certificate (W3C Verifiable Credential, JSON)",
                                       relationship="Source")
    return weasyprint.HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf(
        pdf_variant="pdf/ua-1", attachments=[attachment], uncompressed_pdf=False)


async def render_pdf_async(credential: dict[str, Any], signed_json: bytes, issuer: Issuer,
                           limiter: anyio.CapacityLimiter) -> bytes:
    """`render_pdf` in a worker thread (as many at a time as `limiter` lets: the app keeps one of 2), the HTML
    rendered here."""
    html = certificate_html(credential, issuer)
    return await anyio.to_thread.run_sync(render_pdf, html, signed_json, limiter=limiter)
