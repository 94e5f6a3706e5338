"""Hyper-parameter sweeps: an Optuna study over config keys, each trial a normal run
folder (``DIR/trial-0000``...), stored in ``DIR/study.db`` so a stopped sweep resumes.

A trial's value is its metric at its **last** evaluation (the end of its budget, or the
evaluation it was pruned after): what the trained model delivers, and what training
``best.yaml`` to the same budget reproduces. Every trial trains with the same seed, so
trials differ by their searched settings alone.

One process drives a sweep folder at a time: a trial still running when a sweep starts
was left behind by a crash or Ctrl-C, and is done again.
"""

from __future__ import annotations

import copy
import csv
import math
import shutil
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import optuna
import yaml
from optuna.trial import TrialState

from gankit.config import Config, config_from_dict, load_config
from gankit.errors import GankitError
from gankit.experiments.study import DEFAULT_STEPS, Budget, choose_metrics, train_to_budget
from gankit.metrics.registry import higher_is_better, result_key
from gankit.runs.data import build_dataset
from gankit.training.callbacks import Callback

STUDY_NAME = "gankit-sweep"
#: keys the sweep sets itself (budget, evaluation), so a space file may not search them
CONTROLLED = ("train.steps", "train.epochs", "train.minutes", "train.eval_every",
              "train.eval_metrics", "train.evaluator")
#: evaluations per trial when --eval-every is not given (a step budget)
EVALUATIONS_PER_TRIAL = 5
#: --eval-every under a pure wall-clock budget
MINUTES_EVAL_EVERY = 500
TRIAL_FOLDER = "trial-{:04d}"


# ---------------------------------------------------------------- the search space

@dataclass(frozen=True)
class Param:
    """One searched config key: a numeric range (``int`` when both bounds and the step
    are ints, else ``float``; ``log`` for a log scale) or a list of ``choices``."""

    key: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple = ()

    def suggest(self, trial) -> Any:
        """This key's value for an Optuna ``trial``."""
        if self.choices:
            # Optuna stores only plain choices; lists (betas) travel as their text
            labels = {c if isinstance(c, (bool, int, float, str, type(None))) else str(c): c
                      for c in self.choices}
            picked = trial.suggest_categorical(self.key, list(labels))
            return labels.get(picked, picked)
        if all(isinstance(v, int) for v in (self.low, self.high, self.step or 1)):
            return trial.suggest_int(self.key, self.low, self.high, step=self.step or 1,
                                     log=self.log)
        return trial.suggest_float(self.key, self.low, self.high, step=self.step, log=self.log)


def read_space(path: str | Path, cfg: Config) -> tuple[Param, ...]:
    """The :class:`Param` list of a space file, each key and range checked against
    ``cfg``'s config classes (one :class:`GankitError` naming the problem)."""
    path = Path(path)
    if not path.is_file():
        raise GankitError(f"space file {path} does not exist")
    try:
        values = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise GankitError(f"space file {path} is not valid YAML: {err}".splitlines()[0]) from None
    if not isinstance(values, dict) or not values:
        raise GankitError(f"space file {path} must map config keys to ranges, e.g. "
                          "`optim.lr_g: {low: 1.0e-5, high: 1.0e-3, log: true}`")
    params = []
    for key, spec in values.items():
        try:
            param = _param(str(key), spec)
            for value in param.choices or (param.low, param.high):
                with_values(cfg, {param.key: value})
        except GankitError as err:
            raise GankitError(f"space file {path}: {err}") from None
        params.append(param)
    return tuple(params)


