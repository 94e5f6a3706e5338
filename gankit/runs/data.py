"""A run's data: the dataset its config names, and the spec the models are built for."""

from __future__ import annotations

from dataclasses import asdict

from gankit.config import DataConfig
from gankit.data import load_dataset
from gankit.data.base import Dataset, ImageDataset
from gankit.data.request import DataRequest
from gankit.errors import GankitError
from gankit.models import DataSpec


def data_request(cfg: DataConfig) -> DataRequest:
    """The DataRequest a data config asks for."""
    fields = asdict(cfg)
    fields.pop("flip")
    return DataRequest(**fields)


def build_dataset(cfg: DataConfig) -> Dataset:
    """Load (or generate) the configured dataset and check its labels."""
    dataset = load_dataset(data_request(cfg))
    if cfg.labels in ("class", "multi") and dataset.labels is None:
        raise GankitError(f"data.labels={cfg.labels} but {cfg.name} has no labels")
    return dataset


def data_spec(dataset: Dataset) -> DataSpec:
    """The DataSpec that describes ``dataset`` to the models."""
    if isinstance(dataset, ImageDataset):
        c, h, _ = dataset.shape
        sources = 0 if dataset.sources is None else dataset.sources.shape[1]
        return DataSpec("image", c, h, dataset.num_classes, dataset.multi_label, sources)
    return DataSpec("points", dataset.shape[0], 0, dataset.num_classes, False, 0)
