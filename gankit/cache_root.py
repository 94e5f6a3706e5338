"""The one place that says where gankit keeps its caches."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "GANKIT_CACHE"
DEFAULT_CACHE_ROOT = "~/.cache/gankit"


def cache_root(kind: str) -> Path:
    """``$GANKIT_CACHE/<kind>``, else ``~/.cache/gankit/<kind>`` (``kind``: datasets, metrics)."""
    return Path(os.environ.get(CACHE_ENV) or DEFAULT_CACHE_ROOT).expanduser() / kind
