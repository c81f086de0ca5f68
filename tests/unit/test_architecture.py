"""What the import contracts (pyproject.toml, `make lint`) cannot see: private names used across features, and
features that do not show their public face."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

from server.app import FEATURES as MOUNTED
from server.feature import Feature

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ("admin", "certificate", "community", "compat", "history", "listen", "me", "moderation", "requesters",
            "reviews", "timings", "workers")


def owner(module: str) -> str:
    """server.reviews.queries -> server.reviews; scrapers.http -> scrapers."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "server" else parts[0]


def imports_of_private_names() -> list[str]:
    found = []
    for path in sorted(ROOT.glob("server/**/*.py")) + sorted(ROOT.glob("scrapers/*.py")) + sorted(ROOT.glob("bench/*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if owner(node.module) == owner(module):
                    continue
                found += [f"{module}: from {node.module} import {alias.name}" for alias in node.names
                          if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


def test_no_module_imports_another_packages_private_names() -> None:
    # Tests may reach into a module's private parts; the code may not.
    assert imports_of_private_names() == []


def test_every_feature_shows_one_public_face() -> None:
    for name in FEATURES:
        module = importlib.import_module(f"server.{name}")
        feature = module.FEATURE
        assert isinstance(feature, Feature) and feature.name == name and feature.routes


def test_the_app_mounts_exactly_the_features() -> None:
    assert {feature.name for feature in MOUNTED} >= set(FEATURES)
