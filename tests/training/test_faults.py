"""Faults a long run meets: signals, damaged checkpoints, a full disk, NaN."""

import errno
import json
import os
import signal
import subprocess
import sys

import pytest
import torch

from gankit.config import load_config
from gankit.errors import GankitError
from gankit.runs import checkpoint as checkpoint_module
from gankit.runs import load_checkpoint
from gankit.training import Trainer, train
from gankit.training.callbacks import Callback
from gankit.training.signals import TrainingInterrupted

TINY = ["data.size=128", "data.resolution=16", "model.g_width=8", "model.d_width=8",
        "model.z_dim=16", "train.batch_size=16", "train.progress=false",
        "train.tensorboard=false", "train.grid_size=16", "train.device=cpu",
        "train.log_every=2", "train.collapse_every=0"]


def config(*extra):
    return load_config("default", TINY + list(extra))


def weights(run_dir):
    return load_checkpoint(run_dir)["generator"]


def strict_json_lines(path):
    def refuse(token):
        raise ValueError(f"non-JSON number {token}")
    return [json.loads(line, parse_constant=refuse) for line in path.read_text().splitlines()]


class At(Callback):
    """Runs ``action(trainer)`` once, after step ``step``."""

    def __init__(self, step, action):
        self.step, self.action, self.done = step, action, False

    def on_step(self, trainer, stats):
        if trainer.step == self.step and not self.done:
            self.done = True
            self.action(trainer)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_saves_and_the_resumed_run_is_bit_identical(tmp_path, signum):
    cfg = config("train.steps=10", "train.checkpoint_every=100")
    whole = train(cfg, out=tmp_path / "whole")
    run_dir = tmp_path / "stopped"
    stop = At(4, lambda trainer: os.kill(os.getpid(), signum))
    with pytest.raises(TrainingInterrupted) as stopped:
        train(cfg, out=run_dir, extra_callbacks=[stop])
    assert stopped.value.exit_code == 128 + signum
    assert load_checkpoint(run_dir)["step"] == 4
    train(cfg, resume=run_dir)
    for name, tensor in weights(whole.run_dir).items():
        assert torch.equal(tensor, weights(run_dir)[name]), name


def test_sigterm_to_the_command_exits_143_with_a_resume_hint(tmp_path):
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "gankit.cli.main", "train", "--out", str(run_dir),
               "--steps", "100000", *[arg for s in TINY for arg in ("--set", s)]]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    log = run_dir / "metrics.jsonl"
    for _ in range(3000):  # wait until it trains (a log line), at most 5 min on a busy CPU
        if log.is_file() and log.read_text().strip():
            break
        try:
            process.wait(0.1)
        except subprocess.TimeoutExpired:
            continue
        break
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert "stopped by SIGTERM" in err and "--resume" in err and "Traceback" not in err
    assert load_checkpoint(run_dir)["step"] > 0


def test_a_truncated_latest_checkpoint_falls_back_to_the_previous_one(tmp_path, capsys):
    run_dir = train(config("train.steps=4", "train.checkpoint_every=2"),
                    out=tmp_path / "run").run_dir
    latest = run_dir / "checkpoints" / "step-0000004.pt"
    latest.write_bytes(latest.read_bytes()[:1000])
    state = load_checkpoint(run_dir)
    assert state["step"] == 2
    warning = capsys.readouterr().err
    assert "step-0000004.pt" in warning and "step-0000002.pt" in warning
    with pytest.raises(GankitError, match="step-0000004.pt is damaged"):
        load_checkpoint(latest)


