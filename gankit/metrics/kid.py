"""Kernel Inception Distance (Bińkowski et al. 2018) with torch-fidelity's
``kid_features_to_metric``: unbiased MMD² with the cubic polynomial kernel
``(x·y / d + 1)^3``, averaged over ``kid_subsets`` random subsets.

Features are handed over in float64, so the kernel sums are exact to float64 (the
estimator subtracts large sums; float32 would cost digits).
"""

from __future__ import annotations

import torch
from torch_fidelity.metric_kid import (
    KEY_METRIC_KID_MEAN,
    KEY_METRIC_KID_STD,
    kid_features_to_metric,
)

from gankit.errors import GankitError
from gankit.metrics.evaluator_features import EVALUATOR_LAYER, EVALUATOR_SPACE
from gankit.metrics.features import FeatureSet
from gankit.metrics.inception import POOL3
from gankit.metrics.registry import LOWER, MetricSpec, register_metric


def kernel_distance(fake: torch.Tensor, real: torch.Tensor, subsets: int, subset_size: int,
                    seed: int = 2020) -> tuple[float, float, int]:
    """Mean and standard deviation of the subset MMD² estimates, and the subset size used.

    The subset size is clamped to the smaller set, so small evaluations still work; the
    size actually used is returned so it can be reported.

    Raises:
        GankitError: a set has fewer than 2 samples.
    """
    size = min(subset_size, len(fake), len(real))
    if size < 2:
        raise GankitError(f"KID needs at least 2 images per set, got {len(fake)} generated "
                          f"and {len(real)} real")
    out = kid_features_to_metric(fake.double(), real.double(), kid_subsets=subsets,
                                 kid_subset_size=size, rng_seed=seed, verbose=False)
    return out[KEY_METRIC_KID_MEAN], out[KEY_METRIC_KID_STD], size


def _kid_metric(layer: str, prefix: str):
    def compute(fake: FeatureSet, real: FeatureSet, settings: dict,
                device: torch.device) -> dict:
        mean, std, size = kernel_distance(fake.features[layer], real.features[layer],
                                          settings["kid_subsets"], settings["kid_subset_size"],
                                          settings["rng_seed"])
        return {f"{prefix}_mean": mean, f"{prefix}_std": std, f"{prefix}_subset_size": size}
    return compute


def _kid_keys(prefix: str) -> dict[str, bool]:
    return {f"{prefix}_mean": LOWER, f"{prefix}_std": LOWER}


register_metric(MetricSpec("kid", _kid_keys("kid"), "inception", (POOL3,), (POOL3,),
                           _kid_metric(POOL3, "kid")),
                help="Kernel Inception Distance (InceptionV3 pool3, torch-fidelity)")
register_metric(MetricSpec("kid_evaluator", _kid_keys("kid_evaluator"), EVALUATOR_SPACE,
                           (EVALUATOR_LAYER,), (EVALUATOR_LAYER,),
                           _kid_metric(EVALUATOR_LAYER, "kid_evaluator")),
                help="Kernel distance in the domain evaluator's feature space (not Inception KID)")