def _param(key: str, spec) -> Param:
    if key in CONTROLLED:
        raise GankitError(f"{key} is set by the sweep itself (--steps/--minutes, --eval-every, "
                          "--metric, --evaluator), not searched")
    if not isinstance(spec, dict):
        raise GankitError(f"{key} needs a range {{low: ..., high: ...}} or {{choices: [...]}}, "
                          f"got {spec!r}")
    if "choices" in spec:
        choices = spec["choices"]
        if len(spec) > 1 or not isinstance(choices, list):
            raise GankitError(f"{key}: choices must be a list, given alone, got {spec!r}")
        if not choices:
            raise GankitError(f"{key}: empty range (no choices)")
        return Param(key, choices=tuple(choices))
    if "low" not in spec or "high" not in spec or set(spec) - {"low", "high", "log", "step"}:
        raise GankitError(f"{key}: a range needs low and high (and optionally log, step), got "
                          f"{', '.join(map(str, spec)) or 'nothing'}; or give choices: [...]")
    low, high = _number(key, "low", spec["low"]), _number(key, "high", spec["high"])
    step = None if spec.get("step") is None else _number(key, "step", spec["step"])
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise GankitError(f"{key}: log must be true or false, got {log!r}")
    if low >= high:
        raise GankitError(f"{key}: empty range (low {low:g} >= high {high:g})")
    if log and low <= 0:
        raise GankitError(f"{key}: a log range needs low > 0, got {low:g}")
    if step is not None and (step <= 0 or log):
        raise GankitError(f"{key}: step must be positive and cannot be combined with log")
    return Param(key, low, high, log, step)


def _number(key: str, name: str, value) -> float | int:
    try:  # YAML reads 1e-5 (no dot) as a string
        number = float(value) if isinstance(value, str) else value
    except ValueError:
        number = None
    if type(number) not in (int, float) or not math.isfinite(number):  # bool is no number
        raise GankitError(f"{key}: {name} must be a number, got {value!r}")
    return number


def with_values(cfg: Config, values: dict[str, Any]) -> Config:
    """``cfg`` with dotted ``key: value`` settings, checked like a preset (unknown keys
    and wrong types are a :class:`GankitError` naming the key)."""
    tree = copy.deepcopy(cfg.to_dict())
    for key, value in values.items():
        *sections, name = key.split(".")
        node = tree
        for part in sections:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise GankitError(f"unknown config key {key!r}: {part!r} is no section")
        node[name] = value
    return config_from_dict(tree)


# ---------------------------------------------------------------- pruning

class PruneOnEvaluation(Callback):
    """Reports each evaluation's ``key`` to an Optuna ``trial`` and stops the run with
    :class:`optuna.TrialPruned` when the pruner says so (never at the last step: the run
    is done then). ``value`` is the latest figure, NaN included."""

    def __init__(self, trial, key: str):
        self.trial, self.key, self.value = trial, key, None

    def on_step(self, trainer, stats: dict) -> None:
        record = trainer.last_eval
        value = (record or {}).get(self.key)
        if value is None or record.get("step") != trainer.step:  # nothing new measured
            return
        self.value = float(value)
        if math.isfinite(self.value):  # the pruner cannot rank NaN
            self.trial.report(self.value, trainer.step)
            if trainer.step < trainer.total_steps and self.trial.should_prune():
                raise optuna.TrialPruned(f"pruned at step {trainer.step} "
                                         f"({self.key} {self.value:.4g})")


# ---------------------------------------------------------------- the sweep

@dataclass
class TrialRow:
    """One trial: ``state`` complete | pruned | fail | running; ``value`` the final figure
    of a complete trial, the last reported one of a pruned trial."""

    number: int
    state: str
    value: float | None
    step: int | None
    params: dict
    run_dir: Path
    best: bool = False


