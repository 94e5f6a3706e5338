"""The contracts every generator and discriminator follows.

Conditions reach models as a float tensor ``[N, K]``: a one-hot row for a class label,
a multi-hot row for multi-label data (iCLEVR objects). Images are floats in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from gankit.models.conditioning import reset_condition_parameters


@dataclass(frozen=True)
class DataSpec:
    """What a model needs to know about its data.

    Attributes:
        kind: ``"image"`` or ``"points"``.
        channels: image channels (1 or 3); for points, the point dimension.
        resolution: image side in pixels (0 for points).
        num_classes: size K of the condition vector (0: unconditional).
        multi_label: whether conditions are multi-hot.
        source_channels: channels of the paired input image (0: none).
    """

    kind: str = "image"
    channels: int = 3
    resolution: int = 32
    num_classes: int = 0
    multi_label: bool = False
    source_channels: int = 0


class DOutput(NamedTuple):
    """A discriminator's answer.

    score: realness logits/critic values, ``[N]`` or patch map ``[N, 1, h, w]``.
    aux: auxiliary class logits ``[N, K]`` (ACGAN head) or ``None``.
    info: logits ``[N, K]`` of the latent code (InfoGAN head) or ``None``.
    twin: the auxiliary classifier's second K logits (``loss.aux_mode`` tac / adc) or
    ``None``.
    """

    score: torch.Tensor
    aux: torch.Tensor | None = None
    info: torch.Tensor | None = None
    twin: torch.Tensor | None = None


class PassesAttributes:
    """Mixin for a module that wraps a model as ``self.module`` (DDP, autocast): what
    the wrapper lacks (``sample_z``, ``z_dim``...) comes from the wrapped model, so
    losses call the wrapper as they call the bare model."""

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.module, name)


class Generator(nn.Module):
    """Maps latent noise (and optional condition / source image) to images in [-1, 1].

    Subclasses set ``z_dim`` (0 when the model takes no noise, e.g. pix2pix), and
    ``channels_last_on_cpu`` false where training on a CPU was measured slower with
    channels-last weights (the trainer's :func:`~gankit.training.components.place`).
    ``latent_codes`` (K, set by the model builder) makes the last K of z's dimensions a
    one-hot categorical code (InfoGAN).
    """

    z_dim: int = 0
    latent_codes: int = 0
    channels_last_on_cpu: bool = True

    def forward(self, z: torch.Tensor | None, cond: torch.Tensor | None = None,
                source: torch.Tensor | None = None) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def sample_z(self, n: int, device: torch.device | str = "cpu",
                 generator: torch.Generator | None = None) -> torch.Tensor | None:
        """Standard normal latents ``[n, z_dim]`` or ``None`` for noise-free models; with
        ``latent_codes`` K, the last K columns hold a uniformly drawn one-hot code."""
        if self.z_dim == 0:
            return None
        gen_device = generator.device if generator is not None else device
        z = torch.randn(n, self.z_dim, generator=generator, device=gen_device)
        if self.latent_codes:
            # the argmax of K i.i.d. normals is uniform over K; drawing nothing else keeps
            # the draws of n latents the same whether made at once or in batches
            z = with_code(z, self.codes_of(z), self.latent_codes)
        return z.to(device)

    def codes_of(self, z: torch.Tensor) -> torch.Tensor:
        """The categorical code ``[n]`` (indices) held in latents from :meth:`sample_z`."""
        return z[:, -self.latent_codes:].argmax(dim=1)


def with_code(z: torch.Tensor, codes: torch.Tensor | int, k: int) -> torch.Tensor:
    """``z`` with its last ``k`` columns replaced by the one-hot ``codes`` (an index per
    row, or one index for all)."""
    codes = torch.as_tensor(codes, device=z.device).expand(len(z))
    return torch.cat([z[:, :-k], F.one_hot(codes, k).to(z.dtype)], dim=1)


class Discriminator(nn.Module):
    """Scores images (and optional condition / source image); see :class:`DOutput`.
    ``channels_last_on_cpu``: as :class:`Generator`'s."""

    channels_last_on_cpu: bool = True

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None,
                source: torch.Tensor | None = None) -> DOutput:  # pragma: no cover
        raise NotImplementedError


def init_dcgan_weights(module: nn.Module) -> None:
    """DCGAN initialisation: conv/linear weights ~ N(0, 0.02), norm scales ~ N(1, 0.02);
    conditioning layers keep their own scale (see :mod:`gankit.models.conditioning`)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm, nn.LayerNorm)):
            if getattr(m, "weight", None) is not None:
                nn.init.normal_(m.weight, 1.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
    reset_condition_parameters(module)
