"""Adapters that turn external data (platform task lists, rating sources, histories) into our structs."""