@dataclass
class Sweep:
    """A sweep: its plan (handed to ``on_start``: ``done`` trials finished, ``todo`` to
    go, ``redo`` interrupted trials queued again), then its trials and the files it wrote
    (``notes``: what it skipped and why)."""

    folder: Path
    metric: str
    key: str
    direction: str
    reason: str
    eval_every: int
    space: tuple[Param, ...]
    done: int
    todo: int
    redo: list[int]
    trials: list[TrialRow] = field(default_factory=list)
    best: TrialRow | None = None
    table: Path | None = None
    best_yaml: Path | None = None
    plots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run_sweep(preset: str, space: str | Path, trials: int, *, metric: str | None = None,
              budget: Budget | None = None, out: str | Path | None = None,
              overrides: list[str] | tuple = (), data: str | None = None,
              eval_every: int | None = None, evaluator: str | None = None,
              seed: int | None = None, on_start: Callable[[Sweep], None] | None = None,
              on_trial: Callable[[TrialRow], None] | None = None,
              devices: list[str] | None = None) -> Sweep:
    """Run (or continue) the study in ``out`` (default ``sweeps/<preset>``: fixed, so
    rerunning the command resumes) until it holds ``trials`` complete or pruned trials of
    ``preset`` + ``overrides`` over the ``space`` file, each trained to ``budget`` (default
    2000 steps) and evaluated every ``eval_every`` steps (default: 5 times) by ``metric``
    (default: :func:`choose_metrics`'s primary). Calls ``on_start`` once and ``on_trial``
    after each trial; then writes ``best.yaml``, ``trials.csv``, ``parallel.png`` and
    ``importance.png`` there. ``devices`` (``["cuda:0", "cuda:1"]``) runs trials side by
    side, one per device (:mod:`gankit.experiments.sweep_devices`)."""
    for name, number in (("--trials", trials), ("--eval-every", eval_every)):
        if number is not None and number < 1:
            raise GankitError(f"{name} must be at least 1, got {number}")
    if metric is not None and "," in metric:
        raise GankitError(f"--metric takes one metric, got {metric!r}")
    if evaluator and not Path(evaluator).is_file():
        raise GankitError(f"evaluator file {evaluator} does not exist")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    budget = budget or Budget()
    base = load_config(preset, list(overrides) + [f"data.name={data}"] * bool(data)
                       + [f"train.seed={seed}"] * (seed is not None))
    params = read_space(space, base)
    # labels "auto": an unconditional run on shapes is still judged by the shapes evaluator
    judged = base.data if base.data.labels != "none" else replace(base.data, labels="auto")
    judging = choose_metrics(build_dataset(judged), metric, evaluator)
    key = result_key(judging.primary)
    steps = budget.steps or (0 if budget.minutes else DEFAULT_STEPS)
    eval_every = eval_every or (max(1, steps // EVALUATIONS_PER_TRIAL) if steps else
                                MINUTES_EVAL_EVERY)
    cfg = budget.apply(base)
    cfg = replace(cfg, train=replace(
        cfg.train, eval_every=eval_every, eval_metrics=[judging.primary],
        evaluator=judging.evaluator or cfg.train.evaluator,
        inception_weights=judging.inception_weights or cfg.train.inception_weights))
    folder = Path(out) if out else Path("sweeps") / Path(preset).stem
    direction = "maximize" if higher_is_better(key) else "minimize"
    study = _open_study(folder, judging.primary, direction, base.train.seed, eval_every)
    redo = _redo_interrupted(study, folder)
    done = _finished(study)
    sweep = Sweep(folder, judging.primary, key, direction, judging.reason, eval_every,
                  params, done, max(0, trials - done), redo)
    if on_start:
        on_start(sweep)

    def objective(trial) -> float:
        values = {p.key: p.suggest(trial) for p in params}
        pruning = PruneOnEvaluation(trial, key)
        train_to_budget(with_values(cfg, values), folder / TRIAL_FOLDER.format(trial.number),
                        [pruning])
        return math.nan if pruning.value is None else pruning.value

    if devices:
        from gankit.experiments.sweep_devices import run_trials_on_devices
        run_trials_on_devices(study, sweep, cfg, trials, devices, on_trial)
    failures = 0
    while not devices and _finished(study) < trials and failures < sweep.todo:
        frozen = _run_trial(study, objective)
        failures += frozen.state == TrialState.FAIL
        if on_trial:
            best = frozen.state == TrialState.COMPLETE and study.best_trial.number == frozen.number
            on_trial(_row(frozen, folder, best))
    _write_outputs(study, sweep)
    return sweep


def _open_study(folder: Path, metric: str, direction: str, seed: int, eval_every: int):
    db = folder / "study.db"
    if not db.exists() and any(folder.glob("trial-*")):
        raise GankitError(f"{folder} holds trial folders but no study.db; use another --out")
    folder.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(storage=storage_url(folder), study_name=STUDY_NAME,
                                direction=direction, load_if_exists=True,
                                pruner=make_pruner(eval_every))
    # a resumed sweep seeded as before would draw its first trials' settings again
    study.sampler = optuna.samplers.TPESampler(seed=seed + len(study.get_trials()))
    then = study.user_attrs.get("metric", metric)
    if then != metric:  # figures of another metric (or direction) would not compare
        raise GankitError(f"{db} is a sweep judged by {then}, not {metric}; pass --metric {then} "
                          "to continue it, or choose another --out")
    study.set_user_attr("metric", metric)
    return study


def storage_url(folder: Path) -> str:
    return f"sqlite:///{(folder / 'study.db').resolve()}"


def make_pruner(eval_every: int):
    # a trial's first evaluation is too early to judge it by
    return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=2 * eval_every)


