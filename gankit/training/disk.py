"""Turning a disk that refuses a write (full, read-only, over quota) into one message
that says what failed and what is still intact."""

from __future__ import annotations

import errno
from pathlib import Path

from gankit.runs.checkpoint import LATEST

#: errors that mean the disk, not gankit, is at fault
DISK_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})


def last_checkpoint_words(run_dir: Path) -> str:
    """``the last checkpoint step-0000400.pt is intact; resume with ...`` or that there is
    none yet."""
    pointer = Path(run_dir) / "checkpoints" / LATEST
    if not pointer.is_file():
        return "no checkpoint had been written yet"
    return (f"the last checkpoint {pointer.read_text().strip()} is intact; continue with "
            f"`gankit train --resume {run_dir}`")


def disk_error_message(error: OSError, step: int, run_dir: Path) -> str:
    """One line for a failed write at ``step``: what, why, and what survives."""
    what = Path(error.filename).name if error.filename else "the run folder"
    reason = (error.strerror or "write failed").lower()
    return (f"{reason} while writing {what} at step {step} (in {run_dir}); "
            f"{last_checkpoint_words(run_dir)} once there is room")
