"""Precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020).

Precision and recall come from torch-fidelity's ``prc_features_to_metric`` in the same
feature space as FID (InceptionV3 pool3), not its VGG16 default. torch-fidelity 0.4.0 has
no density/coverage, so they are computed here from the real set's k-NN radii.

Pairwise distances run on the evaluation device in blocks of ``prc_batch_size`` rows;
on a GPU a few borderline inclusions may flip against a CPU run (float32 rounding).
"""

from __future__ import annotations

import torch
from torch_fidelity.metric_prc import (
    KEY_METRIC_F_SCORE,
    KEY_METRIC_PRECISION,
    KEY_METRIC_RECALL,
    prc_features_to_metric,
)

from gankit.errors import GankitError
from gankit.metrics.evaluator_features import EVALUATOR_LAYER, EVALUATOR_SPACE
from gankit.metrics.features import FeatureSet
from gankit.metrics.inception import POOL3
from gankit.metrics.registry import HIGHER, MetricSpec, register_metric


def precision_recall(fake: torch.Tensor, real: torch.Tensor, neighborhood: int,
                     batch_size: int = 10000) -> tuple[float, float, float]:
    """Precision (fake inside the real manifold), recall (real inside the fake manifold)
    and their F-score; manifolds are unions of balls reaching the k-th nearest neighbour.
    """
    _check_neighbourhood(fake, real, neighborhood, "prc_neighborhood")
    out = prc_features_to_metric(fake, real, prc_neighborhood=neighborhood,
                                 prc_batch_size=batch_size, save_cpu_ram=True, verbose=False)
    return out[KEY_METRIC_PRECISION], out[KEY_METRIC_RECALL], out[KEY_METRIC_F_SCORE]


def kth_neighbour_radii(points: torch.Tensor, k: int, batch_size: int) -> torch.Tensor:
    """Distance from each point to its k-th nearest other point."""
    return torch.cat([torch.cdist(rows, points).kthvalue(k + 1, dim=1).values
                      for rows in points.split(batch_size)])


def density_coverage(fake: torch.Tensor, real: torch.Tensor, neighborhood: int,
                     batch_size: int = 10000) -> tuple[float, float]:
    """Density: mean number of real k-NN balls holding each fake sample, divided by k.
    Coverage: fraction of real samples whose k-NN ball holds at least one fake sample.
    """
    _check_neighbourhood(fake, real, neighborhood, "dc_neighborhood")
    radii = kth_neighbour_radii(real, neighborhood, batch_size)
    inside_balls = torch.zeros((), dtype=torch.float64, device=real.device)
    covered = torch.zeros(len(real), dtype=torch.bool, device=real.device)
    for rows in fake.split(batch_size):
        inside = torch.cdist(rows, real) <= radii
        inside_balls += inside.sum()
        covered |= inside.any(dim=0)
    density = inside_balls.item() / (neighborhood * len(fake))
    return density, covered.double().mean().item()


def _check_neighbourhood(fake: torch.Tensor, real: torch.Tensor, k: int, option: str) -> None:
    if min(len(fake), len(real)) <= k:
        raise GankitError(f"{option}={k} needs more than {k} images per set, got {len(fake)} "
                          f"generated and {len(real)} real; raise n or lower {option}")


def _pr_metric(layer: str, suffix: str):
    def compute(fake: FeatureSet, real: FeatureSet, settings: dict,
                device: torch.device) -> dict:
        fake_features = fake.features[layer].to(device)
        real_features = real.features[layer].to(device)
        batch = settings["prc_batch_size"]
        precision, recall, f_score = precision_recall(
            fake_features, real_features, settings["prc_neighborhood"], batch)
        density, coverage = density_coverage(
            fake_features, real_features, settings["dc_neighborhood"], batch)
        values = {"precision": precision, "recall": recall, "f_score": f_score,
                  "density": density, "coverage": coverage}
        return {name + suffix: value for name, value in values.items()}
    return compute


def _pr_keys(suffix: str) -> dict[str, bool]:
    return {name + suffix: HIGHER
            for name in ("f_score", "precision", "recall", "density", "coverage")}


register_metric(MetricSpec("pr", _pr_keys(""), "inception", (POOL3,), (POOL3,),
                           _pr_metric(POOL3, "")),
                help="precision, recall, F-score, density and coverage (InceptionV3 pool3)")
register_metric(MetricSpec("pr_evaluator", _pr_keys("_evaluator"), EVALUATOR_SPACE,
                           (EVALUATOR_LAYER,), (EVALUATOR_LAYER,),
                           _pr_metric(EVALUATOR_LAYER, "_evaluator")),
                help="precision/recall/density/coverage in the domain evaluator's feature space")
