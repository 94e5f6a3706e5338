"""Unpaired image domains (CycleGAN): domain A as ``sources``, domain B as ``images``.

Rows are not pairs: row i of ``sources`` and row i of ``images`` are unrelated. Both
domains are given the same length, the smaller one resampled (seeded by
``DataRequest.seed``) up to the larger; its own images come first, so
``meta["domain_sizes"]`` rows of each are the distinct ones. Such a dataset has
``meta["unpaired"] = True`` (:func:`is_unpaired`): nothing may treat its rows as pairs.

Three ways in:

* a folder in the CycleGAN dataset layout (path format ``unpaired``, or the dataset
  ``unpaired`` with ``options root=PATH``)::

      root/trainA/*.jpg   root/trainB/*.jpg   (testA/ testB/ for split=test, valA/ valB/ ...)

* ``DataRequest.unpaired`` (``data.unpaired: true``) on paired data (a paired folder,
  aligned A|B files): on the train split the pairs are broken, sources and images
  shuffled independently. Held-out splits keep their true pairs (not marked unpaired),
  so translations can be measured against ground truth (L1, SSIM);
* ``data.unpaired`` on the built-in ``shapes`` / ``shapes-single``: training outlines
  and training filled scenes come from two disjoint sets of scene geometries (shapes and
  boxes), so no training outline is the outline of any training scene: no pair is ever
  seen. The held-out splits are the ordinary paired scenes (outline, true scene).

Domain A's channels are ``options["source_channels"]`` (default: ``DataRequest.channels``,
as CycleGAN reads both domains as RGB; grey outlines are repeated to RGB), which lets the
identity loss feed each domain to the other's generator.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import torch

from gankit.data.badfiles import BadFiles, skip_bad_files
from gankit.data.base import Dataset, ImageDataset, check_label_mode
from gankit.data.decode import IMAGE_EXTENSIONS, check_channels, check_target
from gankit.data.files import SPLIT_FOLDERS, list_image_files, load_many, root_of
from gankit.data.paths import detect_format, load_path, register_path_format
from gankit.data.registry import DATASETS, DataRequest, load_builtin_datasets
from gankit.data.shapes import COLORS, MAX_OBJECTS, check_options, render_shapes, split_seed
from gankit.errors import GankitError

DOMAINS = ("A", "B")
LABEL_MODES = ("auto", "none")
SOURCE_OPTION = "source_channels"
_LUMA = (0.299, 0.587, 0.114)  # ITU-R 601, as PIL's "L" conversion
_PRIME = 2**31 - 1
#: items per domain of the built-in shapes when ``size`` is 0 (as the paired shapes)
SHAPES_SIZE = {"train": 10_000, "valid": 2_000, "test": 2_000}


def is_unpaired(dataset: Dataset) -> bool:
    """Whether ``dataset``'s sources and images are two domains, not pairs."""
    return bool(getattr(dataset, "meta", {}).get("unpaired"))


def domain_sizes(dataset: ImageDataset) -> tuple[int, int]:
    """How many distinct domain-A and domain-B images lead ``sources`` and ``images``."""
    sizes = dataset.meta.get("domain_sizes") or {}
    return int(sizes.get("A", len(dataset))), int(sizes.get("B", len(dataset)))


def to_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """uint8 ``[N, C, H, W]`` with ``channels`` channels: grey repeated to RGB, or RGB to
    luma."""
    have = images.shape[1]
    if have == channels:
        return images
    if channels == 3:
        return images.expand(-1, 3, -1, -1).contiguous()
    luma = torch.tensor(_LUMA).view(1, 3, 1, 1)
    return (images.float() * luma).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)


def source_channels(req: DataRequest) -> int:
    """Domain A's channel count: ``options["source_channels"]`` or ``req.channels``."""
    return check_channels(req.options.get(SOURCE_OPTION, req.channels), SOURCE_OPTION)


def _resample(count: int, size: int, seed: int) -> torch.Tensor:
    """Row indices: ``0..count-1``, then seeded random rows up to ``size``."""
    extra = torch.randint(count, (size - count,), generator=torch.Generator().manual_seed(seed))
    return torch.cat([torch.arange(count), extra])


def unpaired_dataset(sources: torch.Tensor, images: torch.Tensor, seed: int, description: str,
                     meta: dict | None = None, names: list[str] | None = None) -> ImageDataset:
    """Two domains as one :class:`ImageDataset` of equal-length, unrelated rows."""
    n_a, n_b = len(sources), len(images)
    size = max(n_a, n_b)
    rows_a, rows_b = _resample(n_a, size, seed), _resample(n_b, size, seed + 1)
    names = None if names is None else [names[i] for i in rows_b.tolist()]
    meta = {**(meta or {}), "unpaired": True, "domain_sizes": {"A": n_a, "B": n_b}}
    return ImageDataset(images[rows_b], sources=sources[rows_a], names=names,
                        description=description, meta=meta)


# ---------------------------------------------------------------- trainA/ + trainB/ folders

