"""Datasets by name or path, held in memory as uint8 tensors."""

from gankit.data import aligned, paired, shapes, toy2d  # noqa: F401  (registrations)
from gankit.data.base import Batch, ImageDataset, PointDataset, to_uint8, to_unit
from gankit.data.registry import DATASETS, DataRequest


def load_dataset(request: DataRequest):
    """A registered dataset by name, or the dataset at a path (folder, archive, ...)."""
    from gankit.data.paths import resolve_dataset

    return resolve_dataset(request)


__all__ = ["Batch", "DATASETS", "DataRequest", "ImageDataset", "PointDataset", "load_dataset",
           "to_uint8", "to_unit"]
