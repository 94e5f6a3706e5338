"""The runs an explorer serves, and the checkpoints it has open.

Each run named on the command line becomes a :class:`RunEntry` (what the page lists);
its checkpoints are opened on demand through :meth:`gankit.runs.TrainedRun.open` and
kept in a small least-recently-used set, so switching checkpoints does not keep them all
in memory. Every open model has its own lock: one request at a time generates with it,
so a burst of clicks queues instead of stacking batches in memory.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from gankit.data.iclevr import MAX_OBJECTS
from gankit.errors import GankitError
from gankit.models.cyclegan import is_cycle_generator
from gankit.runs import TrainedRun
from gankit.runs.data import build_dataset
from gankit.serve.params import ApiError

#: checkpoints kept open at once (all runs together), unless asked otherwise
MAX_OPEN = 4
#: dataset sketches offered as examples for image-to-image runs
EXAMPLES = 8
CHECKPOINT_PATTERNS = ("*.pt", "*.safetensors")
_STEP = re.compile(r"step-0*(\d+)")


def run_kind(run: TrainedRun) -> str:
    """``unconditional``, ``class``, ``multi-label``, ``image-to-image``, ``cycle`` or
    ``points`` (2-D toy models)."""
    if run.translation:
        return "cycle" if is_cycle_generator(run.generator) else "image-to-image"
    if run.spec.kind == "points":
        return "points"
    if not run.conditional:
        return "unconditional"
    return "multi-label" if run.spec.multi_label else "class"


def checkpoint_step(path: Path) -> int | None:
    """The training step a checkpoint's file name tells (``step-0001000.pt``), if any."""
    found = _STEP.match(path.name)
    return int(found.group(1)) if found else None


@dataclass
class RunEntry:
    """One served run: what the page lists, fixed when the explorer starts.

    Attributes:
        id: the run's name in URLs (unique among the served runs).
        name: what the page shows (the run folder's or the file's name).
        path: what was given on the command line.
        default: the checkpoint opened first (a run folder's latest).
        run_dir: the run folder (``None`` for a loose checkpoint or exported file).
        info: kind, class names and sizes (see :meth:`describe`).
    """

    id: str
    name: str
    path: Path
    default: Path
    run_dir: Path | None
    info: dict = field(default_factory=dict)

    def checkpoints(self) -> dict[str, Path]:
        """Checkpoint name → file, oldest step first (read anew each time: a run still
        training adds some)."""
        if self.run_dir is None:
            return {self.default.name: self.default}
        folder = self.default.parent
        found = {p for pattern in CHECKPOINT_PATTERNS for p in folder.glob(pattern)} | {
            self.default}
        order = sorted(found, key=lambda p: (checkpoint_step(p) is None,
                                             checkpoint_step(p) or 0, p.name))
        return {p.name: p for p in order if p.is_file()}

    def checkpoint(self, name: str | None) -> Path:
        """The file of checkpoint ``name`` (``None``: the default); 404 when unknown."""
        if not name:
            return self.default
        found = self.checkpoints().get(name)
        if found is None:
            raise ApiError(f"run {self.id!r} has no checkpoint {name!r}; pick one of "
                           f"{', '.join(self.checkpoints())}", 404)
        return found

    def describe(self) -> dict:
        """The JSON the page gets for this run."""
        return {"id": self.id, "name": self.name, "path": str(self.path), **self.info,
                "checkpoint": self.default.name, "has_curves": self.run_dir is not None,
                "checkpoints": [{"name": name, "step": checkpoint_step(path)}
                                for name, path in self.checkpoints().items()]}


def describe_run(run: TrainedRun) -> dict:
    """What the page needs to know about an opened run's model."""
    kind = run_kind(run)
    return {"kind": kind, "classes": list(run.class_names),
            "num_classes": run.spec.num_classes,
            "max_objects": MAX_OBJECTS if run.spec.multi_label else 0,
            "z_dim": int(run.generator.z_dim), "resolution": run.spec.resolution,
            "directions": ["AtoB", "BtoA"] if kind == "cycle" else ["AtoB"],
            "step": run.step}


@dataclass
class _Slot:
    """One checkpoint: its lock, its opened run once opened, and how many requests hold it."""

    path: Path
    lock: threading.Lock = field(default_factory=threading.Lock)
    run: TrainedRun | None = None
    users: int = 0


