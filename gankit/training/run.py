"""One call that trains: run folder, config.yaml, trainer, resume."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from gankit.config import Config
from gankit.errors import GankitError
from gankit.runs.checkpoint import LATEST, load_checkpoint
from gankit.training.distributed import Distributed
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
        return pointer.parent / pointer.read_text().strip() if pointer.exists() else None


def default_run_dir(cfg: Config, root: Path = Path("runs")) -> Path:
    """``runs/<preset>-<YYYYmmdd-HHMMSS>`` (a suffix is added if it exists)."""
    stem = f"{cfg.preset or 'run'}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, i = root / stem, 1
    while path.exists():
        i += 1
        path = root / f"{stem}-{i}"
    return path


def check_run_dir(run_dir: Path, force: bool = False) -> None:
    """Refuse, before any work, a run folder that cannot be written or would mix two
    runs: a file or a path under a file, an unwritable place, a folder that holds a run
    (``force`` starts a run folder over, never another folder), a non-empty other folder.
    """
    ancestor = run_dir
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        where = "is" if ancestor == run_dir else f"lies under {ancestor}, which is"
        raise GankitError(f"--out {run_dir} {where} a file, not a folder; choose a folder")
    try:  # os.access says yes to root even where nothing can be written (/proc)
        os.rmdir(tempfile.mkdtemp(prefix=".gankit-probe-", dir=ancestor))
    except OSError as err:
        raise GankitError(f"--out {run_dir}: cannot write in {ancestor} ({err.strerror}); "
                          "choose a folder you can write to") from None
    if ancestor != run_dir or not any(run_dir.iterdir()):
        return
    if (run_dir / "checkpoints" / LATEST).exists():
        raise GankitError(f"{run_dir} already holds a run; continue it with --resume "
                          f"{run_dir}, or choose another --out")
    if not (run_dir / "config.yaml").is_file():
        raise GankitError(f"--out {run_dir} is a folder with other files in it; choose a new "
                          "or empty folder")
    if not force:
        raise GankitError(f"{run_dir} holds a run that stopped before its first checkpoint; "
                          "pass --force to start it over (its files are deleted), or choose "
                          "another --out")


def start_run_dir(run_dir: Path, cfg: Config, force: bool = False) -> None:
    """Create the (checked) run folder, emptied when ``force``, and write ``config.yaml``."""
    if force and (run_dir / "config.yaml").is_file():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(cfg.to_yaml())


def train(cfg: Config, out: str | Path | None = None,
          resume: str | Path | dict | None = None, device: str | None = None,
          extra_callbacks: list = (), force: bool = False) -> TrainResult:
    """Train ``cfg`` into a new run folder, or continue the run at ``resume`` (a run
    folder, a checkpoint file, or an already loaded checkpoint).

    When resuming, ``cfg`` should be the checkpoint's config (possibly with a larger
    ``train.steps``); the run continues in the folder it came from.
    ``extra_callbacks`` (:class:`~gankit.training.callbacks.Callback`) run after the
    standard ones. A new run's folder is checked first (:func:`check_run_dir`; ``force``
    starts over a run that stopped before its first checkpoint) and written only once
    data and models are built, so a user error leaves nothing behind.

    Started by ``torchrun`` (see :mod:`gankit.training.distributed`), every process
    calls this alike: rank 0 picks, checks and writes the run folder, all processes
    resume from the same checkpoint, and a user error on any of them stops all.
    """
    if cfg.train.threads > 0:
        torch.set_num_threads(cfg.train.threads)
    with Distributed.start(device or cfg.train.device) as dist:
        if resume is not None:
            state = resume if isinstance(resume, dict) else load_checkpoint(resume)
            run_dir = Path(state["path"]).parent.parent
            dist.check_same("checkpoints", (Path(state["path"]).name, int(state["step"])))
        else:
            state = None
            # rank 0 alone: a timestamped default name could differ between processes
            run_dir = dist.on_main(lambda: _new_run_dir(cfg, out, force))
        trainer = dist.together(lambda: Trainer(cfg, run_dir, dist.device, dist=dist,
                                                extra_callbacks=list(extra_callbacks)))

        def prepare() -> None:
            if state is not None:
                trainer.load_state_dict(state)
                if dist.is_main:
                    (run_dir / "config.yaml").write_text(cfg.to_yaml())
            elif dist.is_main:
                start_run_dir(run_dir, cfg, force)

        dist.together(prepare)
        trainer.train()
    return TrainResult(run_dir, trainer)


def _new_run_dir(cfg: Config, out: str | Path | None, force: bool) -> Path:
    run_dir = Path(out) if out else default_run_dir(cfg)
    check_run_dir(run_dir, force)
    return run_dir
