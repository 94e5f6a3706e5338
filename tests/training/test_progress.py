"""The progress bar: a terminal gets a live bar, a log file a line every half minute, and
neither makes the host wait for the device."""

import sys
import time
from types import SimpleNamespace

from gankit.training.callbacks import ProgressBar, StatsLogger


class DeviceScalar:
    """A loss still on the device: reading its value is a host sync."""

    def __float__(self):
        raise AssertionError("the progress bar read a step's loss tensor")

    item = __float__


def _trainer(logger=None):
    return SimpleNamespace(cfg=SimpleNamespace(train=SimpleNamespace(minutes=0)),
                           total_steps=1000, step=0, images_per_step=64,
                           callback=lambda kind: logger if kind is StatsLogger else None)


def _run(steps: int, trainer=None) -> ProgressBar:
    trainer, progress = trainer or _trainer(), ProgressBar(enabled=True)
    progress.on_start(trainer)
    for _ in range(steps):
        trainer.step += 1
        progress.on_step(trainer, {"loss_d": DeviceScalar(), "loss_g": DeviceScalar()})
        time.sleep(0.004)
    progress.on_end(trainer)
    return progress


def test_a_log_file_gets_the_first_and_last_state_not_every_redraw(capsys):
    assert not sys.stderr.isatty()  # capsys captures into a file-like object
    progress = _run(100)  # ~0.4 s: a terminal bar would redraw about four times
    assert progress.bar.mininterval == progress.bar.maxinterval == ProgressBar.LOG_INTERVAL_S
    draws = [d for d in capsys.readouterr().err.split("\r") if "step" in d]
    assert len(draws) == 2, draws
    assert draws[0].startswith("train:   0%") and "100/1000" in draws[-1]


def test_a_terminal_gets_a_live_bar(capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    progress = _run(100)
    assert progress.bar.mininterval == 0.1
    draws = [d for d in capsys.readouterr().err.split("\r") if "step" in d]
    assert len(draws) > 2, draws


def test_the_losses_and_rate_shown_are_the_last_logged_ones(capsys, tmp_path):
    logger = StatsLogger(tmp_path, every=50, tensorboard=False)
    logger.last = {"step": 50, "loss_d": 0.6931, "loss_g": 1.25, "images_per_s": 1946.4}
    progress = _run(20, _trainer(logger))  # DeviceScalar fails if a step's loss is read
    # in a log file tqdm has no rate of its own before its first redraw, 30 s in
    assert progress.bar.postfix == "loss_d=0.693, loss_g=1.250, img_s=1946"
    logger.last = {"step": 60, "kind": "evaluate", "fid": 30.0}  # no losses, no rate
    trainer = _trainer(logger)
    progress.on_start(trainer)
    trainer.step = 10
    progress.on_step(trainer, {})
    assert progress.bar.postfix == "loss_d=0.693, loss_g=1.250, img_s=1946"
    progress.on_end(trainer)


def test_a_notebook_gets_a_live_bar(capsys, monkeypatch):
    import tqdm.auto
    import tqdm.std

    class NotebookBar(tqdm.std.tqdm):  # tqdm.auto's choice inside Jupyter, without widgets
        __module__ = "tqdm.notebook"

    monkeypatch.setattr(tqdm.auto, "tqdm", NotebookBar)
    assert _run(3).bar.mininterval == 0.1
