"""Paired folders: images and their sketches matched by file stem, with optional labels.

Layout (folder names are options; the defaults below are tried in order)::

    root/[train/]images/ISIC_0024306.jpg     root/[train/]sketches/ISIC_0024306.png
    root/[train/]labels.csv                  (optional, one-hot columns)

Two label CSV layouts are read, both with one-hot class columns:

* ISIC 2018 task 3: ``image,MEL,NV,BCC,AKIEC,BKL,DF,VASC`` (image id without extension);
* the course variant: an index column first (empty header or ``index``/``Unnamed: 0``),
  then the image id, then the class columns.

Every pairing problem (an image without a sketch or the reverse, different sizes, a
missing or malformed label row) is a :class:`GankitError` naming the file. Unreadable
images or sketches are all named in one error; with ``options["skip_bad_files"]`` their
pairs are left out with one warning (:mod:`gankit.data.badfiles`).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import torch

from gankit.data.badfiles import BadFiles, skip_bad_files
from gankit.data.base import ImageDataset, check_label_mode
from gankit.data.decode import IMAGE_EXTENSIONS, BadImage, check_channels, check_target
from gankit.data.files import (SPLIT_FOLDERS, image_size, list_image_files, load_many, root_of,
                               split_folder, with_root)
from gankit.data.paths import register_path_format
from gankit.data.registry import DATASETS, DataRequest
from gankit.errors import GankitError

IMAGE_DIR_NAMES = ("images", "image", "imgs", "img", "photos", "photo")
SKETCH_DIR_NAMES = ("sketches", "sketch", "edges", "edge", "outlines", "outline",
                    "contours", "contour")
INDEX_COLUMN_NAMES = ("", "index", "idx", "#", "no", "unnamed: 0")
LABEL_MODES = ("auto", "none", "class", "multi")


# ---------------------------------------------------------------- pairing

def _pick_dir(folder: Path, option: str | None, defaults: tuple[str, ...]) -> Path | None:
    if option is not None:
        chosen = folder / option
        return chosen if chosen.is_dir() else None
    for name in defaults:
        if (folder / name).is_dir():
            return folder / name
    return None


def _pair_dirs(folder: Path, options: dict) -> tuple[Path, Path] | None:
    images = _pick_dir(folder, options.get("images"), IMAGE_DIR_NAMES)
    sketches = _pick_dir(folder, options.get("sketches"), SKETCH_DIR_NAMES)
    return (images, sketches) if images is not None and sketches is not None else None


def match_pairs(image_dir: Path, sketch_dir: Path,
                bad: BadFiles | None = None) -> list[tuple[str, Path, Path]]:
    """``(stem, image, sketch)`` for every stem, checking both sides and the sizes.

    With ``bad``, a pair whose image or sketch header cannot be read is recorded there
    and left out instead of raising at the first one.
    """
    images, sketches = list_image_files(image_dir), list_image_files(sketch_dir)
    if not images:
        raise GankitError(f"no image files in {image_dir}; add images "
                          f"({', '.join(sorted(IMAGE_EXTENSIONS))})")
    for stem, path in images.items():
        if stem not in sketches:
            raise GankitError(f"image {path} has no sketch {sketch_dir / stem}.*; "
                              "add the sketch or remove the image")
    for stem, path in sketches.items():
        if stem not in images:
            raise GankitError(f"sketch {path} has no image {image_dir / stem}.*; "
                              "add the image or remove the sketch")
    pairs = []
    for stem, image, sketch in ((stem, images[stem], sketches[stem]) for stem in images):
        try:
            image_wh, sketch_wh = image_size(image), image_size(sketch)
        except BadImage as err:
            if bad is None:
                raise
            bad.add(err.name, err.problem)
            continue
        if image_wh != sketch_wh:
            raise GankitError(f"image {image} is {image_wh[0]}x{image_wh[1]} but its sketch "
                              f"{sketch} is {sketch_wh[0]}x{sketch_wh[1]}; sketches must "
                              "match their images")
        pairs.append((stem, image, sketch))
    return pairs


# ---------------------------------------------------------------- labels CSV

def _strip_extension(name: str) -> str:
    name = name.strip()
    return Path(name).stem if Path(name).suffix.lower() in IMAGE_EXTENSIONS else name


def _is_index_column(header: list[str], rows: list[list[str]]) -> bool:
    """The course layout: an index column first, then the image ids."""
    if len(header) < 3:
        return False
    if header[0].strip().lower() in INDEX_COLUMN_NAMES:
        return True
    first = [row[0].strip() for row in rows if row]
    second = [row[1].strip() for row in rows if len(row) > 1]
    return (bool(first) and all(v.isdigit() for v in first)
            and not all(_is_number(v) for v in second))


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def read_label_csv(path: Path,
                   multi: bool = False) -> tuple[dict[str, torch.Tensor], list[str], str]:
    """Read a one-hot labels CSV.

    Args:
        path: the CSV file (ISIC task-3 or index-first course layout).
        multi: keep rows as multi-hot float vectors (zero or several ones allowed);
            otherwise each row must hold exactly one 1 and becomes a class index.

    Returns:
        ``(labels by image id, class names, layout)`` where layout is ``"isic"`` or
        ``"indexed"``; labels are int64 scalars, or float32 ``[K]`` when ``multi``.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            table = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        reason = str(error).splitlines()[0][:120] if str(error) else type(error).__name__
        raise GankitError(f"cannot read labels file {path}: {reason}; "
                          "fix it or pass another with options labels_csv=FILE") from None
    if len(table) < 2:
        raise GankitError(f"labels file {path} has no rows; "
                          "expected a header and one row per image")
    header, rows = table[0], table[1:]
    indexed = _is_index_column(header, rows)
    id_col = 1 if indexed else 0
    class_names = [name.strip() for name in header[id_col + 1:]]
    if not class_names:
        raise GankitError(f"labels file {path} has no class columns; "
                          "expected e.g. image,MEL,NV,...")
    labels: dict[str, torch.Tensor] = {}
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise GankitError(f"{path} line {line} has {len(row)} columns, "
                              f"the header {len(header)}; fix the row")
        image_id = _strip_extension(row[id_col])
        try:
            hot = torch.tensor([float(v) for v in row[id_col + 1:]], dtype=torch.float32)
        except ValueError:
            raise GankitError(f"{path} line {line} ({image_id}) has a non-numeric class value; "
                              "use 0/1 one-hot columns") from None
        if image_id in labels:
            raise GankitError(f"{path} line {line}: image {image_id!r} has a second label "
                              "row; keep one")
        ones = int((hot > 0.5).sum())
        if multi:
            labels[image_id] = (hot > 0.5).float()
        elif ones != 1:
            raise GankitError(f"{path} line {line}: image {image_id!r} has {ones} classes set; "
                              "a one-hot row needs exactly one 1 (or use labels=multi)")
        else:
            labels[image_id] = hot.argmax()
    return labels, class_names, "indexed" if indexed else "isic"


