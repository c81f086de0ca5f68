"""Static files of the server-rendered pages."""
from __future__ import annotations

import hashlib
from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.router import Router
from litestar.static_files import create_static_files_router

YEAR = 365 * 24 * 3600
# The web layer's own files and templates, shared by the feature pages (features list WEB_TEMPLATE_DIR among theirs).
WEB_STATIC_DIR = Path(__file__).resolve().parent / "static"
WEB_STATIC_PATH = "/web/static"
WEB_TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def versioned_url(prefix: str, directory: Path, name: str) -> str:
    """The file's URL with its content's hash: browsers may keep it for a year and still see every change."""
    return f"{prefix}/{name}?v=" + hashlib.sha256((directory / name).read_bytes()).hexdigest()[:12]


def static_files(path: str, directory: Path, name: str, *, cached: bool = True) -> Router:
    """A page feature's static folder at `path`; `cached`: its pages link the files by versioned_url, so
    browsers may keep them for a year."""
    return create_static_files_router(
        path=path, directories=[directory], name=name, include_in_schema=False,
        cache_control=CacheControlHeader(max_age=YEAR, public=True) if cached else None)


def reflow_css_url() -> str:
    """The shared phone-width table reflow (server/web/static/reflow.css), versioned."""
    return versioned_url(WEB_STATIC_PATH, WEB_STATIC_DIR, "reflow.css")


WEB_STATIC = static_files(WEB_STATIC_PATH, WEB_STATIC_DIR, "web-static")
