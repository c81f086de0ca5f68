"""Requester summaries, single and batch (the API), and the requester pages (/r/…)."""
from __future__ import annotations

from server.feature import Feature
from server.requesters.pages import REQUESTER_PAGE_ROUTES, REQUESTER_TEMPLATE_DIR
from server.requesters.routes import RequesterController

FEATURE = Feature("requesters", [RequesterController, *REQUESTER_PAGE_ROUTES], template_dirs=(REQUESTER_TEMPLATE_DIR,))
