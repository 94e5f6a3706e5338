"""Pictures of a run written into its folder while it trains (``train.pictures``):

* ``curves.png`` — losses, other logged terms and evaluation metrics, redrawn after
  the stats logger writes (see :class:`CurvesWriter` for how often);
* ``progress.gif`` — the sample grids so far, one frame per sample interval;
* ``real_vs_fake.png`` — real images beside fakes for the same conditions (or input |
  output | target), at every sample interval and at the end.

Every file is replaced atomically, so a reader never sees half a picture. The drawing
itself lives in ``gankit.runs`` (:mod:`~gankit.runs.curves`,
:mod:`~gankit.runs.animation`, :mod:`~gankit.runs.real_fake`), shared with reports.
"""

from __future__ import annotations

import time
from pathlib import Path

from gankit.runs.animation import ANIMATION_FILE, MAX_FRAMES, ProgressAnimation
from gankit.runs.curves import CURVES_FILE, plot_curves
from gankit.runs.real_fake import MAX_ITEMS, REAL_VS_FAKE_FILE, real_and_fake, save_real_fake
from gankit.runs.records import read_records
from gankit.training.callbacks import Callback, SampleGrid, StatsLogger, _due, png_array

CURVES, ANIMATION, REAL_VS_FAKE = CURVES_FILE, ANIMATION_FILE, REAL_VS_FAKE_FILE
#: the share of wall-clock time that redrawing curves may take at most
CURVES_OVERHEAD = 0.05


class CurvesWriter(Callback):
    """Redraws ``curves.png`` from every ``metrics.jsonl`` row, after the stats logger
    has written new ones.

    A redraw costs a few hundred milliseconds on a busy CPU; when rows come faster than
    that can be afforded, new rows wait until the time since the last redraw is
    ``1 / overhead`` times what that redraw took (so drawing takes at most ``overhead``
    of the run's time). The last rows are always drawn when training ends.
    """

    def __init__(self, run_dir: Path, overhead: float = CURVES_OVERHEAD):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / CURVES
        self.overhead = overhead
        self.rows: list[dict] = []
        self.pending = False
        self.draws = 0
        self._not_before = 0.0

    def on_start(self, trainer) -> None:
        self.rows = read_records(self.run_dir)  # a resumed run's earlier sessions
        self.pending = bool(self.rows)
        logger = trainer.callback(StatsLogger)
        if logger is not None and self.add_row not in logger.listeners:
            logger.listeners.append(self.add_row)

    def add_row(self, record: dict) -> None:
        """Take one row the stats logger wrote (it is drawn at the next chance)."""
        self.rows.append(dict(record))
        self.pending = True

    def on_step(self, trainer, stats: dict) -> None:
        if self.pending and time.perf_counter() >= self._not_before:
            self.draw()

    def on_end(self, trainer) -> None:
        if self.pending:
            self.draw()

    def draw(self) -> Path:
        """Write ``curves.png`` now."""
        import matplotlib.figure  # noqa: F401 - loaded once, outside the timed drawing

        started = time.perf_counter()
        plot_curves(self.path, self.rows)
        took = time.perf_counter() - started
        self._not_before = started + took / self.overhead
        self.pending = False
        self.draws += 1
        return self.path


class AnimationWriter(Callback):
    """Adds each new sample grid to ``progress.gif`` and rewrites it (see
    :class:`~gankit.runs.animation.ProgressAnimation` for the bounds on its size)."""

    def __init__(self, run_dir: Path, max_frames: int = MAX_FRAMES):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / ANIMATION
        self.max_frames = max_frames
        self.animation = ProgressAnimation(max_frames)
        self.last_step = -1

    def on_start(self, trainer) -> None:
        # the grids written so far: step 0's, just saved, or a resumed run's earlier ones
        self.animation = ProgressAnimation.from_samples(self.run_dir / "samples", trainer.step,
                                                        max_frames=self.max_frames)
        self.last_step = trainer.step
        if len(self.animation):
            self.animation.save(self.path)

    def on_step(self, trainer, stats: dict) -> None:
        grid = trainer.callback(SampleGrid)
        if grid is not None and grid.last_step is not None and grid.last_step > self.last_step:
            self.animation.add(grid.last_path, grid.last_step)
            self.last_step = grid.last_step
            self.animation.save(self.path)

    def on_rollback(self, trainer, record: dict) -> None:
        self.animation.drop_after(trainer.step)
        self.last_step = trainer.step


class RealVsFakeWriter(Callback):
    """Writes ``real_vs_fake.png`` every ``every`` steps, at the last step and when
    training ends elsewhere (a stop signal); image runs only."""

    def __init__(self, run_dir: Path, every: int, n: int = MAX_ITEMS, seed: int = 0):
        self.path = Path(run_dir) / REAL_VS_FAKE
        self.every = every
        self.n = n
        self.seed = seed
        self.last_step: int | None = None

    def on_step(self, trainer, stats: dict) -> None:
        if _due(trainer.step, self.every, trainer.total_steps):
            self.save(trainer)

    def on_end(self, trainer) -> None:
        if self.last_step != trainer.step and trainer.step > 0:
            self.save(trainer)

    def save(self, trainer) -> Path:
        """Draw the real items and the sampler's fakes now."""
        pairs = real_and_fake(trainer.sampler, trainer.dataset, self.n, trainer.device,
                              self.seed)
        save_real_fake(pairs, self.path)
        logger = trainer.callback(StatsLogger)
        if logger is not None and logger.writer is not None:
            logger.writer.add_image("real_vs_fake", png_array(self.path), trainer.step,
                                    dataformats="HWC")
        self.last_step = trainer.step
        return self.path


def picture_callbacks(cfg, run_dir: Path, kind: str) -> list[Callback]:
    """The callbacks that ``train.pictures`` asks for, for a run of data ``kind``
    (``image`` or ``points``: 2-D points have no real-vs-fake picture, their sample
    plots already show the data beneath the fakes)."""
    if not cfg.train.pictures:
        return []
    callbacks = [CurvesWriter(run_dir), AnimationWriter(run_dir)]
    if kind == "image":
        callbacks.append(RealVsFakeWriter(run_dir, cfg.train.sample_every,
                                          min(MAX_ITEMS, cfg.train.grid_size), cfg.train.seed))
    return callbacks
