"""Adversarial losses on discriminator scores, by registry name.

Each loss maps raw scores (logits for the BCE family, critic values for Wasserstein,
any shape — patch maps are averaged) to scalar D and G losses. All BCE forms use
``softplus`` on logits, which is the numerically stable ``BCEWithLogits``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gankit.registry import Registry


class AdversarialLoss:
    """Base class: ``d_loss(real, fake)`` and ``g_loss(fake, real)`` on scores.

    ``relativistic`` losses compare each fake with a real, so G's loss needs D's scores
    on reals too; the others ignore ``real`` in ``g_loss``.
    """

    relativistic = False

    def d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def g_loss(self, fake: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError


ADVERSARIAL_LOSSES: Registry[type[AdversarialLoss]] = Registry("loss")


@ADVERSARIAL_LOSSES.register("ns")
class NonSaturatingLoss(AdversarialLoss):
    """Non-saturating BCE (Goodfellow et al., 2014): G maximises log D(G(z))."""

    def d_loss(self, real, fake):
        return F.softplus(-real).mean() + F.softplus(fake).mean()

    def g_loss(self, fake, real=None):
        return F.softplus(-fake).mean()


@ADVERSARIAL_LOSSES.register("minimax")
class MinimaxLoss(NonSaturatingLoss):
    """Original minimax BCE: G minimises log(1 - D(G(z))) (saturates early on)."""

    def g_loss(self, fake, real=None):
        return -F.softplus(fake).mean()


@ADVERSARIAL_LOSSES.register("lsgan")
class LeastSquaresLoss(AdversarialLoss):
    """Least squares GAN (Mao et al., 2017) with targets real=1, fake=0."""

    def d_loss(self, real, fake):
        return 0.5 * ((real - 1).pow(2).mean() + fake.pow(2).mean())

    def g_loss(self, fake, real=None):
        return 0.5 * (fake - 1).pow(2).mean()


@ADVERSARIAL_LOSSES.register("hinge")
class HingeLoss(AdversarialLoss):
    """Hinge loss (Lim & Ye 2017; SNGAN, BigGAN)."""

    def d_loss(self, real, fake):
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()

    def g_loss(self, fake, real=None):
        return -fake.mean()


@ADVERSARIAL_LOSSES.register("wasserstein")
class WassersteinLoss(AdversarialLoss):
    """Wasserstein critic loss (Arjovsky et al., 2017); needs clipping or a penalty."""

    def d_loss(self, real, fake):
        return fake.mean() - real.mean()

    def g_loss(self, fake, real=None):
        return -fake.mean()


@ADVERSARIAL_LOSSES.register("rpgan")
class RelativisticPairingLoss(AdversarialLoss):
    """Relativistic pairing GAN (Jolicoeur-Martineau, 2019; R3GAN, Huang et al., 2024):
    each fake is judged against a real, ``softplus(D(fake) - D(real))``; with R1 and R2
    it converges locally (R3GAN, Sec. 2)."""

    relativistic = True

    def d_loss(self, real, fake):
        return F.softplus(fake - real).mean()

    def g_loss(self, fake, real=None):
        if real is None:
            raise ValueError("the relativistic loss needs D's scores on reals in G's phase")
        return F.softplus(real - fake).mean()


def build_adversarial_loss(name: str) -> AdversarialLoss:
    """The adversarial loss registered as ``name``."""
    return ADVERSARIAL_LOSSES.get(name)()