def _redo_interrupted(study, folder: Path) -> list[int]:
    """Trials a crash or Ctrl-C left running: marked failed, their run folders removed
    and their settings queued again."""
    redo = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        # FrozenTrial has no public id; the storage API needs it
        study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        shutil.rmtree(folder / TRIAL_FOLDER.format(t.number), ignore_errors=True)
        study.enqueue_trial(t.params)
        redo.append(t.number)
    return redo


def _run_trial(study, objective):
    """One trial by ask and tell: an error fails the trial and propagates as it is
    (``study.optimize`` would log its traceback first), a NaN figure fails it, Ctrl-C
    leaves it running for the next sweep to redo."""
    trial = study.ask()
    try:
        value = objective(trial)
    except optuna.TrialPruned:
        return study.tell(trial, state=TrialState.PRUNED)
    except Exception as err:
        study.tell(trial, state=TrialState.FAIL)
        if isinstance(err, GankitError):  # say which sampled settings it came from
            raise GankitError(f"trial {trial.number} with {trial.params}: {err}") from None
        raise
    if not math.isfinite(value):
        return study.tell(trial, state=TrialState.FAIL)
    return study.tell(trial, value)


def _finished(study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))


def _row(t, folder: Path, best: bool = False) -> TrialRow:
    step = max(t.intermediate_values, default=None)
    value = t.value if t.state == TrialState.COMPLETE else t.intermediate_values.get(step)
    return TrialRow(t.number, t.state.name.lower(), value, step, dict(t.params),
                    folder / TRIAL_FOLDER.format(t.number), best)


# ---------------------------------------------------------------- outputs

def _write_outputs(study, sweep: Sweep) -> None:
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    best = sweep.best = _row(study.best_trial, sweep.folder, True) if complete else None
    sweep.trials = [_row(t, sweep.folder, best is not None and t.number == best.number)
                    for t in study.get_trials(deepcopy=False) if t.state != TrialState.WAITING]
    keys = [p.key for p in sweep.space]
    keys += sorted({k for row in sweep.trials for k in row.params} - set(keys))
    sweep.table = sweep.folder / "trials.csv"
    with sweep.table.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["trial", "state", sweep.key, "step", *keys, "best", "run_dir"])
        for row in sweep.trials:
            writer.writerow([row.number, row.state, "" if row.value is None else f"{row.value:.6g}",
                             "" if row.step is None else row.step,
                             *(row.params.get(k, "") for k in keys), "yes" if row.best else "",
                             row.run_dir.name])
    if best is not None:  # the run folder's config is exactly what the trial trained
        cfg = config_from_dict(yaml.safe_load((best.run_dir / "config.yaml").read_text()))
        sweep.best_yaml = sweep.folder / "best.yaml"
        sweep.best_yaml.write_text(replace(cfg, description=(
            f"best of the sweep in {sweep.folder}: trial {best.number}, {sweep.key} "
            f"{best.value:.4g}")).to_yaml())
    sweep.plots = _plots(study, sweep.folder, len(complete), sweep.notes)


def _plots(study, folder: Path, complete: int, notes: list[str]) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as views

    written = []
    for name, plot, needs in (("parallel.png", views.plot_parallel_coordinate, 1),
                              ("importance.png", views.plot_param_importances, 2)):
        # optuna's plots set a global style (and warn when experimental): keep both local
        with warnings.catch_warnings(), matplotlib.rc_context():
            warnings.simplefilter("ignore")
            try:
                if complete < needs:
                    raise ValueError(f"it needs {needs} complete trials, the study has {complete}")
                figure = plot(study).figure
            except (ValueError, RuntimeError, ZeroDivisionError) as err:
                notes.append(f"{name} skipped: {err}")
                continue
            figure.set_size_inches(9, 5)
            figure.savefig(folder / name, dpi=110, bbox_inches="tight")
            plt.close(figure)
        written.append(folder / name)
    return written
