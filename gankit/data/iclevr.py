"""iCLEVR: multi-label images of coloured objects, in its label-file format.

A root folder holds:

- ``objects.json``: object name → index (24 objects: 3 shapes × 8 colours);
- ``train.json``: image file name → list of object names in the image;
- the images, in ``iclevr/``, else ``images/``, else the root itself; or the folder
  named by ``DataRequest.options["images"]`` (relative to the root, or absolute).

``test.json``-style files (a list of object-name lists, no images) are the conditions
a generator is asked to draw: read them with :func:`read_conditions`.

Every object list, in ``train.json`` and in conditions files alike, names 1 to
:data:`MAX_OBJECTS` distinct known objects (the iCLEVR contract); anything else is a
:class:`GankitError` naming the file and the entry. With
``options["skip_bad_files"]`` unreadable images are left out with one warning
(:mod:`gankit.data.badfiles`); bad label entries are always errors.

The dataset has multi-hot float32 labels ``[N, K]``, class names in index order, and
items sorted by file name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from gankit.data.badfiles import BadFiles, skip_bad_files
from gankit.data.base import ImageDataset, check_label_mode
from gankit.data.cache import fingerprint_file, fingerprint_files
from gankit.data.decode import check_target, decode_many
from gankit.data.request import DataRequest
from gankit.errors import GankitError

OBJECTS_FILE = "objects.json"
IMAGE_FOLDERS = ("iclevr", "images", ".")
"""Where the images are looked for, in order, when ``options["images"]`` is unset."""

LABEL_MODES = ("auto", "none", "multi")
MAX_OBJECTS = 3
"""Most objects in one iCLEVR scene or condition."""

ObjectNames = Mapping[str, int] | Sequence[str] | str | os.PathLike


def is_iclevr(path: str | Path) -> bool:
    """Whether ``path`` is a folder with ``objects.json`` and ``train.json``."""
    path = Path(path)
    return (path / OBJECTS_FILE).is_file() and (path / "train.json").is_file()


def read_json(path: str | Path) -> Any:
    """A JSON file's content; a missing or malformed file is a :class:`GankitError`."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise GankitError(f"{path} does not exist; fix the path") from None
    except OSError as err:  # a folder, no permission...
        raise GankitError(f"cannot read {path} ({err.strerror or err}); "
                          "pass a readable JSON file") from None
    except (ValueError, RecursionError) as err:  # JSONDecodeError, UnicodeDecodeError...
        reason = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise GankitError(f"{path} is not valid JSON ({reason}); fix or replace it") from None


def load_objects(objects: ObjectNames) -> dict[str, int]:
    """Object name → index, from an ``objects.json`` path, a mapping or a name list.

    Indices must be exactly ``0..K-1``.
    """
    where = "the object names"
    if isinstance(objects, (str, os.PathLike)):
        where = str(objects)
        objects = read_json(objects)
    if isinstance(objects, Mapping):
        mapping = dict(objects)
    elif isinstance(objects, Sequence) and not isinstance(objects, str) and all(
            isinstance(name, str) for name in objects):
        mapping = {name: index for index, name in enumerate(objects)}
    else:
        raise GankitError(f"{where} must map object names to indices (like objects.json)")
    if (not all(isinstance(name, str) for name in mapping)
            or not all(isinstance(index, int) and not isinstance(index, bool)
                       for index in mapping.values())
            or sorted(mapping.values()) != list(range(len(mapping)))):
        raise GankitError(f"{where} must map each object name to a distinct index "
                          f"0..{len(mapping) - 1}; fix {where}")
    return mapping


def class_names_of(mapping: Mapping[str, int]) -> list[str]:
    """Object names in index order."""
    return sorted(mapping, key=mapping.__getitem__)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def multi_hot(lists: Sequence[Sequence[str]], mapping: Mapping[str, int], where: str,
              keys: Sequence[object] | None = None,
              max_objects: int = MAX_OBJECTS) -> torch.Tensor:
    """Float32 ``[len(lists), K]`` with a 1 at each named object's index.

    Args:
        lists: one list of object names per entry.
        mapping: object name → index.
        where: the file, for messages.
        keys: how messages name each entry (default: its index; train.json: its file).
        max_objects: most names in one entry.

    Raises:
        GankitError: an entry is not a list of names, is empty, names more than
            ``max_objects`` objects or one object twice, or names an unknown object.
    """
    out = torch.zeros(len(lists), len(mapping), dtype=torch.float32)
    for row, names in enumerate(lists):
        entry = f"entry {row if keys is None else _shown(keys[row])} of {where}"
        contract = f"an entry names 1 to {max_objects} distinct objects; fix the file"
        if (isinstance(names, str) or not isinstance(names, Sequence)
                or not all(isinstance(name, str) for name in names)):
            raise GankitError(f"{entry} is {_shown(names)}, not a list of object names "
                              '(like ["red cube", "blue sphere"]); fix the file')
        if not names:
            raise GankitError(f"{entry} is empty; {contract}")
        if len(names) > max_objects:
            raise GankitError(f"{entry} has {len(names)} objects ({_shown(list(names))}); "
                              f"{contract}")
        twice = next((name for i, name in enumerate(names) if name in names[:i]), None)
        if twice is not None:
            raise GankitError(f"{entry} names {twice!r} twice; {contract}")
        for name in names:
            if name not in mapping:
                valid = ", ".join(class_names_of(mapping)[:6])
                raise GankitError(f"unknown object {_shown(name)} in {entry}; valid names are "
                                  f"like: {valid}, ... ({len(mapping)} in all)")
            out[row, mapping[name]] = 1.0
    return out


