"""iCLEVR label files, images and conditions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image

from gankit.data.iclevr import is_iclevr, load_objects, read_conditions, read_iclevr
from gankit.data.paths import load_path
from gankit.data.registry import DataRequest
from gankit.errors import GankitError

SHARED_ICLEVR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "iclevr"
OBJECTS = {"red cube": 0, "blue sphere": 1, "green cylinder": 2}
COLOUR = {"red": (255, 0, 0), "blue": (0, 0, 255), "green": (0, 255, 0),
          "gray": (128, 128, 128), "brown": (130, 80, 30), "purple": (128, 0, 128),
          "cyan": (0, 255, 255), "yellow": (255, 255, 0)}


def req(**kwargs) -> DataRequest:
    kwargs.setdefault("resolution", 8)
    kwargs.setdefault("cache_dir", "")
    return DataRequest(**kwargs)


def make_iclevr(root: Path, entries: dict, objects=OBJECTS, folder: str = "iclevr") -> Path:
    """Label files plus one solid image per entry, coloured by its first object."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "objects.json").write_text(json.dumps(objects))
    (root / "train.json").write_text(json.dumps(entries))
    (root / folder).mkdir(parents=True, exist_ok=True)
    for name, names in entries.items():
        colour = COLOUR[names[0].split()[0]] if names else (0, 0, 0)
        Image.new("RGB", (32, 24), colour).save(root / folder / name)
    return root


ENTRIES = {"b_1.png": ["blue sphere", "red cube"], "a_0.png": ["red cube"],
           "c_2.png": ["green cylinder", "blue sphere", "red cube"]}


def test_multi_hot_labels_in_index_order(tmp_path):
    root = make_iclevr(tmp_path / "set", ENTRIES)
    assert is_iclevr(root)
    data = load_path(req(name=str(root)))  # detected as iCLEVR, not a plain folder
    assert data.names == ["a_0.png", "b_1.png", "c_2.png"]
    assert data.class_names == ["red cube", "blue sphere", "green cylinder"]
    assert data.labels.dtype == torch.float32 and data.multi_label
    assert data.labels.tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    assert data.images.shape == (3, 3, 8, 8)
    assert data.images[:, :, 4, 4].tolist() == [[255, 0, 0], [0, 0, 255], [0, 255, 0]]


@pytest.mark.parametrize("folder,options", [("images", {}), (".", {}),
                                            ("renders/v1", {"images": "renders/v1"})])
def test_image_folder_fallbacks_and_option(tmp_path, folder, options):
    root = make_iclevr(tmp_path / "set", ENTRIES, folder=folder)
    data = read_iclevr(root, req(options=options))
    assert len(data) == 3 and data.labels.sum().item() == 6


def test_labels_none_and_class_modes(tmp_path):
    root = make_iclevr(tmp_path / "set", ENTRIES)
    assert read_iclevr(root, req(labels="none")).labels is None
    with pytest.raises(GankitError,
                       match="labels='class' is not supported; use one of: auto, none, multi"):
        read_iclevr(root, req(labels="class"))


def test_unknown_object_is_named_with_valid_names(tmp_path):
    root = make_iclevr(tmp_path / "set", {**ENTRIES, "d.png": ["red cube"]})
    (root / "train.json").write_text(json.dumps({**ENTRIES, "d.png": ["pink cone"]}))
    with pytest.raises(GankitError, match=r"unknown object 'pink cone' in .*train\.json; "
                                          r"valid names are like: red cube, blue sphere"):
        read_iclevr(root, req())


def test_missing_image_is_named(tmp_path):
    root = make_iclevr(tmp_path / "set", ENTRIES)
    (root / "iclevr" / "b_1.png").unlink()
    with pytest.raises(GankitError, match=r"b_1\.png listed in .*train\.json is missing"):
        read_iclevr(root, req())


def test_conditions_file_is_not_an_image_split(tmp_path):
    root = make_iclevr(tmp_path / "set", ENTRIES)
    (root / "test.json").write_text(json.dumps([["red cube"]]))
    with pytest.raises(GankitError, match="read_conditions"):
        read_iclevr(root, req(split="test"))


def test_read_conditions_accepts_path_mapping_or_names(tmp_path):
    root = make_iclevr(tmp_path / "set", ENTRIES)
    (root / "test.json").write_text(json.dumps([["green cylinder"], ["red cube", "blue sphere"]]))
    expected = torch.tensor([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    for objects in (root / "objects.json", str(root / "objects.json"), OBJECTS,
                    ["red cube", "blue sphere", "green cylinder"]):
        assert torch.equal(read_conditions(root / "test.json", objects), expected)
    (root / "bad.json").write_text(json.dumps([["red cube", "red cone"]]))
    with pytest.raises(GankitError, match=r"'red cone' in .*bad\.json"):
        read_conditions(root / "bad.json", OBJECTS)


def test_bad_objects_and_json_files(tmp_path):
    with pytest.raises(GankitError, match="distinct index"):
        load_objects({"a": 0, "b": 0})
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(GankitError, match=r"broken\.json is not valid JSON"):
        read_conditions(tmp_path / "broken.json", OBJECTS)


def test_iclevr_is_cached(tmp_path):
    root = make_iclevr(tmp_path / "set", ENTRIES)
    request = req(name=str(root), cache_dir=str(tmp_path / "cache"))
    first, second = load_path(request), load_path(request)
    assert (first.meta["cache"], second.meta["cache"]) == ("miss", "hit")
    assert torch.equal(first.labels, second.labels) and second.class_names == first.class_names


# --- the real label files (shared data; skipped where absent) ---------------------------

@pytest.fixture(scope="module")
def shared_iclevr() -> Path:
    if not (SHARED_ICLEVR / "train.json").is_file():
        pytest.skip(f"{SHARED_ICLEVR} is absent (shared iCLEVR label files)")
    return SHARED_ICLEVR


def test_real_conditions_file(shared_iclevr):
    conditions = read_conditions(shared_iclevr / "test.json", shared_iclevr / "objects.json")
    assert conditions.shape == (32, 24) and conditions.dtype == torch.float32
    counts = conditions.sum(1)
    assert counts.min() >= 1 and counts.max() <= 3
    assert torch.equal(conditions[0], torch.eye(24)[0])  # first condition: "gray cube"


def test_real_train_labels_with_drawn_images(shared_iclevr, tmp_path):
    full = json.loads((shared_iclevr / "train.json").read_text())
    assert len(full) == 18009
    subset = dict(list(full.items())[:30])
    root = tmp_path / "iclevr-root"
    root.mkdir()
    shutil.copy(shared_iclevr / "objects.json", root / "objects.json")
    make_iclevr(root, subset, objects=json.loads((root / "objects.json").read_text()))
    data = load_path(req(name=str(root), resolution=16))
    objects = load_objects(shared_iclevr / "objects.json")
    assert data.labels.shape == (30, 24)
    assert data.class_names[:3] == ["gray cube", "red cube", "blue cube"]
    assert data.class_names == sorted(objects, key=objects.get)
    for name, row in zip(data.names, data.labels):
        assert sorted(data.class_names[i] for i in row.nonzero().flatten()) == sorted(
            set(subset[name]))
