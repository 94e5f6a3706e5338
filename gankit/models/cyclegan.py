"""CycleGAN's networks (Zhu, Park, Isola & Efros, ICCV 2017, arXiv:1703.10593): two
ResNet-block generators and two 70×70 PatchGANs, held as one G and one D.

The generator of each direction is Johnson et al.'s (2016) ResNet transformer as the
paper's appendix gives it: c7s1-64, d128, d256, R256 × ``blocks``, u128, u64, c7s1-C,
tanh, with reflection padding and instance norm (``blocks``: 6 up to 128 px, 9 at 256 px
and above, as the paper). Widths scale with ``width`` (the paper's 64).

:class:`CycleGenerator` holds ``a_to_b`` and ``b_to_a``; its ``forward(z, cond, source)``
translates A → B, so every caller that treats a run's generator as "source → image"
(sample grids, ``gankit translate``, evaluation) gets A → B; :meth:`CycleGenerator.towards`
picks a direction. Domain A is the data's ``sources``, domain B its ``images``.

:class:`CycleDiscriminator` holds ``d_a`` and ``d_b``, unconditional PatchGANs of
:mod:`gankit.models.patchgan` that score one domain's images alone; its ``forward``
scores domain B. The cycle objective (:mod:`gankit.losses.cycle`) uses all four nets.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.base import DataSpec, Discriminator, DOutput, Generator, init_dcgan_weights
from gankit.models.blocks import int_option
from gankit.models.layers import norm2d
from gankit.models.patchgan import PatchGANDiscriminator, build_patchgan

DIRECTIONS = ("AtoB", "BtoA")
#: the paper's generator depth: 6 residual blocks at 128 px, 9 at 256 px
BLOCKS_AT_256 = 9
BLOCKS_BELOW_256 = 6
MIN_RESOLUTION = 8  # two stride-2 steps must leave at least 2×2 for the reflection pads


def reversed_spec(spec: DataSpec) -> DataSpec:
    """The spec of the B → A direction: B's channels in, A's channels out."""
    return dataclasses.replace(spec, channels=spec.source_channels,
                               source_channels=spec.channels)


def default_blocks(resolution: int) -> int:
    """The paper's residual block count for images of ``resolution`` px."""
    return BLOCKS_AT_256 if resolution >= 256 else BLOCKS_BELOW_256


