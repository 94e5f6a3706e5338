"""Self-describing checkpoints: everything to sample from and to resume exactly.

A checkpoint is one ``torch.save`` file of plain tensors, numbers and strings (it
loads with ``weights_only=True``): the resolved config, the data spec and class
names, G / D / EMA weights, both optimisers, the loader position and every RNG
state. ``checkpoints/latest`` names the newest file of a run, and ``NAME.pt.sha256``
beside each file holds its checksum, checked on load.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import torch

from gankit import __version__
from gankit.errors import GankitError
from gankit.safe_load import load_tensors

FORMAT = "gankit-checkpoint"
FORMAT_VERSION = 1
LATEST = "latest"


def checksum_path(path: Path) -> Path:
    """Where the SHA-256 of checkpoint ``path`` is kept (``step-N.pt.sha256``)."""
    return path.with_name(path.name + ".sha256")


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def save_checkpoint(path: Path, state: dict, update_latest: bool = True) -> Path:
    """Write ``state`` atomically (temp file + rename) with its checksum beside it, and
    point ``latest`` at it. A failed write (a full disk) leaves no temporary file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"format": FORMAT, "format_version": FORMAT_VERSION,
             "gankit_version": __version__, **state}
    tmp = path.with_name(path.name + ".tmp")
    try:
        torch.save(state, tmp)
        digest = _sha256(tmp)
        checksum_path(path).unlink(missing_ok=True)  # never a stale checksum beside new bytes
        os.replace(tmp, path)
        _write_atomically(checksum_path(path), f"{digest}  {path.name}\n")
        if update_latest:
            _write_atomically(path.parent / LATEST, path.name + "\n")
    finally:
        for leftover in (tmp, checksum_path(path).with_name(checksum_path(path).name + ".tmp"),
                         path.parent / (LATEST + ".tmp")):
            leftover.unlink(missing_ok=True)
    return path


def find_checkpoint(run_or_file: str | Path) -> Path:
    """A checkpoint file from a run folder (its latest), a checkpoints folder, or a file."""
    return _candidates(run_or_file)[0]


def _candidates(run_or_file: str | Path) -> list[Path]:
    """The checkpoint to load and, for a folder, the older ones to fall back on."""
    path = Path(run_or_file)
    if path.is_file():
        return [path]
    if not path.exists():
        raise GankitError(f"{path} does not exist; pass a run folder or a checkpoint file")
    for folder in (path / "checkpoints", path):
        steps = sorted(folder.glob("step-*.pt"), reverse=True)
        pointer = folder / LATEST
        latest = folder / pointer.read_text().strip() if pointer.is_file() else None
        found = [latest] if latest is not None and latest.is_file() else []
        found += [p for p in steps if p not in found]
        if not found:
            found = sorted(folder.glob("*.pt"), reverse=True)
        if found:
            return found
    raise GankitError(f"no checkpoint in {path}; train first or pass a .pt checkpoint file")


def _read(path: Path, map_location) -> dict:
    """Load and check one checkpoint file (:class:`GankitError` saying why it is unusable)."""
    if path.suffix == ".onnx":
        raise GankitError(f"{path} is an ONNX export: run it with onnxruntime (its inputs are "
                          f"in {path.with_suffix('.json').name}); gankit opens run folders, "
                          "checkpoints and .safetensors exports")
    if path.suffix == ".safetensors":
        raise GankitError(f"{path} is an exported generator, not a training checkpoint; "
                          "resuming needs the run folder or its checkpoints/step-N.pt")
    sidecar = checksum_path(path)
    if sidecar.is_file() and sidecar.read_text().split()[:1] != [_sha256(path)]:
        raise GankitError(f"{path} is damaged (its SHA-256 does not match {sidecar.name})")
    state = load_tensors(path, "a gankit checkpoint", "it is truncated, damaged, or not "
                         "written by `gankit train`", map_location)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise GankitError(f"{path} is not a gankit checkpoint")
    state["path"] = str(path)
    return state


def load_checkpoint(run_or_file: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """Load and verify a gankit checkpoint (see :func:`find_checkpoint`).

    From a run folder, a damaged latest checkpoint (truncated, or not matching its
    checksum) falls back to the newest good one, with a warning naming both.
    """
    candidates = _candidates(run_or_file)
    problems = []
    for path in candidates:
        try:
            state = _read(path, map_location)
        except GankitError as err:
            if len(candidates) == 1:
                raise
            problems.append(str(err))
            continue
        for problem in problems:
            print(f"gankit: warning: {problem}; using {path.name} (step {state.get('step')}) "
                  "instead", file=sys.stderr)
        return state
    raise GankitError(f"no usable checkpoint in {run_or_file}: " + "; ".join(problems))


def training_seconds(state: dict) -> float:
    """Wall time a checkpointed run spent training (all sessions), evaluation excluded."""
    return float(state.get("elapsed_s", 0.0)) - float((state.get("extra") or {}).get("eval_s", 0.0))


def prune_checkpoints(folder: Path, keep: int, protect: tuple[str, ...] = ()) -> None:
    """Delete all but the newest ``keep`` step checkpoints (``protect`` names survive)."""
    if keep <= 0:
        return
    steps = sorted(Path(folder).glob("step-*.pt"))
    for old in steps[:-keep]:
        if old.name not in protect:
            old.unlink()
            checksum_path(old).unlink(missing_ok=True)
