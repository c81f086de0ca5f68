"""`fairfinder page-reports` (registered in server/cli.py): the admin page's read, as text or JSON."""
from __future__ import annotations

import re
import sys

import msgspec
from rich.console import Console

from server.db.engine import create_engine, session_factory
from server.db.models import utcnow
from server.domain.page_shape import VERSION_PATTERN
from server.page_reports.queries import load_reports, period_start
from server.page_reports.views import text_lines
from server.settings import Settings


async def page_reports_command(settings: Settings, console: Console, *, platform: str | None, version: str | None,
                               days: int, limit: int, as_json: bool) -> int:
    if version is not None and not re.match(VERSION_PATTERN, version):
        console.print(f"--extension-version: {version!r} is not a version like 0.1.0.", style="red", markup=False,
                      highlight=False, soft_wrap=True)
        return 2
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            today = utcnow().date()
            found = await load_reports(session, today=today, since=period_start(today, days), platform=platform,
                                       version=version, limit=limit)
    finally:
        await engine.dispose()
    if as_json:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(found), indent=2).decode() + "\n")
    else:
        sys.stdout.write("\n".join(text_lines(found, days)) + "\n")
    return 0
