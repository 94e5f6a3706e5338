"""Exponential moving average of the generator's weights (Yazıcı et al., 2019), with
BatchNorm statistics that belong to the averaged weights (BigGAN's "standing
statistics", Brock et al., 2019)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from gankit.data.base import to_unit
from gankit.data.loader import condition_vectors

# draws one batch of the generator's inputs (z, cond, source) from the given RNG
InputDraw = Callable[[torch.Generator], tuple]


def batchnorm_layers(model: nn.Module) -> list[_BatchNorm]:
    """The BatchNorm layers of ``model`` that keep running statistics."""
    return [m for m in model.modules() if isinstance(m, _BatchNorm) and m.track_running_stats]


def training_inputs(dataset, G: nn.Module, batch_size: int,
                    device: torch.device) -> InputDraw:
    """Draws ``batch_size`` inputs for ``G`` as training feeds it: fresh latents, and the
    conditions (and paired sources) of random items of ``dataset``."""
    labels = dataset.labels
    sources = getattr(dataset, "sources", None)

    def draw(rng: torch.Generator) -> tuple:
        z = None if G.z_dim == 0 else G.sample_z(batch_size, "cpu", rng).to(device)
        index = torch.randint(len(dataset), (batch_size,), generator=rng)
        cond = None if labels is None else condition_vectors(labels[index],
                                                             dataset.num_classes).to(device)
        source = None if sources is None else to_unit(sources[index]).to(device)
        return z, cond, source

    return draw


class StandingStatistics:
    """Re-estimates a generator's BatchNorm running statistics from its own outputs.

    Each BatchNorm layer's running mean and variance become the plain average over
    ``batches`` forward passes in train mode on inputs from ``draw`` (seeded by ``seed``,
    so the result depends on the weights alone). The global RNG is left untouched, so
    training and resuming are unaffected.
    """

    def __init__(self, draw: InputDraw, batches: int, seed: int = 0):
        self.draw = draw
        self.batches = batches
        self.seed = seed

    @torch.no_grad()
    def apply(self, model: nn.Module) -> None:
        norms = batchnorm_layers(model)
        if not norms or self.batches <= 0:
            return
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the batches below
        was_training = model.training
        device = next(model.parameters()).device
        rng = torch.Generator().manual_seed(self.seed)
        model.train()
        try:
            # dropout in train mode draws from the global RNG: keep its state as it was
            with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
                for _ in range(self.batches):
                    model(*self.draw(rng))
        finally:
            for m, momentum in zip(norms, momenta):
                m.momentum = momentum
            model.train(was_training)


class EMA:
    """Keeps ``shadow`` ≈ decay-weighted average of ``model``'s parameters.

    Buffers (BatchNorm running statistics) are copied from ``model``; those statistics
    describe the trained weights' activations, not the average's, which costs the EMA
    its gain on BatchNorm generators (CIFAR-10 after 20 minutes, evaluator FID with copied
    / re-estimated statistics: biggan32-cpu 2.12 / 1.79, dcgan32-cpu 4.58 / 3.97;
    benchmarks/RESULTS.md). Given ``standing``, :attr:`sampler` re-estimates them for
    the averaged weights before they draw (once per update). Before ``start_step`` the
    shadow simply follows the model. The decay ramps up as ``min(decay, (1 + t) / (10 +
    t))`` after ``t`` averaged steps (TensorFlow's ``num_updates`` rule), so a short run's
    average is not dominated by its untrained first weights: at decay 0.999 the shadow
    was still washed out at step 1,500.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999, start_step: int = 0,
                 standing: StandingStatistics | None = None):
        self.decay = decay
        self.start_step = start_step
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)
        self.standing: StandingStatistics | None = None
        self._stale = False
        self.use_standing(standing)

    def use_standing(self, standing: StandingStatistics | None) -> None:
        """Re-estimate the average's BatchNorm statistics with ``standing`` before it
        draws (``None``: keep the copied ones; ignored for a net without BatchNorm)."""
        self.standing = standing if batchnorm_layers(self.shadow) else None
        self._stale = self.standing is not None

    @torch.no_grad()
    def update(self, model: nn.Module, step: int, decay: float | None = None) -> None:
        """Average ``model`` in after ``step``; ``decay`` (e.g. from a half-life
        schedule) replaces the configured decay and its ramp."""
        if decay is None:
            t = step - self.start_step
            decay = min(self.decay, (1 + t) / (10 + t)) if t >= 0 else 0.0
        for avg, p in zip(self.shadow.parameters(), model.parameters()):
            avg.lerp_(p.detach(), 1.0 - decay)
        for avg, b in zip(self.shadow.buffers(), model.buffers()):
            avg.copy_(b)
        self._stale = self.standing is not None

    @property
    def sampler(self) -> nn.Module:
        """The averaged generator, ready to draw: with ``standing``, its BatchNorm
        statistics are first re-estimated for its weights (when they moved since)."""
        if self._stale:
            self.standing.apply(self.shadow)
            self._stale = False
        return self.shadow

    def state_dict(self) -> dict:
        return self.sampler.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.shadow.load_state_dict(state)
        # a checkpoint from before standing statistics holds copied ones
        self._stale = self.standing is not None
