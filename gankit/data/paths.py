"""What a dataset name or path means: a registered dataset, or data at a path.

Path formats are detectors in a small ordered table, most specific first; another
format joins with :func:`register_path_format` instead of an edit here::

    register_path_format("paired", is_paired_folder, load_paired, priority=20,
                         gives_sources=True)

Built in: ``iclevr`` (a folder with ``objects.json`` + ``train.json``, priority 10),
``archive`` (``.zip``/``.tar``/``.tar.gz``/``.tgz``... file, 50) and ``folder``
(any other directory, 100). All three go through the decoded-data cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gankit.data.archives import ARCHIVE_SUFFIXES, ArchiveSource, is_archive
from gankit.data.base import Dataset
from gankit.data.cache import load_cached
from gankit.data.folders import FolderSource
from gankit.data.iclevr import IclevrSource, is_iclevr
from gankit.data.registry import DATASETS, DataRequest, load_builtin_datasets
from gankit.errors import GankitError


@dataclass(frozen=True)
class PathFormat:
    """A kind of data found at a path.

    Attributes:
        name: short name for messages.
        detect: ``path -> bool``, cheap (looks at names, not content).
        load: ``(path, request) -> dataset``.
        priority: lower is tried first; the generic ``folder`` is 100.
        gives_sources: whether it can load paired sources (``DataRequest.paired``).
    """

    name: str
    detect: Callable[[Path], bool]
    load: Callable[[Path, DataRequest], Dataset]
    priority: int = 50
    gives_sources: bool = False


PATH_FORMATS: list[PathFormat] = []
"""Registered path formats, in detection order."""


def register_path_format(name: str, detect: Callable[[Path], bool],
                         load: Callable[[Path, DataRequest], Dataset], priority: int = 50,
                         gives_sources: bool = False) -> PathFormat:
    """Add a path format; formats are tried by ascending ``priority``.

    Raises:
        ValueError: ``name`` is already registered.
    """
    if any(existing.name == name for existing in PATH_FORMATS):
        raise ValueError(f"path format {name!r} is registered twice")
    path_format = PathFormat(name, detect, load, priority, gives_sources)
    PATH_FORMATS.append(path_format)
    PATH_FORMATS.sort(key=lambda item: item.priority)  # stable: ties keep registration order
    return path_format


register_path_format("iclevr", is_iclevr,
                     lambda path, req: load_cached(IclevrSource(path, req)), priority=10)
register_path_format("archive", is_archive,
                     lambda path, req: load_cached(ArchiveSource(path, req)), priority=50)
register_path_format("folder", Path.is_dir,
                     lambda path, req: load_cached(FolderSource(path, req)), priority=100)


def detect_format(path: str | Path) -> PathFormat | None:
    """The first registered format that recognises ``path``, or ``None``."""
    path = Path(path).expanduser()
    return next((item for item in PATH_FORMATS if item.detect(path)), None)


def load_path(req: DataRequest) -> Dataset:
    """Load the data at the path ``req.name`` (see the module docstring for formats).

    Raises:
        GankitError: the path does not exist, is a file of no known format, or the
            request asks for paired sources the format does not have.
    """
    load_builtin_datasets()
    path = Path(req.name).expanduser()
    if not path.exists():
        builtins = ", ".join(DATASETS.names()) or "none registered"
        raise GankitError(f"data path {req.name} does not exist; pass a built-in name "
                          f"({builtins}) or a folder/archive")
    path_format = detect_format(path)
    if path_format is None:
        raise GankitError(f"data path {path} is a file, not a folder or an archive "
                          f"({', '.join(ARCHIVE_SUFFIXES)}); pass the folder holding the "
                          "images or pack them in an archive")
    if req.paired and not path_format.gives_sources:
        raise GankitError(f"paired data was requested but {path} is {path_format.name} data "
                          "without paired sources; pass a paired folder or turn paired off")
    return path_format.load(path, req)


def resolve_dataset(req: DataRequest) -> Dataset:
    """A registered dataset when ``req.name`` is one, else :func:`load_path`; with
    ``req.unpaired``, its two domains (:func:`gankit.data.unpaired.load_unpaired`).

    A registered name wins over a folder of the same name; write ``./shapes`` for the
    folder.
    """
    load_builtin_datasets()
    if req.unpaired:
        from gankit.data.unpaired import load_unpaired

        return load_unpaired(req)
    if req.name in DATASETS:
        return DATASETS.get(req.name)(req)
    return load_path(req)
