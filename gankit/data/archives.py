"""Image folders packed in ``.zip`` / ``.tar`` / ``.tar.gz`` archives, read in memory.

Nothing is extracted to disk. The archive's member paths are planned by
:func:`gankit.data.folders.plan_layout`, the same code that plans folders, and the
same bytes go through the same decoder, so an archive and its extracted folder give
identical tensors, labels and class names. A single top-level folder wrapping the
layout (``cifar10/train/<class>/...``) is looked through.

Reading: a zip's directory lists its members up front; a tar is listed in one pass,
then the chosen members are read in storage order (a compressed tar cannot seek
back cheaply) while a thread pool decodes them into their sorted rows. Only a small
window of raw member bytes is held at a time.
"""

from __future__ import annotations

import lzma
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import Callable, Iterator

from gankit.data.badfiles import skip_bad_files
from gankit.data.base import ImageDataset
from gankit.data.cache import fingerprint_file
from gankit.data.decode import check_target, decode_many
from gankit.data.folders import Layout, bad_files, build_dataset, plan_layout
from gankit.data.request import DataRequest
from gankit.errors import GankitError

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")

# What zipfile / tarfile / their decompressors raise for damaged or foreign files.
_DAMAGED = (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError,
            OSError, NotImplementedError)


def archive_suffix(path: str | Path) -> str | None:
    """The archive suffix ``path`` ends with (any case), or ``None``."""
    name = str(path).lower()
    return next((suffix for suffix in ARCHIVE_SUFFIXES if name.endswith(suffix)), None)


def is_archive(path: str | Path) -> bool:
    """Whether ``path`` is an existing file with an archive suffix."""
    return archive_suffix(path) is not None and Path(path).is_file()


def member_path(name: str) -> str:
    """An archive member name as a clean relative ``/`` path (``./`` and ``\\`` fixed)."""
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name.strip("/")


class ArchiveSource:
    """One archive planned for one request; reads it on :meth:`load`."""

    kind = "archive"

    def __init__(self, path: Path, req: DataRequest):
        check_target(req.resolution, req.channels)
        self.path = Path(path)
        self.req = req
        suffix = archive_suffix(self.path)
        if suffix is None:
            raise GankitError(f"{self.path} is not an archive; use one of: "
                              + ", ".join(ARCHIVE_SUFFIXES))
        if not self.path.is_file():
            raise GankitError(f"archive {self.path} does not exist; fix the path")
        self._suffix = suffix

    @property
    def title(self) -> str:
        return self.path.name[: -len(self._suffix)] or "archive"

    def fingerprint(self) -> str:
        """BLAKE2b of the archive's bytes."""
        return fingerprint_file(self.path)

    def load(self) -> ImageDataset:
        """List, plan and decode the archive."""
        opener = _read_zip if self._suffix == ".zip" else _read_tar
        try:
            return opener(self.path, self.req)
        except _DAMAGED as err:
            raise GankitError(
                f"archive {self.path} is damaged or not a {self._suffix} file "
                f"({type(err).__name__}: {str(err)[:100]}); re-download or re-create it"
            ) from err


def read_archive(path: str | Path, req: DataRequest) -> ImageDataset:
    """Read an image archive without the cache (layouts as for folders).

    Args:
        path: a ``.zip``, ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2`` or ``.tar.xz`` file.
        req: resolution, channels, split and label mode (``req.name`` is ignored).
    """
    return ArchiveSource(Path(path), req).load()


def _plan(path: Path, names: list[str], req: DataRequest) -> Layout:
    return plan_layout(names, str(path), req.split, req.labels, skip_bad_files(req.options))


def _decode(path: Path, layout: Layout, req: DataRequest,
            members: Iterator[tuple[str, Callable[[], bytes] | bytes]],
            rows: list[int] | None = None) -> ImageDataset:
    bad = bad_files(layout, str(path), req)
    images = decode_many(members, len(layout.files), req.resolution, req.channels, rows=rows,
                         bad=bad)
    return build_dataset(images, layout, f"archive {path}/{layout.root}", bad)


def _read_zip(path: Path, req: DataRequest) -> ImageDataset:
    with zipfile.ZipFile(path) as archive:
        infos = {member_path(info.filename): info for info in archive.infolist()
                 if not info.is_dir()}
        layout = _plan(path, list(infos), req)
        encrypted = next((name for name in layout.files if infos[name].flag_bits & 0x1), None)
        if encrypted is not None:
            raise GankitError(f"{path}/{encrypted} is encrypted; gankit reads unencrypted "
                              "archives only: re-create the archive without a password")
        # Members are read here, on the calling thread (ZipFile shares one file handle);
        # threads decode them.
        members = ((f"{path}/{name}", archive.read(infos[name])) for name in layout.files)
        return _decode(path, layout, req, members)


def _read_tar(path: Path, req: DataRequest) -> ImageDataset:
    with tarfile.open(path, "r:*") as archive:
        infos = {member_path(info.name): info for info in archive.getmembers()
                 if info.isfile()}
        layout = _plan(path, list(infos), req)
        row_of = {name: row for row, name in enumerate(layout.files)}
        in_storage_order = sorted(layout.files, key=lambda name: infos[name].offset_data)

        def members() -> Iterator[tuple[str, bytes]]:
            for name in in_storage_order:
                handle = archive.extractfile(infos[name])
                yield f"{path}/{name}", handle.read() if handle else b""

        rows = [row_of[name] for name in in_storage_order]
        return _decode(path, layout, req, members(), rows)
