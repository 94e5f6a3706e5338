"""Archives read in memory must equal the folders they were made from."""

from __future__ import annotations

import tarfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data.archives import is_archive, member_path, read_archive
from gankit.data.folders import read_folder
from gankit.data.paths import load_path
from gankit.data.registry import DataRequest
from gankit.errors import GankitError

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def req(**kwargs) -> DataRequest:
    kwargs.setdefault("resolution", 12)
    kwargs.setdefault("cache_dir", "")
    return DataRequest(**kwargs)


def make_dataset_folder(root: Path) -> Path:
    """``root/cifar/{train,test}/<class>/*`` with noisy images of mixed size and format."""
    rng = np.random.default_rng(0)
    sizes = [(32, 32), (40, 25), (9, 14), (300, 200)]
    for split, count in (("train", 4), ("test", 2)):
        for name in ("frog", "ship", "truck"):
            for index in range(count):
                pixels = rng.integers(0, 256, (*sizes[index][::-1], 3), np.uint8)
                suffix = (".jpg", ".png", ".bmp", ".webp")[index]
                path = root / "cifar" / split / name / f"{index:04d}{suffix}"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(pixels).save(path)
    return root


def pack_zip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*"), reverse=True):  # storage order != sorted
            archive.write(path, path.relative_to(folder).as_posix())
        archive.writestr("__MACOSX/cifar/._junk", b"resource fork")
    return target


def pack_tar(folder: Path, target: Path, mode: str) -> Path:
    with tarfile.open(target, mode) as archive:
        archive.add(folder, arcname=".")  # members named ./cifar/train/...
    return target


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    base = tmp_path_factory.mktemp("archives")
    folder = make_dataset_folder(base / "extracted")
    return folder, {
        "zip": pack_zip(folder, base / "cifar.zip"),
        "tar": pack_tar(folder, base / "cifar.tar", "w"),
        "tgz": pack_tar(folder, base / "cifar.tgz", "w:gz"),
        "tar.gz": pack_tar(folder, base / "cifar.TAR.GZ", "w:gz"),
    }


@pytest.mark.parametrize("kind", ["zip", "tar", "tgz", "tar.gz"])
@pytest.mark.parametrize("split,channels", [("train", 3), ("test", 1)])
def test_archive_equals_extracted_folder(packed, kind, split, channels):
    folder, archives = packed
    request = req(split=split, channels=channels)
    expected = read_folder(folder, request)
    got = read_archive(archives[kind], request)
    assert len(got) == (12 if split == "train" else 6)
    assert torch.equal(got.images, expected.images)
    assert torch.equal(got.labels, expected.labels)
    assert got.class_names == expected.class_names == ["frog", "ship", "truck"]
    assert got.names == expected.names
    assert got.images.float().std() > 8  # noise survived: not blank images


def test_load_path_detects_archives(packed):
    _, archives = packed
    data = load_path(req(name=str(archives["tgz"]), split="test"))
    assert data.labels.tolist() == [0, 0, 1, 1, 2, 2]
    assert is_archive(archives["zip"]) and not is_archive(archives["zip"].parent)


def test_member_paths_are_normalised():
    assert member_path("./cifar/train/a.png") == "cifar/train/a.png"
    assert member_path("cifar\\train\\a.png") == "cifar/train/a.png"
    assert member_path("/abs/x/") == "abs/x"


def test_flat_zip_without_wrapper(tmp_path):
    with zipfile.ZipFile(tmp_path / "flat.zip", "w") as archive:
        for index in range(3):
            image = Image.new("L", (5, 7), index * 100)
            path = tmp_path / f"{index}.png"
            image.save(path)
            archive.write(path, path.name)
    data = read_archive(tmp_path / "flat.zip", req(channels=1, resolution=4))
    assert data.labels is None
    assert data.images.float().mean((1, 2, 3)).tolist() == pytest.approx([0, 100, 200], abs=1)


def test_bad_image_inside_archive_is_named(tmp_path):
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as archive:
        archive.writestr("set/a/ok.png", b"\x89PNG\r\n\x1a\n but cut short")
        archive.writestr("set/b/ok.png", b"")
    with pytest.raises(GankitError, match=r"2 files in .*bad\.zip are unusable: "
                                          r"set/a/ok\.png is not a readable image .*"
                                          r"set/b/ok\.png is not a readable image"):
        read_archive(tmp_path / "bad.zip", req())


@pytest.mark.slow
def test_real_cifar10_archive_test_split():
    archive = SHARED / "cifar10-jpg.tar.gz"
    if not archive.is_file():
        pytest.skip(f"{archive} is absent (shared benchmark data)")
    start = time.perf_counter()
    data = read_archive(archive, req(split="test", resolution=32))
    print(f"CIFAR-10 test split: {len(data) / (time.perf_counter() - start):.0f} images/s")
    assert data.images.shape == (10000, 3, 32, 32)
    assert data.class_names == ["airplane", "automobile", "bird", "cat", "deer", "dog",
                                "frog", "horse", "ship", "truck"]
    assert data.labels.bincount().tolist() == [1000] * 10
