"""The API documentation at /schema: Swagger UI served from this server (static/swagger-ui, the files of the npm
package swagger-ui-dist, unchanged, with their licence), so it works without internet. Our page around it has a
language, a heading, a skip link and no inline script; static/apidocs.js starts the viewer on
/schema/openapi.json. server/security.py gives the page its policy (DOCS_CSP: scripts and styles from this server).
"""
from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

from server.web.static import static_files, versioned_url

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
STATIC_PATH = "/schema/static"
SWAGGER_UI_VERSION = "5.36.0"


class SwaggerPage(OpenAPIRenderPlugin):
    """Swagger UI from this server's own files, started by a file rather than an inline script."""

    def __init__(self, path: str | list[str] = "/swagger") -> None:
        super().__init__(path=path)
        self.css = [versioned_url(STATIC_PATH, STATIC_DIR, "swagger-ui/swagger-ui.css"),
                    versioned_url(STATIC_PATH, STATIC_DIR, "apidocs.css")]
        self.scripts = [versioned_url(STATIC_PATH, STATIC_DIR, "swagger-ui/swagger-ui-bundle.js"),
                        versioned_url(STATIC_PATH, STATIC_DIR, "apidocs.js")]

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        info = openapi_schema.get("info", {})
        title = escape(str(info.get("title", "API")))
        version = escape(str(info.get("version", "")))
        links = "\n".join(f'<link rel="stylesheet" href="{escape(url)}">' for url in self.css)
        scripts = "\n".join(f'<script src="{escape(url)}"></script>' for url in self.scripts)
        document = escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} {version} – documentation</title>
{links}
</head>
<body>
<a class="skip-link" href="#main">Skip to the documentation</a>
<header class="apidocs-header">
<p><a href="/">Fairfinder</a></p>
</header>
<main id="main" tabindex="-1">
<div class="apidocs-header">
<h1>{title} {version}</h1>
<p>Every route, its parameters, its answers and its errors. The same as <a href="{document}">an OpenAPI
document</a>; docs/api.md in the source explains the error codes.</p>
</div>
<p id="loading">Loading the documentation… It needs JavaScript; without it, read <a href="{document}">the OpenAPI
document</a>.</p>
<div id="swagger-ui" data-url="{document}"></div>
</main>
{scripts}
</body>
</html>
""".encode()


APIDOCS_STATIC = static_files(STATIC_PATH, STATIC_DIR, "apidocs-static")
