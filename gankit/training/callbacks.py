"""What happens around training steps: progress, stats, sample grids, checkpoints.

Each callback sees the trainer after every step (``on_step``) and once at the start
and end; the loop itself knows none of them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from gankit.runs.checkpoint import prune_checkpoints, save_checkpoint
from gankit.runs.grids import image_grid, save_image_grid, save_point_plot, side_by_side
from gankit.runs.records import append_record


def _due(step: int, every: int, last: int) -> bool:
    return step == last or (every > 0 and step % every == 0)


class Callback:
    """Hooks called by :class:`~gankit.training.loop.Trainer`.

    With several training processes, a callback runs on rank 0 only, unless
    ``all_ranks`` is true (one that takes part in collectives, such as evaluation).
    """

    all_ranks = False

    def on_start(self, trainer) -> None: ...

    def on_step(self, trainer, stats: dict) -> None: ...

    def on_end(self, trainer) -> None: ...

    def on_rollback(self, trainer, record: dict) -> None:
        """The trainer went back to an earlier state (``record`` says why)."""


class StatsLogger(Callback):
    """Averages step stats and writes them to ``metrics.jsonl`` and TensorBoard.

    Every record it writes (losses, evaluations, collapse checks, rollbacks) is also
    handed to each function in ``listeners`` (curves, Weights & Biases).
    """

    def __init__(self, run_dir: Path, every: int, tensorboard: bool = True):
        self.every = every
        self.run_dir = Path(run_dir)
        self.tensorboard = tensorboard
        self.writer = None
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}  # per key: lazy penalties come every k-th step
        self._count = 0
        self.last: dict = {}
        self.listeners: list[Callable[[dict], None]] = []

    def on_start(self, trainer) -> None:
        if self.tensorboard:
            from torch.utils.tensorboard import SummaryWriter
            self.writer = SummaryWriter(str(self.run_dir / "tensorboard"))
        self._t0 = time.perf_counter()
        self._step0 = trainer.step

    def on_step(self, trainer, stats: dict) -> None:
        for key, value in stats.items():
            self._sums[key] = self._sums.get(key, 0) + value.float()
            self._counts[key] = self._counts.get(key, 0) + 1
        self._count += 1
        if _due(trainer.step, self.every, trainer.total_steps):
            self.flush(trainer)

    def flush(self, trainer) -> None:
        if not self._count:
            return
        elapsed = time.perf_counter() - self._t0
        images = (trainer.step - self._step0) * trainer.images_per_step
        record = {"step": trainer.step, "epoch": trainer.loader.epoch,
                  "kimg": round(trainer.step * trainer.images_per_step / 1000, 3),
                  "time_s": round(trainer.elapsed(), 2),
                  "images_per_s": round(images / max(elapsed, 1e-9), 1)}
        if trainer.device.type == "cuda":  # next to the throughput, as the issue asks
            record["peak_mem_mb"] = round(torch.cuda.max_memory_allocated(trainer.device)
                                          / 2 ** 20, 1)
        record.update({k: float(f"{float(v) / self._counts[k]:.6g}")
                       for k, v in self._sums.items()})
        self.log(record)
        self._sums, self._counts, self._count = {}, {}, 0
        self._t0, self._step0 = time.perf_counter(), trainer.step

    def log(self, record: dict) -> None:
        """Append one JSON line (and TensorBoard scalars) for ``record``."""
        self.last = record
        append_record(self.run_dir, record)
        if self.writer is not None:
            for key, value in record.items():
                if key != "step" and isinstance(value, (int, float)):
                    self.writer.add_scalar(key, value, record["step"])
            self.writer.flush()
        for listener in self.listeners:
            listener(record)

    def on_rollback(self, trainer, record: dict) -> None:
        self._sums, self._count = {}, 0
        self._t0, self._step0 = time.perf_counter(), trainer.step
        self.log(record)

    def on_end(self, trainer) -> None:
        self.flush(trainer)
        if self.writer is not None:
            self.writer.close()


class ProgressBar(Callback):
    """A tqdm bar with the latest logged losses and throughput. Written to a log file rather
    than a terminal or notebook, it redraws every ``LOG_INTERVAL_S`` seconds instead of ten
    times a second, so a long run's log stays readable."""

    LOG_INTERVAL_S = 30.0

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self.bar = None
        self._losses: dict[str, str] = {}
        self._images_per_s = 0.0

    def on_start(self, trainer) -> None:
        if self.enabled:
            from tqdm.auto import tqdm
            # under a time budget the clock, not the step count, ends the run
            total = None if trainer.cfg.train.minutes > 0 else trainer.total_steps
            # a terminal or a notebook's widget is watched live; a log file is read later
            live = sys.stderr.isatty() or tqdm.__module__.startswith("tqdm.notebook")
            interval = 0.1 if live else self.LOG_INTERVAL_S
            # maxinterval: tqdm's monitor thread would otherwise redraw every 10 s
            self.bar = tqdm(total=total, initial=trainer.step, unit="step",
                            dynamic_ncols=True, desc="train", mininterval=interval,
                            maxinterval=max(10.0, interval), file=sys.stderr)

    def on_step(self, trainer, stats: dict) -> None:
        if self.bar is None:
            return
        self.bar.update(1)
        if trainer.step % 10 == 0 or trainer.step == trainer.total_steps:
            self.bar.set_postfix(self._postfix(trainer), refresh=False)

    def _postfix(self, trainer) -> dict[str, str]:
        # the losses of the latest log record, not this step's tensors: reading those
        # would make the host wait for the GPU every few steps
        logger = trainer.callback(StatsLogger)
        last = logger.last if logger is not None else {}
        # evaluation records have no losses and no rate: keep the previous ones
        self._losses = {key: f"{last[key]:.3f}" for key in ("loss_d", "loss_g")
                        if key in last} or self._losses
        postfix = dict(self._losses)
        # the logged rate: tqdm's own is unknown until its first redraw (30 s into a log
        # file), so it only stands in before the first record
        self._images_per_s = last.get("images_per_s", self._images_per_s)
        rate = self._images_per_s or (self.bar.format_dict.get("rate") or 0.0) * \
            trainer.images_per_step
        postfix["img_s"] = f"{rate:.0f}"
        minutes = trainer.cfg.train.minutes
        if minutes > 0:
            postfix["min_left"] = f"{max(0.0, minutes - trainer.training_seconds() / 60):.1f}"
        return postfix

    def on_end(self, trainer) -> None:
        if self.bar is not None:
            self.bar.close()


