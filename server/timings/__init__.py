"""Automatic timings posted by the extension; private to their worker."""
