"""R3GAN's networks (Huang et al., 2024, "The GAN is dead; long live the GAN! A modern GAN
baseline"), for 32, 64 and 128 px.

No normalisation layers at all. Each stage (4×4 up to the image size) holds ``blocks``
residual blocks, each an inverted bottleneck: 1×1 expand (×``expansion``) → leaky ReLU →
grouped 3×3 conv (``group_channels`` channels a group) → leaky ReLU → 1×1 project, added
to the input.
Fix-up initialisation: the last conv of every branch starts at zero, so every block starts
as the identity, and the others are scaled by L^(-1/4) for L residual blocks in the net.
Stages change size by bilinear interpolation (antialiased when halving) and width by 1×1
convs. G starts from a learned 4×4 basis whose channels z modulates ("generative basis");
D ends with a 4×4 depthwise conv to 1×1 ("discriminative basis") and the heads. Stages
above 32 px are narrower (width × 32 / size), as R3GAN's 64 px configurations are.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gankit.errors import GankitError
from gankit.models.base import DataSpec, Discriminator, DOutput, Generator
from gankit.models.blocks import check_resolution, check_z_dim, int_option
from gankit.models.conditioning import LatentConditioner, input_conditioner
from gankit.models.heads import DiscriminatorHeads

SLOPE = 0.2
#: the gain that keeps a leaky ReLU's output at its input's second moment (He et al.)
GAIN = math.sqrt(2 / (1 + SLOPE ** 2))
#: channels per group of the grouped 3×3 convs: R3GAN's CIFAR-10 networks have 96 groups of
#: 16 in their 1,536 expanded channels
GROUP_CHANNELS = 16


def msr_init(layer: nn.Conv2d | nn.Linear, gain: float = 1.0) -> nn.Module:
    """Weights ~ N(0, gain² / fan-in), zero bias (He et al.'s "MSR" initialisation)."""
    nn.init.normal_(layer.weight, 0.0, gain / math.sqrt(layer.weight[0].numel()))
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def _conv(c_in: int, c_out: int, kernel: int = 1, groups: int = 1, gain: float = 1.0):
    return msr_init(nn.Conv2d(c_in, c_out, kernel, 1, kernel // 2, groups=groups, bias=False),
                    gain)


class BiasedLeakyReLU(nn.Module):
    """A learned per-channel bias (zero at first), then leaky ReLU(0.2)."""

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x + self.bias.view(1, -1, 1, 1), SLOPE)


class InvertedBottleneck(nn.Module):
    """R3GAN's residual block: ``x + project(act(grouped3x3(act(expand(x)))))``.

    ``total_blocks`` (L) sets the fix-up scale L^(-1/(2m-2)) of the first two of its m = 3
    convs; the third starts at zero, so the block starts as the identity.
    """

    def __init__(self, channels: int, expansion: int, groups: int, total_blocks: int):
        super().__init__()
        hidden = channels * expansion
        gain = GAIN * total_blocks ** (-1 / 4)
        self.branch = nn.Sequential(
            _conv(channels, hidden, 1, gain=gain), BiasedLeakyReLU(hidden),
            _conv(hidden, hidden, 3, groups=groups, gain=gain), BiasedLeakyReLU(hidden),
            _conv(hidden, channels, 1, gain=0.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.branch(x)


class Upsample(nn.Module):
    """1×1 conv to the new width (if it changes), then bilinear ×2."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = _conv(c_in, c_out) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(self.conv(x), scale_factor=2, mode="bilinear", align_corners=False)


class Downsample(nn.Module):
    """Antialiased bilinear ×1/2 (a low-pass before subsampling), then a 1×1 conv to the
    new width (if it changes)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = _conv(c_in, c_out) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=0.5, mode="bilinear",
                                       align_corners=False, antialias=True))


class GenerativeBasis(nn.Module):
    """A learned 4×4 map per channel, each scaled by a linear function of the latent."""

    def __init__(self, in_dim: int, channels: int):
        super().__init__()
        self.basis = nn.Parameter(torch.randn(channels, 4, 4))
        self.linear = msr_init(nn.Linear(in_dim, channels, bias=False))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.basis[None] * self.linear(z)[:, :, None, None]


class DiscriminativeBasis(nn.Module):
    """A 4×4 depthwise conv of the last 4×4 features down to one value per channel."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = msr_init(nn.Conv2d(channels, channels, 4, groups=channels, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).flatten(1)


class R3GANArch:
    """Stage sizes, widths and group counts of one R3GAN network, from the options."""

    def __init__(self, spec: DataSpec, width: int, blocks: int = 2,
                 group_channels: int = GROUP_CHANNELS, expansion: int = 2):
        levels = check_resolution("r3gan", spec.resolution)
        self.blocks = int_option("r3gan", "blocks", blocks, 1)
        self.expansion = int_option("r3gan", "expansion", expansion, 1)
        group_channels = int_option("r3gan", "group_channels", group_channels, 1)
        self.sizes = [4 * 2 ** i for i in range(levels + 1)]
        self.widths = [max(1, width * 32 // s) if s > 32 else width for s in self.sizes]
        # as many groups of about ``group_channels`` as divide the expanded width
        self.groups = [math.gcd(max(1, w * self.expansion // group_channels), w * self.expansion)
                       for w in self.widths]
        self.total_blocks = self.blocks * len(self.sizes)

    def stage(self, i: int) -> list[nn.Module]:
        """The residual blocks of stage ``i``."""
        return [InvertedBottleneck(self.widths[i], self.expansion, self.groups[i],
                                   self.total_blocks) for _ in range(self.blocks)]


def _check_norm(part: str, norm: str) -> None:
    if norm != "none":
        raise GankitError(f"r3gan networks have no normalisation layers; set "
                          f"model.{part}_norm=none (not {norm!r})")


class R3GANGenerator(Generator):
    """R3GAN generator (see the module docstring). ``cond``: ``embedding`` (R3GAN's own:
    a learned class embedding concatenated to z) or ``onehot``."""

    def __init__(self, spec: DataSpec, z_dim: int = 64, width: int = 64, norm: str = "none",
                 cond: str = "none", embed_dim: int = 50, **options):
        super().__init__()
        _check_norm("g", norm)
        if cond == "cbn":
            raise GankitError("r3gan has no normalisation layers to condition; set "
                              "model.g_cond to embedding, onehot or none")
        arch = R3GANArch(spec, width, **options)
        check_z_dim("r3gan", z_dim)
        self.z_dim = z_dim
        self.conditioner = LatentConditioner(cond, spec.num_classes, embed_dim, z_dim)
        layers: list[nn.Module] = [GenerativeBasis(z_dim + self.conditioner.extra_dim,
                                                   arch.widths[0])]
        for i in range(len(arch.sizes)):
            if i:
                layers.append(Upsample(arch.widths[i - 1], arch.widths[i]))
            layers += arch.stage(i)
        self.body = nn.Sequential(*layers)
        self.out = _conv(arch.widths[-1], spec.channels)

    def forward(self, z, cond=None, source=None) -> torch.Tensor:
        # R3GAN's output layer is linear; tanh keeps the [-1, 1] contract
        return torch.tanh(self.out(self.body(self.conditioner(z, cond))))


class R3GANDiscriminator(Discriminator):
    """R3GAN discriminator (see the module docstring). ``cond``: ``projection`` is R3GAN's
    own (score += <embed(y), features>); input-channel conditionings also work."""

    def __init__(self, spec: DataSpec, width: int = 64, norm: str = "none",
                 cond: str = "none", embed_dim: int = 50, aux_classifier: bool = False,
                 **options):
        super().__init__()
        _check_norm("d", norm)
        arch = R3GANArch(spec, width, **options)
        self.conditioner, extra = input_conditioner(cond, spec.num_classes, embed_dim,
                                                    spec.resolution)
        stages = list(reversed(range(len(arch.sizes))))  # from the image size to 4×4
        layers: list[nn.Module] = [_conv(spec.channels + extra, arch.widths[stages[0]])]
        for i in stages:
            layers += arch.stage(i)
            layers.append(Downsample(arch.widths[i], arch.widths[i - 1]) if i
                          else DiscriminativeBasis(arch.widths[0]))
        self.body = nn.Sequential(*layers)
        self.heads = DiscriminatorHeads(arch.widths[0], spec.num_classes,
                                        cond == "projection", aux_classifier)
        for layer in (self.heads.score, self.heads.aux):
            if layer is not None:
                msr_init(layer)

    def forward(self, x, cond=None, source=None) -> DOutput:
        if self.conditioner is not None:
            x = self.conditioner(x, cond)
        return self.heads(self.body(x), cond)
