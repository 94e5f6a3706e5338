"""BigGAN (Brock et al., 2019) at small scale, for 32, 64 and 128 px.

G: hierarchical z — z is split into one chunk for the input linear and one per up-block;
each block's class-conditional BatchNorm takes its gain and bias from
``[shared class embedding, z chunk]`` (from the z chunk alone without labels). D: the
residual D of SNGAN with BigGAN's channel table and a projection head. Channels follow
BigGAN's architecture tables (``ch`` = ``g_width`` / ``d_width``), optional SAGAN
self-attention at one resolution (``model.options.attention``; 0: none). Every weight is
initialised orthogonally, and spectral norm is on every conv and linear of G and D.
"""

from __future__ import annotations

import torch
from torch import nn

from gankit.errors import GankitError
from gankit.models.base import DataSpec, Discriminator, DOutput, Generator
from gankit.models.blocks import (
    DownBlock,
    SelfAttention,
    UpBlock,
    check_resolution,
    check_z_dim,
    int_option,
)
from gankit.models.conditioning import (
    ConditionalNorm,
    LabelEmbedding,
    input_conditioner,
    reset_condition_parameters,
)
from gankit.models.heads import DiscriminatorHeads
from gankit.models.layers import apply_spectral_norm, norm2d
from gankit.models.resnet import check_d_norm

#: G widths as multiples of ch: at 4×4, then after each up-block (BigGAN's G tables)
G_CHANNELS = {32: (4, 4, 4, 4), 64: (16, 16, 8, 4, 2), 128: (16, 16, 8, 4, 2, 1)}
#: D widths (multiples of ch) after each down-block, and whether the block halves the size
D_CHANNELS = {32: ((4, 4, 4, 4), (True, True, False, False)),
              64: ((1, 2, 4, 8, 16), (True,) * 5),
              128: ((1, 2, 4, 8, 16, 16), (True,) * 5 + (False,))}


