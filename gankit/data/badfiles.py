"""Unusable files met while reading a dataset: reported together, or skipped on request.

Readers collect every file they cannot use (corrupt, truncated, not an image, a broken
symbolic link, too large to decode safely) in one :class:`BadFiles` and call
:meth:`BadFiles.report` once at the end:

- by default that raises one :class:`GankitError` naming all of them (the first
  :data:`ERROR_LIMIT`, then "and N more"), so one run shows everything to fix;
- with ``DataRequest.options["skip_bad_files"] = True`` (:data:`SKIP_OPTION`) the
  files are left out and one summary line goes to stderr:
  ``gankit: warning: skipped 3 unreadable files in DATA: a.png, b.jpg, c.png``.

Very large images that Pillow still decodes (over ``PIL.Image.MAX_IMAGE_PIXELS`` but
under twice that) are not bad: they are decoded and named in one warning line.
"""

from __future__ import annotations

import errno
import os
import sys
import threading

from gankit.errors import GankitError

SKIP_OPTION = "skip_bad_files"
"""The ``DataRequest.options`` key that skips unusable files instead of failing."""

SKIP_HINT = "--skip-bad-files"
ERROR_LIMIT = 10
WARNING_LIMIT = 5


def skip_bad_files(options: dict) -> bool:
    """``options["skip_bad_files"]`` (default ``False``); anything but a bool is an error."""
    value = options.get(SKIP_OPTION, False)
    if not isinstance(value, bool):
        raise GankitError(f"data option {SKIP_OPTION}={value!r} must be true or false")
    return value


def link_problem(path: str | os.PathLike) -> str | None:
    """Why the symbolic link ``path`` cannot be read (dangling or a loop), else ``None``."""
    if not os.path.islink(path):
        return None
    try:
        os.stat(path)
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "is a symbolic link loop"
        return f"is a broken symbolic link (its target {os.readlink(path)} does not exist)"
    return None


class BadFiles:
    """Collects unusable files of one dataset source (thread-safe).

    Args:
        where: the folder or archive, for messages; names below it are shown relative.
        skip: leave bad files out (with one warning) instead of raising.
        hint: mention :data:`SKIP_HINT` in the error (only where the caller is a
            dataset reader that honours the option).
    """

    def __init__(self, where: str = "", skip: bool = False, hint: bool = True):
        self.where, self.skip, self.hint = where, skip, hint
        self.problems: list[tuple[str, str]] = []
        self.rows: set[int] = set()
        self.large: list[str] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.problems)

    def add(self, name: str, problem: str, row: int | None = None) -> None:
        """Record ``name`` (a path or archive member) and its ``problem`` ("is ...")."""
        with self._lock:
            self.problems.append((name, problem))
            if row is not None:
                self.rows.add(row)

    def add_large(self, name: str) -> None:
        """Record a very large image that was decoded anyway."""
        with self._lock:
            self.large.append(name)

    def keep(self, count: int) -> list[int]:
        """The rows of ``0..count-1`` that were not recorded as bad."""
        return [row for row in range(count) if row not in self.rows]

    def report(self, left: int | None = None) -> str | None:
        """Raise for the bad files, or warn that they were skipped; warn of large images.

        Args:
            left: how many items are left once the bad ones are skipped; none left
                is an error even when skipping.

        Returns:
            The skip warning line printed, if any (a cache stores it to repeat it).
        """
        self._warn_large()
        if not self.problems:
            return None
        if not self.skip:
            raise GankitError(self._error())
        if left == 0:
            raise GankitError(f"no usable files are left in {self.where or 'the data'} once "
                              f"the unusable ones are skipped ({self._listing(ERROR_LIMIT)}); "
                              "fix the data or the path")
        noun = "file" if len(self.problems) == 1 else "files"
        line = (f"gankit: warning: skipped {len(self.problems)} unreadable {noun} in "
                f"{self.where or 'the data'}: {self._first([name for name, _ in self.problems])}")
        print(line, file=sys.stderr)
        return line

    def _error(self) -> str:
        one = len(self.problems) == 1
        tail = f", or {SKIP_HINT} skips {'it' if one else 'them'}" if self.hint else ""
        if one:
            name, problem = self.problems[0]
            return f"{name} {problem}; remove or replace it{tail}"
        where = f" in {self.where}" if self.where else ""
        return (f"{len(self.problems)} files{where} are unusable: "
                f"{self._listing(ERROR_LIMIT)}; remove or replace them{tail}")

    def _listing(self, limit: int) -> str:
        items = sorted((self._short(name), problem) for name, problem in self.problems)
        text = ", ".join(f"{name} {problem}" for name, problem in items[:limit])
        return text + (f" and {len(items) - limit} more" if len(items) > limit else "")

    def _first(self, names: list[str]) -> str:
        """The first :data:`WARNING_LIMIT` of ``names`` (sorted, short), then "..."."""
        shown = sorted(self._short(name) for name in names)
        return ", ".join(shown[:WARNING_LIMIT]) + (", ..." if len(shown) > WARNING_LIMIT else "")

    def _short(self, name: str) -> str:
        prefix = self.where.rstrip("/") + "/"
        return name[len(prefix):] if self.where and name.startswith(prefix) else name

    def _warn_large(self) -> None:
        if not self.large:
            return
        from PIL import Image

        where = f" in {self.where}" if self.where else ""
        noun = "image" if len(self.large) == 1 else "images"
        print(f"gankit: warning: {len(self.large)} {noun}{where} exceed Pillow's "
              f"{Image.MAX_IMAGE_PIXELS:,}-pixel safety limit and were decoded anyway "
              f"(slow, memory-hungry): {self._first(self.large)}; downsize them",
              file=sys.stderr)
        self.large.clear()  # warn once
