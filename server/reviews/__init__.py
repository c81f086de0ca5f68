"""Reviews of requesters and task types: create, edit with history, delete, list."""
from __future__ import annotations

from server.feature import Feature
from server.reviews.routes import OwnReviewController, ReviewController

FEATURE = Feature("reviews", [ReviewController, OwnReviewController])
