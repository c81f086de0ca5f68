"""The front door: `/` for people (and its JSON for programs), making an account on the web (/join), and the
one-time sign-in links that open a page signed in (/sign-in/<code>)."""
from __future__ import annotations

from server.feature import Feature, controller_paths
from server.front.routes import FRONT_ROUTES, TEMPLATE_DIR, JoinController

# Making an account here counts against the same per-address limit as POST /api/v1/workers (docs/security.md).
FEATURE = Feature("front", FRONT_ROUTES, template_dirs=(TEMPLATE_DIR,),
                  register_paths=controller_paths(JoinController, "create"))
