"""On-disk cache of real-data features and statistics, keyed by the caller's content key.

The caller's key must identify the image *content* (e.g. dataset description + split +
resolution, or a hash); the file name adds the extractor's fingerprint (network, weights,
precision), so another network never reuses an entry. The number of images is stored
with the features: a lookup that expects another count misses and recomputes. Files are safetensors (features float32, statistics float64) written
atomically under ``$GANKIT_CACHE/metrics`` or ``~/.cache/gankit/metrics``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from gankit.cache_root import cache_root
from gankit.metrics.defaults import CACHE_SUBDIR
from gankit.metrics.features import FeatureSet


def default_cache_dir() -> Path:
    """``$GANKIT_CACHE/metrics``, else ``~/.cache/gankit/metrics``."""
    return cache_root(CACHE_SUBDIR)


def cache_file(directory: Path, key: str, fingerprint: str) -> tuple[Path, dict]:
    """The cache file of one (content key, extractor) and the metadata it must hold."""
    meta = {"key": key, "extractor": fingerprint}
    digest = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", key)[:60]
    return directory / f"{slug}-{digest}.safetensors", meta


def load_feature_set(path: Path, meta: dict, layers: tuple[str, ...],
                     n: int | None = None) -> FeatureSet | None:
    """The cached set, or ``None`` when absent, unreadable, for other metadata, of another
    image count than ``n`` (``None``: any), or lacking a requested layer (the caller then
    recomputes and overwrites it)."""
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="pt") as file:
            stored = file.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError):
        return None
    if any(stored.get(k) != v for k, v in meta.items()):
        return None
    if n is not None and stored.get("n") != str(n):
        return None
    features = {name.removeprefix("features/"): t for name, t in tensors.items()
                if name.startswith("features/")}
    if not set(layers) <= set(features):
        return None
    stats: dict[str, dict] = {}
    for name, tensor in tensors.items():
        if name.startswith("stats/"):
            _, group, field = name.split("/", 2)
            stats.setdefault(group, {})[field] = tensor.numpy()
    return FeatureSet(features, stats)


def save_feature_set(path: Path, meta: dict, features: FeatureSet) -> None:
    """Write ``features`` (and its statistics) atomically."""
    tensors = {f"features/{layer}": t.contiguous() for layer, t in features.features.items()}
    for group, fields in features.stats.items():
        for field, value in fields.items():
            tensors[f"stats/{group}/{field}"] = torch.from_numpy(np.ascontiguousarray(value))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, suffix=".partial")
    os.close(fd)
    try:
        save_file(tensors, partial, metadata={**meta, "n": str(features.n)})
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