def orthogonal_init(net: nn.Module) -> None:
    """BigGAN's initialisation: orthogonal conv, linear and embedding weights, zero biases
    (call before spectral norm is applied)."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)):
            nn.init.orthogonal_(m.weight)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)


def _attention(arch: str, attention: int, sizes: list[int]) -> int:
    attention = int_option(arch, "attention", attention, 0)
    if attention and attention not in sizes:
        where = ", ".join(str(s) for s in sorted(set(sizes)))
        raise GankitError(f"model.options.attention={attention}: the {arch} at this "
                          f"resolution has feature maps of {where} px (0: no attention); "
                          "set model.options.attention to one of them")
    return attention


def _check_g_settings(norm: str, cond: str, num_classes: int) -> None:
    if cond not in ("none", "cbn"):
        raise GankitError(f"the biggan generator takes the label through its conditional "
                          f"BatchNorm, not g_cond={cond!r}; set model.g_cond=cbn")
    if cond == "cbn" and num_classes <= 0:
        raise GankitError("model.g_cond='cbn' needs labelled data; "
                          "set data.labels to class or multi")
    if norm != "batch":
        raise GankitError(f"the biggan generator uses BatchNorm, not g_norm={norm!r}; "
                          "set model.g_norm=batch")


class BigGANGenerator(Generator):
    """BigGAN generator (see the module docstring): class-conditional whenever the data has
    labels (``num_classes`` > 0), through a shared embedding of ``embed_dim``; ``cond``
    may be ``none`` or ``cbn`` (the same thing here), ``norm`` only ``batch``."""

    def __init__(self, spec: DataSpec, z_dim: int = 120, width: int = 64, norm: str = "batch",
                 cond: str = "none", embed_dim: int = 128, attention: int = 0):
        super().__init__()
        check_resolution("biggan", spec.resolution)
        _check_g_settings(norm, cond, spec.num_classes)
        channels = [width * m for m in G_CHANNELS[spec.resolution]]
        slots = len(channels)  # the input linear and one per block
        check_z_dim("biggan", z_dim, slots)
        self.z_dim, self.width0 = z_dim, channels[0]
        chunk = z_dim // slots
        self.z_split = [z_dim - chunk * (slots - 1)] + [chunk] * (slots - 1)
        self.shared = LabelEmbedding(spec.num_classes, embed_dim) if spec.num_classes else None
        code = chunk + (embed_dim if self.shared is not None else 0)
        sizes = [8 * 2 ** i for i in range(slots - 1)]
        attention = _attention("biggan generator", attention, sizes)

        self.linear = nn.Linear(self.z_split[0], 16 * channels[0])
        layers: list[nn.Module] = []
        for c_in, c_out, size in zip(channels, channels[1:], sizes):
            layers.append(UpBlock(c_in, c_out,
                                  lambda c: ConditionalNorm(nn.BatchNorm2d(c), c, code)))
            if size == attention:
                layers.append(SelfAttention(c_out))
        self.blocks = nn.ModuleList(layers)
        self.out = nn.Sequential(nn.BatchNorm2d(channels[-1]), nn.ReLU(),
                                 nn.Conv2d(channels[-1], spec.channels, 3, 1, 1), nn.Tanh())
        orthogonal_init(self)
        apply_spectral_norm(self)

    def forward(self, z, cond=None, source=None) -> torch.Tensor:
        chunks = z.split(self.z_split, dim=1)
        if self.shared is not None:
            if cond is None:
                raise ValueError("this generator is conditional: pass a condition")
            shared = self.shared(cond.to(z.dtype))
        # -1, not len(z): an exported (ONNX) generator keeps a free batch size
        h = self.linear(chunks[0]).view(-1, self.width0, 4, 4)
        codes = iter(chunks[1:])
        for layer in self.blocks:
            if isinstance(layer, UpBlock):
                code = next(codes)
                if self.shared is not None:
                    code = torch.cat([shared, code], dim=1)
                h = layer(h, code)
            else:
                h = layer(h)
        return self.out(h)


class BigGANDiscriminator(Discriminator):
    """BigGAN discriminator (see the module docstring).

    ``cond``: with labelled data a projection discriminator (Miyato & Koyama, 2018) unless
    ``onehot`` / ``embedding`` / ``channel`` ask for the condition as input channels.
    ``spectral_norm``: False only when the caller applies it itself.
    """

    def __init__(self, spec: DataSpec, width: int = 64, norm: str = "none",
                 cond: str = "none", embed_dim: int = 128, aux_classifier: bool = False,
                 attention: int = 0, spectral_norm: bool = True):
        super().__init__()
        check_resolution("biggan", spec.resolution)
        check_d_norm("biggan", norm)
        self.conditioner, extra = input_conditioner(cond, spec.num_classes, embed_dim,
                                                    spec.resolution)
        multiples, downsample = D_CHANNELS[spec.resolution]
        channels = [spec.channels + extra] + [width * m for m in multiples]
        sizes, size = [], spec.resolution
        for down in downsample:
            size = size // 2 if down else size
            sizes.append(size)
        attention = _attention("biggan discriminator", attention, sizes)

        layers: list[nn.Module] = []
        for i, (c_in, c_out, down, size) in enumerate(zip(channels, channels[1:], downsample,
                                                          sizes)):
            layers.append(DownBlock(c_in, c_out, down, first=i == 0,
                                    norm=lambda c: norm2d(norm, c)))
            if size == attention and sizes.index(size) == i:  # once, at the first block
                layers.append(SelfAttention(c_out))
        self.blocks = nn.Sequential(*layers)
        projection = cond == "projection" or (cond == "none" and spec.num_classes > 0)
        self.heads = DiscriminatorHeads(channels[-1], spec.num_classes, projection,
                                        aux_classifier)
        orthogonal_init(self)
        if self.conditioner is not None:  # input channels at the scale of pixels
            reset_condition_parameters(self.conditioner)
        if spectral_norm:
            apply_spectral_norm(self)

    def forward(self, x, cond=None, source=None) -> DOutput:
        if self.conditioner is not None:
            x = self.conditioner(x, cond)
        phi = torch.relu(self.blocks(x)).sum(dim=(2, 3))
        return self.heads(phi, cond)
