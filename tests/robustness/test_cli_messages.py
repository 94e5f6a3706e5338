"""User errors through the real CLI: one `gankit: error:` line, exit code 2; and the
one-line summary of skipped files."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from gankit.cli.main import main
from gankit.errors import GankitError
from gankit.metrics.evaluator import Evaluator
from gankit.metrics.extractors import ExtractorOptions, build_evaluator

EVALUATOR_HINT = "train one with gankit evaluator train --data DATA --out FILE"
TINY = ["--steps", "1", "--no-progress", "--set", "data.resolution=16",
        "--set", "model.g_width=4", "--set", "model.d_width=4", "--set", "model.depth=2",
        "--set", "train.batch_size=4", "--set", "train.grid_size=4",
        "--set", "train.tensorboard=false", "--set", "train.device=cpu",
        "--set", "train.sample_every=0", "--set", "train.checkpoint_every=0",
        "--set", "train.collapse_every=0"]


def test_missing_evaluator_points_to_the_cli(tmp_path):
    with pytest.raises(GankitError) as caught:
        Evaluator.load(tmp_path / "nope.safetensors")
    assert str(caught.value).endswith(EVALUATOR_HINT)
    with pytest.raises(GankitError) as caught:
        build_evaluator(ExtractorOptions(device="cpu"))
    assert EVALUATOR_HINT in str(caught.value) and "gankit.metrics" not in str(caught.value)


@pytest.fixture
def folder_with_bad_files(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    for index in range(6):
        Image.new("RGB", (16, 16), (index * 40, 90, 30)).save(root / f"{index}.png")
    (root / "broken.jpg").write_bytes(b"not a jpeg")
    (root / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n cut short")
    os.symlink(tmp_path / "gone.png", root / "link.png")
    return root


def train(root, tmp_path, *extra):
    return main(["train", "dcgan", "--data", str(root), "--out", str(tmp_path / "run"),
                 *TINY, *extra])


def test_bad_files_are_all_named_in_one_error_line(folder_with_bad_files, tmp_path, capsys,
                                                   monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    assert train(folder_with_bad_files, tmp_path) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error: 3 files in ")
    assert all(name in err[0] for name in ("broken.jpg", "cut.png", "link.png"))
    assert err[0].endswith("--skip-bad-files skips them")


def test_skip_bad_files_trains_with_one_summary_warning(folder_with_bad_files, tmp_path,
                                                        capsys, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    code = train(folder_with_bad_files, tmp_path, "--skip-bad-files")
    err = capsys.readouterr().err
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("gankit: warning:")]
    assert warnings == [(f"gankit: warning: skipped 3 unreadable files in "
                         f"{folder_with_bad_files}: broken.jpg, cut.png, link.png")]
