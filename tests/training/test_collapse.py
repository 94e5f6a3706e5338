"""The mode-collapse monitor: fires once on a generator that ignores z, stays quiet and
logs a ratio near 1 on one that draws real images."""

import json

import pytest
import torch
from stand_ins import IgnoresZ, RealImages

from gankit.config import load_config
from gankit.errors import GankitError
from gankit.runs import load_checkpoint, save_checkpoint
from gankit.training import Trainer, train
from gankit.training.callbacks import ProgressBar, StatsLogger
from gankit.training.collapse import CollapseMonitor, _remedies

TINY = ["data.size=512", "data.resolution=16", "model.g_width=8", "model.d_width=8",
        "model.z_dim=16", "train.batch_size=16", "train.progress=false",
        "train.tensorboard=false", "train.grid_size=16", "train.device=cpu", "train.ema=0"]
LABELS = {
    "class": ["data.name=shapes-single", "data.labels=class", "model.g_cond=embedding",
              "model.d_cond=channel"],
    "multi": ["data.name=shapes", "data.labels=multi", "model.g_cond=onehot"],
    "none": ["data.name=shapes", "data.labels=none"],
}
WARNING = "gankit: warning: "


def _trainer(run_dir, labels="class"):
    cfg = load_config("default", TINY + LABELS[labels])
    monitor = CollapseMonitor.from_config(cfg.train)
    trainer = Trainer(cfg, run_dir, torch.device("cpu"),
                      callbacks=[StatsLogger(run_dir, 10_000, tensorboard=False), monitor])
    for cb in trainer.callbacks:
        cb.on_start(trainer)
    return trainer


def _drive(trainer, steps):
    """Call the monitor as the loop would at each of ``steps`` (no training)."""
    monitor = trainer.callback(CollapseMonitor)
    for step in steps:
        trainer.step = step
        monitor.on_step(trainer, {})


def _records(run_dir):
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_warns_once_on_a_generator_that_ignores_z_even_after_resume(tmp_path, capsys):
    trainer = _trainer(tmp_path)
    trainer.G = IgnoresZ(trainer.G)
    _drive(trainer, range(250, 3001, 250))
    records = _records(tmp_path)
    assert [r["step"] for r in records] == list(range(250, 3001, 250))
    assert all(r["kind"] == "collapse" and r["diversity_ratio"] < 0.05 for r in records)
    warnings = [r for r in records if "warning" in r]
    # low from the first check, but only checks from the warm-up (1000) on count: 1000-1500
    assert [r["step"] for r in warnings] == [1500]
    message = warnings[0]["message"]
    assert warnings[0]["warning"] == "collapse" and message.startswith(WARNING)
    assert "within a class" in message and "model.d_cond=projection" in message
    assert "samples" in message
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith(WARNING)] == [message]

    # the flag travels in the checkpoint: a resumed run does not warn again
    trainer.G = trainer.G.inner
    save_checkpoint(tmp_path / "checkpoints" / "step-0003000.pt", trainer.state_dict())
    resumed = _trainer(tmp_path)
    resumed.load_state_dict(load_checkpoint(tmp_path))
    resumed.G = IgnoresZ(resumed.G)
    _drive(resumed, range(3250, 4001, 250))
    records = _records(tmp_path)
    assert [r["step"] for r in records if "warning" in r] == [1500]
    assert records[-1]["step"] == 4000 and records[-1]["diversity_ratio"] < 0.05
    assert WARNING not in capsys.readouterr().err


def test_warning_goes_above_the_progress_bar_and_marks_it(tmp_path, capsys):
    trainer = _trainer(tmp_path)
    progress = ProgressBar(enabled=True)
    trainer.callbacks.append(progress)
    progress.on_start(trainer)
    trainer.G = IgnoresZ(trainer.G)
    _drive(trainer, range(250, 1501, 250))
    assert "collapse" in progress.bar.desc
    progress.on_end(trainer)
    err = capsys.readouterr().err.replace("\r", "\n")
    assert len([line for line in err.splitlines() if line.startswith(WARNING)]) == 1


class OneClassCollapsed(RealImages):
    """Real images of every class, but one image, repeated, for class ``collapsed``."""

    def __init__(self, dataset, z_dim: int, collapsed: int):
        super().__init__(dataset, z_dim)
        self.collapsed = collapsed

    def forward(self, z, cond=None, source=None):
        out = super().forward(z, cond, source)
        rows = (cond.argmax(1) == self.collapsed).nonzero().flatten()
        out[rows] = out[rows[:1]]
        return out


def test_one_collapsed_class_is_named_though_the_mean_looks_healthy(tmp_path, capsys):
    trainer = _trainer(tmp_path)
    names = trainer.dataset.class_names
    trainer.G = OneClassCollapsed(trainer.dataset, trainer.G.z_dim, collapsed=5)
    _drive(trainer, range(250, 1501, 250))
    records = _records(tmp_path)
    assert all(r["diversity_ratio"] > 0.7 for r in records)  # the mean hides it
    assert all(r["diversity_ratio_min"] < 0.05 and r["least_varied"] == names[5]
               for r in records)
    warnings = [r for r in records if "warning" in r]
    assert [r["step"] for r in warnings] == [1500]
    message = warnings[0]["message"]
    assert f"samples of {names[5]!r} are 0.00x" in message
    assert f"the mean over the classes: {warnings[0]['diversity_ratio']:.2f}x" in message
    assert warnings[0]["message"] in capsys.readouterr().err


