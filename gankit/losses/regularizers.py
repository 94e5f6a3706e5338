"""Regularisers and constraints: gradient penalty, R1, weight clipping, class and
reconstruction terms."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from gankit.models.base import Discriminator
from gankit.registry import Registry
from gankit.sharding import WHOLE, Shard


Augment = Callable[[torch.Tensor], torch.Tensor]


def gradient_penalty(D: Discriminator, real: torch.Tensor, fake: torch.Tensor,
                     cond: torch.Tensor | None = None, source: torch.Tensor | None = None,
                     center: float = 1.0, generator: torch.Generator | None = None,
                     augment: Augment | None = None, shard: Shard = WHOLE) -> torch.Tensor:
    """WGAN-GP penalty ``E[(||∇_x D(x̂)||₂ - center)²]`` on random interpolates.

    The norm is taken per sample over all of C×H×W (flattening each sample), not over
    one axis — a frequent bug in public code. The condition (and source image) is
    passed to the critic unchanged: each interpolate keeps its own sample's condition.
    With ``augment``, D sees the augmented interpolates (as it sees every image) and the
    gradient is taken through the augmentation. With several processes, ``shard`` is this
    process's part of the global batch, whose mixing weights are drawn as one process
    would draw them.
    """
    n = real.shape[0]
    tail = (1,) * (real.dim() - 1)
    alpha = shard.draw(lambda m: torch.rand((m,) + tail, generator=generator, device=(
        generator.device if generator else real.device)), n).to(real)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    score = D(augment(mixed) if augment else mixed, cond, source).score
    (grad,) = torch.autograd.grad(score.sum(), mixed, create_graph=True)
    norms = grad.flatten(1).norm(2, dim=1)
    return (norms - center).pow(2).mean()


def zero_centred_penalty(D: Discriminator, images: torch.Tensor,
                         cond: torch.Tensor | None = None, source: torch.Tensor | None = None,
                         augment: Augment | None = None) -> torch.Tensor:
    """``E[||∇_x D(x)||²]``: R1 on real images (Mescheder et al., 2018), R2 on fakes
    (R3GAN); weight it by γ/2. With ``augment`` the gradient is taken through the
    augmentation, with respect to the un-augmented images (StyleGAN2-ADA)."""
    images = images.detach().requires_grad_(True)
    score = D(augment(images) if augment else images, cond, source).score
    (grad,) = torch.autograd.grad(score.sum(), images, create_graph=True)
    return grad.flatten(1).pow(2).sum(dim=1).mean()


@torch.no_grad()
def clip_weights(module: nn.Module, bound: float) -> None:
    """WGAN weight clipping: every parameter of the critic into ``[-bound, bound]``."""
    for p in module.parameters():
        p.clamp_(-bound, bound)


def classification_loss(logits: torch.Tensor, cond: torch.Tensor, multi_label: bool
                        ) -> torch.Tensor:
    """ACGAN auxiliary loss: cross-entropy for one-hot conditions; for multi-hot ones
    BCE summed over the K objects (averaged over images), so each image's loss is on the
    scale of a cross-entropy: a mean over K = 24 mostly-absent objects would dilute the
    pull towards the 1–3 asked-for ones 24-fold."""
    if multi_label:
        return F.binary_cross_entropy_with_logits(logits, cond.to(logits.dtype),
                                                  reduction="none").sum(1).mean()
    return F.cross_entropy(logits, cond.argmax(dim=1))


RECONSTRUCTION_LOSSES: Registry = Registry("reconstruction loss")
RECONSTRUCTION_LOSSES.register("l1", "mean absolute error (pix2pix)")(F.l1_loss)
RECONSTRUCTION_LOSSES.register("mse", "mean squared error")(F.mse_loss)
