"""Translating sketches with a trained image-to-image run (pix2pix, sketch2image, CycleGAN).

::

    translator = load_translator("runs/pix2pix-20240101-120000")
    result = translate_folder(translator, "my_sketches", "outputs", labels_csv="labels.csv")
    back = load_translator("runs/cyclegan-20240101-120000", direction="BtoA")

A CycleGAN run translates either way (``direction`` ``AtoB``, the default, or ``BtoA``);
its inputs are images of the source domain, the "sketches" below.

Each sketch ``name.ext`` of the input folder gives ``out/name.ext`` at the model's
resolution (sketches of another size are centre-cropped to a square and resized, as
for training), and ``out/grid.png`` shows the first pairs side by side: sketch | output.

Class-conditional models need a label per sketch: a labels CSV in the training layouts
(ISIC task 3 or the index-first course variant; rows matched by file stem) or one class
for all. Unlabelled models take neither.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image

from gankit.data.base import to_uint8, to_unit
from gankit.data.files import list_image_files, load_many
from gankit.data.paired import read_label_csv
from gankit.errors import GankitError
from gankit.models import DataSpec, Generator
from gankit.models.cyclegan import DIRECTIONS, is_cycle_generator, reversed_spec
from gankit.runs.grids import save_pair_grid
from gankit.runs.sampling import class_condition, generate_batches
from gankit.runs.trained import TrainedRun

GRID_NAME = "grid.png"
GRID_PAIRS = 32
PAIRS_PER_ROW = 4


@dataclass
class Translator:
    """A translation generator and what it expects.

    Attributes:
        generator: the (EMA) generator in eval mode.
        spec: its data spec (``source_channels`` > 0).
        class_names: condition names in index order (empty: unconditional).
        device: where the generator runs.
    """

    generator: Generator
    spec: DataSpec
    class_names: list[str]
    device: torch.device

    @classmethod
    def from_run(cls, run: TrainedRun, direction: str = "AtoB") -> "Translator":
        """The translator of a trained image-to-image run (``direction``: ``AtoB``, or
        ``BtoA`` for a CycleGAN run)."""
        if not run.translation:
            raise GankitError(f"{run.checkpoint} holds a noise → image model, not a "
                              "translation model; use `gankit sample` for it")
        return cls(*one_way(run.generator, run.spec, direction), run.class_names, run.device)

    @property
    def conditional(self) -> bool:
        """Whether every sketch needs a label."""
        return self.spec.num_classes > 0

    def translate(self, sketches: torch.Tensor, cond: torch.Tensor | None = None,
                  batch_size: int = 32, seed: int = 0) -> torch.Tensor:
        """Translate uint8 sketches ``[N, Cs, H, W]`` (at the model resolution).

        Args:
            sketches: uint8 sketches with ``spec.source_channels`` channels.
            cond: float ``[N, K]`` one-/multi-hot rows for conditional models, else None.
            batch_size: sketches per forward pass.
            seed: seeds the noise of models that take some (``z_dim`` > 0).

        Returns:
            uint8 images ``[N, C, H, W]``.
        """
        expected = (self.spec.source_channels, self.spec.resolution, self.spec.resolution)
        if sketches.dim() != 4 or tuple(sketches.shape[1:]) != expected:
            raise ValueError(f"sketches must be [N, {expected[0]}, {expected[1]}, "
                             f"{expected[2]}], got {tuple(sketches.shape)}")
        if self.conditional != (cond is not None):
            raise ValueError("pass cond [N, K] exactly when the model is conditional")
        batches = [to_uint8(images) for images in generate_batches(
            self.generator, len(sketches), cond, to_unit(sketches), seed, batch_size,
            self.device)]
        return torch.cat(batches) if batches else torch.empty(0, self.spec.channels,
                                                              *expected[1:], dtype=torch.uint8)


def one_way(G: Generator, spec: DataSpec, direction: str = "AtoB") -> tuple[Generator, DataSpec]:
    """The generator of ``direction`` and its spec: a CycleGAN's either direction, any
    other translation model's only one (``AtoB``).

    Raises:
        GankitError: an unknown direction, or ``BtoA`` for a one-way model.
    """
    if direction not in DIRECTIONS:
        raise GankitError(f"unknown direction {direction!r}; use AtoB or BtoA")
    if is_cycle_generator(G):
        return G.towards(direction), spec if direction == "AtoB" else reversed_spec(spec)
    if direction != "AtoB":
        raise GankitError(f"--direction {direction} needs a CycleGAN run; this model "
                          "translates one way only (sketch → image): drop --direction")
    return G, spec


def load_translator(run_or_checkpoint: str | os.PathLike, device: str | torch.device = "cpu",
                    use_ema: bool = True, direction: str = "AtoB") -> Translator:
    """The translation generator of a run folder (its latest checkpoint) or checkpoint file,
    for ``direction`` (``AtoB``, or ``BtoA`` for a CycleGAN run)."""
    return Translator.from_run(TrainedRun.open(run_or_checkpoint, device, use_ema), direction)


# ---------------------------------------------------------------- inputs

@dataclass
class SketchFolder:
    """The sketches of a folder, decoded at a model's resolution.

    Attributes:
        paths: the sketch files, sorted by stem.
        sketches: uint8 ``[N, Cs, H, W]``.
    """

    paths: list[Path]
    sketches: torch.Tensor

    @property
    def stems(self) -> list[str]:
        return [path.stem for path in self.paths]


def read_sketch_folder(folder: str | os.PathLike, resolution: int, channels: int) -> SketchFolder:
    """Decode every image file of ``folder`` to uint8 ``[N, channels, res, res]``."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise GankitError(f"{folder} is not a folder; --input takes a folder of sketches")
    paths = list(list_image_files(folder).values())
    if not paths:
        raise GankitError(f"no image files in {folder}; expected sketches (.png, .jpg, ...)")
    return SketchFolder(paths, load_many(paths, resolution, channels))


