"""What a caller asks of a dataset (plain data: importing it loads no torch)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gankit.fields import bounded


@dataclass
class DataRequest:
    """What a caller wants from a dataset.

    Attributes:
        name: a registered dataset name (``shapes``, ``toy2d``...) or a path
            (image folder, ``.zip``/``.tar.gz`` archive, iCLEVR folder, paired folder).
        resolution: side of the square images to produce.
        channels: 1 (grayscale) or 3 (RGB).
        labels: ``"auto"`` (whatever the data has), ``"none"``, ``"class"`` (single
            label; required), or ``"multi"`` (multi-hot; required).
        split: ``train`` / ``test`` / ``valid`` where the data has splits.
        size: number of items for procedural datasets (0: the dataset's default).
        seed: seed of procedural datasets.
        paired: also load the paired source images (sketches) as ``sources``.
        unpaired: two image domains without correspondences (CycleGAN): domain A as
            ``sources``, domain B as ``images``; paired data has its pairs broken on the
            train split (see :mod:`gankit.data.unpaired`).
        options: dataset-specific extras (e.g. ``{"mixture": "ring8"}``).
        cache_dir: where decoded uint8 tensors are cached (``None``: the default,
            ``$GANKIT_CACHE/datasets`` or ``~/.cache/gankit/datasets``); ``""``
            disables the cache.
    """

    name: str = "shapes"
    resolution: int = bounded(32, min=2, max=4096)
    channels: int = 3
    labels: str = "auto"
    split: str = "train"
    size: int = bounded(0, min=0)
    seed: int = 0
    paired: bool = False
    unpaired: bool = False
    options: dict = field(default_factory=dict)
    cache_dir: str | None = None
