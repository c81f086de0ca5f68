"""The anonymous page-shape report's rules: which names it may hold, and the fingerprint that groups reports.

When the extension cannot read a list page it covers, the worker may send a report of the page's SHAPE
(POST /api/v1/page-reports; extension/src/lib/page-report.js builds it, extension/README.md documents it): tag
names, class names and data-testid values, and counts. Never text, element ids, addresses or worker data.

The extension replaces every id-like run in a name with "#" (`safeName`: 8 or more letters and digits mixed,
or 5 or more digits). The server takes names in the same alphabet only — letters, digits, `_`, `-` and `#` —
so no text with spaces, no address (`:`, `/`, `.`) and no e-mail (`@`) fits, and refuses a name that still
holds such a run: whatever a client sends, nothing identifying is stored. The patterns are regular expressions
so that msgspec enforces them while decoding and the OpenAPI document states them.

Reports of one shape share a fingerprint: the platform, the kind of page, the problem, which of our reader's
selectors matched anything, and the set of elements (tag, classes, data-testid) — not the counts, which
depend on how many tasks a page lists, nor the extension's version or browser, which are shown beside it.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence

SCHEMA = 1
PLATFORM_PAGES: dict[str, tuple[str, ...]] = {  # the kinds of page each platform's reader names (pageKind)
    "mturk": ("search", "requester", "queue", "other"),
    "prolific": ("studies", "other"),
}
PAGES = ("search", "requester", "queue", "studies", "other")
PROBLEMS = ("no_tasks", "partial")
BROWSERS = ("chromium", "firefox", "other")

MAX_ELEMENTS = 150  # as the extension's MAX_ELEMENTS
MAX_CLASSES = 8
MAX_NAME = 48
MAX_TAG = 32
MAX_PROBES = 32  # the readers use about ten
MAX_PROBE_NAME = 40
MAX_COUNT = 100_000

# [0-9], not \d: Python's \d also matches other scripts' digits.
NAME_PATTERN = rf"^[A-Za-z_#-][A-Za-z0-9_#-]{{0,{MAX_NAME - 1}}}$"
TAG_PATTERN = rf"^[a-z][a-z0-9-]{{0,{MAX_TAG - 1}}}$"
PROBE_PATTERN = rf"^[a-z][a-z0-9_]{{0,{MAX_PROBE_NAME - 1}}}$"
VERSION_PATTERN = r"^[0-9]{1,4}(\.[0-9]{1,4}){0,3}$"

# What each pattern allows, in words, for the 422 (server/domain/text.py `explain`).
PATTERN_WORDS = {
    NAME_PATTERN: (f"must be a class or data-testid name: 1 to {MAX_NAME} letters, digits, '_', '-' or '#' (an id "
                   "replaced), not starting with a digit; no spaces, dots, '@', ':' or '/', so no text, e-mail "
                   "address or URL"),
    TAG_PATTERN: f"must be an element's tag name: a lower-case letter, then up to {MAX_TAG - 1} lower-case letters, "
                 "digits or '-'",
    PROBE_PATTERN: f"must be a probe name: a lower-case letter, then up to {MAX_PROBE_NAME - 1} lower-case letters, "
                   "digits or '_'",
    VERSION_PATTERN: "must be an extension version: 1 to 4 whole numbers of up to 4 digits, separated by dots "
                     "(1.2.3), or 0",
}

_NAME = re.compile(NAME_PATTERN)
_DIGIT_RUN = re.compile(r"[0-9]{5,}")
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]{8,}")


def name_problem(name: str) -> str | None:
    """Why a class name or data-testid may not be stored (words for the 422), or None when it may."""
    if not _NAME.search(name):
        return PATTERN_WORDS[NAME_PATTERN]
    if _DIGIT_RUN.search(name):
        return ("holds a run of 5 or more digits, which may be an id or a number from the page; the extension "
                "replaces such runs with '#'")
    for run in _ALNUM_RUN.findall(name):
        if any(c.isdigit() for c in run) and any(c.isalpha() for c in run):
            return ("holds a run of 8 or more letters and digits mixed, which looks like an id; the extension "
                    "replaces such runs with '#'")
    return None


def page_problem(platform: str, page: str) -> str | None:
    """A kind of page the platform's reader never names."""
    pages = PLATFORM_PAGES.get(platform, ())
    if page in pages:
        return None
    return f"the kinds of {platform} page are {', '.join(pages[:-1])} and {pages[-1]}"


ElementKey = tuple[str, tuple[str, ...], str | None]


def element_key(tag: str, classes: Iterable[str], testid: str | None) -> ElementKey:
    """One kind of element, whatever the order of its classes."""
    return tag, tuple(sorted(set(classes))), testid


def fingerprint(platform: str, page: str, problem: str, probes: Mapping[str, int],
                elements: Iterable[ElementKey]) -> str:
    """The hex SHA-256 of the shape (module docstring): equal for reports of one shape, in any order."""
    canonical = {
        "platform": platform,
        "page": page,
        "problem": problem,
        "probes": sorted((name, count > 0) for name, count in probes.items()),
        "elements": sorted([tag, list(classes), testid or ""] for tag, classes, testid in elements),
    }
    text = json.dumps(canonical, separators=(",", ":"), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def short(fingerprint_hex: str) -> str:
    """The fingerprint as people quote it (12 hex digits: a collision among a server's shapes is not a worry)."""
    return fingerprint_hex[:12]


def duplicate(values: Sequence[object]) -> int | None:
    """The index of the first value seen before, or None."""
    seen: set[object] = set()
    for index, value in enumerate(values):
        if value in seen:
            return index
        seen.add(value)
    return None
