"""Evaluators shipped inside gankit, for the built-in ``shapes`` data at 32 and 64 px.

Each was trained (100 % held-out accuracy, see ``benchmarks/RESULTS.md``) by::

    gankit evaluator train --data shapes --labels multi --size 20000 --resolution R \\
        --out shapes-multi-R.safetensors
    gankit evaluator train --data shapes-single --labels class --size 20000 --resolution R \\
        --out shapes-single-R.safetensors

The 32-px files were trained with the default ``robust`` perturbations (blur, noise,
tone shift), so imperfect fakes are judged by their content; the 64-px files predate it.

An evaluator judges images at the resolution it was trained at: resizing 32-px images
to a 64-px evaluator costs it half its accuracy, so only an exact match is offered.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from gankit.data.base import Dataset, ImageDataset
from gankit.data.shapes import OBJECT_NAMES

RESOLUTIONS = (32, 64)


def shipped_evaluator_path(multi_label: bool, resolution: int) -> Path | None:
    """The packaged shapes evaluator for this label kind and resolution, if there is one."""
    kind = "multi" if multi_label else "single"
    name = f"shapes-{kind}-{resolution}.safetensors"
    path = Path(str(resources.files("gankit.assets").joinpath("evaluators", name)))
    return path if path.is_file() else None


def default_evaluator(dataset: Dataset) -> Path | None:
    """The shipped evaluator that fits ``dataset`` (shapes' 24 object names, RGB, 32 or
    64 px), or ``None``."""
    if (not isinstance(dataset, ImageDataset) or dataset.labels is None
            or list(dataset.class_names or []) != list(OBJECT_NAMES) or dataset.shape[0] != 3):
        return None
    return shipped_evaluator_path(dataset.multi_label, dataset.shape[1])
