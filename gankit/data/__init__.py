"""Datasets by name or path, held in memory as uint8 tensors.

Importing this package is cheap (no torch): the dataset modules load on first use.
"""

from __future__ import annotations

import importlib

from gankit.data.request import DataRequest

_EXPORTS = {
    "Batch": "gankit.data.base",
    "ImageDataset": "gankit.data.base",
    "PointDataset": "gankit.data.base",
    "to_uint8": "gankit.data.base",
    "to_unit": "gankit.data.base",
    "DATASETS": "gankit.data.registry",
}


def load_dataset(request: DataRequest):
    """A registered dataset by name, or the dataset at a path (folder, archive, ...)."""
    from gankit.data.paths import resolve_dataset

    return resolve_dataset(request)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'gankit.data' has no attribute {name!r}")
    module = importlib.import_module(_EXPORTS[name])
    if name == "DATASETS":
        module.load_builtin_datasets()
    return getattr(module, name)


__all__ = ["DataRequest", "load_dataset", *_EXPORTS]