def find_label_csv(folder: Path, root: Path, split: str, option: str | None) -> Path | None:
    """The labels CSV: ``option`` (relative to ``root``), else the only/split-named CSV."""
    if option is not None:
        path = Path(option).expanduser()
        path = path if path.is_absolute() else root / path
        if not path.is_file():
            raise GankitError(f"labels file {path} does not exist; fix options labels_csv")
        return path
    for place in dict.fromkeys((folder, root)):
        found = sorted(p for p in place.glob("*.csv") if not p.name.startswith("."))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            named = [p for p in found if split.lower() in p.name.lower()]
            if len(named) == 1:
                return named[0]
            listed = ", ".join(p.name for p in found)
            raise GankitError(f"several label files in {place} ({listed}); "
                              "choose one with options labels_csv=FILE")
    return None


# ---------------------------------------------------------------- the dataset

def is_paired_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` holds an images folder and a sketches folder (directly or in a split)."""
    path = Path(path)
    if not path.is_dir():
        return False
    if _pair_dirs(path, {}) is not None:
        return True
    return any(_pair_dirs(path / name, {}) is not None
               for names in SPLIT_FOLDERS.values() for name in names if (path / name).is_dir())


@DATASETS.register("paired", help="images and sketches matched by name (+ labels CSV)")
def build_paired(req: DataRequest) -> ImageDataset:
    """Load a paired folder (see the module docstring).

    Options:
        root: the data folder (default: ``req.name`` when it is a folder).
        images, sketches: sub-folder names (default: first of ``IMAGE_DIR_NAMES`` /
            ``SKETCH_DIR_NAMES`` that exists); looked up in ``root/<split>`` first.
        sketch_channels: 1 (default) or 3.
        labels_csv: labels file (default: the only ``*.csv`` beside the folders or in
            root, or the one whose name contains the split).

    ``req.labels``: ``"none"`` skips the CSV, ``"class"`` requires it, ``"multi"`` reads
    multi-hot rows, ``"auto"`` uses it when present. Sketches go into ``sources`` only
    when ``req.paired`` (the pairing is checked either way).
    """
    root = root_of(req, "paired")
    check_target(req.resolution, req.channels)
    check_label_mode("paired", req.labels, LABEL_MODES)
    sketch_channels = check_channels(req.options.get("sketch_channels", 1), "sketch_channels")
    folder = split_folder(root, req.split, lambda f: _pair_dirs(f, req.options) is not None)
    if folder is None:
        wanted = (f"{req.options.get('images', '|'.join(IMAGE_DIR_NAMES))}/ and "
                  f"{req.options.get('sketches', '|'.join(SKETCH_DIR_NAMES))}/")
        raise GankitError(f"no {wanted} folders in {root} or its {req.split} folder; "
                          "set options images=NAME sketches=NAME")
    image_dir, sketch_dir = _pair_dirs(folder, req.options)  # type: ignore[misc]
    bad = BadFiles(str(folder), skip_bad_files(req.options))
    pairs = match_pairs(image_dir, sketch_dir, bad)
    if not pairs:
        bad.report(0)  # every pair had an unreadable file: raises

    labels = class_names = None
    meta: dict = {"root": str(root), "images_dir": str(image_dir), "sketches_dir": str(sketch_dir)}
    csv_path = None if req.labels == "none" else find_label_csv(
        folder, root, req.split, req.options.get("labels_csv"))
    if csv_path is None and req.labels in ("class", "multi"):
        raise GankitError(f"labels={req.labels} but {root} has no labels CSV; "
                          "add one or set options labels_csv=FILE")
    if csv_path is not None:
        by_id, class_names, layout = read_label_csv(csv_path, multi=req.labels == "multi")
        for stem, image, _ in pairs:
            if stem not in by_id:
                raise GankitError(f"image {image} has no row in labels file {csv_path}; "
                                  "add the row or remove the image")
        labels = torch.stack([by_id[stem] for stem, _, _ in pairs])
        meta.update(labels_csv=str(csv_path), labels_layout=layout)

    images = load_many([image for _, image, _ in pairs], req.resolution, req.channels, bad)
    sources = (load_many([sketch for _, _, sketch in pairs], req.resolution, sketch_channels,
                         bad) if req.paired else None)
    rows = bad.keep(len(pairs))
    warning = bad.report(len(rows))
    if len(rows) < len(pairs):  # unreadable files skipped
        pairs, images = [pairs[row] for row in rows], images[rows]
        labels = None if labels is None else labels[rows]
        sources = None if sources is None else sources[rows]
    if warning:
        meta["warnings"] = [warning]
    stems = [stem for stem, _, _ in pairs]
    return ImageDataset(images, labels, class_names, sources, stems,
                        f"paired folder {folder} ({len(stems)} pairs)", meta)


def load_paired(path: str | os.PathLike, req: DataRequest) -> ImageDataset:
    """Path-format loader: the paired folder at ``path`` (``req.name`` is ignored)."""
    return build_paired(with_root(path, req))


register_path_format("paired", is_paired_folder, load_paired, priority=20, gives_sources=True)
