"""The worker's own record: earnings and effective hourly (GET /me, GET /api/v1/me/earnings)."""
from __future__ import annotations

from server.feature import Feature
from server.me.routes import ME_ROUTES, ME_TEMPLATE_DIR

FEATURE = Feature("me", ME_ROUTES, template_dirs=(ME_TEMPLATE_DIR,))
