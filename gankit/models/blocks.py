"""Residual blocks shared by the ResNet GANs: the generator's up-block and the
discriminator's down-block of SNGAN (Miyato et al., 2018), WGAN-GP's CIFAR ResNet
(Gulrajani et al., 2017) and BigGAN (Brock et al., 2019), SAGAN's self-attention
(Zhang et al., 2019), and the checks of sizes and options these networks share.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from gankit.errors import GankitError
from gankit.models.conditioning import run_layers

#: image sides the ResNet-style networks (resnet, biggan, r3gan) are built for
SUPPORTED = (32, 64, 128)

Norm = Callable[[int], nn.Module]


def check_resolution(arch: str, resolution: int) -> int:
    """The number of ×2 steps between 4×4 and ``resolution`` (a user error if unsupported)."""
    if resolution not in SUPPORTED:
        raise GankitError(f"the {arch} networks support data.resolution 32, 64 or 128, not "
                          f"{resolution}; set data.resolution to one of them")
    return int(math.log2(resolution // 4))


def check_z_dim(arch: str, z_dim: int, minimum: int = 1) -> None:
    if z_dim < minimum:
        raise GankitError(f"the {arch} generator needs model.z_dim >= {minimum}, got {z_dim}; "
                          "set model.z_dim")


def int_option(arch: str, name: str, value, minimum: int) -> int:
    """``model.options.<name>`` as an int of at least ``minimum`` (a user error if not)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise GankitError(f"model.options.{name} of {arch} must be an integer >= {minimum}, "
                          f"got {value!r}")
    return value


class UpBlock(nn.Module):
    """Generator residual block: norm-ReLU-upsample(nearest)-conv3-norm-ReLU-conv3, plus an
    upsampled 1×1-conv shortcut (SNGAN / BigGAN ``GBlock``).

    ``norm(channels)`` makes each normalisation layer; a
    :class:`~gankit.models.conditioning.ConditionalNorm` gets ``forward``'s ``cond``.
    """

    def __init__(self, c_in: int, c_out: int, norm: Norm):
        super().__init__()
        self.branch = nn.Sequential(
            norm(c_in), nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(c_in, c_out, 3, 1, 1),
            norm(c_out), nn.ReLU(), nn.Conv2d(c_out, c_out, 3, 1, 1))
        self.shortcut = nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        up = F.interpolate(x, scale_factor=2, mode="nearest")
        return run_layers(self.branch, x, cond) + self.shortcut(up)


class DownBlock(nn.Module):
    """Discriminator residual block (SNGAN / BigGAN ``DBlock``; hidden width = ``c_out``).

    ``first``: the "optimized" input block, conv3-ReLU-conv3-avgpool with an
    avgpool-conv1×1 shortcut (no ReLU on the image). Otherwise pre-activation
    ReLU-conv3-ReLU-conv3 (-avgpool), with a 1×1-conv (-avgpool) shortcut when the width
    or size changes. ``norm`` (none or LayerNorm for WGAN-GP critics) precedes each ReLU.
    """

    def __init__(self, c_in: int, c_out: int, downsample: bool = True, first: bool = False,
                 norm: Norm = lambda c: nn.Identity()):
        super().__init__()
        pool = [nn.AvgPool2d(2)] if downsample or first else []
        if first:
            branch = [nn.Conv2d(c_in, c_out, 3, 1, 1), norm(c_out), nn.ReLU(),
                      nn.Conv2d(c_out, c_out, 3, 1, 1)]
            shortcut = pool + [nn.Conv2d(c_in, c_out, 1)]
        else:
            branch = [norm(c_in), nn.ReLU(), nn.Conv2d(c_in, c_out, 3, 1, 1),
                      norm(c_out), nn.ReLU(), nn.Conv2d(c_out, c_out, 3, 1, 1)]
            learnable = c_in != c_out or downsample
            shortcut = ([nn.Conv2d(c_in, c_out, 1)] + pool) if learnable else []
        self.branch = nn.Sequential(*branch, *pool)
        self.shortcut = nn.Sequential(*shortcut)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.branch(x) + self.shortcut(x)


class SelfAttention(nn.Module):
    """SAGAN's non-local block (Zhang et al., 2019) as BigGAN uses it: 1×1 query/key/value
    convs (keys and values max-pooled ×2), softmax attention over positions, a 1×1 output
    conv, added to the input with a learned gain that starts at 0."""

    def __init__(self, channels: int):
        super().__init__()
        inner, value = max(1, channels // 8), max(1, channels // 2)
        self.query = nn.Conv2d(channels, inner, 1, bias=False)
        self.key = nn.Conv2d(channels, inner, 1, bias=False)
        self.value = nn.Conv2d(channels, value, 1, bias=False)
        self.out = nn.Conv2d(value, channels, 1, bias=False)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        query = self.query(x).flatten(2)                        # [N, c/8, HW]
        key = F.max_pool2d(self.key(x), 2).flatten(2)           # [N, c/8, HW/4]
        value = F.max_pool2d(self.value(x), 2).flatten(2)       # [N, c/2, HW/4]
        attention = torch.softmax(query.transpose(1, 2) @ key, dim=-1)   # [N, HW, HW/4]
        mixed = (value @ attention.transpose(1, 2)).view(n, -1, h, w)
        return x + self.gamma * self.out(mixed)
