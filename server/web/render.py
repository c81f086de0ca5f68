"""Rendering a page: its template with the headers every page is sent with."""
from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response

# Sent with every page: nothing external, no inline script, no framing, never cached (server/security.py adds
# the site-wide headers too).
PAGE_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# Private pages (a worker's own, a moderator's) are never indexed either.
NOINDEX = {"X-Robots-Tag": "noindex, nofollow"}


def render(request: Request[Any, Any, Any], template: str, context: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> Response[str]:
    """The template (from any feature's template folder: server/app.py) as an HTML answer with PAGE_HEADERS."""
    engine = request.app.template_engine
    assert engine is not None, "TemplateConfig missing (server/app.py)"
    html = engine.get_template(template).render(**context)
    return Response(html, status_code=status, media_type=MediaType.HTML, headers={**PAGE_HEADERS, **(headers or {})})
