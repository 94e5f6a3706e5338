import json

import pytest
import torch

from gankit.config import load_config
from gankit.runs import load_checkpoint
from gankit.runs.checkpoint import find_checkpoint
from gankit.training import Trainer, train

TINY = ["data.size=256", "data.resolution=16", "model.g_width=8", "model.d_width=8",
        "model.z_dim=16", "train.batch_size=16", "train.progress=false",
        "train.tensorboard=false", "train.grid_size=16", "train.device=cpu"]


def tiny_config(*extra, preset="default"):
    return load_config(preset, TINY + list(extra))


def test_short_dcgan_run_writes_grids_checkpoints_and_metrics(tmp_path):
    cfg = tiny_config("train.steps=6", "train.sample_every=3", "train.checkpoint_every=3",
                      "train.log_every=2", "train.tensorboard=true")
    result = train(cfg, out=tmp_path / "run")
    run = result.run_dir
    assert (run / "config.yaml").read_text() == cfg.to_yaml()
    assert sorted(p.name for p in (run / "samples").glob("*.png")) == [
        "step-0000000.png", "step-0000003.png", "step-0000006.png"]
    assert sorted(p.name for p in (run / "checkpoints").glob("*.pt")) == [
        "step-0000003.pt", "step-0000006.pt"]
    assert find_checkpoint(run).name == "step-0000006.pt"
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [2, 4, 6]
    assert all({"loss_d", "loss_g", "images_per_s", "kimg"} <= set(r) for r in records)
    assert list((run / "tensorboard").glob("events.*"))
    state = load_checkpoint(run)
    assert state["step"] == 6 and state["config"] == cfg.to_dict()


def _weights(trainer):
    return torch.cat([p.detach().flatten() for p in list(trainer.G.parameters())
                      + list(trainer.D.parameters())])


@pytest.mark.parametrize("extra", [
    [],
    ["train.ema=0.9", "model.d_dropout=0.3", "train.d_steps=2"],
    # R3GAN's recipe: the lazy-penalty rhythm and the schedules must resume exactly too
    ["loss.name=rpgan", "loss.r1_weight=0.1", "loss.r2_weight=0.1", "loss.reg_every=3",
     "schedule.shape=cosine", "schedule.images=100", "schedule.lr_end=0.25",
     "schedule.gamma_end=0.1", "schedule.beta2_end=0.99", "schedule.ema_halflife=500", "schedule.ema_halflife_start=0"],
    # mode seeking draws the G phase's own paired latents from the same generator
    ["loss.mode_seeking=0.5"],
])
def test_resume_continues_bit_for_bit(tmp_path, extra):
    full = train(tiny_config("train.steps=8", "train.checkpoint_every=4", *extra),
                 out=tmp_path / "full").trainer
    half_cfg = tiny_config("train.steps=4", "train.checkpoint_every=4", *extra)
    train(half_cfg, out=tmp_path / "half")
    state = load_checkpoint(tmp_path / "half")
    assert state["step"] == 4
    resumed = train(tiny_config("train.steps=8", "train.checkpoint_every=4", *extra),
                    resume=tmp_path / "half").trainer
    assert resumed.step == 8
    assert torch.equal(_weights(full), _weights(resumed))
    if full.ema is not None:  # the average, and its re-estimated BatchNorm statistics
        for (name, a), b in zip(full.ema.state_dict().items(),
                                resumed.ema.state_dict().values()):
            assert torch.equal(a, b), name


@pytest.mark.parametrize("batches", [0, 4])
def test_the_saved_average_has_batchnorm_statistics_of_its_own(tmp_path, batches):
    train(tiny_config("train.steps=6", "train.ema=0.9", f"train.ema_standing_batches={batches}"),
          out=tmp_path / "run")
    state = load_checkpoint(tmp_path / "run")
    stats = [k for k in state["ema"] if k.endswith(("running_mean", "running_var"))]
    assert stats
    copied = [torch.equal(state["ema"][k], state["generator"][k]) for k in stats]
    assert all(copied) if batches == 0 else not any(copied)


def test_same_seed_same_run_different_seed_different_run(tmp_path):
    a = train(tiny_config("train.steps=3"), out=tmp_path / "a").trainer
    b = train(tiny_config("train.steps=3"), out=tmp_path / "b").trainer
    c = train(tiny_config("train.steps=3", "train.seed=1"), out=tmp_path / "c").trainer
    assert torch.equal(_weights(a), _weights(b))
    assert not torch.equal(_weights(a), _weights(c))


def test_epochs_set_the_number_of_steps(tmp_path):
    cfg = tiny_config("train.epochs=0.5", "train.d_steps=2")
    trainer = Trainer(cfg, tmp_path, torch.device("cpu"), callbacks=[])
    assert trainer.total_steps == 4  # 0.5 × 256 / (16 × 2)


def test_existing_run_folder_is_not_overwritten(tmp_path):
    from gankit.errors import GankitError
    train(tiny_config("train.steps=1"), out=tmp_path / "run")
    with pytest.raises(GankitError, match="--resume"):
        train(tiny_config("train.steps=1"), out=tmp_path / "run")


def test_ctrl_c_finishes_the_step_and_saves_a_checkpoint_to_resume_from(tmp_path):
    import os
    import signal

    from gankit.training.callbacks import Callback
    from gankit.training.loop import Trainer as TrainerClass
    from gankit.training.signals import TrainingInterrupted

    class CtrlC(Callback):
        def on_step(self, trainer, stats):
            if trainer.step == 3:
                os.kill(os.getpid(), signal.SIGINT)

    cfg = tiny_config("train.steps=8", "train.checkpoint_every=100")
    trainer = TrainerClass(cfg, tmp_path, torch.device("cpu"))
    trainer.callbacks.append(CtrlC())
    with pytest.raises(TrainingInterrupted) as stopped:
        trainer.train()
    assert stopped.value.exit_code == 128 + signal.SIGINT
    assert load_checkpoint(tmp_path)["step"] == 3
    resumed = train(cfg, resume=tmp_path).trainer
    assert resumed.step == 8


def test_rollback_snapshots_do_not_re_estimate_the_average(tmp_path, monkeypatch):
    from gankit.training import ema as ema_module
    calls = []
    original = ema_module.StandingStatistics.apply
    monkeypatch.setattr(ema_module.StandingStatistics, "apply",
                        lambda self, model: calls.append(1) or original(self, model))
    # the divergence guard snapshots the state at every log step; only what draws or is
    # saved re-estimates: the grid at step 0, and the last step's grid and checkpoint
    train(tiny_config("train.steps=6", "train.ema=0.9", "train.log_every=1",
                      "train.sample_every=0", "train.checkpoint_every=6",
                      "train.pictures=false"), out=tmp_path / "run")
    assert len(calls) == 2
