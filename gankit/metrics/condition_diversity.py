"""Diversity of a multi-label generator for repeated conditions.

A multi-label model (one image, several objects) can draw each object list as one image
while every object is right, so per-object accuracy cannot see the collapse. Here a few
object lists that real images share are asked for again and again, and the spread of
the fakes of one list (mean pairwise distance, :mod:`gankit.metrics.diversity`) is
compared with that of the real images with exactly those objects: ``diversity_ratio``
fake/real, ~1 healthy, ~0 collapsed.

Distances are taken in pixels, not in the domain evaluator's features: real scenes of
one object list differ only in where the objects sit and how large they are, which an
object classifier is trained to ignore. A generator that drew each list as one image
still scored 0.76–0.92× real in the shapes evaluator's features, and 0.14–0.15× in
pixels (``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import torch

from gankit.metrics.diversity import grouped_pairwise_distance

#: most object lists compared
MAX_CONDITIONS = 16
#: fakes drawn per list, and most real images per list
PER_CONDITION = 16
#: fewest real images of a list for its spread to be a reference (one pair is too noisy)
MIN_REAL = 4


def exact_matches(labels: torch.Tensor, row: torch.Tensor) -> torch.Tensor:
    """Indices of the multi-hot ``labels`` ``[N, K]`` equal to ``row`` ``[K]``."""
    return (labels == row.to(labels.dtype)).all(dim=1).nonzero().flatten()


def repeated_conditions(labels: torch.Tensor, candidates: torch.Tensor,
                        count: int = MAX_CONDITIONS, min_members: int = MIN_REAL
                        ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The first ``count`` distinct rows of ``candidates`` ``[M, K]`` that at least
    ``min_members`` rows of ``labels`` ``[N, K]`` equal exactly, with those rows' indices.

    Returns:
        ``(conditions [C, K], members)``, ``C ≤ count``; ``members[i]``: int64 indices
        into ``labels`` of the images with exactly condition ``i``.
    """
    labels, candidates = labels.cpu(), candidates.cpu()
    picked: list[torch.Tensor] = []
    members: list[torch.Tensor] = []
    for row in candidates:
        if len(picked) == count:
            break
        if any(torch.equal(row, seen) for seen in picked):
            continue
        matches = exact_matches(labels, row)
        if len(matches) >= min_members:
            picked.append(row)
            members.append(matches)
    rows = torch.stack(picked) if picked else candidates[:0]
    return rows, members


def condition_name(row: torch.Tensor, class_names: list[str]) -> str:
    """``"blue cube + red sphere"``: the objects of a multi-hot row, in class order."""
    return " + ".join(class_names[i] for i in row.nonzero().flatten().tolist()) or "(none)"


def condition_diversity(fake: torch.Tensor, fake_groups: torch.Tensor, real: torch.Tensor,
                        real_groups: torch.Tensor, names: list[str], worst: int = 3) -> dict:
    """Per-condition spread of fakes against real images of the same condition.

    Args:
        fake: fake images ``[N, C, H, W]`` (uint8 or float; both sides alike).
        fake_groups: the condition index ``[N]`` of each fake.
        real: real images ``[M, C, H, W]``.
        real_groups: the condition index ``[M]`` of each real image.
        names: one name per condition (result keys).
        worst: how many conditions to name in ``worst_conditions``.

    Returns:
        ``diversity_ratio`` (mean over conditions) and ``diversity_ratio_min``;
        ``per_condition``: ``{name: {"diversity_fake", "diversity_real",
        "diversity_ratio", "n_fake", "n_real"}}``; ``worst_conditions``:
        ``{"diversity_ratio": [the least varied names]}``. NaN where a condition has
        fewer than two images on a side (or real images that are all alike).
    """
    k = len(names)
    div_fake = grouped_pairwise_distance(fake.flatten(1).float(), fake_groups, k)
    div_real = grouped_pairwise_distance(real.flatten(1).float(), real_groups, k)
    ratio = torch.where(div_real > 0, div_fake / div_real.clamp_min(1e-300),
                        torch.full_like(div_real, float("nan")))
    n_fake = torch.bincount(fake_groups.long(), minlength=k)
    n_real = torch.bincount(real_groups.long(), minlength=k)
    table = {name: {"diversity_fake": float(div_fake[i]), "diversity_real": float(div_real[i]),
                    "diversity_ratio": float(ratio[i]), "n_fake": int(n_fake[i]),
                    "n_real": int(n_real[i])}
             for i, name in enumerate(names)}
    finite = ratio[~torch.isnan(ratio)]
    ranked = sorted((float(ratio[i]), i) for i in range(k) if not torch.isnan(ratio[i]))
    return {"diversity_ratio": float(finite.mean()) if len(finite) else float("nan"),
            "diversity_ratio_min": float(finite.min()) if len(finite) else float("nan"),
            "per_condition": table,
            "worst_conditions": {"diversity_ratio": [names[i] for _, i in ranked[:worst]]}}