def _csv_to_model_columns(csv_names: list[str], class_names: list[str], k: int,
                          path: Path) -> list[int]:
    """For each CSV class column, the model's condition index."""
    if not class_names:  # the training data had no class names: match columns by position
        if len(csv_names) != k:
            raise GankitError(f"labels file {path} has {len(csv_names)} class columns; "
                              f"this model takes {k}")
        return list(range(k))
    if sorted(csv_names) != sorted(class_names):
        raise GankitError(f"labels file {path} has class columns {', '.join(csv_names)}; this "
                          f"model was trained on {', '.join(class_names)} — use those columns")
    return [class_names.index(name) for name in csv_names]


def conditions_from_csv(path: str | os.PathLike, sketches: SketchFolder,
                        translator: Translator) -> torch.Tensor:
    """Condition rows ``[N, K]`` for ``sketches`` from a one-hot labels CSV.

    Columns are matched to the model's classes by name (any order); rows by file stem.
    Multi-label models read multi-hot rows.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise GankitError(f"labels file {path} does not exist; pass --labels CSV or --class NAME")
    multi = translator.spec.multi_label
    by_id, csv_names, _ = read_label_csv(path, multi=multi)
    k = translator.spec.num_classes
    columns = _csv_to_model_columns(csv_names, translator.class_names, k, path)
    rows = torch.zeros(len(sketches.paths), k)
    for i, sketch in enumerate(sketches.paths):
        if sketch.stem not in by_id:
            raise GankitError(f"sketch {sketch} has no row in labels file {path}; add the row "
                              "or remove the sketch")
        label = by_id[sketch.stem]
        if multi:
            rows[i, columns] = label
        else:
            rows[i] = F.one_hot(torch.tensor(columns[int(label)]), k).float()
    return rows


def sketch_conditions(translator: Translator, sketches: SketchFolder,
                      labels_csv: str | os.PathLike | None = None,
                      class_name: str | None = None) -> torch.Tensor | None:
    """The conditions for ``sketches``: from a CSV, one class for all, or ``None``.

    Raises:
        GankitError: a labelled model got neither (or both), or an unlabelled one got one.
    """
    if labels_csv is not None and class_name is not None:
        raise GankitError("pass either --labels CSV or --class NAME, not both")
    if not translator.conditional:
        if labels_csv is not None or class_name is not None:
            raise GankitError("this model takes no class label; drop --labels / --class")
        return None
    if labels_csv is not None:
        return conditions_from_csv(labels_csv, sketches, translator)
    if class_name is not None:
        return class_condition(class_name, translator.class_names, len(sketches.paths))
    shown = ", ".join(translator.class_names[:12]) + (
        ", ..." if len(translator.class_names) > 12 else "")
    raise GankitError("this model is conditioned on a class label; pass --labels CSV (one row "
                      f"per sketch) or --class NAME ({shown or 'a class index'})")


# ---------------------------------------------------------------- outputs

def _save_image(image: torch.Tensor, path: Path) -> None:
    array = image.permute(1, 2, 0).numpy()
    picture = Image.fromarray(array[..., 0] if array.shape[2] == 1 else array)
    try:
        picture.save(path)
    except (OSError, ValueError) as error:
        raise GankitError(f"cannot write {path}: {error}") from None


@dataclass
class TranslationResult:
    """What :func:`translate_folder` wrote."""

    outputs: list[Path]
    grid: Path
    images: torch.Tensor


def translate_folder(translator: Translator, input_dir: str | os.PathLike,
                     out_dir: str | os.PathLike, labels_csv: str | os.PathLike | None = None,
                     class_name: str | None = None, grid: str | os.PathLike | None = None,
                     grid_pairs: int = GRID_PAIRS, batch_size: int = 32) -> TranslationResult:
    """Translate every sketch of ``input_dir`` into ``out_dir`` under the same file name.

    Args:
        translator: from :func:`load_translator`.
        input_dir: folder of sketches (any size; decoded like the training sketches).
        out_dir: output folder (created; must not be ``input_dir``).
        labels_csv: one-hot labels CSV for conditional models (rows by file stem).
        class_name: one class (name or index) for all sketches, instead of a CSV.
        grid: where the side-by-side grid goes (default ``out_dir/grid.png``).
        grid_pairs: how many sketch | output pairs the grid shows (the first ones).
        batch_size: sketches per forward pass.

    Returns:
        The written files, the grid and the uint8 outputs ``[N, C, H, W]``.
    """
    input_dir, out_dir = Path(input_dir).expanduser(), Path(out_dir).expanduser()
    if out_dir.exists() and input_dir.exists() and out_dir.resolve() == input_dir.resolve():
        raise GankitError(f"--out {out_dir} is the input folder; choose another output folder")
    spec = translator.spec
    sketches = read_sketch_folder(input_dir, spec.resolution, spec.source_channels)
    cond = sketch_conditions(translator, sketches, labels_csv, class_name)
    grid_path = Path(grid).expanduser() if grid is not None else out_dir / GRID_NAME
    targets = [out_dir / path.name for path in sketches.paths]
    if grid_path in targets:
        raise GankitError(f"a sketch is named {grid_path.name}, like the grid; "
                          "choose another grid file with --grid FILE")
    images = translator.translate(sketches.sketches, cond, batch_size)
    out_dir.mkdir(parents=True, exist_ok=True)
    for image, path in zip(images, targets):
        _save_image(image, path)
    shown = slice(0, max(1, grid_pairs))
    save_pair_grid(sketches.sketches[shown], images[shown], grid_path, per_row=PAIRS_PER_ROW)
    return TranslationResult(targets, grid_path, images)


__all__ = ["SketchFolder", "TranslationResult", "Translator", "conditions_from_csv",
           "load_translator", "one_way", "read_sketch_folder", "sketch_conditions",
           "translate_folder"]
