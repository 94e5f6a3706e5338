"""The decoded-data cache: hits skip decoding, keys follow the data, files stay whole."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import gankit.data.archives as archives
import gankit.data.cache as cache
import gankit.data.folders as folders
from gankit.data.cache import cache_dir, fingerprint_files
from gankit.data.paths import load_path
from gankit.data.registry import DataRequest


def make_folder(root: Path, count: int = 3) -> Path:
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        for index in range(count):
            path = root / name / f"{index}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 256, (9, 11, 3), np.uint8)).save(path)
    return root


def forbid_decoding(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("decoded although the cache should have answered")

    monkeypatch.setattr(folders, "decode_many", fail)
    monkeypatch.setattr(archives, "decode_many", fail)


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.safetensors"))


def test_second_load_is_a_hit_with_identical_data_and_no_decoding(tmp_path, monkeypatch):
    data_dir, store = make_folder(tmp_path / "data"), tmp_path / "cache"
    request = DataRequest(name=str(data_dir), resolution=8, cache_dir=str(store))
    first = load_path(request)
    assert first.meta["cache"] == "miss" and len(entries(store)) == 1
    forbid_decoding(monkeypatch)
    second = load_path(request)
    assert second.meta["cache"] == "hit"
    assert torch.equal(first.images, second.images) and torch.equal(first.labels, second.labels)
    assert (second.class_names, second.names, second.description) == (
        first.class_names, first.names, first.description)


def test_archive_hit_skips_reading_the_archive(tmp_path, monkeypatch):
    folder = make_folder(tmp_path / "data")
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as archive:
        for path in folder.rglob("*.png"):
            archive.write(path, path.relative_to(folder).as_posix())
    request = DataRequest(name=str(tmp_path / "d.zip"), resolution=8,
                          cache_dir=str(tmp_path / "cache"))
    first = load_path(request)
    forbid_decoding(monkeypatch)
    monkeypatch.setattr(archives, "_read_zip", lambda *a: pytest.fail("archive was read"))
    assert torch.equal(load_path(request).images, first.images)


def test_changed_file_changes_the_key(tmp_path, monkeypatch):
    data_dir, store = make_folder(tmp_path / "data"), tmp_path / "cache"
    request = DataRequest(name=str(data_dir), resolution=8, cache_dir=str(store))
    before = load_path(request)
    Image.new("RGB", (40, 40), (255, 0, 0)).save(data_dir / "a" / "0.png")  # new size, mtime
    after = load_path(request)
    assert after.meta["cache"] == "miss" and len(entries(store)) == 2
    assert not torch.equal(before.images[0], after.images[0])
    assert after.images[0, 0].min() == 255 and torch.equal(before.images[1:], after.images[1:])


def test_same_size_rewrite_changes_the_folder_fingerprint(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(b"1234")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = fingerprint_files(tmp_path, ["x.png"])
    path.write_bytes(b"5678")  # same size; the write moves the mtime
    assert fingerprint_files(tmp_path, ["x.png"]) != before


@pytest.mark.parametrize("change", [{"resolution": 4}, {"channels": 1}, {"labels": "none"},
                                    {"options": {"x": 1}}])
def test_request_fields_are_part_of_the_key(tmp_path, change):
    data_dir, store = make_folder(tmp_path / "data"), tmp_path / "cache"
    base = dict(name=str(data_dir), resolution=8, cache_dir=str(store))
    load_path(DataRequest(**base))
    changed = load_path(DataRequest(**{**base, **change}))
    assert changed.meta["cache"] == "miss" and len(entries(store)) == 2


def test_corrupt_entry_is_ignored_and_rebuilt(tmp_path):
    data_dir, store = make_folder(tmp_path / "data"), tmp_path / "cache"
    request = DataRequest(name=str(data_dir), resolution=8, cache_dir=str(store))
    good = load_path(request)
    (entry,) = entries(store)
    entry.write_bytes(entry.read_bytes()[:100])  # cut short
    with pytest.warns(UserWarning, match="ignoring unreadable data cache"):
        rebuilt = load_path(request)
    assert rebuilt.meta["cache"] == "miss" and torch.equal(rebuilt.images, good.images)
    assert load_path(request).meta["cache"] == "hit"


def test_interrupted_write_leaves_no_entry(tmp_path, monkeypatch):
    data_dir, store = make_folder(tmp_path / "data"), tmp_path / "cache"
    request = DataRequest(name=str(data_dir), resolution=8, cache_dir=str(store))

    def interrupted(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(cache, "save_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_path(request)
    assert list(store.iterdir()) == []  # neither a final entry nor the temporary file


def test_unwritable_cache_warns_and_still_loads(tmp_path):
    data_dir = make_folder(tmp_path / "data")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder should be")
    request = DataRequest(name=str(data_dir), resolution=8, cache_dir=str(blocker / "sub"))
    with pytest.warns(UserWarning, match="could not write the data cache"):
        data = load_path(request)
    assert len(data) == 6 and data.meta["cache_file"] is None


def test_cache_dir_defaults_and_off(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "gk"))
    assert cache_dir(DataRequest(cache_dir=None)) == tmp_path / "gk" / "datasets"
    assert cache_dir(DataRequest(cache_dir=str(tmp_path / "c"))) == tmp_path / "c"
    assert cache_dir(DataRequest(cache_dir="")) is None
    monkeypatch.delenv("GANKIT_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir(DataRequest()) == tmp_path / "home" / ".cache" / "gankit" / "datasets"
    data_dir = make_folder(tmp_path / "data")
    off = load_path(DataRequest(name=str(data_dir), resolution=8, cache_dir=""))
    assert off.meta["cache"] == "off" and not (tmp_path / "home").exists()
