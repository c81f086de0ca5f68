"""The one exception base, for the pure rules and everything above them (defined in scrapers/errors.py)."""
from __future__ import annotations

from scrapers.errors import FairfinderError

__all__ = ["FairfinderError"]
