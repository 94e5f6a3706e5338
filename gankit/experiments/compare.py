"""``gankit compare``: several presets trained on the same data with the same budget,
evaluated alike, ranked in one table with curves and each model's best fakes.

Each model is a normal run folder ``OUT/<name>``; a compare stopped part-way resumes
the unfinished runs and skips the finished ones, and a larger budget extends them all.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

from gankit.config import Config, load_config
from gankit.errors import GankitError
from gankit.experiments.placement import raise_first_failure, run_on_devices
from gankit.experiments.plots import plot_best
from gankit.experiments.study import Budget, Judging, choose_metrics, is_finished, train_to_budget
from gankit.metrics.registry import higher_is_better, is_better, metric, result_key
from gankit.runs import TrainedRun
from gankit.runs.checkpoint import training_seconds
from gankit.runs.curves import plot_curves
from gankit.runs.data import build_dataset
from gankit.runs.records import read_records

#: fakes per model in best.png, and how many are drawn to pick them from
BEST_N = 8
BEST_POOL = 8


@dataclass
class Entry:
    """One model of a comparison: its name, settings and run folder."""

    name: str
    preset: str
    config: Config
    run_dir: Path


@dataclass
class ModelResult:
    """One row of ``results.md``."""

    name: str
    preset: str
    final: dict
    best: dict
    best_step: dict
    steps: int
    images_seen: int
    train_seconds: float
    images_per_s: float
    params_g: int
    params_d: int
    run_dir: str


@dataclass
class Comparison:
    """What :func:`compare` wrote."""

    out: Path
    judging: Judging
    results: list[ModelResult]
    files: dict[str, Path]


def entry_names(presets: list[str]) -> list[str]:
    """A folder name per preset (a YAML path gives its stem); repeats get ``-2``, ``-3``."""
    names, seen = [], {}
    for preset in presets:
        stem = Path(preset).stem if preset.endswith((".yaml", ".yml")) else preset
        seen[stem] = seen.get(stem, 0) + 1
        names.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return names


def plan(presets: list[str], data: str, budget: Budget, out: Path, eval_every: int,
         eval_n: int, metrics: str | None = None, overrides: list[str] = (),
         evaluator: str | None = None, inception_weights: str | None = None,
         resolution: int | None = None, seed: int = 0) -> tuple[list[Entry], Judging]:
    """Resolve every preset on the same data, budget, seed and evaluation; choose the
    metrics. Raises :class:`GankitError` for an unknown preset or a bad number."""
    if len(presets) < 1:
        raise GankitError("name at least one preset to compare")
    if eval_every <= 0:
        raise GankitError(f"--eval-every must be ≥ 1, got {eval_every}")
    if eval_n <= 1:
        raise GankitError(f"--eval-n must be ≥ 2, got {eval_n}")
    first = load_config(presets[0], [*overrides, f"data.name={data}"])
    size = resolution or first.data.resolution
    common = [*overrides, f"data.name={data}", f"data.resolution={size}",
              f"train.seed={seed}"]
    configs = [budget.apply(load_config(preset, common)) for preset in presets]
    datasets = [build_dataset(cfg.data) for cfg in configs]
    labelled = next((d for d in datasets if d.labels is not None), datasets[0])
    judging = choose_metrics(labelled, metrics, evaluator, inception_weights)
    entries = []
    for name, preset, cfg, dataset in zip(entry_names(presets), presets, configs, datasets):
        names = [m for m in judging.metrics
                 if dataset.labels is not None or not metric(m).conditional]
        train = replace(cfg.train, eval_every=eval_every, eval_metrics=names,
                        eval_n=eval_n, evaluator=judging.evaluator,
                        inception_weights=judging.inception_weights)
        entries.append(Entry(name, preset, replace(cfg, train=train), out / name))
    return entries, judging


def compare(presets: list[str], data: str, budget: Budget, out: str | Path = "compare",
            eval_every: int = 500, eval_n: int = 1000, metrics: str | None = None,
            overrides: list[str] = (), evaluator: str | None = None,
            inception_weights: str | None = None, resolution: int | None = None,
            seed: int = 0, best_n: int = BEST_N,
            say: Callable[[str], None] = print,
            devices: list[str] | None = None) -> Comparison:
    """Train (or finish) every model, then write the table, curves and best fakes.

    Args:
        presets: preset names or config YAML files.
        data: the dataset every model trains on (name or path).
        budget: equal steps and/or equal training minutes.
        out: the comparison folder (one run folder per model inside).
        eval_every: evaluate every this many steps (and at each run's end).
        eval_n: generated images per evaluation (the same for every model).
        metrics: comma-separated metric names (default: see :func:`choose_metrics`).
        overrides: ``KEY=VALUE`` settings applied to every model.
        resolution: image size for all (default: the first preset's).
        best_n: fakes per model in ``best.png``.
        say: where progress lines go.
        devices: train the models side by side, one per device (``["cuda:0",
            "cuda:1"]``; see :mod:`gankit.experiments.placement`); default one after
            the other in this process, on each preset's ``train.device``.
    """
    out = Path(out)
    entries, judging = plan(presets, data, budget, out, eval_every, eval_n, metrics,
                            list(overrides), evaluator, inception_weights, resolution, seed)
    say(f"gankit: comparing {len(entries)} models on {data} for {budget.describe()} each; "
        f"judged by {', '.join(judging.metrics)}: {judging.reason}")
    out.mkdir(parents=True, exist_ok=True)
    todo = []
    for i, entry in enumerate(entries, 1):
        if is_finished(entry.config, entry.run_dir):
            say(f"gankit: [{i}/{len(entries)}] {entry.name}: finished, skipped")
        elif devices:
            todo.append((i, entry))
        else:
            say(f"gankit: [{i}/{len(entries)}] {entry.name} ({entry.preset}) → {entry.run_dir}")
            train_to_budget(entry.config, entry.run_dir)
    if todo:
        _train_on_devices(todo, len(entries), devices, say)
    results = [summarize(entry, judging) for entry in entries]
    files = write_results(out, results, judging, entries, budget, data)
    files["curves"] = plot_curves(out / "curves.png", {e.name: read_records(e.run_dir)
                                                       for e in entries}, judging.metrics,
                                  over_time=True)
    files["best"] = plot_best(out / "best.png", [(e.name, e.run_dir) for e in entries],
                              best_n, judging.evaluator)
    return Comparison(out, judging, results, files)


def _train_on_devices(todo: list[tuple[int, Entry]], total: int, devices: list[str],
                      say: Callable[[str], None]) -> None:
    queue = list(todo)

    def started(job, device: str) -> None:
        i, entry = job
        say(f"gankit: [{i}/{total}] {entry.name} ({entry.preset}) → {entry.run_dir} "
            f"on {device}")

    def ended(outcome) -> None:
        i, entry = outcome.job
        words = {"ok": "finished", "interrupted": "stopped (resumable)"}
        say(f"gankit: [{i}/{total}] {entry.name} on {outcome.device}: "
            f"{words.get(outcome.state, 'failed')}")

    outcomes = run_on_devices(lambda running: queue.pop(0) if queue else None, devices,
                              _train_entry, started, ended)
    raise_first_failure(outcomes, lambda job: f"model {job[1].name}")


def _train_entry(job: tuple[int, Entry], device: str) -> None:
    """One model of a comparison, trained in its own process on ``device``."""
    _, entry = job
    cfg = replace(entry.config, train=replace(entry.config.train, device=device,
                                              progress=False))
    train_to_budget(cfg, entry.run_dir)


def summarize(entry: Entry, judging: Judging) -> ModelResult:
    """The row of one finished run, from its checkpoint and ``metrics.jsonl``."""
    run = TrainedRun.open(entry.run_dir)
    records = read_records(entry.run_dir)
    evals = [r for r in records if r.get("kind") == "eval"]
    final, best, best_step = {}, {}, {}
    for name in judging.metrics:
        key = result_key(name)
        values = [(r["step"], r[key]) for r in evals if _finite(r.get(key))]
        if not values:
            continue
        final[key] = values[-1][1]
        top = values[0]
        for step, value in values[1:]:
            if is_better(key, value, top[1]):
                top = (step, value)
        best_step[key], best[key] = top
    seconds = training_seconds(run.state)
    t = run.config.train
    images = run.step * t.batch_size * t.d_steps
    params = run.parameter_counts()
    return ModelResult(entry.name, entry.preset, final, best, best_step, run.step, images,
                       round(seconds, 1), round(images / max(seconds, 1e-9), 1),
                       params["generator"], params["discriminator"], str(entry.run_dir))


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def write_results(out: Path, results: list[ModelResult], judging: Judging,
                  entries: list[Entry], budget: Budget, data: str) -> dict[str, Path]:
    """``results.json`` (everything) and ``results.md`` (the table, best model first)."""
    key = result_key(judging.primary)
    ranked = sorted(results, key=lambda r: _rank_value(r, key))
    payload = {"data": data, "budget": asdict(budget), "metrics": list(judging.metrics),
               "judged_by": judging.reason, "ranked_by": key,
               "models": [asdict(r) for r in ranked],
               "presets": {e.name: e.preset for e in entries}}
    json_path = out / "results.json"
    json_path.write_text(json.dumps(payload, indent=2) + "\n")
    md_path = out / "results.md"
    md_path.write_text(results_markdown(ranked, judging, budget, data))
    return {"json": json_path, "markdown": md_path}


def _rank_value(result: ModelResult, key: str) -> float:
    value = result.final.get(key)
    if value is None:
        return math.inf
    return -value if higher_is_better(key) else value


def results_markdown(ranked: list[ModelResult], judging: Judging, budget: Budget,
                     data: str) -> str:
    """The comparison table as Markdown, best model first."""
    keys = [result_key(m) for m in judging.metrics]
    head = (["model", "preset"] + [f"{k} (final)" for k in keys] + [f"{k} (best @ step)"
                                                                      for k in keys]
            + ["steps", "images seen", "train time (s)", "images/s", "G params", "D params"])
    lines = [f"# Comparison on {data}", "",
             f"Budget: {budget.describe()} per model. Judged by {', '.join(judging.metrics)}: "
             f"{judging.reason}. Best model first (by final {keys[0]}).", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in ranked:
        cells = [r.name, r.preset]
        cells += [_fmt(r.final.get(k)) for k in keys]
        cells += [f"{_fmt(r.best.get(k))} @ {r.best_step.get(k, '-')}" for k in keys]
        cells += [str(r.steps), str(r.images_seen), f"{r.train_seconds:.0f}",
                  f"{r.images_per_s:.0f}", f"{r.params_g:,}", f"{r.params_d:,}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Curves: curves.png. Each model's most convincing fakes: best.png.", ""]
    return "\n".join(lines)


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.4g}"
