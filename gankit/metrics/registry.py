"""The metric registry: each metric names its feature space, the layers it reads and how
it turns features into numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from gankit.metrics.features import FeatureSet
from gankit.registry import Registry

#: ``compute(fake, real, settings, device) -> {result name: value}``; ``real`` is ``None``
#: for metrics of the generated set alone (Inception Score).
MetricFunction = Callable[[FeatureSet, "FeatureSet | None", dict, torch.device], dict]


@dataclass(frozen=True)
class MetricSpec:
    """One registered metric.

    Attributes:
        name: registry name (``fid``, ``kid_evaluator``...).
        space: the feature space it is measured in (a name in ``EXTRACTORS``).
        fake_layers: the layers it reads from the generated set.
        real_layers: the layers it reads from the real set (empty: needs no real data).
        compute: see :data:`MetricFunction`.
    """

    name: str
    space: str
    fake_layers: tuple[str, ...]
    real_layers: tuple[str, ...]
    compute: MetricFunction

    @property
    def needs_real(self) -> bool:
        return bool(self.real_layers)


METRICS: Registry[MetricSpec] = Registry("metric")


def register_metric(spec: MetricSpec, help: str) -> MetricSpec:
    """Add ``spec`` to :data:`METRICS` under ``spec.name``."""
    return METRICS.register(spec.name, help=help)(spec)
