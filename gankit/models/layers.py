"""Small building blocks shared by the architectures: norms and spectral norm."""

from __future__ import annotations

from typing import Callable

from torch import nn

from gankit.registry import Registry

NORMS: Registry[Callable[[int], nn.Module]] = Registry("normalisation")
NORMS.register("batch", "BatchNorm over the batch (DCGAN)")(nn.BatchNorm2d)
NORMS.register("instance", "InstanceNorm with affine scale (pix2pix)")(
    lambda c: nn.InstanceNorm2d(c, affine=True))
# LayerNorm over C×H×W, as the WGAN-GP paper's critic uses: one group = all channels.
NORMS.register("layer", "LayerNorm over C×H×W (WGAN-GP critics)")(lambda c: nn.GroupNorm(1, c))
NORMS.register("none", "no normalisation")(lambda c: nn.Identity())

NORMS_1D: Registry[Callable[[int], nn.Module]] = Registry("normalisation")
NORMS_1D.register("batch")(nn.BatchNorm1d)
NORMS_1D.register("instance")(lambda c: nn.Identity())
NORMS_1D.register("layer")(nn.LayerNorm)
NORMS_1D.register("none")(lambda c: nn.Identity())


def norm2d(kind: str, channels: int) -> nn.Module:
    """A 2-D normalisation layer by name (batch | instance | layer | none)."""
    return NORMS.get(kind)(channels)


def norm1d(kind: str, features: int) -> nn.Module:
    """A normalisation for flat features by name (batch | layer | none)."""
    return NORMS_1D.get(kind)(features)


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Wrap every conv/linear weight of ``module`` in spectral normalisation."""
    for name, child in list(module.named_children()):
        if isinstance(child, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            setattr(module, name, nn.utils.parametrizations.spectral_norm(child))
        else:
            apply_spectral_norm(child)
    return module
