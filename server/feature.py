"""The public face of a feature: what server/app.py mounts and what server/security.py needs to know of it.

Each feature folder's `__init__.py` exports one `FEATURE`; the app loops over them. A feature declares its own
paths that answer any web origin (open data: no token is ever read there), its POSTs that only read (not
counted as writes per token), its paths never rate limited (probes), its registration path (the
new-accounts limit) and its report paths (anonymous reports: their own limit per address and per token), so
the security layer hard-codes no feature's path.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Feature:
    name: str
    routes: Sequence[Any]  # route handlers, controllers and routers, as Litestar(route_handlers=…) takes them
    template_dirs: Sequence[Path] = ()
    open_paths: frozenset[str] = field(default_factory=frozenset)
    open_prefixes: tuple[str, ...] = ()
    read_posts: frozenset[str] = field(default_factory=frozenset)
    exempt_paths: frozenset[str] = field(default_factory=frozenset)
    register_paths: frozenset[str] = field(default_factory=frozenset)
    report_paths: frozenset[str] = field(default_factory=frozenset)


def paths_of(*handlers: Any) -> frozenset[str]:
    """The paths route handlers (or controllers) answer, as declared: so a feature names each path once."""
    found: set[str] = set()
    for handler in handlers:
        prefix = getattr(handler, "path", "") if isinstance(handler, type) else ""
        members: Iterable[Any] = ([value for value in vars(handler).values() if hasattr(value, "paths")]
                                  if isinstance(handler, type) else [handler])
        for member in members:
            found |= {(prefix.rstrip("/") + path).rstrip("/") or "/" for path in member.paths}
    return frozenset(found)


def controller_paths(controller: type, *names: str) -> frozenset[str]:
    """The paths of some of a controller's handlers, by their method names."""
    prefix = getattr(controller, "path", "").rstrip("/")
    return frozenset((prefix + path).rstrip("/") or "/" for name in names for path in vars(controller)[name].paths)
