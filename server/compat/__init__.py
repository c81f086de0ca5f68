"""Turkopticon-compatible read API: existing worker userscripts work by changing only the host.

`mapping` holds the pure rules (our review facts → Turkopticon's fields); `routes` the handlers.
See docs/turkopticon-api.md.
"""
