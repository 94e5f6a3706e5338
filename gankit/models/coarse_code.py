"""InfoGAN's code head on a coarse view of the image, apart from D's body.

A code head that shares D's body (InfoGAN's ``Q``) can recover the code from detail no
one sees: measured on the built-in shapes, D's head read the code back at cross-entropy
0.03 while the four codes' images looked the same. Seen only through the image
average-pooled to 8×8, the code has to live in what the picture shows at a glance
(where the object is, how large), which is what a user choosing a code wants.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gankit.errors import GankitError
from gankit.models.base import Discriminator, DOutput, PassesAttributes

COARSE_SIDE = 8


class CoarseCodeNet(nn.Module):
    """``Q(c | x)``: logits of a ``codes``-way code from ``x`` pooled to 8×8 pixels."""

    def __init__(self, channels: int, resolution: int, codes: int, width: int = 32):
        super().__init__()
        if resolution < COARSE_SIDE or resolution % COARSE_SIDE:
            raise GankitError(f"model.code_head=coarse needs images whose side is a "
                              f"multiple of {COARSE_SIDE}, not {resolution}; set "
                              f"data.resolution to 32, 64 or 128, or model.code_head=shared")
        self.pool = resolution // COARSE_SIDE
        self.net = nn.Sequential(
            nn.Conv2d(channels, width, 3, 1, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * width * (COARSE_SIDE // 2) ** 2, codes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(F.avg_pool2d(x, self.pool) if self.pool > 1 else x)


class WithCoarseCode(PassesAttributes, Discriminator):
    """A discriminator whose answer carries :class:`CoarseCodeNet`'s code logits as
    ``info``; D's own body never sees the code's loss."""

    def __init__(self, module: Discriminator, code: CoarseCodeNet):
        super().__init__()
        self.module = module
        self.code = code

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None,
                source: torch.Tensor | None = None) -> DOutput:
        return self.module(x, cond, source)._replace(info=self.code(x))
