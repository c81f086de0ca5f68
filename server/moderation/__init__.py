"""Moderation: flags, hiding and restoring reviews, bursts held for review, mutes (docs/moderation.md)."""
