"""Unusable files among the images: broken links, corrupt files, decompression bombs.

By default every one is named in one GankitError; with ``skip_bad_files`` they are left
out and named in one ``gankit: warning:`` line on stderr.
"""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from pathlib import Path

import pytest
import torch
from PIL import Image

from gankit.data.aligned import build_aligned
from gankit.data.badfiles import SKIP_OPTION
from gankit.data.iclevr import read_iclevr
from gankit.data.paired import build_paired, read_label_csv
from gankit.data.paths import load_path
from gankit.data.request import DataRequest
from gankit.errors import GankitError

SKIP = {SKIP_OPTION: True}


def image(path: Path, size=(10, 10), colour=(90, 20, 200)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)
    return path


def req(**kwargs) -> DataRequest:
    kwargs.setdefault("resolution", 8)
    kwargs.setdefault("cache_dir", "")
    return DataRequest(**kwargs)


def load(root: Path, **kwargs):
    return load_path(req(name=str(root), **kwargs))


def error_of(call, *args, **kwargs) -> str:
    with pytest.raises(GankitError) as caught:
        call(*args, **kwargs)
    text = str(caught.value)
    assert "\n" not in text
    return text


def warning_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.fixture
def classes(tmp_path) -> Path:
    """Two classes of three good images each."""
    root = tmp_path / "set"
    for name in ("cat", "dog"):
        for index in range(3):
            image(root / name / f"{index}.png", colour=(index * 60, 10, 10))
    return root


# --- symbolic links -----------------------------------------------------------------------

def test_dangling_symlink_is_named(classes):
    os.symlink(classes / "gone.png", classes / "cat" / "link.png")
    text = error_of(load, classes)
    assert str(classes / "cat" / "link.png") in text
    assert "broken symbolic link" in text and "gone.png does not exist" in text


def test_symlink_loop_is_named(classes):
    os.symlink(classes / "dog" / "loop.png", classes / "dog" / "loop.png")
    text = error_of(load, classes)
    assert str(classes / "dog" / "loop.png") in text and "symbolic link loop" in text


def test_broken_links_are_named_by_the_stem_readers(tmp_path):
    image(tmp_path / "p" / "images" / "a.png")
    image(tmp_path / "p" / "sketches" / "a.png")
    image(tmp_path / "p" / "images" / "b.png")
    os.symlink(tmp_path / "nowhere.png", tmp_path / "p" / "sketches" / "b.png")
    text = error_of(build_paired, req(options={"root": str(tmp_path / "p")}))
    assert "sketches/b.png is a broken symbolic link" in text


# --- every bad file is named, or all are skipped -------------------------------------------

def test_all_bad_files_are_named_with_the_skip_hint(classes):
    (classes / "cat" / "bad.jpg").write_bytes(b"not a jpeg")
    (classes / "dog" / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n cut")
    os.symlink(classes / "gone.png", classes / "dog" / "link.png")
    text = error_of(load, classes)
    assert text.startswith(f"3 files in {classes} are unusable: ")
    for name in ("cat/bad.jpg", "dog/cut.png", "dog/link.png"):
        assert name in text
    assert text.endswith("--skip-bad-files skips them")


def test_many_bad_files_are_listed_up_to_a_limit(classes):
    for index in range(13):
        (classes / "cat" / f"bad{index:02}.png").write_bytes(b"junk")
    text = error_of(load, classes)
    assert text.startswith("13 files in") and "bad09.png" in text and "bad10.png" not in text
    assert "and 3 more" in text


def test_one_bad_file_keeps_the_short_message(classes):
    (classes / "cat" / "bad.jpg").write_bytes(b"not a jpeg")
    text = error_of(load, classes)
    assert text.startswith(f"{classes / 'cat' / 'bad.jpg'} is not a readable image")
    assert "remove or replace it, or --skip-bad-files skips it" in text


def test_stray_non_image_files_are_all_named(classes):
    (classes / "cat" / "notes.txt").write_text("x")
    (classes / "dog" / "labels.csv").write_text("x")
    text = error_of(load, classes)
    assert text.startswith("2 files among the images of") and "cat/notes.txt" in text
    assert "dog/labels.csv" in text and "--skip-bad-files" in text


def test_skip_leaves_bad_files_out_with_one_summary_warning(classes, capsys):
    (classes / "cat" / "bad.jpg").write_bytes(b"not a jpeg")
    (classes / "cat" / "notes.txt").write_text("x")
    os.symlink(classes / "gone.png", classes / "dog" / "link.png")
    data = load(classes, options=SKIP)
    assert data.names == ["cat/0", "cat/1", "cat/2", "dog/0", "dog/1", "dog/2"]
    assert data.labels.tolist() == [0, 0, 0, 1, 1, 1] and len(data.images) == 6
    assert warning_lines(capsys) == [(
        f"gankit: warning: skipped 3 unreadable files in {classes}: "
        "cat/bad.jpg, cat/notes.txt, dog/link.png")]


def test_skip_summary_shows_the_first_few_names(classes, capsys):
    for index in range(7):
        (classes / "dog" / f"bad{index}.png").write_bytes(b"junk")
    load(classes, options=SKIP)
    (line,) = warning_lines(capsys)
    assert line.startswith("gankit: warning: skipped 7 unreadable files in ")
    assert line.endswith(
        "dog/bad0.png, dog/bad1.png, dog/bad2.png, dog/bad3.png, dog/bad4.png, ...")


def test_skipping_every_file_is_an_error(tmp_path):
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "a.png").write_bytes(b"junk")
    text = error_of(load, tmp_path / "set", options=SKIP)
    assert "no usable files are left" in text and "a.png" in text


