"""Writing a file so that a reader sees the old version or the new one, never half of it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replaced_atomically(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; once the block has written it, it replaces
    ``path`` in one rename. If the block fails, the temporary file is removed and
    ``path`` is left as it was.

    >>> with replaced_atomically("curves.png") as tmp:  # doctest: +SKIP
    ...     figure.savefig(tmp, format="png")
    """
    path = Path(path)
    # a hidden name, so that a folder listing (or a glob for *.png) never picks it up
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomically(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`replaced_atomically`)."""
    with replaced_atomically(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
