"""Decoded datasets cached on disk, so a second run skips decoding.

A cache entry is one ``.safetensors`` file: the uint8 images, the labels, and a JSON
header (class names, item names, description). It is written to a temporary file,
flushed to disk, then renamed over the final name, so an interrupted run never leaves
a half-written entry; an entry that fails to load or does not match is ignored and
rebuilt.

The key hashes everything the decoded tensors depend on: a fingerprint of the source,
resolution, channels, split, label mode, ``DataRequest.options``,
:data:`~gankit.data.decode.DECODER_VERSION` and :data:`CACHE_FORMAT`.

Source fingerprints:

- a file (an archive, a label JSON): BLAKE2b of its bytes (~1 GB/s; 0.02 s for the
  20 MB CIFAR-10 archive);
- a folder of images: BLAKE2b of each chosen file's relative path, size and
  modification time in nanoseconds, not its bytes. Hashing bytes costs as much I/O
  as the data (0.6 s for CIFAR-10's 60,000 files even from the page cache; minutes for
  a large photo folder), while ``stat`` is 0.3 s for 60,000 files. Every ordinary way
  of changing an image (an editor's save, ``cp``, ``mv``, re-extracting) changes its
  mtime or size, which is the same check git and make rely on; a stale hit needs a
  rewrite with equal size *and* a deliberately restored mtime. A changed mtime with
  unchanged bytes only costs one re-decode.

``DataRequest.options`` are in the key, so ``skip_bad_files`` (which drops unreadable
files) never shares an entry with a strict read; the warning naming the skipped files
is stored in the entry and printed again on every hit.

Location: ``DataRequest.cache_dir``; ``None`` means ``$GANKIT_CACHE/datasets`` or
``~/.cache/gankit/datasets``; ``""`` disables caching.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import sys
import warnings
from pathlib import Path
from typing import Iterable, Protocol

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from gankit.cache_root import cache_root
from gankit.data.base import ImageDataset
from gankit.data.decode import DECODER_VERSION
from gankit.data.request import DataRequest

CACHE_FORMAT = 1
"""Bump when the layout of cache files changes."""

_HEADER_KEY = "gankit"
_CHUNK = 1 << 20


class CachedSource(Protocol):
    """A planned data source the cache can key and, on a miss, read.

    Attributes:
        kind: the reader (``folder``, ``archive``, ``iclevr``), part of the key.
        title: a short human name for the cache file name.
        req: the request it was planned for.
    """

    kind: str
    req: DataRequest

    @property
    def title(self) -> str: ...

    def fingerprint(self) -> str: ...

    def load(self) -> ImageDataset: ...


def cache_dir(req: DataRequest) -> Path | None:
    """Where ``req``'s decoded data is cached, or ``None`` when caching is off."""
    if req.cache_dir == "":
        return None
    if req.cache_dir is not None:
        return Path(req.cache_dir).expanduser()
    return cache_root("datasets")


def fingerprint_file(path: str | Path) -> str:
    """BLAKE2b hex digest of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint_files(root: str | Path, paths: Iterable[str]) -> str:
    """BLAKE2b over each file's relative path, size and mtime (ns); see module doc.

    A file that cannot be stat'ed (a broken symbolic link) counts by its name alone:
    reading it will name it.
    """
    digest = hashlib.blake2b(digest_size=20)
    for path in paths:
        try:
            info = os.stat(os.path.join(root, path))
        except OSError:
            digest.update(f"{path}\0unreadable\n".encode())
            continue
        digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cache_key(source: CachedSource) -> str:
    """Hex key of everything ``source``'s decoded tensors depend on."""
    req = source.req
    parts = {"format": CACHE_FORMAT, "decoder": DECODER_VERSION, "kind": source.kind,
             "source": source.fingerprint(), "resolution": req.resolution,
             "channels": req.channels, "split": req.split, "labels": req.labels,
             "options": req.options}
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def cache_path(source: CachedSource, directory: Path) -> Path:
    """The cache file for ``source`` in ``directory`` (a readable prefix, then the key)."""
    req = source.req
    title = re.sub(r"[^A-Za-z0-9_.-]+", "_", source.title)[:40] or source.kind
    colour = {1: "gray", 3: "rgb"}.get(req.channels, f"{req.channels}c")
    stem = f"{title}-{req.split}-{req.resolution}px-{colour}-{cache_key(source)}"
    return directory / f"{stem}.safetensors"


def load_cached(source: CachedSource) -> ImageDataset:
    """``source``'s dataset from the cache, or read, stored, and returned.

    ``dataset.meta["cache"]`` says ``"hit"``, ``"miss"`` (decoded, then stored
    unless the folder is not writable) or ``"off"``; ``meta["cache_file"]`` names
    the entry when there is one.
    """
    directory = cache_dir(source.req)
    if directory is None:
        dataset = source.load()
        dataset.meta["cache"] = "off"
        return dataset
    path = cache_path(source, directory)
    dataset = _read_entry(path, source.req) if path.exists() else None
    if dataset is not None:
        dataset.meta.update(cache="hit", cache_file=str(path))
        for line in dataset.meta.get("warnings", []):
            print(line, file=sys.stderr)
        return dataset
    dataset = source.load()
    stored = _write_entry(path, dataset)
    dataset.meta.update(cache="miss", cache_file=str(path) if stored else None)
    return dataset


def _write_entry(path: Path, dataset: ImageDataset) -> bool:
    tensors = {"images": dataset.images.contiguous()}
    if dataset.labels is not None:
        tensors["labels"] = dataset.labels.contiguous()
    header = {"format": CACHE_FORMAT, "class_names": dataset.class_names,
              "names": dataset.names, "description": dataset.description,
              "warnings": dataset.meta.get("warnings", [])}
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file(tensors, str(temporary), metadata={_HEADER_KEY: json.dumps(header)})
        with open(temporary, "rb+") as handle:  # on disk before it gets the final name
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        return True
    except OSError as err:
        warnings.warn(f"gankit: could not write the data cache {path} ({err}); "
                      "continuing without it (set cache_dir to a writable folder, "
                      "or '' to turn caching off)", stacklevel=3)
        return False
    finally:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:  # e.g. the cache "folder" is a file: nothing was written
            pass


def _read_entry(path: Path, req: DataRequest) -> ImageDataset | None:
    try:
        with safe_open(str(path), framework="pt") as handle:
            header = json.loads(handle.metadata()[_HEADER_KEY])
            images = handle.get_tensor("images")
            labels = handle.get_tensor("labels") if "labels" in handle.keys() else None
        if header.get("format") != CACHE_FORMAT:
            raise ValueError(f"cache format {header.get('format')}")
        expected = (req.channels, req.resolution, req.resolution)
        if images.dtype != torch.uint8 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"images {tuple(images.shape)} {images.dtype}")
        lines = list(header.get("warnings") or [])
        return ImageDataset(images, labels, header["class_names"], names=header["names"],
                            description=header["description"],
                            meta={"warnings": lines} if lines else {})
    except Exception as err:  # any unreadable entry is rebuilt, whatever broke it
        warnings.warn(f"gankit: ignoring unreadable data cache {path} ({type(err).__name__}: "
                      f"{str(err)[:100]}); rebuilding it", stacklevel=3)
        return None
