"""The metric registry: each metric names its result keys and their direction, and, when
it is computed from features, its feature space, the layers it reads and how it turns
features into numbers."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from gankit.errors import GankitError
from gankit.metrics.features import FeatureSet
from gankit.registry import Registry

#: ``compute(fake, real, settings, device) -> {result name: value}``; ``real`` is ``None``
#: for metrics of the generated set alone (Inception Score).
MetricFunction = Callable[[FeatureSet, "FeatureSet | None", dict, torch.device], dict]

HIGHER, LOWER = True, False
#: the prefix of each direction's result keys for runs that translate both ways
#: (CycleGAN): A → B keeps the plain keys, so ``best_metric``, compare and sweep find them
DIRECTION_PREFIX = {"AtoB": "", "BtoA": "BtoA/"}


@dataclass(frozen=True, eq=False)
class MetricSpec:
    """One registered metric.

    Attributes:
        name: registry name (``fid``, ``kid_evaluator``, ``acc``...).
        keys: result key → whether a higher value is better, in the order results are
            shown; the first key ranks the metric (best checkpoint, comparisons).
        space: the feature space it is measured in (a name in ``EXTRACTORS``); empty for
            metrics computed elsewhere (evaluator accuracy, per-class figures, paired
            image-to-image errors).
        fake_layers: the layers it reads from the generated set.
        real_layers: the layers it reads from the real set (empty: needs no real data).
        compute: see :data:`MetricFunction` (feature metrics only).
        conditional: whether it only applies to conditional generators.
    """

    name: str
    keys: dict[str, bool]
    space: str = ""
    fake_layers: tuple[str, ...] = ()
    real_layers: tuple[str, ...] = ()
    compute: MetricFunction | None = field(default=None, repr=False)
    conditional: bool = False

    def __post_init__(self):
        if not self.keys:
            raise ValueError(f"metric {self.name!r} declares no result keys")
        if bool(self.space) != (self.compute is not None):
            raise ValueError(f"metric {self.name!r}: a feature space needs a compute function")

    @property
    def needs_real(self) -> bool:
        return bool(self.real_layers)

    @property
    def from_features(self) -> bool:
        """Whether :class:`~gankit.metrics.compute.MetricSuite` computes it."""
        return bool(self.space)

    @property
    def rank_key(self) -> str:
        """The result key that says how good a model is by this metric."""
        return next(iter(self.keys))


METRICS: Registry[MetricSpec] = Registry("metric")


def register_metric(spec: MetricSpec, help: str) -> MetricSpec:
    """Add ``spec`` to :data:`METRICS` under ``spec.name``."""
    return METRICS.register(spec.name, help=help)(spec)


def metric(name: str) -> MetricSpec:
    """The registered metric ``name`` (every metric module is loaded first)."""
    _register_all()
    return METRICS.get(name)


def metric_names() -> list[str]:
    """Every registered metric name."""
    _register_all()
    return METRICS.names()


def check_metric_names(names) -> tuple[str, ...]:
    """``names`` as a tuple, each checked against the registry (one clear error)."""
    _register_all()
    unknown = [name for name in names if name not in METRICS]
    if unknown:
        raise GankitError(f"unknown metric {', '.join(map(repr, unknown))}; choose from: "
                          f"{', '.join(METRICS.names())}")
    return tuple(names)


def result_key(name: str) -> str:
    """The result key that ranks metric ``name`` (``is`` → ``is_mean``)."""
    return metric(name).rank_key


def higher_is_better(key: str) -> bool:
    """Whether a larger value of result ``key`` is better (``KeyError`` if no metric
    declares it). A direction prefix (``BtoA/fid``: a CycleGAN's B → A figure) is
    looked through."""
    _register_all()
    if key.startswith(DIRECTION_PREFIX["BtoA"]):
        key = key[len(DIRECTION_PREFIX["BtoA"]):]
    for name in METRICS.names():
        keys = METRICS.get(name).keys
        if key in keys:
            return keys[key]
    raise KeyError(f"no registered metric has the result key {key!r}")


def declares(key: str) -> bool:
    """Whether some registered metric has the result ``key`` (``fid``, ``BtoA/acc``); sample
    counts and other bookkeeping logged beside the results (``n``, ``n_fake``) do not."""
    try:
        higher_is_better(key)
    except KeyError:
        return False
    return True


def is_better(key: str, new: float, old: float | None) -> bool:
    """Whether ``new`` improves on ``old`` for result ``key`` (NaN never does)."""
    if old is None or (isinstance(old, float) and math.isnan(old)):
        return not math.isnan(new)
    return new > old if higher_is_better(key) else new < old


def _register_all() -> None:
    # the metric modules import this one to register, so they are imported on first use
    from gankit.metrics import accuracy, fid, isc, kid, per_class, prc, translation  # noqa: F401
