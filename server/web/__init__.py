"""The one web layer of the server-rendered HTML pages (/listen, /me, /moderation, /r): cookie sessions
(session.py), the CSRF check (csrf.py), rendering with the pages' headers (render.py), the error pages
(errors.py), the words pages share (words.py) and versioned static files (static.py).

Features build their pages on it; it imports no feature (docs/architecture.md).
"""
