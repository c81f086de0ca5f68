"""The base of every error Fairfinder raises on purpose (httpx-style: catch `FairfinderError` for all of them).

It lives here, at the bottom of the code, because the platform parsers never import the server; the server
re-exports it as `server.errors.FairfinderError` (and `server.domain.errors`).
"""
from __future__ import annotations


class FairfinderError(Exception):
    """Something Fairfinder refused or could not do, said in words; subclasses add what callers branch on."""
