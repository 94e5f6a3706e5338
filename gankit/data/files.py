"""File and folder helpers shared by the folder readers: image files by stem, image
sizes from headers, decoding many files, split folders and a request's data folder."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Callable

import torch
from PIL import Image

from gankit.data.decode import IMAGE_EXTENSIONS, decode_many
from gankit.data.registry import DataRequest
from gankit.errors import GankitError

SPLIT_FOLDERS = {"train": ("train", "training"), "valid": ("valid", "val", "validation"),
                 "test": ("test", "testing")}
"""Split name → folder names that hold it."""

EXIF_ORIENTATION = 0x0112


def list_image_files(folder: Path) -> dict[str, Path]:
    """Image files of ``folder`` by stem, sorted; two files with one stem are an error."""
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if (path.name.startswith(".") or not path.is_file()
                or path.suffix.lower() not in IMAGE_EXTENSIONS):
            continue
        if path.stem in files:
            raise GankitError(f"{files[path.stem]} and {path} share the name {path.stem!r}; "
                              "keep one file per name")
        files[path.stem] = path
    return files


def _display_size(image: Image.Image) -> tuple[int, int]:
    """``(width, height)`` as shown, i.e. after the EXIF rotation the decoder applies."""
    width, height = image.size
    rotated = image.getexif().get(EXIF_ORIENTATION) in (5, 6, 7, 8)
    return (height, width) if rotated else (width, height)


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` of an image file as decoded, read from its header only."""
    try:
        with Image.open(path) as image:
            return _display_size(image)
    except (OSError, ValueError) as error:
        raise GankitError(f"{path} is not a readable image ({error}); "
                          "remove or replace it") from None


def _reader(path: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return path.read_bytes()
        except OSError as error:
            raise GankitError(f"cannot read {path} ({error.strerror}); check the file") from None
    return read


def load_many(paths: list[Path], resolution: int, channels: int) -> torch.Tensor:
    """Decode files to one uint8 ``[N, C, H, W]`` tensor with :func:`decode_many`."""
    return decode_many(((str(p), _reader(p)) for p in paths), len(paths), resolution, channels)


def split_folder(root: Path, split: str, holds_data: Callable[[Path], bool]) -> Path | None:
    """The folder of ``split`` under ``root`` (``train``/``training``...) that
    ``holds_data``, else ``root`` itself when it holds the data directly, else ``None``."""
    for name in SPLIT_FOLDERS.get(split, (split,)):
        candidate = root / name
        if candidate.is_dir() and holds_data(candidate):
            return candidate
    return root if holds_data(root) else None


def root_of(req: DataRequest, dataset: str) -> Path:
    """The dataset folder: ``options["root"]``, else ``req.name`` when that is a folder."""
    root = req.options.get("root")
    if root is None and Path(req.name).is_dir():
        root = req.name
    if root is None:
        raise GankitError(f"dataset {dataset!r} needs its folder; set options root=PATH")
    root = Path(root).expanduser()
    if not root.is_dir():
        raise GankitError(f"{root} is not a folder; set options root to the {dataset} data folder")
    return root


def with_root(path: str | os.PathLike, req: DataRequest) -> DataRequest:
    """``req`` with ``options["root"] = path`` (for path-format loaders)."""
    return dataclasses.replace(req, options={**req.options, "root": str(path)})
