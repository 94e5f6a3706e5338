"""Evaluation during training: metrics every N steps, logged with the losses, and the
best checkpoint by a chosen metric kept as ``checkpoints/best.pt``."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

from gankit.errors import GankitError
from gankit.metrics.registry import is_better, result_key
from gankit.metrics.shipped import default_evaluator
from gankit.runs.checkpoint import save_checkpoint
from gankit.runs.evaluation import ACCURACY, PER_CLASS, check_evaluator, evaluate_model, load_evaluator
from gankit.training.callbacks import Callback, StatsLogger, _due


class PeriodicEvaluation(Callback):
    """Runs :func:`gankit.runs.evaluation.evaluate_model` on the sampler (EMA if any).

    With several training processes it runs on all of them: each generates and measures
    its part of the samples, the features are gathered, and every process gets the same
    figures (rank 0 logs them and keeps the best checkpoint).

    Args:
        run_dir: the run folder.
        every: evaluate every this many steps (and at the last step).
        request: an :class:`~gankit.runs.evaluation.EvaluationRequest`.
        best_metric: a metric name (``fid``, ``is``, ``acc``...) whose best value keeps
            ``checkpoints/best.pt``; empty for none.
    """

    all_ranks = True

    def __init__(self, run_dir: Path, every: int, request, best_metric: str = ""):
        self.folder = Path(run_dir) / "checkpoints"
        self.every = every
        self.request = request
        self.best_metric = best_metric
        self.suite = None

    def on_start(self, trainer) -> None:
        # a missing evaluator must stop the run now, not after the first eval_every steps;
        # the built-in shapes get their shipped evaluator, as `gankit evaluate` gives them
        evaluator = self.request.evaluator or default_evaluator(trainer.dataset)
        evaluator = load_evaluator(str(evaluator) if evaluator else None, trainer.device)
        for name in self.request.metrics:
            if name in (ACCURACY, PER_CLASS):
                check_evaluator(name, trainer.spec, evaluator)
            elif name.endswith("_evaluator") and evaluator is None:
                raise GankitError(f"metric {name!r} needs a domain evaluator: set "
                                  "train.evaluator=FILE (train one with `gankit evaluator "
                                  "train`)")
        self.request = replace(self.request, evaluator=evaluator)

    def on_step(self, trainer, stats: dict) -> None:
        if _due(trainer.step, self.every, trainer.total_steps):
            self.evaluate(trainer)

    def evaluate(self, trainer) -> dict:
        """Measure the sampler now, log the figures and keep the best checkpoint; the
        results are also left in ``trainer.last_eval`` for later callbacks."""
        started = time.perf_counter()
        results, self.suite = evaluate_model(trainer.sampler, trainer.spec, trainer.dataset,
                                             self.request, trainer.device, self.suite,
                                             shard=trainer.dist.shard)
        record = {"step": trainer.step, "kind": "eval",
                  "time_s": round(trainer.training_seconds(), 2),
                  **{k: v for k, v in results.items() if isinstance(v, (int, float))}}
        logger = trainer.callback(StatsLogger)
        if logger is not None:
            logger.log(record)
        if self.best_metric:
            key = result_key(self.best_metric)
            value = results.get(key)
            best = trainer.extra_state.get("best")
            old = best["value"] if best and best["key"] == key else None
            if value is not None and not math.isnan(value) and is_better(key, value, old):
                trainer.extra_state["best"] = {"key": key, "value": value, "step": trainer.step}
                if trainer.dist.is_main:
                    save_checkpoint(self.folder / "best.pt", trainer.state_dict(),
                                    update_latest=False)
        trainer.last_eval = record
        trainer.extra_state["eval_s"] = (trainer.extra_state.get("eval_s", 0.0)
                                         + time.perf_counter() - started)
        return results
