"""Exponential moving average of the generator's weights (Yazıcı et al., 2019)."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Keeps ``shadow`` ≈ decay-weighted average of ``model``'s parameters.

    Buffers (BatchNorm running statistics) are copied, not averaged. Before
    ``start_step`` the shadow simply follows the model. The decay ramps up as
    ``min(decay, (1 + t) / (10 + t))`` after ``t`` averaged steps (TensorFlow's
    ``num_updates`` rule), so a short run's average is not dominated by its untrained
    first weights: at decay 0.999 the shadow was still washed out at step 1,500.
    """

    def __init__(self, model: nn.Module, decay: float = 0.999, start_step: int = 0):
        self.decay = decay
        self.start_step = start_step
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)

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

    def state_dict(self) -> dict:
        return self.shadow.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.shadow.load_state_dict(state)
