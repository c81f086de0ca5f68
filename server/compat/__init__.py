"""Turkopticon-compatible read API: existing worker userscripts work by changing only the host.

`mapping` holds the pure rules (our review facts → Turkopticon's fields); `routes` the handlers.
See docs/turkopticon-api.md."""
from __future__ import annotations

from server.compat.routes import COMPAT_ROUTES, multi_attrs, to2_index
from server.feature import Feature, paths_of

# Scripts on worker.mturk.com read these (the routes set `Access-Control-Allow-Origin: *` themselves); nothing
# here takes a token. /requesters/{id} is open through the prefix.
FEATURE = Feature("compat", COMPAT_ROUTES, open_paths=paths_of(multi_attrs, to2_index), open_prefixes=("/requesters/",))
