"""Fairfinder API server: reviews, effective hourly pay and annotated task lists."""

__version__ = "0.5.0"
