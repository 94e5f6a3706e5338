"""Pictures of studies: metric and loss curves of several runs, and their best fakes."""

from __future__ import annotations

from pathlib import Path

import torch

from gankit.metrics.registry import higher_is_better, result_key
from gankit.runs import TrainedRun
from gankit.runs.evaluation import load_evaluator
from gankit.runs.ranking import best_of, rank_scores


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_curves(path: Path, records: dict[str, list[dict]], metrics: tuple[str, ...]) -> Path:
    """Each metric over steps and over training time, all models overlaid; then D and G
    losses over steps, one line per model.

    Args:
        path: the PNG to write.
        records: model name → its ``metrics.jsonl`` rows.
        metrics: metric names (each drawn by its ranking key).
    """
    plt = pyplot()
    keys = [result_key(m) for m in metrics]
    fig, axes = plt.subplots(len(keys) + 1, 2, figsize=(11, 3.2 * (len(keys) + 1)),
                             squeeze=False)
    for row, key in enumerate(keys):
        arrow = "↑" if higher_is_better(key) else "↓"
        for name, rows in records.items():
            evals = [r for r in rows if r.get("kind") == "eval" and key in r]
            steps = [r["step"] for r in evals]
            values = [r[key] for r in evals]
            axes[row, 0].plot(steps, values, marker="o", ms=3, label=name)
            axes[row, 1].plot([r.get("time_s", 0) / 60 for r in evals], values, marker="o",
                              ms=3, label=name)
        axes[row, 0].set(xlabel="step", ylabel=f"{key} {arrow}", title=f"{key} over steps")
        axes[row, 1].set(xlabel="training minutes", ylabel=f"{key} {arrow}",
                         title=f"{key} over time")
    for column, loss in enumerate(("loss_d", "loss_g")):
        ax = axes[len(keys), column]
        for name, rows in records.items():
            logged = [r for r in rows if loss in r]
            ax.plot([r["step"] for r in logged], [r[loss] for r in logged], label=name)
        ax.set(xlabel="step", ylabel=loss, title=f"{'D' if column == 0 else 'G'} loss")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def best_fakes(run_dir: Path, n: int, evaluator: str | None = None, pool: int = 8,
               seed: int = 0) -> torch.Tensor:
    """The ``n`` most convincing of ``pool × n`` fakes of a run, best first: ranked by the
    domain evaluator's confidence in the asked-for class for a conditional run when an
    evaluator is given, else by the run's discriminator."""
    run = TrainedRun.open(run_dir)
    cond = run.default_conditions(pool * n, seed)
    images = run.sample(pool * n, cond, seed=seed)
    by = "evaluator" if evaluator and run.conditional else "discriminator"
    judge = load_evaluator(evaluator, run.device) if by == "evaluator" else None
    return images[best_of(rank_scores(run, images, cond, by, judge), n)]


def plot_best(path: Path, runs: list[tuple[str, Path]], n: int,
              evaluator: str | None = None) -> Path:
    """One row per model of its ``n`` best fakes (:func:`best_fakes`), named."""
    from torchvision.utils import make_grid

    plt = pyplot()
    fig, axes = plt.subplots(len(runs), 1, figsize=(1.1 * n + 1.5, 1.3 * len(runs) + 0.3),
                             squeeze=False)
    for ax, (name, run_dir) in zip(axes[:, 0], runs):
        images = best_fakes(run_dir, n, evaluator)
        grid = make_grid(images, nrow=n, normalize=True, value_range=(-1, 1), padding=2)
        ax.imshow(grid.permute(1, 2, 0).numpy())
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
