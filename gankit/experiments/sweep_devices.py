"""Sweep trials side by side, one per device (``gankit sweep --devices cuda:0,cuda:1``).

This process keeps the study: it asks the sampler for each trial's settings and tells
the study how the trial ended; each trial trains in its own process on its device
(:mod:`gankit.experiments.placement`) and reports its evaluations to the pruner through
the study's database, as Optuna's own distributed optimisation does. With several
trials running at once the sampler proposes each from the trials finished so far, so a
parallel sweep is not repeatable trial for trial as a sequential one is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import optuna
from optuna.trial import TrialState

from gankit.config import Config
from gankit.experiments.placement import raise_first_failure, run_on_devices
from gankit.experiments.study import train_to_budget
from gankit.experiments.sweep import (
    STUDY_NAME,
    TRIAL_FOLDER,
    PruneOnEvaluation,
    Sweep,
    TrialRow,
    _finished,
    _row,
    make_pruner,
    storage_url,
    with_values,
)


@dataclass
class TrialJob:
    """What a trial's process needs: its number and storage id, its settings."""

    number: int
    trial_id: int
    values: dict
    cfg: Config
    folder: Path
    key: str
    eval_every: int


def run_trials_on_devices(study, sweep: Sweep, cfg: Config, trials: int, devices: list[str],
                          on_trial: Callable[[TrialRow], None] | None = None) -> None:
    """Run trials of ``study`` on ``devices`` until it holds ``trials`` complete or
    pruned ones (or ``sweep.todo`` have failed); a user error in a trial stops the
    others and is raised, naming the trial's settings."""
    asked: dict[int, optuna.trial.Trial] = {}
    failures = 0

    def next_job(running: int) -> TrialJob | None:
        if _finished(study) + running >= trials or failures >= sweep.todo:
            return None
        trial = study.ask()
        values = {p.key: p.suggest(trial) for p in sweep.space}
        asked[trial.number] = trial
        return TrialJob(trial.number, trial._trial_id, values, cfg, sweep.folder, sweep.key,
                        sweep.eval_every)

    def ended(outcome) -> None:
        nonlocal failures
        trial = asked.pop(outcome.job.number)
        if outcome.state == "interrupted":  # left running: the next sweep redoes it
            return
        state, value = outcome.value if outcome.state == "ok" else ("fail", None)
        if state == "pruned":
            frozen = study.tell(trial, state=TrialState.PRUNED)
        elif value is None or not math.isfinite(value):
            frozen = study.tell(trial, state=TrialState.FAIL)
        else:
            frozen = study.tell(trial, value)
        failures += frozen.state == TrialState.FAIL
        if on_trial:
            best = (frozen.state == TrialState.COMPLETE
                    and study.best_trial.number == frozen.number)
            on_trial(_row(frozen, sweep.folder, best))

    outcomes = run_on_devices(next_job, devices, _train_trial, on_end=ended)
    raise_first_failure([o for o in outcomes if o.state != "interrupted"],
                        lambda job: f"trial {job.number} with {job.values}")


def _train_trial(job: TrialJob, device: str) -> tuple[str, float | None]:
    """One trial, in its own process: ``("complete" | "pruned", its last figure)``."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=STUDY_NAME, storage=storage_url(job.folder),
                              pruner=make_pruner(job.eval_every))
    pruning = PruneOnEvaluation(optuna.trial.Trial(study, job.trial_id), job.key)
    cfg = with_values(job.cfg, job.values)
    cfg = replace(cfg, train=replace(cfg.train, device=device, progress=False))
    try:
        train_to_budget(cfg, job.folder / TRIAL_FOLDER.format(job.number), [pruning])
    except optuna.TrialPruned:
        return "pruned", pruning.value
    return "complete", pruning.value
