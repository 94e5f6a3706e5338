"""Every bad input to the image readers is one GankitError naming the culprit and fix."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gankit.data.paths import load_path, resolve_dataset
from gankit.data.registry import DataRequest
from gankit.errors import GankitError


def write_image(path: Path, size=(10, 10)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (90, 20, 200)).save(path)
    return path


def load(path, **kwargs):
    kwargs.setdefault("resolution", 8)
    kwargs.setdefault("cache_dir", "")
    return load_path(DataRequest(name=str(path), **kwargs))


def expect(message: str, path, **kwargs) -> str:
    with pytest.raises(GankitError, match=message) as caught:
        load(path, **kwargs)
    text = str(caught.value)
    assert "\n" not in text  # one line, for the CLI
    return text


def test_missing_path_names_it_and_the_alternatives(tmp_path):
    text = expect("does not exist", tmp_path / "nope")
    assert str(tmp_path / "nope") in text and "built-in name" in text
    assert "folder/archive" in text
    with pytest.raises(GankitError, match="does not exist"):
        resolve_dataset(DataRequest(name=str(tmp_path / "nope.zip"), cache_dir=""))


def test_empty_folder(tmp_path):
    (tmp_path / "empty" / "cat").mkdir(parents=True)
    (tmp_path / "empty" / ".DS_Store").write_bytes(b"junk")  # hidden files don't count
    expect(r"empty/? holds no images; add .*png", tmp_path / "empty")


def test_flat_folder_when_class_labels_are_required(tmp_path):
    write_image(tmp_path / "flat" / "a.png")
    text = expect(r"has no class sub-folders; labels='class' needs", tmp_path / "flat",
                  labels="class")
    assert f"{tmp_path / 'flat'}/<class>/*.png" in text


def test_corrupt_image_is_named(tmp_path):
    write_image(tmp_path / "set" / "cat" / "ok.png")
    (tmp_path / "set" / "cat" / "bad.jpg").write_bytes(b"this is not a jpeg")
    text = expect(r"bad\.jpg is not a readable image .*remove or replace it", tmp_path / "set")
    assert str(tmp_path / "set" / "cat" / "bad.jpg") in text


def test_truncated_jpeg_is_named(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (48, 48, 3), np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "JPEG")
    path = tmp_path / "set" / "photo.jpg"
    path.parent.mkdir()
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) * 2 // 3])
    expect(r"photo\.jpg is not a readable image \(truncated", tmp_path / "set")


@pytest.mark.parametrize("stray", ["cat/notes.txt", "notes.txt"])
def test_non_image_file_among_images(tmp_path, stray):
    layout = "cat/" if stray.startswith("cat/") else ""
    write_image(tmp_path / "set" / f"{layout}a.png")
    (tmp_path / "set" / stray).write_text("not an image")
    text = expect(r"notes\.txt is not an image .* among the images; remove it", tmp_path / "set")
    assert str(tmp_path / "set" / stray) in text


def test_image_beside_class_folders(tmp_path):
    write_image(tmp_path / "set" / "cat" / "a.png")
    write_image(tmp_path / "set" / "loose.png")
    expect(r"image .*loose\.png lies beside the class folders .*move it", tmp_path / "set")


def test_file_that_is_not_an_archive(tmp_path):
    photo = write_image(tmp_path / "photo.png")
    expect(r"photo\.png is a file, not a folder or an archive", photo)


def test_damaged_archives(tmp_path):
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not really a zip")
    expect(r"archive .*junk\.zip is damaged or not a \.zip file", tmp_path / "junk.zip")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        write_image(tmp_path / "img" / "a" / "x.png", size=(300, 300))
        archive.add(tmp_path / "img", arcname="img")
    packed = gzip.compress(buffer.getvalue())
    (tmp_path / "cut.tgz").write_bytes(packed[: len(packed) // 2])
    expect(r"cut\.tgz is damaged or not a \.tgz file .*re-download", tmp_path / "cut.tgz")


@pytest.mark.parametrize("option,message", [
    ({"labels": "multi"}, "set: labels='multi' is not supported; use one of: auto, none, class"),
    ({"labels": "sometimes"}, "labels='sometimes' is not supported; use one of: auto, none, class"),
    ({"split": "dev"}, "not a split; use one of: train, valid, test"),
    ({"channels": 2}, "channels=2 is not supported"),
    ({"resolution": 0}, "resolution=0 is not a positive"),
    ({"paired": True}, "paired data was requested"),
])
def test_bad_request_options(tmp_path, option, message):
    write_image(tmp_path / "set" / "cat" / "a.png")
    write_image(tmp_path / "set" / "dog" / "a.png")
    expect(message, tmp_path / "set", **option)
