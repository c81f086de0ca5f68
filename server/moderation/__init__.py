"""Moderation: flags, hiding and restoring reviews, bursts held for review, mutes (docs/moderation.md)."""
from __future__ import annotations

from server.feature import Feature
from server.moderation.pages import MODERATION_PAGE_ROUTES, MODERATION_TEMPLATE_DIR
from server.moderation.routes import ModerationController, ReviewFlagController
from server.web.static import WEB_TEMPLATE_DIR

FEATURE = Feature("moderation", [ModerationController, ReviewFlagController, *MODERATION_PAGE_ROUTES],
                  template_dirs=(MODERATION_TEMPLATE_DIR, WEB_TEMPLATE_DIR))
