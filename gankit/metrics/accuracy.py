"""Classification accuracy rules of the domain evaluator.

- single label: top-1 — a hit when the arg-max logit is the label.
- multi-label (the iCLEVR rule): for each image take its k highest outputs, k being its
  number of objects; every true object among them is a hit. Accuracy is pooled over the
  whole set: total hits / total objects (images with more objects weigh more).
"""

from __future__ import annotations

import torch

from gankit.metrics.registry import HIGHER, MetricSpec, register_metric


def top1_hits(logits: torch.Tensor, labels: torch.Tensor) -> tuple[int, int]:
    """Correct arg-max predictions and the number of images."""
    return int((logits.argmax(dim=1) == labels).sum()), len(labels)


def object_matches(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean ``[N, K]`` masks ``(hit, positive)``: each image's true objects, and those
    of them among its top-k outputs (k = its object count)."""
    positive = targets > 0.5
    k = positive.sum(dim=1, keepdim=True)
    order = logits.argsort(dim=1, descending=True, stable=True)
    in_top_k = torch.arange(logits.shape[1], device=logits.device).unsqueeze(0) < k
    picked = torch.zeros_like(positive).scatter_(1, order, in_top_k)
    return picked & positive, positive


def object_hits(logits: torch.Tensor, targets: torch.Tensor) -> tuple[int, int]:
    """iCLEVR rule: hits among each image's top-k outputs (k = its object count), and the
    total number of objects."""
    hit, positive = object_matches(logits, targets)
    return int(hit.sum()), int(positive.sum())


#: multi_label flag → hit counter.
HIT_COUNTERS = {False: top1_hits, True: object_hits}


def pooled_accuracy(counts: list[tuple[int, int]]) -> float:
    """Total hits / total items over batches (``nan`` when there is nothing to count)."""
    hits = sum(h for h, _ in counts)
    total = sum(t for _, t in counts)
    return hits / total if total else float("nan")


register_metric(MetricSpec("acc", {"acc": HIGHER}, conditional=True),
                help="the domain evaluator's accuracy on fakes asked for a condition "
                     "(top-1, or the iCLEVR top-k rule for multi-label models)")
