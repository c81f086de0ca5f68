"""The page reports' words and views for the admin page and the CLI: plain English, dates as people read them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from server.domain.page_shape import short
from server.page_reports.schemas import DayTotal, PageReportsOut, ShapeOut
from server.web.words import PLATFORMS

PERIODS = [(1, "Today (UTC)"), (7, "The last 7 days"), (30, "The last 30 days"), (90, "The last 90 days")]
PAGE_WORDS = {"search": "search page", "requester": "requester's page", "queue": "queue", "studies": "studies list",
              "other": "other page"}
PROBLEM_WORDS = {"no_tasks": "no task could be read", "partial": "some tasks could not be read"}
COUNT_WORDS = {"rows_seen": "Task rows the page showed", "tasks_read": "Of them, read",
               "data_items": "Tasks in the page's own data"}


@dataclass(frozen=True)
class Day:
    iso: str
    text: str


def day(value: date) -> Day:
    """31 Dec 2026."""
    return Day(value.isoformat(), f"{value.day} {value:%b %Y}")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def period_words(days: int, since: date, today: date) -> str:
    if days == 1:
        return f"today, {day(today).text} (UTC)"
    return f"the last {days} days, {day(since).text} to {day(today).text} (UTC)"


def shape_title(platform: str, page: str, problem: str) -> str:
    """"MTurk search page: no task could be read"."""
    return f"{PLATFORMS.get(platform, platform)} {PAGE_WORDS.get(page, page)}: {PROBLEM_WORDS.get(problem, problem)}"


@dataclass(frozen=True)
class TotalView:
    day: Day
    platform: str
    version: str
    reports: int


def total_view(total: DayTotal) -> TotalView:
    return TotalView(day(total.day), PLATFORMS.get(total.platform, total.platform), total.extension_version,
                     total.reports)


@dataclass(frozen=True)
class ShapeView:
    id: str  # for the page's anchors
    fingerprint: str
    title: str
    reports: str
    first_seen: Day
    last_seen: Day
    new: bool  # first seen within the period shown
    days: list[tuple[Day, int]]
    versions: str
    browsers: str
    latest_day: Day
    latest_version: str
    latest_browser: str
    counts: list[tuple[str, int]]
    probes: list[tuple[str, int]]
    elements: list[dict[str, Any]]


def shape_view(found: ShapeOut) -> ShapeView:
    latest = found.latest
    return ShapeView(
        id=f"shape-{short(found.fingerprint)}", fingerprint=short(found.fingerprint),
        title=shape_title(found.platform, found.page, found.problem), reports=plural(found.reports, "report"),
        first_seen=day(found.first_seen), last_seen=day(found.last_seen),
        new=bool(found.days) and found.first_seen >= found.days[0].day,
        days=[(day(d.day), d.reports) for d in found.days],
        versions=", ".join(f"{v.extension_version} ({v.reports:,})" for v in found.versions),
        browsers=", ".join(f"{b.browser} ({b.reports:,})" for b in found.browsers),
        latest_day=day(latest.day), latest_version=latest.extension_version, latest_browser=latest.browser,
        counts=[(COUNT_WORDS.get(name, name), value) for name, value in latest.counts.items()],
        probes=sorted(latest.probes.items()),
        elements=[{"tag": e.get("tag"), "classes": " ".join(e.get("classes") or []) or "–",
                   "testid": e.get("testid") or "–", "count": e.get("count")} for e in latest.elements],
    )


def element_words(element: dict[str, Any]) -> str:
    """div.hit-card.col-xs-12 [data-testid=study-#], as a CSS selector reads."""
    text = str(element.get("tag")) + "".join(f".{c}" for c in element.get("classes") or [])
    if element.get("testid"):
        text += f" [data-testid={element['testid']}]"
    return text


def text_lines(found: PageReportsOut, days: int) -> list[str]:
    """`fairfinder page-reports` without --json: the admin page's content as plain text."""
    shapes = len(found.shapes) + found.more_shapes
    lines = [f"Page reports in {period_words(days, found.since, found.until)}: {plural(found.reports, 'report')}"
             + (f" of {plural(shapes, 'shape')}." if found.reports else ".")]
    chosen = [f"platform {found.platform}" if found.platform else "",
              f"extension version {found.extension_version}" if found.extension_version else ""]
    if any(chosen):
        lines.append("Only " + " and ".join(c for c in chosen if c) + ".")
    if not found.reports:
        return lines
    lines += ["", "Per day (UTC), platform and extension version:"]
    lines += [f"  {day(t.day).text:<12} {PLATFORMS.get(t.platform, t.platform):<9} {t.extension_version:<12} "
              f"{t.reports:>6,}" for t in found.per_day]
    for s in found.shapes:
        latest = s.latest
        new = "  [new]" if s.days and s.first_seen >= s.days[0].day else ""
        lines += ["", f"Shape {short(s.fingerprint)}: {shape_title(s.platform, s.page, s.problem)}{new}",
                  f"  {plural(s.reports, 'report')}; first seen {day(s.first_seen).text}, last seen "
                  f"{day(s.last_seen).text}",
                  "  per day: " + ", ".join(f"{day(d.day).text} {d.reports:,}" for d in s.days),
                  "  extension versions: " + ", ".join(f"{v.extension_version} ({v.reports:,})" for v in s.versions)
                  + "; browsers: " + ", ".join(f"{b.browser} ({b.reports:,})" for b in s.browsers),
                  f"  newest report ({day(latest.day).text}, extension {latest.extension_version}, {latest.browser}): "
                  + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in latest.counts.items()),
                  "  selectors matched: " + (", ".join(f"{k} {v:,}" for k, v in sorted(latest.probes.items()))
                                            or "none reported"),
                  "  elements, the most frequent first:"]
        lines += [f"    {e.get('count', 0):>6,}  {element_words(e)}" for e in latest.elements]
        if not latest.elements:
            lines.append("    (none)")
    if found.more_shapes:
        lines += ["", f"{plural(found.more_shapes, 'more shape')} not listed: choose a platform, a version or fewer "
                      "days, or use --json with --limit."]
    return lines
