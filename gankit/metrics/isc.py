"""Inception Score (Salimans et al. 2016) with torch-fidelity's ``isc_features_to_metric``.

It reads the Inception logits without the final bias (``logits_unbiased``), the input
the original TF implementation used, and splits the shuffled set into ``isc_splits``.
"""

from __future__ import annotations

import torch
from torch_fidelity.metric_isc import (
    KEY_METRIC_ISC_MEAN,
    KEY_METRIC_ISC_STD,
    isc_features_to_metric,
)

from gankit.errors import GankitError
from gankit.metrics.features import FeatureSet
from gankit.metrics.inception import LOGITS
from gankit.metrics.registry import HIGHER, LOWER, MetricSpec, register_metric


def inception_score(logits: torch.Tensor, splits: int, shuffle: bool = True,
                    seed: int = 2020) -> tuple[float, float]:
    """Mean and standard deviation over ``splits`` of ``exp(E KL(p(y|x) || p(y)))``.

    Args:
        logits: ``[N, C]`` class logits of the generated images.
        splits: number of equal chunks.
        shuffle: shuffle the rows (with ``seed``) before splitting.
        seed: shuffle seed.

    Raises:
        GankitError: fewer images than splits.
    """
    if len(logits) < splits:
        raise GankitError(f"isc_splits={splits} needs at least {splits} generated images, "
                          f"got {len(logits)}; raise n or lower isc_splits")
    out = isc_features_to_metric(logits, splits, shuffle, seed)
    return out[KEY_METRIC_ISC_MEAN], out[KEY_METRIC_ISC_STD]


def _inception_score_metric(fake: FeatureSet, real: FeatureSet | None, settings: dict,
                            device: torch.device) -> dict:
    mean, std = inception_score(fake.features[LOGITS], settings["isc_splits"],
                                settings["samples_shuffle"], settings["rng_seed"])
    return {"is_mean": mean, "is_std": std}


register_metric(MetricSpec("is", {"is_mean": HIGHER, "is_std": LOWER}, "inception", (LOGITS,), (),
                           _inception_score_metric),
                help="Inception Score (generated images only, torch-fidelity)")
