"""File and folder helpers shared by the folder readers: image files by stem, image
sizes from headers, decoding many files, split folders and a request's data folder."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Callable

import torch
from PIL import Image

from gankit.data.badfiles import BadFiles
from gankit.data.decode import IMAGE_EXTENSIONS, bad_image, decode_many, quiet_bomb_warnings
from gankit.data.request import DataRequest
from gankit.errors import GankitError

SPLIT_FOLDERS = {"train": ("train", "training"), "valid": ("valid", "val", "validation"),
                 "test": ("test", "testing")}
"""Split name → folder names that hold it."""

EXIF_ORIENTATION = 0x0112


def list_image_files(folder: Path) -> dict[str, Path]:
    """Image files of ``folder`` by stem, sorted; two files with one stem are an error.

    Broken symbolic links with an image name are listed too, so that reading them
    names them (rather than silently leaving them out).
    """
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if (path.name.startswith(".") or not (path.is_file() or path.is_symlink())
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
    """``(width, height)`` of an image file as decoded, read from its header only.

    Raises:
        BadImage: ``path`` is a broken link, unreadable, not an image, or a
            decompression bomb (a :class:`GankitError` naming the path).
    """
    try:
        with quiet_bomb_warnings(), Image.open(path) as image:
            return _display_size(image)
    except MemoryError:
        raise
    except Exception as error:  # Pillow raises many types for bad headers
        raise bad_image(str(path), error) from error


def load_many(paths: list[Path], resolution: int, channels: int,
              bad: BadFiles | None = None) -> torch.Tensor:
    """Decode files to one uint8 ``[N, C, H, W]`` tensor with :func:`decode_many`
    (``bad`` as there: unreadable files are recorded instead of raised)."""
    return decode_many(((str(p), p.read_bytes) for p in paths), len(paths), resolution,
                       channels, bad=bad)


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
