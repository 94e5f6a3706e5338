"""Weights & Biases logging (``train.wandb``), an optional extra:
``pip install "gankit[wandb]"``.

It logs what TensorBoard gets — every scalar the stats logger writes, the sample grids
and ``real_vs_fake.png`` — into ``RUN/wandb/``. It runs offline (``WANDB_MODE=offline``:
nothing leaves the machine; ``wandb sync RUN/wandb/offline-run-*`` uploads later)
unless the user has set ``WANDB_MODE`` themselves. ``wandb`` is imported only when
``train.wandb`` is on.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from gankit.errors import GankitError
from gankit.training.callbacks import Callback, SampleGrid, StatsLogger
from gankit.training.pictures import RealVsFakeWriter

INSTALL = 'pip install "gankit[wandb]"'


def import_wandb():
    """The ``wandb`` module, or a one-line :class:`GankitError` saying how to install it."""
    try:
        import wandb
    except ImportError:
        raise GankitError(f"train.wandb is on but the wandb package is not installed: "
                          f"{INSTALL} (or set train.wandb=false)") from None
    return wandb


def wandb_run_id(run_dir: Path) -> str:
    """A W&B run id that stays the same for a run folder, so a resumed run continues its
    W&B run."""
    return hashlib.sha1(str(Path(run_dir).resolve()).encode()).hexdigest()[:16]


class WandbLogger(Callback):
    """Sends the run's scalars and pictures to Weights & Biases.

    The package is imported when the callback is made, so a missing one stops training
    before the run folder is written.

    Args:
        run_dir: the run folder (W&B keeps its files in ``run_dir/wandb``).
        config: the resolved config as a mapping (shown in W&B).
        project: the W&B project (empty: W&B's default).
    """

    def __init__(self, run_dir: Path, config: dict, project: str = ""):
        self.wandb = import_wandb()
        self.run_dir = Path(run_dir)
        self.config = config
        self.project = project or None
        self.run = None
        self._logged: dict[str, int] = {}  # picture name → the step last sent

    def on_start(self, trainer) -> None:
        # an explicit mode wins over WANDB_MODE, so pass one only when the user set none
        mode = {} if "WANDB_MODE" in os.environ else {"mode": "offline"}
        self.run = self.wandb.init(project=self.project, name=self.run_dir.name,
                                   dir=str(self.run_dir), config=self.config,
                                   id=wandb_run_id(self.run_dir), resume="allow", **mode)
        logger = trainer.callback(StatsLogger)
        if logger is not None and self.log_record not in logger.listeners:
            logger.listeners.append(self.log_record)
        self.log_pictures(trainer)

    def log_record(self, record: dict) -> None:
        """Send the numbers of one ``metrics.jsonl`` row at its step."""
        scalars = {key: value for key, value in record.items()
                   if key != "step" and isinstance(value, (int, float))
                   and not isinstance(value, bool)}
        if scalars and self.run is not None:
            self.run.log(scalars, step=int(record["step"]))

    def log_pictures(self, trainer) -> None:
        """Send the newest sample grid and real-vs-fake picture, if not sent yet."""
        for name, kind in (("samples", SampleGrid), ("real_vs_fake", RealVsFakeWriter)):
            source = trainer.callback(kind)
            step = getattr(source, "last_step", None)
            if step is None or self._logged.get(name) == step:
                continue
            path = source.last_path if kind is SampleGrid else source.path
            image = self.wandb.Image(str(path), caption=f"step {step}")
            self.run.log({name: image}, step=step)
            self._logged[name] = step

    def on_step(self, trainer, stats: dict) -> None:
        self.log_pictures(trainer)

    def on_end(self, trainer) -> None:
        if self.run is not None:
            self.log_pictures(trainer)
            self.run.finish()
            self.run = None