class ResnetBlock(nn.Module):
    """Two 3×3 convs (reflection-padded, normed, ReLU between) plus the identity."""

    def __init__(self, channels: int, norm: str, dropout: float, bias: bool):
        super().__init__()
        layers: list[nn.Module] = [nn.ReflectionPad2d(1),
                                   nn.Conv2d(channels, channels, 3, bias=bias),
                                   norm2d(norm, channels), nn.ReLU(True)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=bias),
                   norm2d(norm, channels)]
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class ResnetGenerator(Generator):
    """One direction: ``forward(None, None, source)`` maps ``[N, Cin, H, W]`` in [-1, 1]
    to ``[N, Cout, H, W]`` in [-1, 1].

    Args:
        in_channels, out_channels: image channels of the source and target domains.
        width: channels of the first layer (the paper's 64); then 2× and 4× that.
        blocks: residual blocks at a quarter of the resolution.
        norm: a ``gankit.models.layers.NORMS`` name (``instance`` as the paper).
        dropout: dropout rate inside the residual blocks (0 as the paper).
    """

    z_dim = 0

    def __init__(self, in_channels: int, out_channels: int, width: int = 64, blocks: int = 9,
                 norm: str = "instance", dropout: float = 0.0):
        super().__init__()
        bias = norm != "batch"  # BatchNorm's shift makes a conv bias redundant
        layers: list[nn.Module] = [nn.ReflectionPad2d(3),
                                   nn.Conv2d(in_channels, width, 7, bias=bias),
                                   norm2d(norm, width), nn.ReLU(True)]
        channels = width
        for _ in range(2):  # d128, d256
            layers += [nn.Conv2d(channels, 2 * channels, 3, 2, 1, bias=bias),
                       norm2d(norm, 2 * channels), nn.ReLU(True)]
            channels *= 2
        layers += [ResnetBlock(channels, norm, dropout, bias) for _ in range(blocks)]
        for _ in range(2):  # u128, u64
            layers += [nn.ConvTranspose2d(channels, channels // 2, 3, 2, 1, output_padding=1,
                                          bias=bias),
                       norm2d(norm, channels // 2), nn.ReLU(True)]
            channels //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(channels, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)

    def forward(self, z: torch.Tensor | None = None, cond: torch.Tensor | None = None,
                source: torch.Tensor | None = None) -> torch.Tensor:
        if source is None:
            raise ValueError("a CycleGAN generator translates images: pass source")
        return self.net(source)


class CycleGenerator(Generator):
    """Both directions of a CycleGAN; ``forward`` translates A → B.

    Args:
        spec: ``source_channels`` (domain A), ``channels`` (domain B), ``resolution``.
        width, blocks, norm, dropout: as :class:`ResnetGenerator`, for both directions.
    """

    z_dim = 0
    channels_last_on_cpu = False  # measured 0.92× with it on the CPU (issue 13)

    def __init__(self, spec: DataSpec, width: int = 64, blocks: int | None = None,
                 norm: str = "instance", dropout: float = 0.0):
        super().__init__()
        self.spec = spec
        blocks = default_blocks(spec.resolution) if blocks is None else blocks
        self.a_to_b = ResnetGenerator(spec.source_channels, spec.channels, width, blocks,
                                      norm, dropout)
        self.b_to_a = ResnetGenerator(spec.channels, spec.source_channels, width, blocks,
                                      norm, dropout)

    def towards(self, direction: str) -> ResnetGenerator:
        """The generator of ``direction`` (``AtoB`` or ``BtoA``)."""
        if direction not in DIRECTIONS:
            raise GankitError(f"unknown direction {direction!r}; use AtoB or BtoA")
        return self.a_to_b if direction == "AtoB" else self.b_to_a

    def forward(self, z: torch.Tensor | None = None, cond: torch.Tensor | None = None,
                source: torch.Tensor | None = None) -> torch.Tensor:
        return self.a_to_b(z, cond, source)


class CycleDiscriminator(Discriminator):
    """Both domains' PatchGANs; ``forward`` scores domain-B images with ``d_b``.

    Args:
        spec: as :class:`CycleGenerator`.
        width, n_layers, norm: as :class:`~gankit.models.patchgan.PatchGANDiscriminator`
            (``n_layers=3``: the paper's 70×70 patches).
    """

    channels_last_on_cpu = False  # measured 0.92× with it on the CPU (issue 13)

    def __init__(self, spec: DataSpec, width: int = 64, n_layers: int = 3,
                 norm: str = "instance"):
        super().__init__()
        self.d_a = self._patchgan(spec.source_channels, spec, width, n_layers, norm)
        self.d_b = self._patchgan(spec.channels, spec, width, n_layers, norm)

    @staticmethod
    def _patchgan(channels: int, spec: DataSpec, width: int, n_layers: int,
                  norm: str) -> PatchGANDiscriminator:
        one_domain = dataclasses.replace(spec, channels=channels, source_channels=0,
                                         num_classes=0, multi_label=False)
        return build_patchgan(one_domain, width=width, n_layers=n_layers, norm=norm)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None,
                source: torch.Tensor | None = None) -> DOutput:
        return self.d_b(x)


def _check_spec(spec: DataSpec, what: str) -> None:
    if spec.kind != "image" or spec.source_channels <= 0:
        raise GankitError(f"the cyclegan {what} translates between two image domains; use "
                          "unpaired data (data.unpaired=true, or a trainA/ + trainB/ folder)")
    if spec.num_classes:
        raise GankitError(f"the cyclegan {what} takes no labels; set data.labels=none")
    if spec.resolution < MIN_RESOLUTION:
        raise GankitError(f"the cyclegan {what} needs images of at least {MIN_RESOLUTION} px, "
                          f"not {spec.resolution}; raise data.resolution")


def build_cycle_generator(spec: DataSpec, width: int = 64, norm: str = "instance",
                          blocks=None, dropout=0.0) -> CycleGenerator:
    """Both generators for ``spec`` (options checked: a user error names the bad one)."""
    _check_spec(spec, "generator")
    blocks = None if blocks is None else int_option("cyclegan", "blocks", blocks, 0)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise GankitError(f"model.options.dropout of cyclegan must be in [0, 1), got {dropout!r}")
    return CycleGenerator(spec, width, blocks, norm, float(dropout))


def build_cycle_discriminator(spec: DataSpec, width: int = 64, norm: str = "instance",
                              n_layers=3) -> CycleDiscriminator:
    """Both PatchGANs for ``spec``."""
    _check_spec(spec, "discriminator")
    return CycleDiscriminator(spec, width, int_option("cyclegan", "n_layers", n_layers, 1), norm)


def is_cycle_generator(G: nn.Module) -> bool:
    """Whether ``G`` holds both CycleGAN directions (an EMA copy of one counts too)."""
    return isinstance(G, CycleGenerator)