class Registry:
    """The served runs and the checkpoints currently open.

    Args:
        paths: run folders, checkpoint files (or anything :meth:`TrainedRun.open` takes).
        device: where the models run.
        max_open: checkpoints kept open at once; the least recently used idle one is
            closed first.
        opener: opens one checkpoint (default :meth:`TrainedRun.open`; tests replace it).

    Raises:
        GankitError: a path is not a run, a checkpoint or an exported generator.
    """

    def __init__(self, paths: list[str | os.PathLike], device: str | torch.device = "cpu",
                 max_open: int = MAX_OPEN, opener: Callable[..., TrainedRun] | None = None):
        self.device = torch.device(device)
        self.max_open = max(1, max_open)
        self._opener = opener or TrainedRun.open
        self._lock = threading.Lock()
        self._slots: OrderedDict[Path, _Slot] = OrderedDict()
        self._examples: dict[tuple[str, str], torch.Tensor] = {}
        self._examples_lock = threading.Lock()
        self.entries: dict[str, RunEntry] = {}
        for path in paths:
            self._add(Path(path))

    def _add(self, path: Path) -> None:
        run = self._opener(path, self.device)
        default = Path(run.state.get("path") or path)
        run_dir = run.run_dir
        name = run_dir.name if run_dir is not None else path.name
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"
        run_id, k = base, 2
        while run_id in self.entries:
            run_id, k = f"{base}-{k}", k + 1
        entry = RunEntry(run_id, name, path, default, run_dir, describe_run(run))
        self.entries[run_id] = entry
        slot = self._slot(default)
        slot.run = run
        self._release(slot)

    def entry(self, run_id: str) -> RunEntry:
        """The served run ``run_id``; 404 when there is none."""
        found = self.entries.get(run_id)
        if found is None:
            raise ApiError(f"no run {run_id!r}; this explorer serves "
                           f"{', '.join(self.entries) or 'no runs'}", 404)
        return found

    # ---------------------------------------------------------------- open models

    def _slot(self, path: Path) -> _Slot:
        with self._lock:
            slot = self._slots.get(path)
            if slot is None:
                slot = self._slots[path] = _Slot(path)
            self._slots.move_to_end(path)
            slot.users += 1
            return slot

    def _release(self, slot: _Slot) -> None:
        with self._lock:
            slot.users -= 1
            idle = [p for p, s in self._slots.items() if s.users == 0]
            # oldest first; a slot in use stays open until its request ends
            for path in idle[:max(0, len(self._slots) - self.max_open)]:
                del self._slots[path]

    @contextmanager
    def model(self, run_id: str, checkpoint: str | None = None) -> Iterator[TrainedRun]:
        """Hold the model of ``run_id`` at ``checkpoint`` (default: the run's first) for
        one request: opened if needed, used by this request alone until the block ends."""
        path = self.entry(run_id).checkpoint(checkpoint)
        slot = self._slot(path)
        try:
            with slot.lock:
                if slot.run is None:
                    slot.run = self._opener(path, self.device)
                yield slot.run
        finally:
            self._release(slot)

    def open_checkpoints(self) -> list[Path]:
        """The checkpoints open now, least recently used first."""
        with self._lock:
            return [p for p, s in self._slots.items() if s.run is not None]

    # ---------------------------------------------------------------- examples

    def examples(self, run: TrainedRun, run_id: str, direction: str = "AtoB") -> torch.Tensor:
        """Up to :data:`EXAMPLES` uint8 source images of the run's own data (sketches;
        a CycleGAN's domain A, or B for ``BtoA``), loaded once per run and direction."""
        key = (run_id, direction)
        with self._examples_lock:
            if key not in self._examples:
                try:
                    # procedural data: a few scenes are enough (folders ignore the size)
                    dataset = build_dataset(replace(run.config.data, size=EXAMPLES))
                except GankitError as err:
                    raise ApiError(f"the data of run {run_id!r} cannot be loaded: {err}",
                                   404) from None
                sources = dataset.sources if direction == "AtoB" else dataset.images
                if sources is None:
                    raise ApiError(f"the data of run {run_id!r} has no source images", 404)
                self._examples[key] = sources[:EXAMPLES].clone()
            return self._examples[key]
