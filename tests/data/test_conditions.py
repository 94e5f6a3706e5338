"""The iCLEVR contract: every object list names 1-3 distinct known objects.

Conditions files (``gankit sample/evaluate --conditions``) and ``train.json`` label
files that break it are one GankitError naming the file and the entry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from gankit.cli.main import main
from gankit.data.iclevr import read_conditions, read_iclevr
from gankit.data.request import DataRequest
from gankit.errors import GankitError

OBJECTS = {"red cube": 0, "blue sphere": 1, "green cylinder": 2, "gray cube": 3}


def conditions(tmp_path: Path, content) -> Path:
    path = tmp_path / "test.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def error_of(path: Path) -> str:
    with pytest.raises(GankitError) as caught:
        read_conditions(path, OBJECTS)
    text = str(caught.value)
    assert "\n" not in text and str(path) in text
    return text


@pytest.mark.parametrize("entries, fragment", [
    ([["red cube"], ["red cube", "blue sphere", "green cylinder", "gray cube"]],
     "entry 1 of {path} has 4 objects"),
    ([["red cube"], [], ["gray cube"]], "entry 1 of {path} is empty"),
    ([["gray cube", "red cube", "gray cube"]], "entry 0 of {path} names 'gray cube' twice"),
    ([["red cube"], "red cube"], "entry 1 of {path} is 'red cube', not a list of object names"),
    ([["red cube", 3]], "entry 0 of {path} is ['red cube', 3], not a list of object names"),
    ([["red cube"], [["blue sphere"]]], "entry 1 of {path} is [['blue sphere']], not a list"),
    ([["pink cone"]], "unknown object 'pink cone' in entry 0 of {path}"),
])
def test_bad_entries_are_named_by_index(tmp_path, entries, fragment):
    path = conditions(tmp_path, entries)
    text = error_of(path)
    assert fragment.format(path=path) in text
    if "distinct" in text:
        assert "1 to 3 distinct objects" in text


@pytest.mark.parametrize("content, fragment", [
    ("[[\"red cube\"],", "is not valid JSON"),
    ("", "is not valid JSON"),
    ({"a.png": ["red cube"]}, "must hold a list of object-name lists"),
    ("\"red cube\"", "must hold a list of object-name lists"),
    ([], "holds no conditions"),
])
def test_malformed_files_are_one_line(tmp_path, content, fragment):
    assert fragment in error_of(conditions(tmp_path, content))


def test_binary_file_and_folder_are_user_errors(tmp_path):
    path = tmp_path / "test.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert "is not valid JSON" in error_of(path)
    (tmp_path / "folder.json").mkdir()
    assert "cannot read" in error_of(tmp_path / "folder.json")


def test_valid_conditions_still_read(tmp_path):
    path = conditions(tmp_path, [["gray cube"], ["red cube", "blue sphere", "green cylinder"]])
    assert read_conditions(path, OBJECTS).tolist() == [[0, 0, 0, 1], [1, 1, 1, 0]]


@pytest.mark.parametrize("labels, fragment", [
    ([], "entry 'b.png' of {path} is empty"),
    (["red cube", "blue sphere", "green cylinder", "gray cube"],
     "entry 'b.png' of {path} has 4 objects"),
    (["red cube", "red cube"], "entry 'b.png' of {path} names 'red cube' twice"),
])
def test_train_json_entries_follow_the_same_contract(tmp_path, labels, fragment):
    root = tmp_path / "iclevr"
    (root / "images").mkdir(parents=True)
    (root / "objects.json").write_text(json.dumps(OBJECTS))
    (root / "train.json").write_text(json.dumps({"a.png": ["red cube"], "b.png": labels}))
    for name in ("a.png", "b.png"):
        Image.new("RGB", (8, 8)).save(root / "images" / name)
    with pytest.raises(GankitError) as caught:
        read_iclevr(root, DataRequest(resolution=8, cache_dir=""))
    assert fragment.format(path=root / "train.json") in str(caught.value)


def test_bad_objects_file_is_a_user_error(tmp_path):
    path = conditions(tmp_path, [["a"]])
    for objects in ({"a": "zero"}, {"a": 0.0}, [["a"]], 5):
        with pytest.raises(GankitError, match="must map"):
            read_conditions(path, objects)


# --- through the CLI --------------------------------------------------------------------------

@pytest.mark.parametrize("entries, culprit", [
    ([["gray cube"], ["red cube", "red sphere", "blue cube", "gray cylinder"]],
     "entry 1 of"),
    ([["gray cube"], []], "entry 1 of"),
    ([["gray cube", "gray cube"]], "names 'gray cube' twice"),
    ("[[\"gray cube\"]", "is not valid JSON"),
])
def test_sample_with_a_bad_conditions_file_is_one_line(tiny_run, tmp_path, capsys, entries,
                                                       culprit):
    run = tiny_run("iclevr-wgan-gp")
    path = conditions(tmp_path, entries)
    capsys.readouterr()
    code = main(["sample", str(run), "--conditions", str(path), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("gankit: error:")
    assert str(path) in err[0] and culprit in err[0]