@pytest.mark.parametrize("labels", ["class", "multi", "none"])
def test_ratio_is_near_one_and_silent_when_samples_are_real_images(tmp_path, capsys, labels):
    trainer = _trainer(tmp_path, labels)
    trainer.G = RealImages(trainer.dataset, trainer.G.z_dim)
    _drive(trainer, range(250, 2501, 250))
    records = _records(tmp_path)
    ratios = [r["diversity_ratio"] for r in records]
    assert len(ratios) == 10 and not any("warning" in r for r in records)
    assert all(r.get("diversity_ratio_min", r["diversity_ratio"]) > 0.4 for r in records)
    assert 0.85 < sum(ratios) / len(ratios) < 1.15
    assert all(0.6 < r < 1.4 for r in ratios)
    assert WARNING not in capsys.readouterr().err


def test_short_real_run_logs_the_ratio_beside_the_losses(tmp_path, capsys):
    cfg = load_config("default", TINY + LABELS["class"] + [
        "train.steps=6", "train.log_every=3", "train.collapse_every=2"])
    result = train(cfg, out=tmp_path / "run")
    assert result.trainer.callback(CollapseMonitor) is not None
    records = _records(result.run_dir)
    checks = [r for r in records if r.get("kind") == "collapse"]
    assert [r["step"] for r in checks] == [2, 4, 6]
    assert all(r["diversity_ratio"] > 0 and "warning" not in r for r in checks)
    losses = [r for r in records if "loss_d" in r]
    assert [r["step"] for r in losses] == [3, 6] and "loss_d" in records[-1]
    assert WARNING not in capsys.readouterr().err


def test_only_noise_driven_image_runs_are_monitored(tmp_path):
    def monitored(preset, *overrides):
        cfg = load_config(preset, list(overrides) + ["train.device=cpu", "train.progress=false",
                                                     "train.tensorboard=false"])
        trainer = Trainer(cfg, tmp_path, torch.device("cpu"))
        return trainer.callback(CollapseMonitor) is not None

    assert monitored("default", *TINY)
    assert not monitored("default", *TINY, "train.collapse_every=0")
    assert not monitored("simple-gan", "data.size=512", "train.batch_size=32")
    assert not monitored("pix2pix", "data.resolution=32", "data.size=64", "model.g_width=8",
                         "model.d_width=8", "train.batch_size=8")


@pytest.mark.parametrize("override, key", [
    ("train.collapse_every=-1", "train.collapse_every"),
    ("train.collapse_threshold=0", "train.collapse_threshold"),
    ("train.collapse_threshold=1.5", "train.collapse_threshold"),
    ("train.collapse_warmup=-5", "train.collapse_warmup"),
])
def test_out_of_range_settings_name_the_key(override, key):
    with pytest.raises(GankitError, match=key):
        load_config("default", TINY + [override])


def test_remedies_leave_out_what_the_config_does_and_what_its_networks_cannot():
    dcgan = load_config("cdcgan", [])
    tips = " ".join(_remedies(dcgan, conditional=True))
    assert "model.g_cond=cbn" not in tips  # cdcgan already conditions its BatchNorm
    assert "model.d_cond=projection" in tips and "optim.lr_d" in tips
    r3gan = load_config("r3gan32", ["data.labels=class", "model.g_cond=embedding"])
    tips = " ".join(_remedies(r3gan, conditional=True))
    assert "model.g_cond=cbn" not in tips  # no normalisation layers to condition
    assert "model.aux_classifier=true" in tips
    assert "model.g_cond=cbn" in " ".join(_remedies(
        load_config("cdcgan", ["model.g_cond=embedding"]), conditional=True))
    assert "loss.aux_mode=tac" in tips_of("acgan")  # an ACGAN classifier: try its twin
    assert "loss.aux_mode" not in tips_of("acgan", "loss.aux_mode=tac")
    assert "loss.aux_mode" not in " ".join(_remedies(r3gan, conditional=True))
    assert "loss.mode_seeking=10" in tips_of("cdcgan")
    uncapped = tips_of("cdcgan", "loss.mode_seeking=0.5")
    assert "loss.mode_seeking=10" not in uncapped and "loss.mode_seeking_cap" in uncapped
    assert "loss.mode_seeking" not in tips_of("iclevr-32")  # capped already


def test_remedies_offer_minibatch_std_over_one_class_groups_where_it_applies():
    assert "model.d_mbstd=4 with train.class_groups=4" in tips_of("acgan")
    assert "model.d_mbstd=4 with train.class_groups=4" in tips_of("acgan", "model.d_mbstd=4")
    assert "d_mbstd" not in tips_of("acgan", "model.d_mbstd=4", "train.class_groups=4")
    assert "d_mbstd" not in tips_of("iclevr-32")  # it did not help multi-label scenes
    assert "d_mbstd" not in tips_of("r3gan32", "data.labels=class")  # no such channel
    unconditional = " ".join(_remedies(load_config("dcgan32", []), conditional=False))
    assert "model.d_mbstd=4" in unconditional and "class_groups" not in unconditional
    assert "d_mbstd" not in " ".join(_remedies(load_config("dcgan32", ["model.d_mbstd=2"]),
                                               conditional=False))


def tips_of(preset: str, *overrides: str) -> str:
    return " ".join(_remedies(load_config(preset, list(overrides)), conditional=True))
