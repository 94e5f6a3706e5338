"""The GAN objective: what one D phase and one G phase compute.

Composes an adversarial loss with the optional regularisers named in
:class:`~gankit.config.LossConfig`. Models do not know losses and this module does not
know the training loop: the trainer calls :meth:`Objective.fake`, :meth:`Objective.d_loss`,
:meth:`Objective.g_loss` and :meth:`Objective.after_d_step`, and saves
:meth:`Objective.state_dict` in checkpoints. Objectives are chosen by ``loss.objective``
from :data:`OBJECTIVES`.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from gankit.config import LossConfig
from gankit.data.base import Batch
from gankit.losses.adversarial import build_adversarial_loss
from gankit.losses.auxiliary import AUX_MODES
from gankit.losses.mode_seeking import (capped_pair_loss, mode_seeking_loss, paired_latents,
                                        paired_rows)
from gankit.losses.regularizers import (RECONSTRUCTION_LOSSES, Augment, clip_weights,
                                        gradient_penalty, zero_centred_penalty)
from gankit.models.base import DataSpec, Discriminator, Generator
from gankit.precision import full_precision
from gankit.registry import Registry
from gankit.sharding import WHOLE, Shard

Stats = dict[str, torch.Tensor]


class Objective:
    """The contract between a training loop and a loss: fakes, the D and G phases, the
    constraints after a D update, and any state that must survive a resume.

    ``augment`` (set by subclasses; None: none) is the differentiable augmentation of
    every image D sees; its state is part of :meth:`state_dict`. ``shard`` (set by a
    trainer running several processes) is this process's part of each global batch:
    per-item draws from the run's noise generator (latents, interpolation weights) are
    made for the global batch and sliced (see :meth:`~gankit.sharding.Shard.draw`).
    """

    augment: Augment | None = None
    shard: Shard = WHOLE
    #: whether the G phase accepts the fakes of the last D step (saving a G forward)
    shares_fakes: bool = True

    def fake(self, G: Generator, batch: Batch) -> torch.Tensor:
        raise NotImplementedError

    def d_loss(self, G: Generator, D: Discriminator, batch: Batch,
               fake: torch.Tensor | None = None) -> tuple[torch.Tensor, Stats]:
        raise NotImplementedError

    def g_loss(self, G: Generator, D: Discriminator, batch: Batch,
               fake: torch.Tensor | None = None) -> tuple[torch.Tensor, Stats]:
        raise NotImplementedError

    def after_d_step(self, D: Discriminator) -> None:
        """Constraints applied after each D update (none by default)."""

    def _seen(self, images: torch.Tensor) -> torch.Tensor:
        """What D sees of ``images``: their augmentation, when one is set."""
        return self.augment(images) if self.augment is not None else images

    def _augment_feedback(self, real_scores: torch.Tensor) -> Stats:
        """Tell an adaptive augmentation (ADA) D's detached scores on reals, one row per
        image; returns its probability to log."""
        if hasattr(self.augment, "observe"):
            self.augment.observe(real_scores)
        if hasattr(self.augment, "p"):
            return {"augment_p": torch.tensor(float(self.augment.p))}
        return {}

    def state_dict(self) -> dict:
        augment = self.augment.state_dict() if hasattr(self.augment, "state_dict") else None
        return {"augment": augment}

    def load_state_dict(self, state: dict) -> None:
        if state.get("augment") is not None and hasattr(self.augment, "load_state_dict"):
            self.augment.load_state_dict(state["augment"])


ObjectiveBuilder = Callable[[LossConfig, DataSpec, torch.Generator, Augment | None], Objective]
OBJECTIVES: Registry[ObjectiveBuilder] = Registry("objective")


def build_objective(cfg: LossConfig, spec: DataSpec, noise: torch.Generator,
                    augment: Augment | None = None) -> Objective:
    """The objective named by ``cfg.objective``."""
    return OBJECTIVES.get(cfg.objective)(cfg, spec, noise, augment)


class GANObjective(Objective):
    """Adversarial loss + gradient penalty / R1 / R2 / clipping / ACGAN / reconstruction.

    Args:
        cfg: the loss section of the config.
        multi_label: conditions are multi-hot (ACGAN uses BCE instead of CE).
        noise: generator of latents and interpolation coefficients (reproducibility).
        augment: differentiable augmentation applied to every image D sees, real or
            fake (DiffAugment / ADA); one with ``observe`` is told D's scores on reals.

    ``gamma_factor`` scales the R1/R2 weights (set by a γ schedule).
    """

    def __init__(self, cfg: LossConfig, multi_label: bool = False,
                 noise: torch.Generator | None = None, augment: Augment | None = None):
        self.cfg = cfg
        self.adversarial = build_adversarial_loss(cfg.name)
        self.multi_label = multi_label
        self.aux_mode = AUX_MODES.get(cfg.aux_mode)
        self.noise = noise
        self.augment = augment
        self.reconstruction = (RECONSTRUCTION_LOSSES.get(cfg.recon)
                               if cfg.recon != "none" else None)
        self.gamma_factor = 1.0
        self.d_calls = 0
        #: the latents and latent codes (InfoGAN) of the latest fakes :meth:`fake` made
        self.latents: torch.Tensor | None = None
        self.codes: torch.Tensor | None = None

    @property
    def shares_fakes(self) -> bool:
        """Not when mode seeking: its G phase makes its own fakes, in pairs."""
        return self.cfg.mode_seeking == 0

    def fake(self, G: Generator, batch: Batch, paired: bool = False) -> torch.Tensor:
        """Fakes conditioned like ``batch`` (fresh latents from the objective's RNG);
        ``paired``: the second half of the latents repeats the first half's code (see
        :func:`~gankit.losses.mode_seeking.paired_latents`)."""
        n, device = batch.x.shape[0], batch.x.device
        z = None if G.z_dim == 0 else self.shard.draw(
            lambda m: G.sample_z(m, device, self.noise), n)
        if paired and z is not None:
            z = paired_latents(z, G.latent_codes)
        self.latents = z
        self.codes = G.codes_of(z) if G.latent_codes else None
        return G(z, batch.cond, batch.source)

    def _code_loss(self, out, stats: Stats, key: str) -> torch.Tensor | float:
        """InfoGAN's term: how badly D's code head recovers the latest fakes' codes (the
        fakes passed to :meth:`d_loss` / :meth:`g_loss` are always the latest made)."""
        if out.info is None or self.codes is None or self.cfg.info_weight == 0:
            return 0.0
        info = F.cross_entropy(out.info.float(), self.codes)
        stats[key] = info.detach()
        return self.cfg.info_weight * info

    def d_loss(self, G: Generator, D: Discriminator, batch: Batch,
               fake: torch.Tensor | None = None) -> tuple[torch.Tensor, Stats]:
        """D/critic loss on one real batch and as many fakes.

        ``fake`` may be passed in (e.g. to reuse it for the G phase); D sees it detached.
        """
        if fake is None:
            with torch.no_grad():
                fake = self.fake(G, batch)
        fake = fake.detach()
        real_out = D(self._seen(batch.x), batch.cond, batch.source)
        fake_out = D(self._seen(fake), batch.cond, batch.source)
        adv = self.adversarial.d_loss(real_out.score, fake_out.score)
        stats = {"loss_d": adv.detach(),
                 "d_real": real_out.score.mean().detach(),
                 "d_fake": fake_out.score.mean().detach(),
                 **self._augment_feedback(real_out.score.detach())}
        loss = adv
        if real_out.aux is not None:
            aux = self.aux_mode.d_loss(real_out, fake_out, batch.cond, self.multi_label,
                                       self.cfg)
            loss = loss + self.cfg.aux_weight * aux
            stats["loss_d_aux"] = aux.detach()
        loss = loss + self._code_loss(fake_out, stats, "loss_d_info")
        penalties, penalty_stats = self._penalties(D, batch, fake)
        self.d_calls += 1
        return loss + penalties, {**stats, **penalty_stats}

    def _penalties(self, D: Discriminator, batch: Batch, fake: torch.Tensor
                   ) -> tuple[torch.Tensor | float, Stats]:
        """GP, R1 and R2 — on every ``reg_every``-th D step, weighted by as much (lazy
        regularisation, Karras et al. 2020)."""
        cfg, every = self.cfg, self.cfg.reg_every
        if self.d_calls % every:
            return 0.0, {}
        total, stats = 0.0, {}
        augment, fake = self.augment, fake.float()
        with full_precision():  # in float32 under train.precision=bf16/fp16 too
            if cfg.gp_weight > 0:
                gp = gradient_penalty(D, batch.x, fake, batch.cond, batch.source,
                                      generator=self.noise, augment=augment, shard=self.shard)
                total = total + every * cfg.gp_weight * gp
                stats["gp"] = gp.detach()
            for key, weight, images in (("r1", cfg.r1_weight, batch.x),
                                        ("r2", cfg.r2_weight, fake)):
                if weight > 0:
                    penalty = zero_centred_penalty(D, images, batch.cond, batch.source, augment)
                    total = total + every * 0.5 * weight * self.gamma_factor * penalty
                    stats[key] = penalty.detach()
        return total, stats

    def after_d_step(self, D: Discriminator) -> None:
        """Constraints applied after each D update (WGAN weight clipping)."""
        if self.cfg.clip > 0:
            clip_weights(D, self.cfg.clip)

    def g_loss(self, G: Generator, D: Discriminator, batch: Batch,
               fake: torch.Tensor | None = None) -> tuple[torch.Tensor, Stats]:
        """G loss on a batch of fakes conditioned like ``batch`` (``fake``: reuse these,
        still attached to G's graph; ignored when mode seeking, whose fakes come in
        pairs that share a condition: the batch's first half, twice)."""
        seeking = self.cfg.mode_seeking > 0
        if seeking:
            batch = Batch(*(paired_rows(part) for part in batch))
            fake = self.fake(G, batch, paired=True)
        elif fake is None:
            fake = self.fake(G, batch)
        out = D(self._seen(fake), batch.cond, batch.source)
        real_score = None
        if self.adversarial.relativistic:
            real_score = D(self._seen(batch.x), batch.cond, batch.source).score.detach()
        loss = self.adversarial.g_loss(out.score, real_score)
        stats = {"loss_g": loss.detach()}
        if seeking:
            seek = (capped_pair_loss(fake, self.latents, self.cfg.mode_seeking_cap)
                    if self.cfg.mode_seeking_cap > 0 else mode_seeking_loss(fake, self.latents))
            loss = loss + self.cfg.mode_seeking * seek
            stats["mode_seeking"] = seek.detach()
        if out.aux is not None:
            aux = self.aux_mode.g_loss(out, batch.cond, self.multi_label, self.cfg)
            loss = loss + self.cfg.aux_weight * aux
            stats["loss_g_aux"] = aux.detach()
        loss = loss + self._code_loss(out, stats, "loss_g_info")
        if self.reconstruction is not None and self.cfg.recon_weight > 0:
            recon = self.reconstruction(fake, batch.x)
            loss = loss + self.cfg.recon_weight * recon
            stats["recon"] = recon.detach()
        return loss, stats

    def state_dict(self) -> dict:
        return {**super().state_dict(), "d_calls": self.d_calls}

    def load_state_dict(self, state: dict) -> None:
        super().load_state_dict(state)
        self.d_calls = int(state.get("d_calls", 0))


@OBJECTIVES.register("gan")
def _gan(cfg: LossConfig, spec: DataSpec, noise: torch.Generator,
         augment: Augment | None) -> Objective:
    """one generator against one discriminator (every preset but CycleGAN)"""
    return GANObjective(cfg, spec.multi_label, noise, augment)