def test_skip_option_must_be_a_bool(classes):
    assert "skip_bad_files='yes' must be true or false" in error_of(
        load, classes, options={SKIP_OPTION: "yes"})


def test_cache_keeps_skipped_and_strict_reads_apart(classes, tmp_path, capsys):
    (classes / "cat" / "bad.jpg").write_bytes(b"not a jpeg")
    store = str(tmp_path / "cache")
    first = load(classes, options=SKIP, cache_dir=store)
    second = load(classes, options=SKIP, cache_dir=store)
    assert (first.meta["cache"], second.meta["cache"]) == ("miss", "hit")
    assert torch.equal(first.images, second.images) and second.names == first.names
    lines = warning_lines(capsys)
    assert len(lines) == 2 and lines[0] == lines[1]  # the hit repeats the warning
    assert "cat/bad.jpg" in error_of(load, classes, cache_dir=store)  # not served from cache


def test_archive_members_are_skipped_too(tmp_path, capsys):
    good = tmp_path / "good.png"
    image(good)
    with zipfile.ZipFile(tmp_path / "set.zip", "w") as archive:
        archive.write(good, "set/a/ok.png")
        archive.writestr("set/a/bad.png", b"junk")
        archive.write(good, "set/b/ok.png")
    data = load(tmp_path / "set.zip", options=SKIP)
    assert data.names == ["a/ok", "b/ok"]
    assert warning_lines(capsys) == [
        f"gankit: warning: skipped 1 unreadable file in {tmp_path / 'set.zip'}: set/a/bad.png"]


def test_iclevr_images_are_skipped_with_their_labels(tmp_path, capsys):
    root = tmp_path / "iclevr"
    objects = {"red cube": 0, "blue sphere": 1}
    entries = {"a.png": ["red cube"], "b.png": ["blue sphere"], "c.png": ["red cube"]}
    (root / "images").mkdir(parents=True)
    (root / "objects.json").write_text(json.dumps(objects))
    (root / "train.json").write_text(json.dumps(entries))
    image(root / "images" / "a.png")
    os.symlink(root / "gone.png", root / "images" / "b.png")
    image(root / "images" / "c.png")
    assert "images/b.png is a broken symbolic link" in error_of(read_iclevr, root, req())
    data = read_iclevr(root, req(options=SKIP))
    assert data.names == ["a.png", "c.png"] and data.labels.tolist() == [[1, 0], [1, 0]]
    assert warning_lines(capsys)[-1].endswith(f"in {root / 'images'}: b.png")


def test_paired_and_aligned_drop_the_whole_pair(tmp_path, capsys):
    for stem in ("a", "b", "c"):
        image(tmp_path / "p" / "images" / f"{stem}.png")
        image(tmp_path / "p" / "sketches" / f"{stem}.png")
    (tmp_path / "p" / "sketches" / "b.png").write_bytes(b"junk")
    data = build_paired(req(paired=True, options={"root": str(tmp_path / "p"), **SKIP}))
    assert data.names == ["a", "c"] and len(data.sources) == 2
    assert warning_lines(capsys) == [
        f"gankit: warning: skipped 1 unreadable file in {tmp_path / 'p'}: sketches/b.png"]

    image(tmp_path / "ab" / "one.png", size=(20, 10))
    image(tmp_path / "ab" / "square.png", size=(10, 10))
    (tmp_path / "ab" / "junk.png").write_bytes(b"junk")
    text = error_of(build_aligned, req(options={"root": str(tmp_path / "ab")}))
    assert "junk.png is not a readable image" in text and "square.png is 10x10" in text
    data = build_aligned(req(paired=True, options={"root": str(tmp_path / "ab"), **SKIP}))
    assert data.names == ["one"] and data.sources.shape == (1, 3, 8, 8)


# --- very large images -----------------------------------------------------------------------

def test_large_image_is_decoded_with_one_gankit_warning(classes, capsys, monkeypatch):
    image(classes / "cat" / "big.png", size=(40, 40))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 1600 px: warned, not refused
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load(classes)
    assert not [w for w in caught if w.category is Image.DecompressionBombWarning]
    assert len(data) == 7
    (line,) = warning_lines(capsys)
    assert line.startswith("gankit: warning: 1 image in ") and "cat/big.png" in line
    assert "DecompressionBomb" not in line


def test_decompression_bomb_is_a_bad_file(classes, capsys, monkeypatch):
    image(classes / "cat" / "bomb.png", size=(40, 40))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)  # 1600 px > 2 x 500: refused
    text = error_of(load, classes)
    assert str(classes / "cat" / "bomb.png") in text and "too large to decode safely" in text
    data = load(classes, options=SKIP)
    assert len(data) == 6
    assert warning_lines(capsys)[-1].endswith("cat/bomb.png")


def test_bomb_in_an_aligned_folder_check_is_no_traceback(tmp_path, monkeypatch):
    image(tmp_path / "flat" / "a.png", size=(40, 20))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    assert "too large to decode safely" in error_of(load, tmp_path / "flat")


# --- labels CSV ------------------------------------------------------------------------------

def test_labels_csv_with_a_huge_field_is_a_user_error(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text('image,MEL\n"' + "x" * 200_000 + '",1\n')
    assert "cannot read labels file" in error_of(read_label_csv, path)
