"""Pictures of studies: each run's best fakes. (Curves of one run or several overlaid
are drawn by :mod:`gankit.runs.curves`.)"""

from __future__ import annotations

from pathlib import Path

import torch

from gankit.runs import TrainedRun
from gankit.runs.evaluation import load_evaluator
from gankit.runs.ranking import best_of, rank_scores


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def best_fakes(run_dir: Path | TrainedRun, n: int, evaluator: str | None = None,
               pool: int = 8, seed: int = 0) -> torch.Tensor:
    """The ``n`` most convincing of ``pool × n`` fakes of a run (a folder, or one already
    open), best first: ranked by the domain evaluator's confidence in the asked-for
    class for a conditional run when an evaluator is given, else by the run's
    discriminator."""
    run = run_dir if isinstance(run_dir, TrainedRun) else TrainedRun.open(run_dir)
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
