"""The bottom layer: pure rules with no I/O and no framework (docs/architecture.md).

Pay math, filters, earnings, money, text, work kinds, review vocabulary, moderation rules, community weights,
task identity, requester summaries and the stats aggregation. Modules here import only the standard library,
msgspec, `scrapers` data and each other; every feature may import them, they import no feature
(checked by import-linter: pyproject.toml).
"""
