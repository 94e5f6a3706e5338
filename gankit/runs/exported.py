"""The exported-generator format: reading a ``gankit export`` pair back.

An export is two files with one stem, readable without gankit and without pickle:

* ``G.safetensors`` — the generator's tensors (its ``state_dict``), or ``G.onnx`` — the
  generator as an ONNX graph (inputs ``z`` / ``cond`` / ``source``, output in [-1, 1]);
* ``G.json`` — the sidecar: what the weights are (``format: gankit-generator``), the
  resolved training config (its ``model`` section is the architecture), the data spec,
  class names, noise size, the source checkpoint and step, and under ``exports`` one
  entry per exported file of this model (file name, SHA-256, EMA or raw weights, and for
  ONNX its inputs, output and opset).

The SHA-256 in the sidecar ties the pair together: a sidecar written for other weights
is refused rather than silently rebuilding the wrong network. :meth:`TrainedRun.open
<gankit.runs.trained.TrainedRun.open>` reads a ``.safetensors`` export through
:func:`read_exported`.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from gankit.errors import GankitError

FORMAT = "gankit-generator"
FORMAT_VERSION = 1
#: export format → file suffix
SUFFIXES = {"safetensors": ".safetensors", "onnx": ".onnx"}
FIX = "keep the .json that `gankit export` wrote beside it, or export again"


def sidecar_path(path: str | os.PathLike) -> Path:
    """The sidecar of an exported file: same folder and stem, ``.json``."""
    return Path(path).with_suffix(".json")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    with Path(path).open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def is_exported_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` names an exported generator gankit can open (``.safetensors``)."""
    return Path(path).suffix == SUFFIXES["safetensors"] and not Path(path).is_dir()


def read_sidecar(path: Path) -> dict | None:
    """The parsed sidecar ``path``, or ``None`` when there is no such file.

    Raises:
        GankitError: the file is not JSON, or not a gankit-generator sidecar this
            version understands.
    """
    if not path.is_file():
        return None
    try:
        sidecar = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise GankitError(f"{path} is not a readable export sidecar ({type(err).__name__}); "
                          "export again with `gankit export RUN --out FILE`") from None
    if not isinstance(sidecar, dict) or sidecar.get("format") != FORMAT:
        raise GankitError(f"{path} is not a gankit export sidecar (no \"format\": \"{FORMAT}\"); "
                          "export again with `gankit export RUN --out FILE`")
    version = sidecar.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise GankitError(f"{path} was written by a newer gankit (format version {version!r}, "
                          f"this one reads {FORMAT_VERSION}); upgrade gankit")
    return sidecar


def _check_header(path: Path) -> None:
    """Refuse a file that is not a safetensors file written by ``gankit export``."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as err:
        raise GankitError(f"{path} is not a safetensors file ({str(err).splitlines()[0]}); "
                          "pass a run folder, a checkpoint or a `gankit export` file") from None
    if meta.get("format") != FORMAT:
        raise GankitError(f"{path} is not a generator written by `gankit export` (no "
                          f"{FORMAT} header); pass a run folder, a checkpoint or an exported "
                          "G.safetensors")


def read_exported(path: str | os.PathLike) -> tuple[dict, dict]:
    """Read and check a ``.safetensors`` export and its sidecar.

    Returns:
        ``(sidecar, tensors)``: the parsed ``G.json`` and the generator's state dict
        (CPU tensors).

    Raises:
        GankitError: the file is missing or not an export, its sidecar is missing, or
            the sidecar was written for other weights.
    """
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise GankitError(f"{path} does not exist; pass a run folder, a checkpoint or an "
                          "exported G.safetensors")
    _check_header(path)
    side = sidecar_path(path)
    sidecar = read_sidecar(side)
    if sidecar is None:
        raise GankitError(f"{path} has no sidecar {side.name} beside it; {FIX}")
    entry = (sidecar.get("exports") or {}).get("safetensors")
    if not isinstance(entry, dict):
        raise GankitError(f"{side} describes no .safetensors export (only "
                          f"{', '.join(sidecar.get('exports') or {}) or 'nothing'}), so it is "
                          f"not {path.name}'s sidecar; {FIX}")
    if entry.get("sha256") != file_sha256(path):
        raise GankitError(f"{side} was written for other weights than {path.name} (SHA-256 "
                          f"differs: it describes {entry.get('file')!r}); {FIX}")
    return sidecar, load_file(str(path))


def exported_state(path: str | os.PathLike, use_ema: bool = True) -> dict:
    """A checkpoint-like state of an export, as :func:`generator_from_state
    <gankit.runs.trained.generator_from_state>` takes it: config, data spec, class
    names, step and the weights (under ``ema`` or ``generator``); no discriminator.

    Raises:
        GankitError: as :func:`read_exported`, or ``use_ema=False`` for an export that
            holds the EMA weights only.
    """
    sidecar, tensors = read_exported(path)
    kind = sidecar["exports"]["safetensors"].get("weights", "ema")
    if kind == "ema" and not use_ema:
        raise GankitError(f"{path} holds the EMA generator only; drop --no-ema, or export the "
                          "raw one with `gankit export RUN --no-ema`")
    source = sidecar.get("source") or {}
    return {"format": FORMAT, "path": str(path), "step": int(source.get("step") or 0),
            "config": sidecar.get("config") or {}, "data_spec": sidecar.get("data_spec") or {},
            "class_names": list(sidecar.get("class_names") or []),
            "ema": tensors if kind == "ema" else None,
            "generator": tensors if kind != "ema" else None,
            "source": source, "sidecar": str(sidecar_path(path))}
