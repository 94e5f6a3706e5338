"""Sharing a trained generator: safetensors weights or an ONNX graph, each with a JSON
sidecar (the format is described in :mod:`gankit.runs.exported`).

::

    export_generator("runs/cdcgan-20240101-120000", "G.safetensors")   # + G.json
    export_generator("runs/cdcgan-20240101-120000", "G.onnx")          # format from suffix
    TrainedRun.open("G.safetensors").sample(16, cond)                  # as from the run

Nothing is pickled. The pair is written to temporary files first and renamed into place
at the end, so a failed export leaves neither file behind. Both formats of one model may
share one sidecar (``G.safetensors`` + ``G.onnx`` → one ``G.json`` with two entries).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from gankit import __version__
from gankit.errors import GankitError
from gankit.models.cyclegan import DIRECTIONS
from gankit.runs.exported import (
    FORMAT,
    FORMAT_VERSION,
    SUFFIXES,
    file_sha256,
    read_sidecar,
    sidecar_path,
)
from gankit.runs.trained import TrainedRun


@dataclass
class ExportResult:
    """What :func:`export_generator` wrote: the weights / graph file and its sidecar."""

    file: Path
    sidecar: Path
    format: str
    description: dict


def export_generator(run: TrainedRun | str | os.PathLike, out: str | os.PathLike,
                     format: str | None = None, use_ema: bool = True,
                     direction: str | None = None) -> ExportResult:
    """Write a run's generator to ``out`` plus the sidecar ``out`` with suffix ``.json``.

    Args:
        run: a run folder, a checkpoint file, an exported ``.safetensors`` or an opened
            :class:`TrainedRun` (its generator is exported as it is).
        out: ``NAME.safetensors`` or ``NAME.onnx``; its folder must exist.
        format: ``safetensors`` or ``onnx`` (``None``: from the suffix of ``out``).
        use_ema: export the EMA generator when the run has one (else the raw one).
        direction: ``AtoB`` (default) or ``BtoA``: which CycleGAN generator an ONNX
            export holds (a safetensors export holds both).

    Raises:
        GankitError: an unknown format, a suffix that does not fit it, a missing or
            unwritable folder, or a run that cannot be opened.
    """
    out = Path(out).expanduser()
    _check_out(out)
    format = _check_format(format, out)
    if not isinstance(run, TrainedRun):
        run = TrainedRun.open(run, "cpu", use_ema)
    if direction is not None and direction not in DIRECTIONS:
        raise GankitError(f"unknown direction {direction!r}; use AtoB or BtoA")
    if direction is not None and not run.translation:
        raise GankitError("--direction applies to image-to-image (CycleGAN) runs only; drop it")
    if direction is not None and format == "safetensors" and direction != "AtoB":
        raise GankitError("a .safetensors export holds both CycleGAN directions; --direction "
                          "chooses one for --format onnx only")
    side = sidecar_path(out)
    tmp_file, tmp_side = _temporary(out), _temporary(side)
    try:
        if format == "safetensors":
            entry = _write_safetensors(run, tmp_file)
        else:
            from gankit.runs.export_onnx import write_onnx
            entry = write_onnx(run, tmp_file, direction or "AtoB")
        entry = {"file": out.name, "sha256": file_sha256(tmp_file),
                 "weights": "ema" if run.ema_weights else "raw", **entry}
        description = _merged(describe(run), read_existing(side), format, entry)
        tmp_side.write_text(json.dumps(description, indent=2) + "\n")
        _move_pair(tmp_file, out, tmp_side, side)
    except OSError as err:
        raise GankitError(f"cannot write {out} ({err.strerror or err}); choose a writable "
                          "--out folder with free space") from None
    finally:
        tmp_file.unlink(missing_ok=True)
        tmp_side.unlink(missing_ok=True)
    return ExportResult(out, side, format, description)


def describe(run: TrainedRun) -> dict:
    """The sidecar's description of ``run``'s model (everything but the ``exports``)."""
    source = run.state.get("source") if run.exported else {
        "checkpoint": str(run.checkpoint.resolve()), "step": run.step,
        "preset": run.config.preset}
    description = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "gankit_version": __version__,
        "source": source, "data_spec": asdict(run.spec), "class_names": list(run.class_names),
        "z_dim": int(run.generator.z_dim), "config": run.config.to_dict()}
    # as it reads back (tuples become lists), so that sidecars compare equal
    return json.loads(json.dumps(description))


def read_existing(side: Path) -> dict | None:
    """The sidecar already at ``side`` (``None`` when absent or unreadable: replaced)."""
    try:
        return read_sidecar(side)
    except GankitError:
        return None


# ---------------------------------------------------------------- checks and writing

def _check_format(format: str | None, out: Path) -> str:
    if format is None:
        by_suffix = {suffix: name for name, suffix in SUFFIXES.items()}
        if out.suffix not in by_suffix:
            raise GankitError(f"--out {out} must end in .safetensors (weights) or .onnx "
                              "(ONNX graph)")
        return by_suffix[out.suffix]
    if format not in SUFFIXES:
        raise GankitError(f"unknown export format {format!r}; use safetensors or onnx")
    if out.suffix != SUFFIXES[format]:
        raise GankitError(f"--format {format} writes a {SUFFIXES[format]} file; name it "
                          f"--out {out.with_suffix(SUFFIXES[format])}")
    return format


def _check_out(out: Path) -> None:
    if out.is_dir():
        raise GankitError(f"--out {out} is a folder; give a file name such as "
                          f"{out / 'G.safetensors'}")
    if not out.parent.is_dir():
        raise GankitError(f"--out {out}: the folder {out.parent} does not exist; create it "
                          "first")
    if not os.access(out.parent, os.W_OK):
        raise GankitError(f"--out {out}: the folder {out.parent} is not writable; choose "
                          "another one")


def _temporary(path: Path) -> Path:
    """A hidden temporary name beside ``path`` (never picked up as an export)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _write_safetensors(run: TrainedRun, path: Path) -> dict:
    from safetensors.torch import save

    # copies: safetensors refuses tensors that share memory (tied weights)
    tensors = {name: t.detach().to("cpu", copy=True).contiguous()
               for name, t in run.generator.state_dict().items()}
    # bytes written by Python, so the file gets the usual permissions (not 0600); one
    # metadata key, so the same weights always give the same bytes (safetensors does not
    # keep the order of several)
    path.write_bytes(save(tensors, metadata={"format": FORMAT}))
    return {"format": "safetensors", "tensors": len(tensors)}


def _merged(description: dict, existing: dict | None, format: str, entry: dict) -> dict:
    """``description`` with ``entry`` under ``exports``, keeping the other format's entry
    of an existing sidecar that describes the same model."""
    same = existing is not None and all(existing.get(key) == description[key] for key in (
        "source", "data_spec", "class_names", "z_dim", "config"))
    exports = dict(existing.get("exports") or {}) if same else {}
    exports[format] = entry
    return {**description, "exports": exports}


def _move_pair(tmp_file: Path, out: Path, tmp_side: Path, side: Path) -> None:
    """Rename both temporaries into place; if the second rename fails, undo the first."""
    os.replace(tmp_file, out)
    try:
        os.replace(tmp_side, side)
    except OSError:
        out.unlink(missing_ok=True)
        raise


__all__ = ["ExportResult", "describe", "export_generator"]
