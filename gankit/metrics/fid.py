"""Fréchet distance between Gaussian fits of two feature sets (FID, Heusel et al. 2017).

The mean and covariance are computed in float64 with torch-fidelity's
``fid_features_to_statistics`` and compared with its ``fid_statistics_to_metric``, so the
value is the reference one. Report FID with its sample counts: it is biased by ``n`` and
only comparable at equal ``n``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch_fidelity.metric_fid import (
    KEY_METRIC_FID,
    fid_features_to_statistics,
    fid_statistics_to_metric,
)

from gankit.metrics.evaluator_features import EVALUATOR_LAYER, EVALUATOR_SPACE
from gankit.metrics.features import FeatureSet
from gankit.metrics.inception import POOL3
from gankit.metrics.registry import LOWER, MetricSpec, register_metric


def feature_statistics(features: torch.Tensor) -> dict[str, np.ndarray]:
    """Float64 ``{"mu": [D], "sigma": [D, D]}`` of ``[N, D]`` features (N >= 2)."""
    stats = fid_features_to_statistics(features.detach().cpu().double())
    stats["sigma"] = np.atleast_2d(stats["sigma"])  # np.cov gives a scalar when D == 1
    return stats


def fid_statistics(features: FeatureSet, layer: str) -> dict[str, np.ndarray]:
    """Float64 ``{"mu": [D], "sigma": [D, D]}`` of one layer, computed once per set."""
    name = f"fid.{layer}"
    if name not in features.stats:
        features.stats[name] = feature_statistics(features.features[layer])
    return features.stats[name]


def frechet_distance(stats_1: dict[str, np.ndarray], stats_2: dict[str, np.ndarray]) -> float:
    """``|mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^1/2)`` (torch-fidelity's evaluation)."""
    return float(fid_statistics_to_metric(stats_1, stats_2, verbose=False)[KEY_METRIC_FID])


def _fid_metric(layer: str, key: str):
    def compute(fake: FeatureSet, real: FeatureSet, settings: dict,
                device: torch.device) -> dict:
        return {key: frechet_distance(fid_statistics(fake, layer), fid_statistics(real, layer))}
    return compute


register_metric(MetricSpec("fid", {"fid": LOWER}, "inception", (POOL3,), (POOL3,),
                           _fid_metric(POOL3, "fid")),
                help="Fréchet Inception Distance (InceptionV3 pool3, torch-fidelity)")
register_metric(MetricSpec("fid_evaluator", {"fid_evaluator": LOWER}, EVALUATOR_SPACE,
                           (EVALUATOR_LAYER,), (EVALUATOR_LAYER,),
                           _fid_metric(EVALUATOR_LAYER, "fid_evaluator")),
                help="Fréchet distance in the domain evaluator's features (not Inception FID)")
