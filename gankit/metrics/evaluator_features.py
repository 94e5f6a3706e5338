"""The domain evaluator as a feature space: its penultimate layer, for the
``fid_evaluator`` / ``kid_evaluator`` / ``pr_evaluator`` metrics.

These distances are measured with a classifier trained on the user's own data; they are
useful to compare runs on that data and are *not* comparable to Inception FID/KID.
"""

from __future__ import annotations

import torch

EVALUATOR_SPACE = "evaluator"
EVALUATOR_LAYER = "features"


class EvaluatorFeatures:
    """Feature extractor over a trained :class:`gankit.metrics.evaluator.Evaluator`.

    Args:
        evaluator: the trained evaluator (moved to ``device``).
        device: where the network runs.
    """

    space = EVALUATOR_SPACE
    layers = (EVALUATOR_LAYER,)

    def __init__(self, evaluator, device: torch.device | str = "cpu"):
        self.evaluator = evaluator.to(device)
        self.description = (f"domain evaluator {evaluator.arch} ({len(evaluator.class_names)} "
                            f"classes, {evaluator.resolution}px)")

    def fingerprint(self) -> str:
        return f"{EVALUATOR_SPACE}:{self.evaluator.fingerprint()}"

    def __call__(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        return {EVALUATOR_LAYER: self.evaluator.features(images, batch_size=len(images))}
