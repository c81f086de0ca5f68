"""The worker's own platform history: import (MTurk status_details, Prolific submissions), listing, deleting."""
from __future__ import annotations

from server.feature import Feature
from server.history.routes import HISTORY_ROUTES

FEATURE = Feature("history", HISTORY_ROUTES)
