"""Where the list page's templates and static files are. Its stylesheet is also the base of the /me pages."""
from __future__ import annotations

from pathlib import Path

from server.web.static import versioned_url

HERE = Path(__file__).resolve().parent
TEMPLATE_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PATH = "/listen/static"


def stylesheet_url() -> str:
    """The base stylesheet (colours, focus, fields, buttons) with its content's version."""
    return versioned_url(STATIC_PATH, STATIC_DIR, "listen.css")
