"""Intra-group diversity: how different the members of one group (one class, one
condition) are from each other, measured as the mean pairwise Euclidean distance.

A generator that ignores its noise draws the same image for a class again and again:
its fakes' pairwise distance falls far below that of real images of the class. The
ratio fake/real is the collapse figure used by ``gankit evaluate`` and by the training
monitor; it is ~1 for a healthy model and near 0 for a collapsed one.
"""

from __future__ import annotations

import torch


def mean_pairwise_distance(x: torch.Tensor) -> float:
    """Mean Euclidean distance over all pairs of distinct rows of ``x`` ``[n, ...]``
    (flattened per row); 0 for fewer than two rows."""
    n = len(x)
    if n < 2:
        return 0.0
    flat = x.reshape(n, -1).double()
    return float(torch.cdist(flat, flat).sum() / (n * (n - 1)))


def grouped_pairwise_distance(x: torch.Tensor, groups: torch.Tensor,
                              num_groups: int) -> torch.Tensor:
    """:func:`mean_pairwise_distance` within each group ``0..num_groups-1``; NaN for a
    group with fewer than two members. Returns float64 ``[num_groups]``."""
    out = torch.full((num_groups,), float("nan"), dtype=torch.float64)
    for g in range(num_groups):
        members = x[groups == g]
        if len(members) >= 2:
            out[g] = mean_pairwise_distance(members)
    return out
