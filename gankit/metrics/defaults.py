"""The one table of evaluation defaults, so every number that shapes a metric is visible.

The metric settings match torch-fidelity's own defaults (including its ``rng_seed``), so
gankit's figures are the reference ones for the same images.
"""

from __future__ import annotations

#: Metrics computed when the caller names none.
DEFAULT_METRICS: tuple[str, ...] = ("fid", "is", "kid", "pr")
#: ... for image-to-image runs (against their held-out targets).
TRANSLATION_METRICS: tuple[str, ...] = ("l1", "psnr", "ssim", "fid", "kid")
#: ... in a domain evaluator's feature space (no Inception weights needed).
EVALUATOR_METRICS: tuple[str, ...] = ("fid_evaluator", "kid_evaluator", "pr_evaluator")


def default_metrics(translation: bool = False, conditional: bool = False,
                    has_evaluator: bool = False) -> tuple[str, ...]:
    """What ``gankit evaluate`` measures when not told: the standard set, plus the
    evaluator's accuracy (and per-class figures) for conditional models when an
    evaluator is known."""
    names = list(TRANSLATION_METRICS if translation else DEFAULT_METRICS)
    if has_evaluator and conditional:
        names += ["acc"] if translation else ["acc", "per_class"]
    return tuple(names)

#: Settings a caller may override through ``settings={...}``.
DEFAULTS: dict[str, object] = {
    "batch_size": 64,          # images per feature-extraction batch
    "allow_tf32": False,       # CUDA: TF32 convolutions are ~1.8x faster on an H100 but
                               # move Inception features by up to ~4% (FID by ~0.2%)
    "isc_splits": 10,          # Inception Score splits
    "kid_subsets": 100,        # KID: number of random subsets
    "kid_subset_size": 1000,   # KID: samples per subset (clamped to the smaller set)
    "prc_neighborhood": 3,     # precision/recall: k of the k-NN manifold radius
    "dc_neighborhood": 5,      # density/coverage: k (Naeem et al. 2020 recommend 5)
    "prc_batch_size": 10000,   # rows per block of pairwise distances
    "samples_shuffle": True,   # shuffle before the Inception Score splits
    "rng_seed": 2020,          # seed of every random choice (KID subsets, IS shuffle)
}

#: The standard FID InceptionV3 weights (TensorFlow 2015-12-05 graph, as ported by
#: pytorch-fid; torch-fidelity's ``weights-inception-2015-12-05-6726825d.pth`` holds the
#: same tensors under the same names).
INCEPTION_WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
INCEPTION_WEIGHTS_ALIASES: tuple[str, ...] = ("weights-inception-2015-12-05-6726825d.pth",)
INCEPTION_WEIGHTS_URL = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
    + INCEPTION_WEIGHTS_FILE
)
INCEPTION_WEIGHTS_ENV = "GANKIT_INCEPTION_WEIGHTS"

#: Real-data features are cached under ``$GANKIT_CACHE/metrics`` or this folder.
CACHE_SUBDIR = "metrics"

#: Domain-evaluator training defaults.
EVALUATOR_DEFAULTS: dict[str, object] = {
    "arch": "small-cnn",
    "epochs": 10,
    "batch_size": 64,
    "lr": 1e-3,
    "weight_decay": 0.0,
    "val_fraction": 0.1,
    "seed": 0,
    "robust": True,
}
