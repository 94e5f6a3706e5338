"""The real commands, run in-process through ``gankit.cli.main.main``."""

import json
import subprocess
import sys

import pytest
from PIL import Image

from gankit.cli.main import main

TINY = ["--set", "data.size=128", "--set", "data.resolution=16", "--set", "model.g_width=8",
        "--set", "model.d_width=8", "--set", "train.batch_size=16", "--set",
        "train.tensorboard=false", "--set", "train.grid_size=16", "--no-progress"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", "--steps", "4", "--out", str(out), *TINY]) == 0
    return out


def test_train_writes_the_run_folder(run_dir):
    assert (run_dir / "samples" / "step-0000004.png").is_file()
    assert (run_dir / "checkpoints" / "latest").is_file()
    assert (run_dir / "config.yaml").is_file() and (run_dir / "metrics.jsonl").is_file()


def test_train_prints_where_the_run_and_its_grids_are(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--steps", "2", *TINY]) == 0  # default folder under ./runs
    out = capsys.readouterr().out
    run = next((tmp_path / "runs").iterdir())
    assert run.name.startswith("default-")
    assert f"run folder   {run.relative_to(tmp_path)}" in out
    assert "sample grids" in out and "step-0000002.png" in out


def test_sample_grid_and_folder(run_dir, tmp_path):
    assert main(["sample", str(run_dir), "--n", "6", "--out", str(tmp_path / "g.png")]) == 0
    assert Image.open(tmp_path / "g.png").size[0] > 16
    assert main(["sample", str(run_dir / "checkpoints" / "step-0000004.pt"), "--n", "3",
                 "--out", str(tmp_path / "each")]) == 0
    files = sorted(p.name for p in (tmp_path / "each").iterdir())
    assert files == ["000000.png", "000001.png", "000002.png", "grid.png"]
    assert Image.open(tmp_path / "each" / "000000.png").size == (16, 16)


def test_sample_is_repeatable_from_a_seed(run_dir, tmp_path):
    for name in ("a", "b"):
        main(["sample", str(run_dir), "--n", "4", "--seed", "5", "--out", str(tmp_path / f"{name}.png")])
    main(["sample", str(run_dir), "--n", "4", "--seed", "6", "--out", str(tmp_path / "c.png")])
    a, b, c = (Image.open(tmp_path / f"{n}.png").tobytes() for n in "abc")
    assert a == b and a != c


def test_resume_extends_a_run(run_dir, tmp_path):
    assert main(["train", "--resume", str(run_dir), "--steps", "6", "--no-progress"]) == 0
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["step"] == 6


def test_presets_lists_one_line_each(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("default ") for line in out)
    assert all(len(line.split(None, 1)) == 2 for line in out)


@pytest.mark.parametrize("argv, fragment", [
    (["train", "no-such-preset"], "unknown preset"),
    (["train", "--data", "/no/such/folder", "--steps", "1"], "/no/such/folder"),
    (["train", "--set", "train.stepz=1"], "train.stepz"),
    (["sample", "/no/such/run", "--out", "x.png"], "/no/such/run"),
    (["train", "--device", "cuda:9", "--steps", "1"], None),
])
def test_user_errors_are_one_line_and_exit_2(argv, fragment, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if fragment is None:
        pytest.importorskip("torch")
        import torch
        if torch.cuda.is_available():
            pytest.skip("a GPU is present")
        fragment = "cuda"
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error:") and fragment in err[0]


def test_python_dash_m_gankit_works():
    done = subprocess.run([sys.executable, "-m", "gankit", "presets"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "simple-gan" in done.stdout


def test_resume_with_other_models_is_a_one_line_error(run_dir, capsys):
    config_before = (run_dir / "config.yaml").read_text()
    assert main(["train", "--resume", str(run_dir), "--set", "model.g_width=16",
                 "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "model.g_width" in err[0]
    assert (run_dir / "config.yaml").read_text() == config_before
