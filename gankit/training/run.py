"""One call that trains: run folder, config.yaml, trainer, resume."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch

from gankit.config import Config
from gankit.device import pick_device
from gankit.errors import GankitError
from gankit.runs.checkpoint import LATEST, load_checkpoint
from gankit.training.loop import Trainer


@dataclass
class TrainResult:
    """Where a finished run put its outputs."""

    run_dir: Path
    trainer: Trainer

    @property
    def latest_samples(self) -> Path | None:
        grids = sorted((self.run_dir / "samples").glob("step-*.png"))
        return grids[-1] if grids else None

    @property
    def checkpoint(self) -> Path | None:
        pointer = self.run_dir / "checkpoints" / LATEST
        return self.run_dir / "checkpoints" / pointer.read_text().strip() if pointer.exists() else None


def default_run_dir(cfg: Config, root: Path = Path("runs")) -> Path:
    """``runs/<preset>-<YYYYmmdd-HHMMSS>`` (a suffix is added if it exists)."""
    stem = f"{cfg.preset or 'run'}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, i = root / stem, 1
    while path.exists():
        i += 1
        path = root / f"{stem}-{i}"
    return path


def prepare_run_dir(cfg: Config, out: str | Path | None) -> Path:
    """Create the run folder and write the resolved ``config.yaml``."""
    run_dir = Path(out) if out else default_run_dir(cfg)
    if (run_dir / "checkpoints" / LATEST).exists():
        raise GankitError(f"{run_dir} already holds a run; continue it with "
                          f"--resume {run_dir} or choose another --out")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(cfg.to_yaml())
    return run_dir


def train(cfg: Config, out: str | Path | None = None,
          resume: str | Path | dict | None = None, device: str | None = None,
          extra_callbacks: list = ()) -> TrainResult:
    """Train ``cfg`` into a new run folder, or continue the run at ``resume`` (a run
    folder, a checkpoint file, or an already loaded checkpoint).

    When resuming, ``cfg`` should be the checkpoint's config (possibly with a larger
    ``train.steps``); the run continues in the folder it came from.
    ``extra_callbacks`` (:class:`~gankit.training.callbacks.Callback`) run after the
    standard ones.
    """
    if cfg.train.threads > 0:
        torch.set_num_threads(cfg.train.threads)
    dev = pick_device(device or cfg.train.device)
    if resume is not None:
        state = resume if isinstance(resume, dict) else load_checkpoint(resume)
        run_dir = Path(state["path"]).parent.parent
    else:
        state = None
        run_dir = prepare_run_dir(cfg, out)
    trainer = Trainer(cfg, run_dir, dev, extra_callbacks=list(extra_callbacks))
    if state is not None:
        trainer.load_state_dict(state)
        (run_dir / "config.yaml").write_text(cfg.to_yaml())
    trainer.train()
    return TrainResult(run_dir, trainer)
