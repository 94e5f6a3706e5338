"""Catching a run that goes NaN: detect non-finite losses or weights, roll back to the
last good state with lower learning rates, or stop with a clear message.

Losses are checked on the device and read back once every ``every`` steps, so a GPU run
pays no per-step host sync. At each clean check the guard keeps a copy of the training
state in host memory to roll back to; checkpoints are never written from a non-finite
state (see :meth:`~gankit.training.loop.Trainer.state_dict`).
"""

from __future__ import annotations

import copy
import sys

import torch

from gankit.errors import GankitError
from gankit.training.callbacks import Callback, _due

REMEDIES = ("lower optim.lr_g / optim.lr_d", "add loss.gp_weight or loss.r1_weight",
            "model.spectral_norm=true")


class Diverged(Exception):
    """A non-finite loss or weight was found at ``step`` (``what`` names it)."""

    def __init__(self, step: int, what: str):
        super().__init__(f"{what} not finite at step {step}")
        self.step, self.what = step, what


def cpu_copy(value):
    """A deep copy of a (nested) state with every tensor on the CPU: a rollback point that
    costs host memory, not accelerator memory."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {key: cpu_copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(cpu_copy(item) for item in value)
    return copy.deepcopy(value)


def non_finite_weights(modules: dict[str, torch.nn.Module | None]) -> str | None:
    """The name of the first module with a NaN/Inf parameter or buffer, else ``None``."""
    for name, module in modules.items():
        if module is None:
            continue
        tensors = [*module.parameters(), *module.buffers()]
        floats = [t for t in tensors if t.is_floating_point()]
        if floats and not bool(torch.stack([torch.isfinite(t).all() for t in floats]).all()):
            return name
    return None


class DivergenceGuard(Callback):
    """Checks the step losses every ``every`` steps (and at the last step).

    Runs on every training process: the losses it sees are the processes' average, and
    the weights are the same everywhere, so all of them roll back (or stop) together.

    Args:
        every: steps between host-side checks.
        rollbacks: how many times to roll back before giving up.
        lr_factor: the learning rates are multiplied by this at each rollback.
        also_every: more cadences to check at (where a checkpoint may be written).
    """

    all_ranks = True

    def __init__(self, every: int, rollbacks: int, lr_factor: float,
                 also_every: tuple[int, ...] = ()):
        self.every, self.rollbacks, self.lr_factor = every, rollbacks, lr_factor
        self.also_every = tuple(also_every)
        self._finite: dict[str, torch.Tensor] = {}
        self._bad_keys: list[torch.Tensor] = []
        self.snapshot: dict | None = None

    def on_start(self, trainer) -> None:
        self.snapshot = cpu_copy(trainer.state_dict(for_sampling=False))

    def on_step(self, trainer, stats: dict) -> None:
        # per key: some stats (lazy penalties) appear only on some steps
        for key, value in stats.items():
            ok = torch.isfinite(value).all()
            self._finite[key] = ok if key not in self._finite else self._finite[key] & ok
        cadences = (self.every, *self.also_every)
        if not any(_due(trainer.step, every, trainer.total_steps) for every in cadences):
            return
        finite, self._finite = self._finite, {}
        if not bool(torch.stack(list(finite.values())).all()):  # one host sync per interval
            bad = [key for key, ok in finite.items() if not bool(ok)]
            raise Diverged(trainer.step, ", ".join(bad))
        self.snapshot = cpu_copy(trainer.state_dict(for_sampling=False))

    def recover(self, trainer, error: Diverged) -> None:
        """Roll ``trainer`` back to the last clean check with lower learning rates, or
        raise :class:`GankitError` when the rollbacks are used up."""
        done = int(trainer.extra_state.get("rollbacks", 0))
        if done >= self.rollbacks or self.snapshot is None:
            raise GankitError(self._give_up(trainer, error, done))
        trainer.load_state_dict(self.snapshot)
        trainer.extra_state["rollbacks"] = done + 1
        scale = self.lr_factor ** (done + 1)  # the trainer's schedule applies it
        self._finite = {}
        message = (f"{error}; rolled back to step {trainer.step} with the learning rates "
                   f"×{scale:g} (rollback {done + 1} of {self.rollbacks})")
        if trainer.dist.is_main:
            print(f"\ngankit: warning: {message}", file=sys.stderr)
        for callback in trainer.callbacks:
            callback.on_rollback(trainer, {"step": trainer.step, "kind": "rollback",
                                           "diverged_at": error.step, "what": error.what,
                                           "lr_scale": scale})

    def _give_up(self, trainer, error: Diverged, done: int) -> str:
        latest = trainer.run_dir / "checkpoints" / "latest"
        kept = (f"; the last checkpoint ({(latest.parent / latest.read_text().strip()).name}) "
                f"is intact and resumable" if latest.is_file() else "")
        tried = f" after {done} rollback(s) with lower learning rates" if done else ""
        return (f"training diverged: {error}{tried}{kept}; try: {'; '.join(REMEDIES)} "
                f"(train.nan_rollbacks allows more rollbacks)")
