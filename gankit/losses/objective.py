"""The GAN objective: what one D phase and one G phase compute.

Composes an adversarial loss with the optional regularisers named in
:class:`~gankit.config.LossConfig`. Models do not know losses and this module does not
know the training loop: the trainer calls :meth:`GANObjective.d_loss`,
:meth:`GANObjective.g_loss` and :meth:`GANObjective.after_d_step`.
"""

from __future__ import annotations

import torch

from gankit.config import LossConfig
from gankit.data.base import Batch
from gankit.losses.adversarial import build_adversarial_loss
from gankit.losses.regularizers import (RECONSTRUCTION_LOSSES, classification_loss,
                                        clip_weights, gradient_penalty, r1_penalty)
from gankit.models.base import Discriminator, Generator


class GANObjective:
    """Adversarial loss + gradient penalty / R1 / clipping / ACGAN / reconstruction.

    Args:
        cfg: the loss section of the config.
        multi_label: conditions are multi-hot (ACGAN uses BCE instead of CE).
        noise: generator of latents and interpolation coefficients (reproducibility).
    """

    def __init__(self, cfg: LossConfig, multi_label: bool = False,
                 noise: torch.Generator | None = None):
        self.cfg = cfg
        self.adversarial = build_adversarial_loss(cfg.name)
        self.multi_label = multi_label
        self.noise = noise
        self.reconstruction = (RECONSTRUCTION_LOSSES.get(cfg.recon)
                               if cfg.recon != "none" else None)

    def fake(self, G: Generator, batch: Batch) -> torch.Tensor:
        """Fakes conditioned like ``batch`` (fresh latents from the objective's RNG)."""
        z = G.sample_z(batch.x.shape[0], batch.x.device, self.noise)
        return G(z, batch.cond, batch.source)

    def d_loss(self, G: Generator, D: Discriminator, batch: Batch,
               fake: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """D/critic loss on one real batch and as many fakes.

        ``fake`` may be passed in (e.g. to reuse it for the G phase); D sees it detached.
        """
        if fake is None:
            with torch.no_grad():
                fake = self.fake(G, batch)
        fake = fake.detach()
        real_out = D(batch.x, batch.cond, batch.source)
        fake_out = D(fake, batch.cond, batch.source)
        adv = self.adversarial.d_loss(real_out.score, fake_out.score)
        stats = {"loss_d": adv.detach(),
                 "d_real": real_out.score.mean().detach(),
                 "d_fake": fake_out.score.mean().detach()}
        loss = adv
        if real_out.aux is not None:
            aux = classification_loss(real_out.aux, batch.cond, self.multi_label)
            if self.cfg.aux_fake_weight > 0:
                aux = aux + self.cfg.aux_fake_weight * classification_loss(
                    fake_out.aux, batch.cond, self.multi_label)
            loss = loss + self.cfg.aux_weight * aux
            stats["loss_d_aux"] = aux.detach()
        if self.cfg.gp_weight > 0:
            gp = gradient_penalty(D, batch.x, fake, batch.cond, batch.source,
                                  generator=self.noise)
            loss = loss + self.cfg.gp_weight * gp
            stats["gp"] = gp.detach()
        if self.cfg.r1_weight > 0:
            r1 = r1_penalty(D, batch.x, batch.cond, batch.source)
            loss = loss + 0.5 * self.cfg.r1_weight * r1
            stats["r1"] = r1.detach()
        return loss, stats

    def after_d_step(self, D: Discriminator) -> None:
        """Constraints applied after each D update (WGAN weight clipping)."""
        if self.cfg.clip > 0:
            clip_weights(D, self.cfg.clip)

    def g_loss(self, G: Generator, D: Discriminator, batch: Batch,
               fake: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """G loss on a batch of fakes conditioned like ``batch`` (``fake``: reuse these,
        still attached to G's graph)."""
        if fake is None:
            fake = self.fake(G, batch)
        out = D(fake, batch.cond, batch.source)
        loss = self.adversarial.g_loss(out.score)
        stats = {"loss_g": loss.detach()}
        if out.aux is not None:
            aux = classification_loss(out.aux, batch.cond, self.multi_label)
            loss = loss + self.cfg.aux_weight * aux
            stats["loss_g_aux"] = aux.detach()
        if self.reconstruction is not None and self.cfg.recon_weight > 0:
            recon = self.reconstruction(fake, batch.x)
            loss = loss + self.cfg.recon_weight * recon
            stats["recon"] = recon.detach()
        return loss, stats
