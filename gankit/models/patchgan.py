"""The pix2pix PatchGAN discriminator: one realness logit per overlapping image patch.

With the default 3 strided layers it is pix2pix's 70×70 PatchGAN: C64-C128-C256-C512,
4×4 kernels, LeakyReLU 0.2, no norm on the first layer, then a 4×4 conv to one channel.
At 256 px the score map is 30×30; at 64 px 6×6; at 32 px 2×2.

Input: ``concat(source, image)`` along channels (as pix2pix's ``(real_A, real_B)``),
plus K constant label maps when ``num_classes > 0``.
"""

from __future__ import annotations

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.base import DataSpec, Discriminator, DOutput, init_dcgan_weights
from gankit.models.layers import norm2d
from gankit.models.unet import append_label_maps


def patch_map_side(resolution: int, n_layers: int) -> int:
    """Side of the score map: ``n_layers`` halvings, then two 4×4 stride-1 convs (-1 each)."""
    side = resolution
    for _ in range(n_layers):
        side //= 2
    return side - 2


class PatchGANDiscriminator(Discriminator):
    """Scores ``[N, C, H, W]`` images (with their source) as a patch map ``[N, 1, h, w]``.

    Args:
        spec: ``channels``, ``source_channels`` (0: the image alone is scored),
            ``resolution`` and ``num_classes`` (label maps added to the input).
        width: channels of the first layer (64).
        n_layers: stride-2 layers (3: 70×70 patches; 2: 34×34; 1: 16×16).
        norm: a ``gankit.models.layers.NORMS`` name (``batch``, ``instance``, ``none``...).
        max_width: channel cap (512).
    """

    def __init__(self, spec: DataSpec, width: int = 64, n_layers: int = 3, norm: str = "batch",
                 max_width: int = 512):
        super().__init__()
        if n_layers < 1 or patch_map_side(spec.resolution, n_layers) < 1:
            raise GankitError(f"a PatchGAN with n_layers={n_layers} needs images of at least "
                              f"{3 * 2 ** max(n_layers, 1)} px, not {spec.resolution}; "
                              "lower n_layers")
        self.spec = spec
        bias = norm == "none"
        in_channels = spec.source_channels + spec.channels + spec.num_classes
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        channels = width
        for i in range(1, n_layers + 1):
            out = min(width * 2 ** i, max_width)
            stride = 2 if i < n_layers else 1
            layers += [nn.Conv2d(channels, out, 4, stride, 1, bias=bias), norm2d(norm, out),
                       nn.LeakyReLU(0.2)]
            channels = out
        layers.append(nn.Conv2d(channels, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None,
                source: torch.Tensor | None = None) -> DOutput:
        if self.spec.source_channels > 0:
            if source is None:
                raise ValueError("this PatchGAN judges (source, image) pairs: pass source")
            x = torch.cat([source.to(x.dtype), x], dim=1)
        x = append_label_maps(x, cond, self.spec.num_classes)
        return DOutput(self.net(x))


def build_patchgan(spec: DataSpec, **kwargs) -> PatchGANDiscriminator:
    """A PatchGAN for ``spec`` (keyword arguments: see :class:`PatchGANDiscriminator`)."""
    if spec.kind != "image":
        raise GankitError("the patchgan discriminator needs image data, not points")
    return PatchGANDiscriminator(spec, **kwargs)
