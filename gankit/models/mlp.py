"""The "simple GAN": fully connected G and D, for 2-D points or small flat images."""

from __future__ import annotations

import torch
from torch import nn

from gankit.models.base import DataSpec, Discriminator, DOutput, Generator
from gankit.models.conditioning import LatentConditioner, input_conditioner, run_layers
from gankit.models.heads import DiscriminatorHeads
from gankit.models.layers import norm1d


def _flat_size(spec: DataSpec) -> int:
    if spec.kind == "points":
        return spec.channels
    return spec.channels * spec.resolution * spec.resolution


class MLPGenerator(Generator):
    """z (+ condition) → ``depth`` hidden layers of ReLU → points, or tanh image."""

    def __init__(self, spec: DataSpec, z_dim: int = 100, width: int = 256, depth: int = 3,
                 norm: str = "none", cond: str = "none", embed_dim: int = 50):
        super().__init__()
        self.spec = spec
        self.z_dim = z_dim
        self.conditioner = LatentConditioner(cond, spec.num_classes, embed_dim, z_dim)
        layers: list[nn.Module] = []
        size = z_dim + self.conditioner.extra_dim
        for _ in range(depth):
            layers += [nn.Linear(size, width),
                       self.conditioner.norm(norm1d(norm, width), width), nn.ReLU(inplace=True)]
            size = width
        layers.append(nn.Linear(size, _flat_size(spec)))
        self.net = nn.Sequential(*layers)

    def forward(self, z, cond=None, source=None):
        out = run_layers(self.net, self.conditioner(z, cond), cond)
        if self.spec.kind == "points":
            return out
        s = self.spec
        return torch.tanh(out).view(-1, s.channels, s.resolution, s.resolution)


class MLPDiscriminator(Discriminator):
    """Flat input (+ condition features) → ``depth`` LeakyReLU(0.2) layers → heads."""

    def __init__(self, spec: DataSpec, width: int = 256, depth: int = 3, norm: str = "none",
                 cond: str = "none", embed_dim: int = 50, aux_classifier: bool = False,
                 dropout: float = 0.0):
        super().__init__()
        self.conditioner, extra = input_conditioner(cond, spec.num_classes, embed_dim,
                                                    spec.resolution, flat=True)
        layers: list[nn.Module] = []
        size = _flat_size(spec) + extra
        for i in range(depth):
            layers += [nn.Linear(size, width)]
            if i > 0:
                layers.append(norm1d(norm, width))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            size = width
        self.body = nn.Sequential(*layers)
        self.heads = DiscriminatorHeads(size, spec.num_classes, cond == "projection",
                                        aux_classifier)

    def forward(self, x, cond=None, source=None) -> DOutput:
        h = x.flatten(1)
        if self.conditioner is not None:
            h = self.conditioner(h, cond)
        return self.heads(self.body(h), cond)

