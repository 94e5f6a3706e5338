"""What every study across runs shares: a training budget, the metrics runs are judged
by, and training a run folder to its budget (resuming it when it is part-way)."""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from gankit.config import Config
from gankit.errors import GankitError
from gankit.metrics.defaults import EVALUATOR_METRICS
from gankit.metrics.inception_weights import find_inception_weights
from gankit.metrics.registry import check_metric_names
from gankit.metrics.shipped import default_evaluator
from gankit.runs.checkpoint import LATEST, load_checkpoint, training_seconds
from gankit.training import train

#: when neither --steps nor --minutes is given
DEFAULT_STEPS = 2000
#: train.steps under a pure wall-clock budget: the clock ends the run
UNBOUNDED_STEPS = 10**9


@dataclass(frozen=True)
class Budget:
    """Equal steps, or equal training minutes (the fair budget on one machine); both
    may be set, and whichever comes first ends a run."""

    steps: int | None = None
    minutes: float | None = None

    def __post_init__(self):
        if self.steps is not None and self.steps <= 0:
            raise GankitError(f"--steps must be positive, got {self.steps}")
        if self.minutes is not None and not (self.minutes > 0 and math.isfinite(self.minutes)):
            raise GankitError(f"--minutes must be a positive number, got {self.minutes}")

    def apply(self, cfg: Config) -> Config:
        """``cfg`` with its length set to this budget."""
        steps = self.steps or (UNBOUNDED_STEPS if self.minutes else DEFAULT_STEPS)
        train = replace(cfg.train, steps=steps, epochs=0.0, minutes=self.minutes or 0.0)
        return replace(cfg, train=train)

    def describe(self) -> str:
        parts = ([f"{self.steps} steps"] if self.steps else []) + (
            [f"{self.minutes:g} min"] if self.minutes else [])
        return " or ".join(parts) or f"{DEFAULT_STEPS} steps"


@dataclass(frozen=True)
class Judging:
    """The metrics a study evaluates runs with, and why."""

    metrics: tuple[str, ...]
    evaluator: str | None
    inception_weights: str | None
    reason: str

    @property
    def primary(self) -> str:
        return self.metrics[0]


def choose_metrics(dataset, requested: str | None = None, evaluator: str | None = None,
                   inception_weights: str | None = None) -> Judging:
    """Inception FID (+ KID) when its weights file is on disk; otherwise the domain
    evaluator's figures (``fid_evaluator``, plus ``acc`` for conditional data). A
    comma-separated ``requested`` list wins. Says which in ``reason``."""
    evaluator = evaluator or _as_str(default_evaluator(dataset))
    if requested:
        names = check_metric_names([m.strip() for m in requested.split(",") if m.strip()])
        return Judging(names, evaluator, inception_weights, "as asked (--metrics)")
    try:
        weights = str(find_inception_weights(inception_weights))
        return Judging(("fid", "kid"), evaluator, weights, f"Inception FID ({weights})")
    except GankitError as missing:
        if evaluator is None:
            raise GankitError(f"no metric to judge runs by: {missing}; or pass --evaluator "
                              "FILE (train one with `gankit evaluator train`), or --metrics") \
                from None
    conditional = getattr(dataset, "labels", None) is not None
    names = (EVALUATOR_METRICS[0],) + (("acc",) if conditional else ())
    return Judging(names, evaluator, None,
                   f"the domain evaluator {evaluator} (no Inception weights file found)")


def _as_str(path) -> str | None:
    return None if path is None else str(path)


def has_checkpoint(run_dir: Path) -> bool:
    return (Path(run_dir) / "checkpoints" / LATEST).is_file()


def train_to_budget(cfg: Config, run_dir: Path, extra_callbacks: list = ()):
    """Train ``cfg`` into ``run_dir``, or continue the run there up to ``cfg``'s budget
    (its steps and minutes; a finished run with a larger budget is extended). Returns
    the :class:`~gankit.training.run.TrainResult`."""
    run_dir = Path(run_dir)
    if not has_checkpoint(run_dir):
        if (run_dir / "config.yaml").is_file():  # stopped before its first checkpoint
            shutil.rmtree(run_dir)
        return train(cfg, out=run_dir, extra_callbacks=extra_callbacks)
    state = load_checkpoint(run_dir)
    return train(cfg, resume=state, extra_callbacks=extra_callbacks)


def is_finished(cfg: Config, run_dir: Path) -> bool:
    """Whether the run in ``run_dir`` has used up ``cfg``'s budget."""
    if not has_checkpoint(run_dir):
        return False
    state = load_checkpoint(run_dir)
    t = cfg.train
    spent = training_seconds(state)
    return int(state["step"]) >= t.steps or (t.minutes > 0 and spent >= t.minutes * 60)
