"""CycleGAN's objective (Zhu et al., 2017): two GANs tied by cycle consistency.

With G = (G_AB, G_BA) and D = (D_A, D_B) (:mod:`gankit.models.cyclegan`), a batch holds
domain-A images in ``batch.source`` and domain-B images in ``batch.x``, not aligned:

* D phase, per domain: the adversarial D loss on real images against fakes drawn from a
  history pool (Shrivastava et al., 2017): with probability ½ a fake is swapped for one
  stored earlier. The registered ``lsgan`` D loss, ½·(MSE(D(real), 1) + MSE(D(fake), 0)),
  is the paper's objective divided by 2 "while optimizing D".
* G phase: adversarial loss of both directions + λ·(|G_BA(G_AB(a)) − a|₁ + |G_AB(G_BA(b))
  − b|₁) + identity·λ·(|G_AB(b) − b|₁ + |G_BA(a) − a|₁), with λ = ``loss.cycle_weight``
  and identity = ``loss.identity_weight`` (a fraction of λ, the paper's 0.5; the identity
  terms need the same channels in A and B). CycleGAN's G minimises MSE(D(G(a)), 1), twice
  the registered LSGAN's ½·MSE, so λ keeps the paper's meaning: the ``lsgan`` G term is
  doubled here. Other adversarial losses (``loss.name``) are used as registered.

The pools are the objective's state: saved in checkpoints and restored on resume, and
their coin flips and picks come from the run's noise generator, so a run is repeatable
and resumes exactly.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from gankit.config import LossConfig
from gankit.data.base import Batch
from gankit.errors import GankitError
from gankit.losses.adversarial import build_adversarial_loss
from gankit.losses.objective import OBJECTIVES, Objective, Stats
from gankit.losses.regularizers import Augment
from gankit.models.base import DataSpec, Discriminator, Generator

#: G-term factor that turns a registered loss into CycleGAN's weighting (see the docstring)
G_SCALE = {"lsgan": 2.0}


class CycleFakes(NamedTuple):
    """Both translations of a batch: ``b`` = G_AB(source), ``a`` = G_BA(x)."""

    b: torch.Tensor
    a: torch.Tensor


class HistoryPool:
    """The last ``size`` fakes D was shown; :meth:`query` mixes them into new batches.

    Until full, every fake is stored and returned as is. Then each fake is, with
    probability ½, swapped for a random stored one (which is returned instead), else
    returned as is (Shrivastava et al., 2017; CycleGAN's ``ImagePool``). ``size`` 0
    returns every batch unchanged.

    Args:
        size: how many fakes to keep.
        generator: the source of the coin flips and picks (CPU ``torch.Generator``).
    """

    def __init__(self, size: int, generator: torch.Generator | None = None):
        self.size = size
        self.generator = generator
        self.images: torch.Tensor | None = None  # [k, C, H, W], k <= size, detached

    def __len__(self) -> int:
        return 0 if self.images is None else len(self.images)

    def query(self, fakes: torch.Tensor) -> torch.Tensor:
        """The batch D sees in place of ``fakes`` (detached; the pool is updated)."""
        fakes = fakes.detach()
        if self.size == 0:
            return fakes
        if self.images is not None and self.images.device != fakes.device:
            self.images = self.images.to(fakes.device)
        out = []
        # one coin and one pick per image, drawn whether used or not: the number of
        # draws per call is fixed, so runs and resumes stay repeatable
        coins = torch.rand(len(fakes), generator=self.generator)
        picks = torch.randint(self.size, (len(fakes),), generator=self.generator)
        for image, coin, pick in zip(fakes, coins.tolist(), picks.tolist()):
            if len(self) < self.size:
                stored = image[None].clone()
                self.images = stored if self.images is None else torch.cat([self.images, stored])
                out.append(image)
            elif coin < 0.5:
                out.append(self.images[pick].clone())
                self.images[pick] = image
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict:
        return {"size": self.size,
                "images": None if self.images is None else self.images.detach().cpu().clone()}

    def load_state_dict(self, state: dict) -> None:
        images = state.get("images")
        self.images = None if images is None else images.clone()


def _l1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (x - y).abs().mean()


class CycleObjective(Objective):
    """CycleGAN's D and G phases (see the module docstring).

    Args:
        cfg: the loss section (``name``, ``cycle_weight``, ``identity_weight``, ``history``).
        noise: the run's noise generator (the pools' draws).
        augment: differentiable augmentation of every image D sees (optional).
        same_channels: whether domains A and B have the same channels (the identity
            terms need it).
    """

    def __init__(self, cfg: LossConfig, noise: torch.Generator | None = None,
                 augment: Augment | None = None, same_channels: bool = True):
        if cfg.identity_weight > 0 and not same_channels:
            raise GankitError("loss.identity_weight > 0 feeds each domain to the other's "
                              "generator, which needs the same channels in A and B; set "
                              "loss.identity_weight=0, or data.options.source_channels to "
                              "data.channels")
        self.cfg = cfg
        self.adversarial = build_adversarial_loss(cfg.name)
        if self.adversarial.relativistic:
            raise GankitError(f"loss.name={cfg.name} compares each fake with a real image; "
                              "CycleGAN's pooled fakes have none: use lsgan (the paper's), "
                              "ns or hinge")
        self.g_scale = G_SCALE.get(cfg.name, 1.0)
        self.noise = noise
        self.augment = augment
        self.pool_a = HistoryPool(cfg.history, noise)
        self.pool_b = HistoryPool(cfg.history, noise)

    # ---------------------------------------------------------------- parts

    @staticmethod
    def _parts(G: Generator, D: Discriminator | None = None):
        if not hasattr(G, "a_to_b") or (D is not None and not hasattr(D, "d_a")):
            raise GankitError("loss.objective=cycle trains two generators and two "
                              "discriminators: set model.generator=cyclegan and "
                              "model.discriminator=cyclegan")
        return G.a_to_b, G.b_to_a, (None, None) if D is None else (D.d_a, D.d_b)

    @staticmethod
    def _domains(batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        if batch.source is None:
            raise GankitError("loss.objective=cycle needs two image domains: use unpaired "
                              "data (data.unpaired=true, or a trainA/ + trainB/ folder)")
        return batch.source, batch.x

    def _score(self, D: Discriminator, images: torch.Tensor) -> torch.Tensor:
        return D(self._seen(images)).score

    # ---------------------------------------------------------------- phases

    def fake(self, G: Generator, batch: Batch) -> CycleFakes:
        """Both translations of ``batch``: G_AB(a) and G_BA(b)."""
        a_to_b, b_to_a, _ = self._parts(G)
        a, b = self._domains(batch)
        return CycleFakes(a_to_b(None, None, a), b_to_a(None, None, b))

    def d_loss(self, G: Generator, D: Discriminator, batch: Batch,
               fake: CycleFakes | None = None) -> tuple[torch.Tensor, Stats]:
        """D_A and D_B on real images against pooled fakes (the fakes are detached)."""
        _, _, (d_a, d_b) = self._parts(G, D)
        if fake is None:
            with torch.no_grad():
                fake = self.fake(G, batch)
        a, b = self._domains(batch)
        real_b, fake_b = self._score(d_b, b), self._score(d_b, self.pool_b.query(fake.b))
        real_a, fake_a = self._score(d_a, a), self._score(d_a, self.pool_a.query(fake.a))
        loss_b = self.adversarial.d_loss(real_b, fake_b)
        loss_a = self.adversarial.d_loss(real_a, fake_a)
        loss = loss_a + loss_b
        stats = {"loss_d": loss.detach(), "loss_d_a": loss_a.detach(),
                 "loss_d_b": loss_b.detach(),
                 "d_real": 0.5 * (real_a.mean() + real_b.mean()).detach(),
                 "d_fake": 0.5 * (fake_a.mean() + fake_b.mean()).detach()}
        # one row per real image of either domain (patch maps are averaged per row)
        stats.update(self._augment_feedback(torch.cat([real_a.detach().reshape(len(a), -1),
                                                       real_b.detach().reshape(len(b), -1)])))
        return loss, stats

    def g_loss(self, G: Generator, D: Discriminator, batch: Batch,
               fake: CycleFakes | None = None) -> tuple[torch.Tensor, Stats]:
        """Adversarial terms of both directions + λ·cycle + identity·λ·identity terms
        (``fake``: reuse these translations, still attached to G's graph)."""
        a_to_b, b_to_a, (d_a, d_b) = self._parts(G, D)
        if fake is None:
            fake = self.fake(G, batch)
        a, b = self._domains(batch)
        adv = self.g_scale * (self.adversarial.g_loss(self._score(d_b, fake.b))
                              + self.adversarial.g_loss(self._score(d_a, fake.a)))
        cycle = _l1(b_to_a(None, None, fake.b), a) + _l1(a_to_b(None, None, fake.a), b)
        lam = self.cfg.cycle_weight
        loss = adv + lam * cycle
        stats = {"loss_g": loss.detach(), "loss_g_adv": adv.detach(), "cycle": cycle.detach()}
        if self.cfg.identity_weight > 0:
            identity = _l1(a_to_b(None, None, b), b) + _l1(b_to_a(None, None, a), a)
            loss = loss + self.cfg.identity_weight * lam * identity
            stats["identity"] = identity.detach()
            stats["loss_g"] = loss.detach()
        return loss, stats

    # ---------------------------------------------------------------- state

    def state_dict(self) -> dict:
        return {**super().state_dict(), "pool_a": self.pool_a.state_dict(),
                "pool_b": self.pool_b.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        for name, pool in (("pool_a", self.pool_a), ("pool_b", self.pool_b)):
            if state.get(name) is not None:
                pool.load_state_dict(state[name])
        super().load_state_dict(state)


@OBJECTIVES.register("cycle")
def _cycle(cfg: LossConfig, spec: DataSpec, noise: torch.Generator,
           augment: Augment | None) -> Objective:
    """CycleGAN: two generators and two discriminators, cycle and identity losses"""
    if spec.kind != "image" or spec.source_channels == 0:
        raise GankitError("loss.objective=cycle needs two image domains: use unpaired data "
                          "(data.unpaired=true, or a trainA/ + trainB/ folder)")
    return CycleObjective(cfg, noise, augment, spec.source_channels == spec.channels)
