"""`gankit sample --class` and `--conditions` on conditional runs."""

import json
from pathlib import Path

import pytest
from PIL import Image

from gankit.cli.main import main
from gankit.data.shapes import OBJECT_NAMES

SHARED_TEST_JSON = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "iclevr" / "test.json"
TINY = ["--steps", "2", "--no-progress", "--set", "data.size=64", "--set", "data.resolution=32",
        "--set", "model.g_width=8", "--set", "model.d_width=8", "--set", "train.batch_size=8",
        "--set", "train.tensorboard=false", "--set", "train.grid_size=8"]


@pytest.fixture(scope="module")
def multi_label_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("iclevr") / "run"
    assert main(["train", "iclevr-wgan-gp", "--out", str(out), *TINY]) == 0
    return out


@pytest.fixture(scope="module")
def class_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("acgan") / "run"
    assert main(["train", "acgan", "--out", str(out), *TINY]) == 0
    return out


def conditions_file(tmp_path):
    if SHARED_TEST_JSON.is_file():
        return SHARED_TEST_JSON
    path = tmp_path / "test.json"
    path.write_text(json.dumps([["gray cube"], ["red sphere", "blue cylinder"],
                                ["yellow cube", "cyan sphere", "green cylinder"]] * 4))
    return path


def test_conditions_file_gives_one_image_per_entry_in_order(multi_label_run, tmp_path):
    conditions = conditions_file(tmp_path)
    count = len(json.loads(conditions.read_text()))
    out = tmp_path / "fakes"
    assert main(["sample", str(multi_label_run), "--conditions", str(conditions),
                 "--out", str(out)]) == 0
    images = sorted(out.glob("0*.png"))
    assert len(images) == count
    grid = Image.open(out / "grid.png")
    assert grid.size[0] == 8 * 32 + 9 * 2  # 8 images per row, 2 px padding


def test_conditions_change_the_images(multi_label_run, tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps([["gray cube"], ["yellow cylinder", "red sphere"]]))
    main(["sample", str(multi_label_run), "--conditions", str(path), "--out", str(tmp_path / "o")])
    a, b = (Image.open(tmp_path / "o" / f"00000{i}.png").tobytes() for i in (0, 1))
    assert a != b


def test_unknown_object_name_is_a_user_error(multi_label_run, tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([["pink cube"]]))
    assert main(["sample", str(multi_label_run), "--conditions", str(path),
                 "--out", str(tmp_path / "x")]) == 2
    assert "pink cube" in capsys.readouterr().err


def test_class_by_name_and_index(class_run, tmp_path):
    for key in (OBJECT_NAMES[9], "9"):
        assert main(["sample", str(class_run), "--class", key, "--n", "4", "--seed", "1",
                     "--out", str(tmp_path / f"{key}.png")]) == 0
    assert (Image.open(tmp_path / f"{OBJECT_NAMES[9]}.png").tobytes()
            == Image.open(tmp_path / "9.png").tobytes())


def test_unknown_class_lists_the_known_ones(class_run, tmp_path, capsys):
    assert main(["sample", str(class_run), "--class", "unicorn", "--out",
                 str(tmp_path / "u.png")]) == 2
    err = capsys.readouterr().err
    assert "unicorn" in err and "gray cube" in err
