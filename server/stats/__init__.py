"""Aggregates kept current on write, and the full rebuild."""
