"""The dataset registry: name → builder taking a :class:`DataRequest`."""

from __future__ import annotations

from typing import Callable

from gankit.data.base import Dataset
from gankit.data.request import DataRequest
from gankit.registry import Registry


DatasetBuilder = Callable[[DataRequest], Dataset]

DATASETS: Registry[DatasetBuilder] = Registry("dataset")


def load_builtin_datasets() -> None:
    """Register the built-in datasets (their modules register themselves on import)."""
    # they import this module
    from gankit.data import aligned, paired, shapes, toy2d, unpaired  # noqa: F401
