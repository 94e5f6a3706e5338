"""Image folders: class sub-folders, split folders, or a flat folder of images.

Layouts, recognised from the relative file paths alone (so a folder and an archive
of it are planned by the same code, :func:`plan_layout`, and read identically):

- class folders: ``root/<class>/**/*.png`` (CIFAR-10 image-folder layout). Classes
  are the sorted folder names; a label is the class's position in that list.
- split folders: ``root/{train,valid,test}/<class>/...`` (or a flat folder per
  split), chosen by ``DataRequest.split``; ``val``, ``validation``, ``training`` and
  ``testing`` also name splits (:data:`~gankit.data.files.SPLIT_FOLDERS`). Loose
  files beside the split folders (``cards.csv``) are ignored.
- flat: ``root/*.png``, no labels.

A single folder wrapping all of it (``cifar10/train/...``, common in archives) is
looked through. Rules for what is not an image:

- hidden files and folders (``.DS_Store``, ``._x.jpg``, ``.ipynb_checkpoints/``),
  ``__MACOSX/``, ``Thumbs.db`` and ``desktop.ini`` are skipped silently;
- any other file without an image extension among the images (in a flat folder or
  under a class folder) is an error naming it (all of them, up to ten): a stray file
  there usually means the wrong folder, and silently dropping it could hide that.
  With ``options["skip_bad_files"]`` they are left out with the unreadable images
  and named in one warning (:mod:`gankit.data.badfiles`);
- files beside class or split folders that are not images (``README.md``,
  ``labels.csv``) are ignored; images there are an error (they have no class).

Order is deterministic: by class, then by relative path (code-point order).
Empty class folders are ignored (an archive need not record empty folders).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import torch

from gankit.data.badfiles import ERROR_LIMIT, SKIP_HINT, BadFiles, skip_bad_files
from gankit.data.base import ImageDataset, check_label_mode
from gankit.data.cache import fingerprint_files
from gankit.data.decode import IMAGE_EXTENSIONS, check_target, decode_many, is_image_name
from gankit.data.files import SPLIT_FOLDERS
from gankit.data.request import DataRequest
from gankit.errors import GankitError

LABEL_MODES = ("auto", "none", "class")

JUNK_FILES = frozenset({"thumbs.db", "desktop.ini"})
JUNK_FOLDERS = frozenset({"__MACOSX"})

_FOLDER_TO_SPLIT = {folder: split for split, folders in SPLIT_FOLDERS.items()
                    for folder in folders}
_EXTENSIONS = ", ".join(sorted(ext.lstrip(".") for ext in IMAGE_EXTENSIONS))


@dataclass
class Layout:
    """Which files to read, in order, and their labels.

    Attributes:
        files: the chosen paths, exactly as given to :func:`plan_layout`.
        labels: class index per file, or ``None``.
        class_names: class names by index, or ``None``.
        names: per-file name: path below the data root without extension.
        root: path prefix of the data root (wrapper and split folders), may be "".
        skipped: non-image files among the images, left out (``skip_bad=True`` only).
    """

    files: list[str]
    labels: list[int] | None
    class_names: list[str] | None
    names: list[str]
    root: str
    skipped: list[str] = field(default_factory=list)

    def subset(self, rows: list[int]) -> Layout:
        """The layout of the files at ``rows`` only."""
        return Layout([self.files[i] for i in rows],
                      None if self.labels is None else [self.labels[i] for i in rows],
                      self.class_names, [self.names[i] for i in rows], self.root,
                      self.skipped)


def is_skipped(path: str) -> bool:
    """Whether a relative path is junk to skip silently (hidden, ``__MACOSX``...)."""
    parts = path.split("/")
    return (any(part.startswith(".") or part in JUNK_FOLDERS for part in parts)
            or parts[-1].lower() in JUNK_FILES)


def plan_layout(paths: Iterable[str], where: str, split: str = "train",
                labels: str = "auto", skip_bad: bool = False) -> Layout:
    """Recognise the layout of ``paths`` and choose the files of ``split``.

    Args:
        paths: relative file paths with ``/`` separators (folders not listed).
        where: the folder or archive, for messages.
        split: ``train``, ``valid`` or ``test``.
        labels: a label mode (:data:`LABEL_MODES`).
        skip_bad: leave stray non-image files out (in ``Layout.skipped``) instead
            of raising.

    Raises:
        GankitError: no images, a missing split, stray non-image files (all named),
            images beside class folders, or labels the layout cannot give.
    """
    check_label_mode(where, labels, LABEL_MODES)
    if split not in SPLIT_FOLDERS:
        raise GankitError(f"split={split!r} is not a split; use one of: "
                          + ", ".join(SPLIT_FOLDERS))
    files = sorted({path.strip("/") for path in paths if path and not is_skipped(path)})
    if not files:
        raise GankitError(f"{where} holds no images; add {_EXTENSIONS} files "
                          "(in class sub-folders for labels) or fix the path")
    root = _unwrap(files)
    root = _choose_split(files, root, split, where)
    layout = _read_classes(files, root, labels, where)
    strays = [path for path in layout.files if not is_image_name(path)]
    if strays and not skip_bad:
        raise GankitError(_stray_message(strays, where))
    if strays:
        keep = [row for row, path in enumerate(layout.files) if is_image_name(path)]
        layout = layout.subset(keep)
        layout.skipped = strays
    return layout


def _children(files: list[str], root: str) -> tuple[list[str], set[str]]:
    """Direct files and sub-folder names below ``root``."""
    direct, folders = [], set()
    for path in files:
        if path.startswith(root):
            head, sep, _ = path[len(root):].partition("/")
            if sep:
                folders.add(head)
            else:
                direct.append(path)
    return direct, folders


def _unwrap(files: list[str]) -> str:
    root = ""
    while True:
        direct, folders = _children(files, root)
        if (len(folders) != 1 or any(is_image_name(path) for path in direct)
                or next(iter(folders)).lower() in _FOLDER_TO_SPLIT):
            return root
        root += next(iter(folders)) + "/"


def _choose_split(files: list[str], root: str, split: str, where: str) -> str:
    _, folders = _children(files, root)
    splits = {folder: _FOLDER_TO_SPLIT[folder.lower()] for folder in folders
              if folder.lower() in _FOLDER_TO_SPLIT}
    if not splits:
        if split != "train":
            raise GankitError(
                f"{where} has no split folders, so no {split!r} split; put images in "
                f"{_show(where, root)}{split}/<class>/ or use split 'train' to read them all")
        return root
    others = sorted(folders - set(splits))
    if others:
        raise GankitError(
            f"{_show(where, root)} mixes split folders ({', '.join(sorted(splits))}) with "
            f"other folders ({', '.join(others[:3])}); move those into a split folder or away")
    chosen = sorted(folder for folder, name in splits.items() if name == split)
    if not chosen:
        found = ", ".join(sorted(set(splits.values())))
        raise GankitError(f"{where} has no {split!r} split (found: {found}); "
                          f"choose one of those or add {_show(where, root)}{split}/")
    if len(chosen) > 1:
        raise GankitError(f"{where} has two folders for split {split!r} "
                          f"({', '.join(chosen)}); keep one")
    return root + chosen[0] + "/"


def _read_classes(files: list[str], root: str, labels: str, where: str) -> Layout:
    direct, folders = _children(files, root)
    inside = _show(where, root)
    if not folders:
        if labels == "class":
            raise GankitError(
                f"folder {inside} has no class sub-folders; labels='class' needs "
                f"{inside}<class>/*.png (2 or more classes), or use labels='none'")
        return Layout(direct, None, None, [_name(path, root) for path in direct], root)
    strays = [path for path in direct if is_image_name(path)]
    if strays:
        raise GankitError(f"image {_show(where, strays[0])} lies beside the class folders of "
                          f"{inside}; move it into a class folder or remove it")
    class_names = sorted(folders)
    by_class: dict[str, list[str]] = {name: [] for name in class_names}
    for path in files:
        if path.startswith(root):
            head, sep, _ = path[len(root):].partition("/")
            if sep:
                by_class[head].append(path)  # stays sorted: files are sorted
    chosen = [path for name in class_names for path in by_class[name]]
    indices = [index for index, name in enumerate(class_names) for _ in by_class[name]]
    keep = labels != "none"
    return Layout(chosen, indices if keep else None, class_names if keep else None,
                  [_name(path, root) for path in chosen], root)


def _stray_message(strays: list[str], where: str) -> str:
    fix = f"(hidden files are skipped), or {SKIP_HINT} skips"
    if len(strays) == 1:
        return (f"{_show(where, strays[0])} is not an image ({_EXTENSIONS}) but lies among "
                f"the images; remove it or move it out {fix} it")
    more = len(strays) - ERROR_LIMIT
    shown = ", ".join(strays[:ERROR_LIMIT]) + (f" and {more} more" if more > 0 else "")
    return (f"{len(strays)} files among the images of {_show(where, '')} are not images "
            f"({_EXTENSIONS}): {shown}; remove them or move them out {fix} them")


def _name(path: str, root: str) -> str:
    return os.path.splitext(path[len(root):])[0]


def _show(where: str, inside: str) -> str:
    return f"{where.rstrip('/')}/{inside}" if inside else f"{where.rstrip('/')}/"


def list_folder(root: Path) -> list[str]:
    """Every file below ``root`` as a sorted relative ``/`` path (hidden folders pruned).

    Symbolic links to files and folders are followed, except links back up to a
    folder being listed (a loop). Broken links are listed like files (reading them
    names them). A folder that cannot be listed is a :class:`GankitError`.
    """
    found = []
    for folder, subfolders, names in os.walk(root, followlinks=True, onerror=_unlistable):
        here = os.path.realpath(folder)
        subfolders[:] = [name for name in subfolders
                         if not name.startswith(".") and name not in JUNK_FOLDERS
                         and not _loops(os.path.realpath(os.path.join(folder, name)), here)]
        relative = Path(folder).relative_to(root).as_posix()
        prefix = "" if relative == "." else relative + "/"
        found.extend(prefix + name for name in names)
    return sorted(found)


def _unlistable(error: OSError) -> None:
    raise GankitError(f"cannot list folder {error.filename} ({error.strerror}); "
                      "check its permissions")


def _loops(target: str, here: str) -> bool:
    return here == target or here.startswith(target.rstrip(os.sep) + os.sep)


class FolderSource:
    """An image folder planned for one request; reads it on :meth:`load`.

    Planning (listing and layout checks) happens at construction, so bad layouts
    fail before any cache lookup or decoding.
    """

    kind = "folder"

    def __init__(self, root: Path, req: DataRequest):
        check_target(req.resolution, req.channels)
        self.root = Path(root)
        self.req = req
        if not self.root.is_dir():
            raise GankitError(f"folder {self.root} does not exist; fix the path")
        self.layout = plan_layout(list_folder(self.root), str(self.root), req.split,
                                  req.labels, skip_bad_files(req.options))

    @property
    def title(self) -> str:
        return self.root.resolve().name or "folder"

    def fingerprint(self) -> str:
        """Relative paths, sizes and modification times of the chosen files."""
        return fingerprint_files(self.root, self.layout.files)

    def load(self) -> ImageDataset:
        """Decode the chosen files (threads read and decode)."""
        files = self.layout.files
        bad = bad_files(self.layout, str(self.root), self.req)
        items = ((str(self.root / path), (self.root / path).read_bytes) for path in files)
        images = decode_many(items, len(files), self.req.resolution, self.req.channels,
                             bad=bad)
        return build_dataset(images, self.layout, f"folder {self.root}/{self.layout.root}", bad)


def bad_files(layout: Layout, where: str, req: DataRequest) -> BadFiles:
    """The collector for reading ``layout`` at ``where``, holding its skipped strays."""
    bad = BadFiles(where, skip_bad_files(req.options))
    for path in layout.skipped:
        bad.add(_show(where, path), "is not an image")
    return bad


def build_dataset(images: torch.Tensor, layout: Layout, description: str,
                  bad: BadFiles | None = None) -> ImageDataset:
    """The :class:`ImageDataset` for decoded ``images`` of ``layout``.

    With ``bad`` (filled by :func:`decode_many`), bad files are reported (raised, or
    dropped with one warning kept in ``meta["warnings"]`` for the cache to repeat).
    """
    warning = None
    if bad is not None:
        keep = bad.keep(len(layout.files))
        warning = bad.report(len(keep))
        if len(keep) < len(layout.files):
            images, layout = images[keep], layout.subset(keep)
    labels = None if layout.labels is None else torch.tensor(layout.labels, dtype=torch.int64)
    dataset = ImageDataset(images, labels, layout.class_names, names=list(layout.names),
                           description=description)
    if warning:
        dataset.meta["warnings"] = [warning]
    return dataset


def read_folder(root: str | Path, req: DataRequest) -> ImageDataset:
    """Read an image folder without the cache (see the module docstring for layouts).

    Args:
        root: the folder.
        req: resolution, channels, split and label mode (``req.name`` is ignored).
    """
    return FolderSource(Path(root), req).load()
