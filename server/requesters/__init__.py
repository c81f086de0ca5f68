"""Requester summaries, single and batch."""
