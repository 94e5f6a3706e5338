"""pix2pix "aligned" images: each file holds the pair A|B side by side (width = 2 × height).

Layout: ``root/<split>/*.jpg`` (``train``/``val``/``test`` as in the pix2pix data sets) or
the files directly in ``root``. With ``direction="AtoB"`` (default) the left half A is the
source and the right half B the image to produce; ``"BtoA"`` swaps them.

Unreadable files and files that are not twice as wide as high are all named in one
error; with ``options["skip_bad_files"]`` they are left out with one warning.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from gankit.data.badfiles import BadFiles, skip_bad_files
from gankit.data.base import ImageDataset, check_label_mode
from gankit.data.decode import (IMAGE_EXTENSIONS, BadImage, bad_image, check_channels,
                                check_target, default_workers, is_large, quiet_bomb_warnings,
                                square_image)
from gankit.data.files import image_size, list_image_files, root_of, split_folder, with_root
from gankit.data.paired import is_paired_folder
from gankit.data.paths import register_path_format
from gankit.data.registry import DATASETS, DataRequest
from gankit.errors import GankitError

# direction → (index of the source half, index of the target half); 0 = left, 1 = right
DIRECTIONS = {"AtoB": (0, 1), "BtoA": (1, 0)}
LABEL_MODES = ("auto", "none")
_DETECT_SAMPLE = 8


def _is_side_by_side(path: Path) -> bool:
    try:
        width, height = image_size(path)
    except GankitError:
        return False
    return height > 0 and width == 2 * height


def _first_images(folder: Path, count: int) -> list[Path]:
    """Up to ``count`` image files of ``folder``, without listing all of it (detection
    runs on every folder dataset, which may hold tens of thousands of files)."""
    with os.scandir(folder) as entries:
        images = (Path(e.path) for e in entries if not e.name.startswith(".")
                  and Path(e.name).suffix.lower() in IMAGE_EXTENSIONS and e.is_file())
        return list(itertools.islice(images, count))


def _holds_aligned_files(folder: Path) -> bool:
    files = _first_images(folder, _DETECT_SAMPLE)
    return bool(files) and all(_is_side_by_side(path) for path in files)


def is_aligned_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` (or its ``train`` folder) holds side-by-side A|B images.

    Only the first few files are checked; a paired folder is never taken as aligned.
    """
    path = Path(path)
    if not path.is_dir() or is_paired_folder(path):
        return False
    return split_folder(path, "train", _holds_aligned_files) is not None


def square_tensor(image: Image.Image, resolution: int, channels: int) -> torch.Tensor:
    """A square PIL image (one half) → uint8 ``[C, res, res]``, as the image decoder
    converts and resizes any image."""
    array = np.asarray(square_image(image, resolution, channels), dtype=np.uint8)
    array = array.reshape(resolution, resolution, channels).transpose(2, 0, 1)
    return torch.from_numpy(array.copy())


def split_halves(path: Path, resolution: int, channels: tuple[int, int],
                 bad: BadFiles | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode one A|B file into its two halves, uint8 ``[C, res, res]`` each.

    Args:
        path: the image file (width must be twice the height).
        resolution: output side of each half.
        channels: channels of the left and right half.
        bad: where a very large (but decodable) image is noted for one warning.

    Raises:
        BadImage: the file is unreadable or not twice as wide as high.
    """
    try:
        with Image.open(path) as file:
            if bad is not None and is_large(file):
                bad.add_large(str(path))
            image = ImageOps.exif_transpose(file)  # a loaded copy, usable after the file
    except MemoryError:
        raise
    except Exception as error:  # Pillow raises many types for bad bytes
        raise bad_image(str(path), error) from error
    width, height = image.size
    if width != 2 * height:
        raise BadImage(str(path), f"is {width}x{height}, but an aligned A|B image must be "
                                  "twice as wide as high")
    halves = [image.crop((0, 0, height, height)), image.crop((height, 0, width, height))]
    return tuple(square_tensor(h, resolution, c)  # type: ignore[return-value]
                 for h, c in zip(halves, channels))


@DATASETS.register("aligned", help="pix2pix A|B side-by-side images")
def build_aligned(req: DataRequest) -> ImageDataset:
    """Load a folder of A|B images (see the module docstring).

    Options:
        root: the data folder (default: ``req.name`` when it is a folder).
        direction: ``"AtoB"`` (A is the source; default) or ``"BtoA"``.
        source_channels: channels of the source half (default: ``req.channels``).

    Sources (the source halves) are returned only when ``req.paired``; the images are
    always the target halves. There are no labels.
    """
    root = root_of(req, "aligned")
    direction = req.options.get("direction", "AtoB")
    if direction not in DIRECTIONS:
        raise GankitError(f"direction={direction!r} is not known; use AtoB or BtoA")
    check_target(req.resolution, req.channels)
    channels = req.channels
    source_channels = check_channels(req.options.get("source_channels", channels),
                                     "source_channels")
    check_label_mode("aligned", req.labels, LABEL_MODES)
    folder = split_folder(root, req.split, lambda f: bool(list_image_files(f)))
    if folder is None:
        raise GankitError(f"no image files in {root} or its {req.split} folder; "
                          "add A|B images or point root at the data folder")
    files = list_image_files(folder)
    source_side, target_side = DIRECTIONS[direction]
    side_channels = [0, 0]
    side_channels[source_side], side_channels[target_side] = source_channels, channels

    paths = list(files.values())
    images = torch.empty(len(paths), channels, req.resolution, req.resolution, dtype=torch.uint8)
    sources = torch.empty(len(paths), source_channels, req.resolution, req.resolution,
                          dtype=torch.uint8)

    bad = BadFiles(str(folder), skip_bad_files(req.options))

    def fill(i: int) -> None:
        try:
            halves = split_halves(paths[i], req.resolution, (side_channels[0], side_channels[1]),
                                  bad)
        except BadImage as error:
            bad.add(error.name, error.problem, i)
            return
        images[i], sources[i] = halves[target_side], halves[source_side]

    with quiet_bomb_warnings(), ThreadPoolExecutor(max_workers=default_workers()) as pool:
        list(pool.map(fill, range(len(paths))))
    rows = bad.keep(len(paths))
    meta: dict = {"root": str(root), "direction": direction}
    warning = bad.report(len(rows))
    if warning:
        meta["warnings"] = [warning]
    names = list(files)
    if len(rows) < len(paths):  # bad files skipped
        images, sources, names = images[rows], sources[rows], [names[row] for row in rows]
    return ImageDataset(images, None, None, sources if req.paired else None, names,
                        f"aligned {direction} images {folder} ({len(rows)} pairs)", meta)


def load_aligned(path: str | os.PathLike, req: DataRequest) -> ImageDataset:
    """Path-format loader: the A|B folder at ``path`` (``req.name`` is ignored)."""
    return build_aligned(with_root(path, req))


register_path_format("aligned", is_aligned_folder, load_aligned, priority=30, gives_sources=True)
