"""DCGAN (Radford et al., 2016) for square images of 16–256 px and 1 or 3 channels.

G: z → 4×4 by a transposed conv, then stride-2 transposed convs with BatchNorm + ReLU
halving the width each time, Tanh output. D mirrors it with stride-2 convs and
LeakyReLU(0.2); its normalisation is configurable because WGAN-GP critics must not use
BatchNorm. Widths are capped at 8× the base width so 128/256 px stay reasonable.
"""

from __future__ import annotations

import math

from torch import nn

from gankit.errors import GankitError
from gankit.models.base import DataSpec, Discriminator, DOutput, Generator, init_dcgan_weights
from gankit.models.conditioning import LatentConditioner, input_conditioner, run_layers
from gankit.models.heads import DiscriminatorHeads
from gankit.models.layers import norm2d
from gankit.models.minibatch_std import MinibatchStd

SUPPORTED = (16, 32, 64, 128, 256)


def _levels(resolution: int) -> int:
    if resolution not in SUPPORTED:
        raise GankitError(f"DCGAN supports resolutions {SUPPORTED}, not {resolution}; "
                          "set data.resolution")
    return int(math.log2(resolution // 4))


def _widths(base: int, levels: int) -> list[int]:
    """Channel widths from the 4×4 end to the full-resolution end."""
    return [base * min(2 ** i, 8) for i in reversed(range(levels))]


#: how G doubles the resolution: DCGAN's 4×4 stride-2 transposed conv, or a nearest-neighbour
#: ×2 followed by a 3×3 conv ("resize-convolution", Odena et al. 2016: no checkerboard)
UPSAMPLING = ("transposed", "nearest")


def _upsampling(mode: str, c_in: int, c_out: int) -> list[nn.Module]:
    if mode == "transposed":
        return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False)]
    return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False)]


class DCGANGenerator(Generator):
    """Transposed-conv generator; see the module docstring."""

    def __init__(self, spec: DataSpec, z_dim: int = 100, width: int = 64, norm: str = "batch",
                 cond: str = "none", embed_dim: int = 50, upsample: str = "transposed"):
        super().__init__()
        if upsample not in UPSAMPLING:
            raise GankitError(f"model.options.upsample must be one of {', '.join(UPSAMPLING)}, "
                              f"not {upsample!r}")
        self.z_dim = z_dim
        self.conditioner = LatentConditioner(cond, spec.num_classes, embed_dim, z_dim)
        widths = _widths(width, _levels(spec.resolution))
        in_dim = z_dim + self.conditioner.extra_dim
        cond_norm = self.conditioner.norm
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(in_dim, widths[0], 4, 1, 0, bias=False),
            cond_norm(norm2d(norm, widths[0]), widths[0]), nn.ReLU(True)]
        for w_in, w_out in zip(widths, widths[1:]):
            layers += [*_upsampling(upsample, w_in, w_out),
                       cond_norm(norm2d(norm, w_out), w_out), nn.ReLU(True)]
        layers += [*_upsampling(upsample, widths[-1], spec.channels), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)

    def forward(self, z, cond=None, source=None):
        h = self.conditioner(z, cond)
        return run_layers(self.net, h[:, :, None, None], cond)


class DCGANDiscriminator(Discriminator):
    """Strided-conv discriminator/critic with pluggable norm, dropout and conditioning;
    ``mbstd`` > 0 appends a minibatch standard deviation channel over groups of that many
    images before the heads (:mod:`gankit.models.minibatch_std`)."""

    def __init__(self, spec: DataSpec, width: int = 64, norm: str = "batch",
                 cond: str = "none", embed_dim: int = 50, aux_classifier: bool = False,
                 dropout: float = 0.0, mbstd: int = 0):
        super().__init__()
        self.conditioner, extra = input_conditioner(cond, spec.num_classes, embed_dim,
                                                    spec.resolution)
        widths = list(reversed(_widths(width, _levels(spec.resolution))))
        layers: list[nn.Module] = [nn.Conv2d(spec.channels + extra, widths[0], 4, 2, 1),
                                   nn.LeakyReLU(0.2, True)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        for w_in, w_out in zip(widths, widths[1:]):
            layers += [nn.Conv2d(w_in, w_out, 4, 2, 1, bias=norm == "none"),
                       norm2d(norm, w_out), nn.LeakyReLU(0.2, True)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        if mbstd:
            layers.append(MinibatchStd(mbstd))
        self.body = nn.Sequential(*layers)
        # The classic final 4×4 conv to one logit is a linear map of the flat 4×4 map.
        self.heads = DiscriminatorHeads((widths[-1] + bool(mbstd)) * 16, spec.num_classes,
                                        cond == "projection", aux_classifier)
        init_dcgan_weights(self)

    def forward(self, x, cond=None, source=None) -> DOutput:
        if self.conditioner is not None:
            x = self.conditioner(x, cond)
        return self.heads(self.body(x).flatten(1), cond)

