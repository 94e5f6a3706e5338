"""The CIFAR ResNets of SNGAN (Miyato et al., 2018) and WGAN-GP (Gulrajani et al., 2017),
for 32, 64 and 128 px.

G: linear z → 4×4×width, log2(res/4) residual up-blocks, BN-ReLU-conv3-tanh. D: the
"optimized" input block and down-blocks to 8×8, then two blocks without downsampling
(four blocks at 32 px, as SNGAN's), ReLU, global sum pooling and the heads. Every block
has the same width (``g_width`` / ``d_width``; SNGAN-32 uses 256 / 128). Spectral norm on
D comes from ``model.spectral_norm`` (SNGAN: on; WGAN-GP: off, with a gradient penalty).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.base import DataSpec, Discriminator, DOutput, Generator
from gankit.models.blocks import DownBlock, UpBlock, check_resolution, check_z_dim
from gankit.models.conditioning import (
    LatentConditioner,
    input_conditioner,
    reset_condition_parameters,
)
from gankit.models.heads import DiscriminatorHeads
from gankit.models.layers import norm2d

#: D normalisations: BatchNorm would couple a critic's outputs across the batch
D_NORMS = ("none", "layer")


def sngan_init(net: nn.Module) -> None:
    """SNGAN's initialisation: Xavier-uniform weights, gain √2 in the residual branches
    and 1 elsewhere, zero biases; conditioning layers keep their own scale."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight, 1.0)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    for block in net.modules():
        if isinstance(block, (UpBlock, DownBlock)):
            for m in block.branch:
                if isinstance(m, nn.Conv2d):
                    nn.init.xavier_uniform_(m.weight, math.sqrt(2))
    reset_condition_parameters(net)


class ResNetGenerator(Generator):
    """SNGAN / WGAN-GP ResNet generator (see the module docstring).

    ``cond``: ``cbn`` makes the BatchNorm of every up-block class-conditional
    (Miyato & Koyama, 2018); ``onehot`` / ``embedding`` concatenate the condition to z.
    """

    def __init__(self, spec: DataSpec, z_dim: int = 128, width: int = 256,
                 norm: str = "batch", cond: str = "none", embed_dim: int = 50):
        super().__init__()
        levels = check_resolution("resnet", spec.resolution)
        check_z_dim("resnet", z_dim)
        self.z_dim, self.width = z_dim, width
        self.conditioner = LatentConditioner(cond, spec.num_classes, embed_dim, z_dim)
        self.linear = nn.Linear(z_dim + self.conditioner.extra_dim, 16 * width)
        self.blocks = nn.ModuleList(
            UpBlock(width, width, lambda c: self.conditioner.norm(norm2d(norm, c), c))
            for _ in range(levels))
        self.out = nn.Sequential(norm2d(norm, width), nn.ReLU(),
                                 nn.Conv2d(width, spec.channels, 3, 1, 1), nn.Tanh())
        sngan_init(self)

    def forward(self, z, cond=None, source=None) -> torch.Tensor:
        # -1, not len(z): an exported (ONNX) generator keeps a free batch size
        h = self.linear(self.conditioner(z, cond)).view(-1, self.width, 4, 4)
        for block in self.blocks:
            h = block(h, cond)
        return self.out(h)


def check_d_norm(arch: str, norm: str) -> None:
    if norm not in D_NORMS:
        raise GankitError(f"the {arch} discriminator takes model.d_norm none or layer, not "
                          f"{norm!r} (it has no BatchNorm); set model.d_norm=none")


class ResNetDiscriminator(Discriminator):
    """SNGAN / WGAN-GP ResNet discriminator (see the module docstring).

    ``cond``: ``projection`` adds ``<embed(y), phi(x)>`` to the score (Miyato & Koyama,
    2018); ``onehot`` / ``embedding`` / ``channel`` add the condition as input channels.
    """

    def __init__(self, spec: DataSpec, width: int = 128, norm: str = "none",
                 cond: str = "none", embed_dim: int = 50, aux_classifier: bool = False):
        super().__init__()
        levels = check_resolution("resnet", spec.resolution)
        check_d_norm("resnet", norm)
        self.conditioner, extra = input_conditioner(cond, spec.num_classes, embed_dim,
                                                    spec.resolution)
        make_norm = lambda c: norm2d(norm, c)
        downs = levels - 1  # down to 8×8
        blocks = [DownBlock(spec.channels + extra, width, first=True, norm=make_norm)]
        blocks += [DownBlock(width, width, downsample=i < downs - 1, norm=make_norm)
                   for i in range(downs + 1)]
        self.blocks = nn.Sequential(*blocks)
        self.heads = DiscriminatorHeads(width, spec.num_classes, cond == "projection",
                                        aux_classifier)
        sngan_init(self)

    def forward(self, x, cond=None, source=None) -> DOutput:
        if self.conditioner is not None:
            x = self.conditioner(x, cond)
        phi = torch.relu(self.blocks(x)).sum(dim=(2, 3))
        return self.heads(phi, cond)
