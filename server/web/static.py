"""Static files of the server-rendered pages."""
from __future__ import annotations

import hashlib
from pathlib import Path


def versioned_url(prefix: str, directory: Path, name: str) -> str:
    """The file's URL with its content's hash: browsers may keep it for a year and still see every change."""
    return f"{prefix}/{name}?v=" + hashlib.sha256((directory / name).read_bytes()).hexdigest()[:12]
