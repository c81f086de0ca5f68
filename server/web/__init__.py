"""The one web layer of the server-rendered HTML pages (docs/architecture.md)."""
