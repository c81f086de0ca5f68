"""Static files of the server-rendered pages."""
from __future__ import annotations

import hashlib
from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.router import Router
from litestar.static_files import create_static_files_router

YEAR = 365 * 24 * 3600


def versioned_url(prefix: str, directory: Path, name: str) -> str:
    """The file's URL with its content's hash: browsers may keep it for a year and still see every change."""
    return f"{prefix}/{name}?v=" + hashlib.sha256((directory / name).read_bytes()).hexdigest()[:12]


def static_files(path: str, directory: Path, name: str, *, cached: bool = True) -> Router:
    """A page feature's static folder at `path`; `cached`: its pages link the files by versioned_url, so
    browsers may keep them for a year."""
    return create_static_files_router(
        path=path, directories=[directory], name=name, include_in_schema=False,
        cache_control=CacheControlHeader(max_age=YEAR, public=True) if cached else None)