class SampleGrid(Callback):
    """Saves ``samples/step-NNNNNNN.png`` from fixed noise every ``every`` steps (and
    shows it in TensorBoard); ``last_path``/``last_step`` name the newest grid."""

    def __init__(self, run_dir: Path, every: int):
        self.folder = Path(run_dir) / "samples"
        self.every = every
        self.last_path: Path | None = None
        self.last_step: int | None = None

    def on_start(self, trainer) -> None:
        if trainer.step == 0:
            self.save(trainer)

    def on_step(self, trainer, stats: dict) -> None:
        if _due(trainer.step, self.every, trainer.total_steps):
            self.save(trainer)

    def save(self, trainer) -> Path:
        columns = trainer.grid_columns()
        images = columns[0]
        path = self.folder / f"step-{trainer.step:07d}.png"
        logger = trainer.callback(StatsLogger)
        writer = logger.writer if logger is not None else None
        if trainer.spec.kind == "points":
            save_point_plot(images, path, trainer.dataset.points, f"step {trainer.step}")
            if writer is not None:
                writer.add_image("samples", png_array(path), trainer.step, dataformats="HWC")
        else:
            nrow = trainer.grid_nrow
            if len(columns) > 1:  # image-to-image: source | output | target (| back)
                images, nrow = side_by_side(columns, max(1, nrow // 2))
            save_image_grid(images, path, nrow)
            if writer is not None:
                writer.add_image("samples", image_grid(images, nrow), trainer.step)
        self.last_path, self.last_step = path, trainer.step
        return path


def png_array(path: Path):
    """A PNG file as an RGB ``[H, W, 3]`` uint8 array (for TensorBoard)."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


class Checkpointer(Callback):
    """Saves ``checkpoints/step-NNNNNNN.pt`` every ``every`` steps and at the end."""

    def __init__(self, run_dir: Path, every: int, keep: int):
        self.folder = Path(run_dir) / "checkpoints"
        self.every = every
        self.keep = keep
        self.last_path: Path | None = None
        self.last_step: int | None = None

    def on_step(self, trainer, stats: dict) -> None:
        if _due(trainer.step, self.every, trainer.total_steps):
            self.save(trainer)

    def save(self, trainer) -> Path:
        path = save_checkpoint(self.folder / f"step-{trainer.step:07d}.pt", trainer.state_dict())
        prune_checkpoints(self.folder, self.keep, protect=(path.name,))
        self.last_path, self.last_step = path, trainer.step
        return path
