"""ADA's controller (Karras et al., 2020): augment D's inputs just as much as keeps it from
overfitting.

D's overfitting is read from r_t = E[sign D(real)] on augmented reals: every ``interval`` D
steps, ``p`` (shared by all ops) moves by sign(r_t − target) × images / ``speed_images``
(the images seen in that interval), within [0, 1].
"""

from __future__ import annotations

import torch

from gankit.training.augment import Augmentation


class AdaptiveAugment(Augmentation):
    """The policy's ops with ADA's adaptive ``p``.

    Args:
        ops: op names (see :mod:`gankit.training.augment`).
        p: the starting probability (``augment.ada_start``).
        target: the wanted E[sign D(real)].
        speed_images: images over which ``p`` could go from 0 to 1.
        interval: D steps between adjustments.
        device: where D's scores are summed (no host sync between adjustments).

    With several processes, ``sum_across`` (set by the trainer) sums a tensor over them:
    each adjustment then reads every process's scores, so all keep the same ``p``.
    """

    sum_across = None

    def __init__(self, ops: list[str], p: float = 0.0, target: float = 0.6,
                 speed_images: int = 500_000, interval: int = 4,
                 device: torch.device | str = "cpu"):
        super().__init__(ops, p)
        self.target, self.speed_images, self.interval = target, speed_images, interval
        self._sign_sum = torch.zeros((), device=device)
        self._images = 0  # reals observed since the last adjustment
        self._steps = 0  # D steps observed since the last adjustment

    def observe(self, real_scores: torch.Tensor) -> None:
        """Count D's (detached) scores on one batch of augmented reals, ``[N]`` or a patch
        map ``[N, ...]`` (one mean sign per image); every ``interval`` calls, adjust ``p``."""
        signs = real_scores.detach().float().sign()
        if signs.dim() > 1:
            signs = signs.flatten(1).mean(dim=1)
        self._sign_sum = self._sign_sum.to(signs.device) + signs.sum()
        self._images += signs.shape[0]
        self._steps += 1
        if self._steps >= self.interval:
            self._adjust()

    @property
    def r_t(self) -> float | None:
        """E[sign D(real)] since the last adjustment (None before any; reads the device)."""
        return float(self._sign_sum) / self._images if self._images else None

    def _adjust(self) -> None:
        if self.sum_across is not None:  # the processes adjust at the same D steps
            counts = self.sum_across(torch.stack([self._sign_sum.float(), torch.tensor(
                float(self._images), device=self._sign_sum.device)]))
            self._sign_sum, self._images = counts[0], int(counts[1])
        r_t = self.r_t
        direction = (r_t > self.target) - (r_t < self.target)
        self.p = min(max(self.p + direction * self._images / self.speed_images, 0.0), 1.0)
        self._sign_sum = torch.zeros_like(self._sign_sum)
        self._images = self._steps = 0

    def state_dict(self) -> dict:
        """``p`` and the partial interval, on the CPU (a resumed run continues exactly)."""
        return {"p": self.p, "sign_sum": self._sign_sum.detach().cpu().clone(),
                "images": self._images, "steps": self._steps}

    def load_state_dict(self, state: dict) -> None:
        self.p = float(state.get("p", self.p))
        if "sign_sum" in state:
            self._sign_sum = torch.as_tensor(state["sign_sum"], dtype=torch.float32).to(
                self._sign_sum.device)
        self._images = int(state.get("images", 0))
        self._steps = int(state.get("steps", 0))