def test_a_checkpoint_that_does_not_match_its_checksum_is_not_used(tmp_path, capsys):
    run_dir = train(config("train.steps=4", "train.checkpoint_every=2"),
                    out=tmp_path / "run").run_dir
    latest = run_dir / "checkpoints" / "step-0000004.pt"
    data = bytearray(latest.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte deep inside a tensor
    latest.write_bytes(bytes(data))
    assert load_checkpoint(run_dir)["step"] == 2
    assert "SHA-256" in capsys.readouterr().err


def test_a_full_disk_is_one_message_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    saved = checkpoint_module.torch.save

    def fill_disk(state, path):
        if "step-0000004" in str(path):
            with open(path, "wb") as f:
                f.write(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        saved(state, path)

    monkeypatch.setattr(checkpoint_module.torch, "save", fill_disk)
    cfg = config("train.steps=6", "train.checkpoint_every=2")
    run_dir = tmp_path / "run"
    with pytest.raises(GankitError) as error:
        train(cfg, out=run_dir)
    message = str(error.value)
    assert "no space left on device" in message and "step 4" in message
    assert "step-0000002.pt is intact" in message and "--resume" in message
    assert not list(run_dir.rglob("*.tmp"))
    monkeypatch.undo()
    assert train(cfg, resume=run_dir).trainer.step == 6


def poison(trainer):
    with torch.no_grad():
        next(trainer.G.parameters()).fill_(float("nan"))


def test_nan_rolls_back_with_lower_learning_rates_and_finishes(tmp_path, capsys):
    cfg = config("train.steps=12", "train.checkpoint_every=4", "train.nan_rollbacks=1")
    result = train(cfg, out=tmp_path / "run", extra_callbacks=[At(5, poison)])
    assert result.trainer.step == 12
    records = strict_json_lines(result.run_dir / "metrics.jsonl")
    rollback = [r for r in records if r.get("kind") == "rollback"]
    assert len(rollback) == 1 and rollback[0]["step"] == 4 and rollback[0]["lr_scale"] == 0.5
    assert result.trainer.opt_g.param_groups[0]["lr"] == pytest.approx(cfg.optim.lr_g / 2)
    assert "rolled back to step 4" in capsys.readouterr().err
    for tensor in weights(result.run_dir).values():
        assert torch.isfinite(tensor.float()).all()


def test_nan_past_the_rollbacks_stops_with_the_step_and_what_to_try(tmp_path):
    cfg = config("train.steps=12", "train.checkpoint_every=2", "train.nan_rollbacks=0")
    run_dir = tmp_path / "run"
    with pytest.raises(GankitError) as error:
        train(cfg, out=run_dir, extra_callbacks=[At(3, poison)])
    message = str(error.value)
    assert "diverged" in message and "step 4" in message and "lr_g" in message
    assert "step-0000002.pt" in message
    assert load_checkpoint(run_dir)["step"] == 2  # the NaN state was never saved
    strict_json_lines(run_dir / "metrics.jsonl")


def test_a_huge_learning_rate_ends_in_a_clean_message_not_a_nan_run(tmp_path, capsys):
    from gankit.cli.main import main

    args = ["train", "--out", str(tmp_path / "run"), "--steps", "60",
            *[arg for s in TINY for arg in ("--set", s)],
            "--set", "optim.lr_g=1e8", "--set", "optim.lr_d=1e8"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("gankit: error: training diverged")
    strict_json_lines(tmp_path / "run" / "metrics.jsonl")


def test_trainer_state_with_nan_weights_is_never_saved(tmp_path):
    trainer = Trainer(config("train.steps=2"), tmp_path, torch.device("cpu"))
    poison(trainer)
    with pytest.raises(Exception, match="generator weights not finite"):
        trainer.state_dict()


def test_a_full_disk_at_the_last_log_line_is_one_message(tmp_path, monkeypatch):
    from gankit.training.callbacks import StatsLogger

    def full(self, trainer):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.run_dir / "metrics.jsonl"))

    monkeypatch.setattr(StatsLogger, "on_end", full)
    with pytest.raises(GankitError, match="no space left on device while writing "
                                          "metrics.jsonl at step 2"):
        train(config("train.steps=2", "train.checkpoint_every=2"), out=tmp_path / "run")


def test_a_stop_signal_with_nan_weights_saves_nothing_and_names_the_last_checkpoint(
        tmp_path, capsys):
    def poison_and_stop(trainer):
        poison(trainer)
        os.kill(os.getpid(), signal.SIGTERM)

    cfg = config("train.steps=12", "train.checkpoint_every=2", "train.log_every=100")
    with pytest.raises(TrainingInterrupted):
        train(cfg, out=tmp_path / "run", extra_callbacks=[At(3, poison_and_stop)])
    err = capsys.readouterr().err
    assert "not saved" in err and "step-0000002.pt is intact" in err
    assert load_checkpoint(tmp_path / "run")["step"] == 2
