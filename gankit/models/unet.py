"""The pix2pix U-Net generator (Isola et al., 2017): source image → image, no latent.

Encoder blocks halve the resolution with 4×4 stride-2 convolutions (LeakyReLU 0.2, then
conv, then norm; no norm on the first and the innermost block). Decoder blocks double it
with 4×4 transposed convolutions (ReLU, transposed conv, norm) and take the matching
encoder features as a skip connection. The decoder blocks just after the bottleneck use
dropout 0.5, pix2pix's only source of randomness; it stays on in ``train()`` mode only.
By default the encoder goes down to 1×1 (8 levels at 256 px, like pix2pix's
``unet_256``; 5 at 32 px).

A condition ``[N, K]`` (one-hot or multi-hot) enters as K constant input maps
concatenated to the source (:func:`append_label_maps`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.base import DataSpec, Generator, init_dcgan_weights
from gankit.models.layers import norm2d


def append_label_maps(x: torch.Tensor, cond: torch.Tensor | None, num_classes: int) -> torch.Tensor:
    """Concatenate a condition ``[N, K]`` to ``x`` ``[N, C, H, W]`` as K constant maps.

    Returns ``x`` unchanged when ``num_classes`` is 0.
    """
    if num_classes == 0:
        return x
    if cond is None or cond.shape != (x.shape[0], num_classes):
        got = None if cond is None else tuple(cond.shape)
        raise ValueError(f"this model is conditional: pass cond [N, {num_classes}], got {got}")
    maps = cond.to(x.dtype)[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
    return torch.cat([x, maps], dim=1)


def levels_of(resolution: int, name: str) -> int:
    """log2 of a power-of-two resolution, or a GankitError naming the model."""
    levels = int(math.log2(resolution)) if resolution > 0 else 0
    if resolution < 4 or 2 ** levels != resolution:
        raise GankitError(f"the {name} model needs a power-of-two resolution >= 4, not "
                          f"{resolution}; set data.resolution to 32, 64, 128 or 256")
    return levels


class UNetGenerator(Generator):
    """pix2pix U-Net: ``forward(None, cond, source)`` maps a source ``[N, Cs, H, W]``
    in [-1, 1] to an image ``[N, C, H, W]`` in [-1, 1].

    Args:
        spec: ``channels`` (output), ``source_channels`` (input), ``resolution`` and
            ``num_classes`` (label maps added to the input; 0: none).
        width: channels of the first encoder block (pix2pix ``ngf``, 64).
        depth: encoder blocks; default ``log2(resolution)`` (down to 1×1).
        norm: a ``gankit.models.layers.NORMS`` name (``batch`` as pix2pix, ``instance``...).
        dropout: dropout rate of the decoder blocks after the bottleneck.
        dropout_blocks: how many decoder blocks after the innermost one use dropout
            (never the output block).
        max_width: channel cap (pix2pix: 8 × 64).
    """

    z_dim = 0

    def __init__(self, spec: DataSpec, width: int = 64, depth: int | None = None,
                 norm: str = "batch", dropout: float = 0.5, dropout_blocks: int = 3,
                 max_width: int = 512):
        super().__init__()
        levels = levels_of(spec.resolution, "unet")
        depth = levels if depth is None else depth
        if not 2 <= depth <= levels:
            raise GankitError(f"unet depth={depth} must lie in 2..{levels} at "
                              f"{spec.resolution} px")
        self.spec = spec
        self.depth = depth
        widths = [min(width * 2 ** i, max_width) for i in range(depth)]
        bias = norm == "none"  # a norm's own shift makes a conv bias redundant

        self.downs = nn.ModuleList()
        in_channels = spec.source_channels + spec.num_classes
        for i, out in enumerate(widths):
            block: list[nn.Module] = [] if i == 0 else [nn.LeakyReLU(0.2)]
            block.append(nn.Conv2d(in_channels, out, 4, 2, 1, bias=bias or i in (0, depth - 1)))
            if 0 < i < depth - 1:  # the 1×1 bottleneck is not normalised (batch of 1)
                block.append(norm2d(norm, out))
            self.downs.append(nn.Sequential(*block))
            in_channels = out

        # ups[i] produces the features at level i (resolution / 2**i); ups[0] is the output
        self.ups = nn.ModuleList()
        for i in range(depth):
            takes = widths[i] if i == depth - 1 else 2 * widths[i]
            if i == 0:
                block = [nn.ReLU(), nn.ConvTranspose2d(takes, spec.channels, 4, 2, 1), nn.Tanh()]
            else:
                block = [nn.ReLU(), nn.ConvTranspose2d(takes, widths[i - 1], 4, 2, 1, bias=bias),
                         norm2d(norm, widths[i - 1])]
                if depth - 1 - dropout_blocks <= i < depth - 1 and dropout > 0:
                    block.append(nn.Dropout(dropout))
            self.ups.append(nn.Sequential(*block))
        init_dcgan_weights(self)

    def forward(self, z: torch.Tensor | None, cond: torch.Tensor | None = None,
                source: torch.Tensor | None = None) -> torch.Tensor:
        if source is None:
            raise ValueError("the U-Net generator translates a source image: pass source")
        x = append_label_maps(source, cond, self.spec.num_classes)
        skips = []
        for down in self.downs:
            x = down(x)
            skips.append(x)
        x = self.ups[-1](skips[-1])
        for i in range(self.depth - 2, -1, -1):
            x = self.ups[i](torch.cat([skips[i], x], dim=1))
        return x


def build_unet(spec: DataSpec, **kwargs) -> UNetGenerator:
    """A pix2pix U-Net for ``spec`` (keyword arguments: see :class:`UNetGenerator`)."""
    if spec.kind != "image" or spec.source_channels <= 0:
        raise GankitError("the unet generator translates paired images; use a paired data "
                          "set (paired folder, aligned A|B images or shapes with sketches)")
    return UNetGenerator(spec, **kwargs)
