"""Ranking generated images: the most convincing first (``gankit sample --best``)."""

from __future__ import annotations

import torch

from gankit.data.base import to_uint8
from gankit.errors import GankitError
from gankit.runs.trained import TrainedRun

RANK_BY = ("discriminator", "evaluator")


@torch.no_grad()
def rank_scores(run: TrainedRun, images: torch.Tensor, cond: torch.Tensor | None,
                by: str = "discriminator", evaluator=None) -> torch.Tensor:
    """How convincing each float image is: the run's discriminator score, or a domain
    evaluator's confidence in the asked-for condition (the mean probability of the
    asked-for objects)."""
    if by == "discriminator":
        return run.discriminator_scores(images, cond)
    if by != "evaluator":
        raise GankitError(f"unknown ranking {by!r}; rank by one of: {', '.join(RANK_BY)}")
    if evaluator is None or cond is None:
        raise GankitError("ranking by evaluator needs a conditional model and --evaluator FILE")
    logits = evaluator.predict_logits(to_uint8(images))
    if evaluator.multi_label:
        probs = torch.sigmoid(logits)
        return (probs * cond).sum(1) / cond.sum(1).clamp_min(1)
    return torch.softmax(logits, 1).gather(1, cond.argmax(1, keepdim=True)).squeeze(1)


def best_of(scores: torch.Tensor, n: int) -> torch.Tensor:
    """Indices of the ``n`` highest scores, best first."""
    return scores.argsort(descending=True)[:n]
