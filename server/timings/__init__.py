"""Automatic timings posted by the extension; private to their worker."""
from __future__ import annotations

from server.feature import Feature
from server.timings.routes import TimingController

FEATURE = Feature("timings", [TimingController])
