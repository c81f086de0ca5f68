"""Task lists: recording what the platforms show, and annotate (server/tasks/routes.py says how)."""
from __future__ import annotations

from server.feature import Feature, paths_of
from server.tasks.routes import annotate

# A POST that counts as a read (rate limits, CORS): the extension annotates every page it shows.
FEATURE = Feature("annotate", [annotate], read_posts=paths_of(annotate))
