"""Minibatch standard deviation (Karras et al. 2018, ProGAN; kept by StyleGAN 1–2).

D judges one image at a time, so a generator that draws the same few images looks no
worse to it than one that varies. This layer lets D see variety: the batch is split into
groups of ``group_size`` images, each group's per-feature standard deviation over its
members is averaged to one number, and that number is appended to every member's
feature map as one more channel. Real batches vary, a collapsed G's batches do not, and
D learns to tell them apart by that channel.
"""

from __future__ import annotations

import torch
from torch import nn


def group_size_for(batch: int, group_size: int) -> int:
    """The largest group size ≤ ``group_size`` that divides ``batch`` (1: no group)."""
    size = max(1, min(group_size, batch))
    while batch % size:
        size -= 1
    return size


class MinibatchStd(nn.Module):
    """Appends one channel: the mean standard deviation of each image's group.

    Args:
        group_size: images per group (the groups are consecutive rows); a batch it does
            not divide uses the largest divisor below it. A group of one image has
            standard deviation 0.
    """

    def __init__(self, group_size: int = 4):
        super().__init__()
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = group_size_for(n, self.group_size)
        groups = x.float().reshape(n // g, g, c, h, w)
        std = (groups.var(dim=1, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # [n/g]
        channel = std.repeat_interleave(g).to(x.dtype)[:, None, None, None].expand(n, 1, h, w)
        return torch.cat([x, channel], dim=1)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}"
