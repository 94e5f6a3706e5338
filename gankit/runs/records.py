"""A run's ``metrics.jsonl``: one JSON object per line (losses, evaluations, collapse
checks, rollbacks), always valid JSON — NaN and Inf are written as ``null``."""

from __future__ import annotations

import json
import math
from pathlib import Path

METRICS_FILE = "metrics.jsonl"


def json_safe(value):
    """``value`` with every non-finite float (at any depth) replaced by ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def append_record(run_dir: str | Path, record: dict) -> None:
    """Append ``record`` as one line of the run's ``metrics.jsonl``."""
    with (Path(run_dir) / METRICS_FILE).open("a") as f:
        f.write(json.dumps(json_safe(record), allow_nan=False) + "\n")


def read_records(run_dir: str | Path) -> list[dict]:
    """Every JSON line of a run's ``metrics.jsonl`` (none when it has not logged yet)."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
