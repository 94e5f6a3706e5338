"""Self-describing checkpoints: everything to sample from and to resume exactly.

A checkpoint is one ``torch.save`` file of plain tensors, numbers and strings (it
loads with ``weights_only=True``): the resolved config, the data spec and class
names, G / D / EMA weights, both optimisers, the loader position and every RNG
state. ``checkpoints/latest`` names the newest file of a run.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from gankit import __version__
from gankit.errors import GankitError

FORMAT = "gankit-checkpoint"
FORMAT_VERSION = 1
LATEST = "latest"


def save_checkpoint(path: Path, state: dict, update_latest: bool = True) -> Path:
    """Write ``state`` atomically (temp file + rename) and point ``latest`` at it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"format": FORMAT, "format_version": FORMAT_VERSION,
             "gankit_version": __version__, **state}
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
    if not update_latest:
        return path
    latest = path.parent / LATEST
    latest_tmp = path.parent / (LATEST + ".tmp")
    latest_tmp.write_text(path.name + "\n")
    os.replace(latest_tmp, latest)
    return path


def find_checkpoint(run_or_file: str | Path) -> Path:
    """A checkpoint file from a run folder (its latest), a checkpoints folder, or a file."""
    path = Path(run_or_file)
    if path.is_file():
        return path
    if not path.exists():
        raise GankitError(f"{path} does not exist; pass a run folder or a checkpoint file")
    for folder in (path / "checkpoints", path):
        pointer = folder / LATEST
        if pointer.is_file():
            target = folder / pointer.read_text().strip()
            if target.is_file():
                return target
        found = sorted(folder.glob("*.pt"))
        if found:
            return found[-1]
    raise GankitError(f"no checkpoint in {path}; train first or pass a .pt checkpoint file")


def load_checkpoint(run_or_file: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """Load and validate a gankit checkpoint (see :func:`find_checkpoint`)."""
    path = find_checkpoint(run_or_file)
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # noqa: BLE001 - any unpickling failure is a bad file
        raise GankitError(f"{path} is not a readable gankit checkpoint ({type(err).__name__}); "
                          "pass a file written by `gankit train`") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise GankitError(f"{path} is not a gankit checkpoint")
    state["path"] = str(path)
    return state


def prune_checkpoints(folder: Path, keep: int, protect: tuple[str, ...] = ()) -> None:
    """Delete all but the newest ``keep`` step checkpoints (``protect`` names survive)."""
    if keep <= 0:
        return
    steps = sorted(Path(folder).glob("step-*.pt"))
    for old in steps[:-keep]:
        if old.name not in protect:
            old.unlink()
