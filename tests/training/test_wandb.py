"""Weights & Biases logging (train.wandb), checked against a stand-in ``wandb`` module
(the real one is not installed on test machines)."""

import sys
import types

import pytest

from gankit.cli.main import main
from gankit.config import load_config
from gankit.errors import GankitError
from gankit.training import train

SETTINGS = ["data.size=96", "data.resolution=32", "model.g_width=8", "model.d_width=8",
            "train.batch_size=16", "train.progress=false", "train.grid_size=8",
            "train.device=cpu", "train.tensorboard=false", "train.steps=4", "train.epochs=0",
            "train.log_every=2", "train.sample_every=2"]


class FakeRun:
    def __init__(self, **settings):
        self.settings = settings
        self.logged: list[tuple[int, dict]] = []
        self.finished = False

    def log(self, data, step=None):
        self.logged.append((step, data))

    def finish(self):
        self.finished = True


class FakeImage:
    def __init__(self, data, caption=None):
        self.data, self.caption = data, caption


@pytest.fixture
def fake_wandb(monkeypatch):
    module = types.ModuleType("wandb")
    module.runs = []

    def init(**settings):
        module.runs.append(FakeRun(**settings))
        return module.runs[-1]

    module.init, module.Image = init, FakeImage
    monkeypatch.setitem(sys.modules, "wandb", module)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    return module


def test_scalars_and_pictures_reach_wandb_offline(fake_wandb, tmp_path):
    cfg = load_config("dcgan32", [*SETTINGS, "train.wandb=true", "train.wandb_project=tiny"])
    run_dir = train(cfg, out=tmp_path / "run").run_dir
    (run,) = fake_wandb.runs
    assert run.settings["mode"] == "offline" and run.settings["project"] == "tiny"
    assert run.settings["dir"] == str(run_dir) and run.settings["config"] == cfg.to_dict()
    scalars = [(step, data) for step, data in run.logged if "loss_d" in data]
    assert [step for step, _ in scalars] == [2, 4]
    assert all({"loss_g", "d_real", "images_per_s"} <= set(data) for _, data in scalars)
    pictures = {(name, step): value for step, data in run.logged
                for name, value in data.items() if isinstance(value, FakeImage)}
    assert sorted(pictures) == [("real_vs_fake", 2), ("real_vs_fake", 4), ("samples", 0),
                                ("samples", 2), ("samples", 4)]
    assert pictures["samples", 4].data == str(run_dir / "samples" / "step-0000004.png")
    assert pictures["samples", 4].caption == "step 4"
    assert run.finished


def test_a_wandb_mode_the_user_chose_is_kept(fake_wandb, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    train(load_config("dcgan32", [*SETTINGS, "train.wandb=true"]), out=tmp_path / "run")
    assert "mode" not in fake_wandb.runs[0].settings


def test_wandb_is_not_imported_when_off(fake_wandb, tmp_path, monkeypatch):
    train(load_config("dcgan32", SETTINGS), out=tmp_path / "a")
    assert fake_wandb.runs == []
    monkeypatch.setitem(sys.modules, "wandb", None)  # any `import wandb` would now fail
    train(load_config("dcgan32", SETTINGS), out=tmp_path / "b")


def test_a_missing_wandb_package_is_one_line_before_the_run_folder_is_made(tmp_path,
                                                                          monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(GankitError, match=r'pip install "gankit\[wandb\]"'):
        train(load_config("dcgan32", [*SETTINGS, "train.wandb=true"]), out=tmp_path / "run")
    assert not (tmp_path / "run").exists()
    args = ["train", "dcgan32", "--out", str(tmp_path / "cli")]
    for setting in [*SETTINGS, "train.wandb=true"]:
        args += ["--set", setting]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'pip install "gankit[wandb]"' in err[0]
    assert not (tmp_path / "cli").exists()