def _domain_dirs(root: Path, split: str) -> tuple[Path, Path] | None:
    """``(<split>A, <split>B)`` for the first split folder name where either exists."""
    for name in SPLIT_FOLDERS.get(split, (split,)):
        a, b = root / f"{name}A", root / f"{name}B"
        if a.is_dir() or b.is_dir():
            return a, b
    return None


def is_unpaired_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` has CycleGAN domain folders (``trainA/``, ``testB/``...)."""
    path = Path(path)
    return path.is_dir() and any(
        (path / f"{name}{domain}").is_dir()
        for names in SPLIT_FOLDERS.values() for name in names for domain in DOMAINS)


def _read_domain(folder: Path, other: Path, resolution: int, channels: int,
                 options: dict) -> torch.Tensor:
    if not folder.is_dir():
        raise GankitError(f"{other} has no {folder.name}/ beside it; the unpaired layout "
                          f"needs both domains: add {folder}")
    files = list_image_files(folder)
    if not files:
        raise GankitError(f"no image files in {folder}; add the domain's images "
                          f"({', '.join(sorted(IMAGE_EXTENSIONS))})")
    bad = BadFiles(str(folder), skip_bad_files(options))
    images = load_many(list(files.values()), resolution, channels, bad)
    rows = bad.keep(len(files))
    bad.report(len(rows))
    return images[rows] if len(rows) < len(files) else images


@DATASETS.register("unpaired", help="CycleGAN layout: trainA/ and trainB/ image folders "
                                    "(testA/, testB/ for split=test), no pairs")
def build_unpaired(req: DataRequest) -> ImageDataset:
    """Load a CycleGAN-layout folder (see the module docstring).

    Options: ``root`` (default ``req.name`` when it is a folder), ``source_channels``
    (domain A's channels; default ``req.channels``), ``skip_bad_files``.

    Domain B is always loaded (the images); domain A (the sources) when
    ``req.unpaired`` or ``req.paired``, but a request for pairs alone is refused: these
    domains have none.
    """
    root = root_of(req, "unpaired")
    check_target(req.resolution, req.channels)
    check_label_mode("unpaired", req.labels, LABEL_MODES)
    channels_a = source_channels(req)
    if req.paired and not req.unpaired:
        raise GankitError(f"{root} holds two unpaired domains (trainA/, trainB/), not pairs; "
                          "train CycleGAN on it (data.unpaired=true) or give pix2pix a "
                          "paired folder")
    dirs = _domain_dirs(root, req.split)
    if dirs is None:
        name = SPLIT_FOLDERS.get(req.split, (req.split,))[0]
        raise GankitError(f"no {name}A/ and {name}B/ folders in {root} for split "
                          f"{req.split!r}; the unpaired layout is trainA/, trainB/ (testA/, "
                          "testB/ for split=test)")
    dir_a, dir_b = dirs
    images = _read_domain(dir_b, dir_a, req.resolution, req.channels, req.options)
    meta = {"root": str(root), "domain_dirs": {"A": str(dir_a), "B": str(dir_b)}}
    if not req.unpaired:  # domain B alone, e.g. for a noise → image model
        return ImageDataset(images, description=f"domain B of {root} ({len(images)} images)",
                            meta=meta)
    sources = _read_domain(dir_a, dir_b, req.resolution, channels_a, req.options)
    return unpaired_dataset(sources, images, req.seed,
                            f"unpaired domains {dir_a} ({len(sources)}) and {dir_b} "
                            f"({len(images)})", meta)


def _load_unpaired_folder(path: str | os.PathLike, req: DataRequest) -> ImageDataset:
    return build_unpaired(dataclasses.replace(req, options={**req.options, "root": str(path)}))


register_path_format("unpaired", is_unpaired_folder, _load_unpaired_folder, priority=15,
                     gives_sources=True)


# ---------------------------------------------------------------- the built-in shapes

def geometry_half(object_ids: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """0 or 1 per scene: a hash of its objects' shapes and boxes, colours left out (an
    outline shows no colour), independent of the object order."""
    shape = torch.where(object_ids >= 0, object_ids // len(COLORS), 0)
    x0, y0, x1, _ = boxes.clamp(min=0).unbind(-1)
    key = ((shape * 256 + x0) * 256 + y0) * 256 + (x1 - x0)  # < 2**26: all fields < 256
    mixed = (key * 1_103_515_245 + 12_345) % _PRIME
    mixed = (mixed * mixed) % _PRIME
    total = torch.where(object_ids >= 0, mixed, 0).sum(dim=1) % _PRIME
    total = (total * 48_271 + 11) % _PRIME
    return (total * total) % _PRIME % 2


def _disjoint_scenes(size: int, req: DataRequest, seed: int, low: int, high: int):
    """``size`` scenes of each geometry half (train split), drawn in rounds."""
    kept: list[list] = [[], []]
    have = [0, 0]
    draw = 0
    while min(have) < size:
        scenes = render_shapes(2 * (size - min(have)) + 64, req.resolution, seed + draw, low,
                               high, req.channels, "train")
        half = geometry_half(scenes.object_ids, scenes.boxes)
        for side in (0, 1):
            rows = (half == side).nonzero().flatten()[:size - have[side]]
            kept[side].append((scenes.sketches[rows], scenes.images[rows]))
            have[side] += len(rows)
        draw += 1_000_003  # the next round's seed: far from any user's next seed
    outlines = torch.cat([sketch for sketch, _ in kept[0]])
    filled = torch.cat([image for _, image in kept[1]])
    return outlines, filled


def _build_shapes_unpaired(req: DataRequest, dataset: str, one_object: bool) -> ImageDataset:
    allowed = ("source_channels",) if one_object else ("min_objects", "max_objects",
                                                       "source_channels")
    check_options(dataset, req.options, allowed)
    check_label_mode(f"{dataset} (unpaired)", req.labels, LABEL_MODES)
    channels_a = source_channels(req)
    try:
        low, high = ((1, 1) if one_object else
                     (int(req.options.get("min_objects", 1)),
                      int(req.options.get("max_objects", MAX_OBJECTS))))
    except (TypeError, ValueError):
        raise GankitError(f"{dataset}: min_objects and max_objects must be integers "
                          f"1..{MAX_OBJECTS}") from None
    seed = split_seed(req.seed, req.split, dataset)
    size = req.size or SHAPES_SIZE[req.split]
    objects = f"{low}" if low == high else f"{low}-{high}"
    meta = {"generator": "gankit.data.unpaired", "seed": req.seed, "split": req.split,
            "split_seed": seed, "resolution": req.resolution, "channels": req.channels,
            "source_channels": channels_a, "min_objects": low, "max_objects": high}
    if req.split != "train":  # held-out: the true pairs, ground truth for L1 / SSIM
        scenes = render_shapes(size, req.resolution, seed, low, high, req.channels, req.split)
        return ImageDataset(scenes.images, sources=to_channels(scenes.sketches, channels_a),
                            names=[f"{req.split}_{i:06d}" for i in range(size)],
                            description=f"{dataset}: {size} held-out outline → scene pairs of "
                                        f"{objects} object(s) at {req.resolution}px, split "
                                        f"{req.split}, seed {req.seed}", meta=meta)
    outlines, filled = _disjoint_scenes(size, req, seed, low, high)
    return unpaired_dataset(
        to_channels(outlines, channels_a), filled, req.seed,
        f"{dataset} unpaired: {size} outlines and {size} filled scenes of {objects} "
        f"object(s) from disjoint scene geometries at {req.resolution}px, seed {req.seed}",
        meta)


#: datasets that draw their own two domains when ``unpaired`` is asked for
UNPAIRED_BUILDERS = {
    "unpaired": build_unpaired,
    "shapes": lambda req: _build_shapes_unpaired(req, "shapes", False),
    "shapes-single": lambda req: _build_shapes_unpaired(req, "shapes-single", True),
}


# ---------------------------------------------------------------- any paired data

def unpaired_view(dataset: Dataset, req: DataRequest) -> ImageDataset:
    """Paired ``dataset`` as two domains: on the train split its sources and images are
    shuffled independently (seeded by ``req.seed``); other splits keep their pairs."""
    if not isinstance(dataset, ImageDataset) or dataset.sources is None:
        raise GankitError(f"data.unpaired needs two image domains, and {req.name} has no "
                          "source images; use a trainA/ + trainB/ folder, a paired folder "
                          "(images/ + sketches/) or aligned A|B images")
    sources = to_channels(dataset.sources, source_channels(req))
    meta = {**dataset.meta, "source_channels": sources.shape[1]}
    if req.split != "train":
        return dataclasses.replace(dataset, sources=sources, meta=meta)
    n = len(dataset)
    order_a = torch.randperm(n, generator=torch.Generator().manual_seed(req.seed))
    order_b = torch.randperm(n, generator=torch.Generator().manual_seed(req.seed + 1))
    names = None if dataset.names is None else [dataset.names[i] for i in order_b.tolist()]
    view = unpaired_dataset(sources[order_a], dataset.images[order_b], req.seed,
                            f"unpaired view of {dataset.description}", meta, names)
    if dataset.labels is not None:  # the labels describe the images (domain B)
        view = dataclasses.replace(view, labels=dataset.labels[order_b],
                                   class_names=dataset.class_names)
    return view


def load_unpaired(req: DataRequest) -> ImageDataset:
    """The dataset ``req`` names as two unpaired domains (``req.unpaired`` is set)."""
    load_builtin_datasets()
    path = Path(req.name).expanduser()
    if req.name in UNPAIRED_BUILDERS:
        return UNPAIRED_BUILDERS[req.name](req)
    if req.name not in DATASETS and is_unpaired_folder(path):
        return _load_unpaired_folder(path, req)
    paired = dataclasses.replace(req, paired=True, unpaired=False)
    if req.name in DATASETS:
        return unpaired_view(DATASETS.get(req.name)(paired), req)
    found = detect_format(path) if path.exists() else None
    if found is not None and not found.gives_sources:
        raise GankitError(f"data.unpaired needs two image domains, but {path} is "
                          f"{found.name} data with one; use a trainA/ + trainB/ folder, a "
                          "paired folder (images/ + sketches/) or aligned A|B images")
    return unpaired_view(load_path(paired), req)
