"""Community sharing: the open ratings dump, imports from other communities, and their schedule."""
from __future__ import annotations

from server.community.routes import EXPORT_ROUTES, ExportController
from server.feature import Feature, controller_paths

# The open ratings dump is public open data: any origin may read it.
FEATURE = Feature("community", EXPORT_ROUTES, open_paths=controller_paths(ExportController, "ratings"))