def read_conditions(path: str | Path, objects: ObjectNames) -> torch.Tensor:
    """Read a ``test.json``-style list of object-name lists as multi-hot conditions.

    Args:
        path: JSON file holding a list of lists of 1 to :data:`MAX_OBJECTS` distinct
            object names.
        objects: ``objects.json`` path, name → index mapping, or names in index order.

    Returns:
        float32 ``[M, K]`` multi-hot tensor, row ``i`` for the ``i``-th list.

    Raises:
        GankitError: the file is missing, not JSON, not a non-empty list of lists of
            names, or an entry breaks the contract (the entry's index is named).
    """
    content = read_json(path)
    if not isinstance(content, list):
        raise GankitError(f"{path} must hold a list of object-name lists "
                          '(like iCLEVR test.json: [["red cube"], ["blue sphere", ...]])')
    if not content:
        raise GankitError(f"{path} holds no conditions; add at least one object-name list")
    return multi_hot(content, load_objects(objects), str(path))


class IclevrSource:
    """An iCLEVR root planned for one request; decodes it on :meth:`load`."""

    kind = "iclevr"

    def __init__(self, root: Path, req: DataRequest):
        check_target(req.resolution, req.channels)
        check_label_mode(f"iCLEVR {root}", req.labels, LABEL_MODES)
        self.root, self.req = Path(root), req
        self.objects = load_objects(self.root / OBJECTS_FILE)
        self.labels_file = self.root / f"{req.split}.json"
        entries = read_json(self.labels_file)
        if not isinstance(entries, Mapping):
            raise GankitError(
                f"{self.labels_file} holds no image file names (a list: conditions only); "
                "read it with gankit.data.iclevr.read_conditions, or use split 'train'")
        self.files = sorted(entries)
        if not self.files:
            raise GankitError(f"{self.labels_file} lists no images; add entries or fix the path")
        self.labels = multi_hot([entries[name] for name in self.files], self.objects,
                                str(self.labels_file), keys=self.files)
        self.skip_bad = skip_bad_files(req.options)
        self.image_dir = self._find_images()

    @property
    def title(self) -> str:
        return self.root.resolve().name or "iclevr"

    def _find_images(self) -> Path:
        chosen = self.req.options.get("images")
        candidates = [chosen] if chosen else list(IMAGE_FOLDERS)
        for folder in candidates:
            folder_path = self.root / folder
            if folder_path.is_dir() and (chosen or _present(folder_path / self.files[0])):
                missing = next((name for name in self.files
                                if not _present(folder_path / name)), None)
                if missing is not None:
                    raise GankitError(f"image {folder_path / missing} listed in "
                                      f"{self.labels_file} is missing; add it or remove "
                                      "its entry")
                return folder_path
        looked = ", ".join(str(self.root / folder) for folder in candidates)
        raise GankitError(f"image {self.files[0]} listed in {self.labels_file} is in none of "
                          f"{looked}; put the images there or set options['images']")

    def fingerprint(self) -> str:
        """The label files' bytes plus the images' paths, sizes and mtimes."""
        parts = [fingerprint_file(self.root / OBJECTS_FILE), fingerprint_file(self.labels_file),
                 fingerprint_files(self.image_dir, self.files), str(self.image_dir.resolve())]
        return "-".join(parts)

    def load(self) -> ImageDataset:
        """Decode the listed images with their multi-hot labels."""
        items = ((str(self.image_dir / name), (self.image_dir / name).read_bytes)
                 for name in self.files)
        bad = BadFiles(str(self.image_dir), self.skip_bad)
        images = decode_many(items, len(self.files), self.req.resolution, self.req.channels,
                             bad=bad)
        rows = bad.keep(len(self.files))
        warning = bad.report(len(rows))
        labels, files = self.labels, self.files
        if len(rows) < len(files):  # bad files skipped
            images, labels, files = images[rows], labels[rows], [files[row] for row in rows]
        keep = self.req.labels != "none"
        dataset = ImageDataset(images, labels if keep else None,
                               class_names_of(self.objects) if keep else None,
                               names=list(files),
                               description=f"iCLEVR {self.root} ({self.labels_file.name})")
        if warning:
            dataset.meta["warnings"] = [warning]
        return dataset


def _present(path: Path) -> bool:
    """A file, or a broken link to one (which decoding then names)."""
    return path.is_file() or path.is_symlink()


def read_iclevr(root: str | Path, req: DataRequest) -> ImageDataset:
    """Read an iCLEVR root without the cache (see the module docstring)."""
    return IclevrSource(Path(root), req).load()
