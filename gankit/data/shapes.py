"""The built-in offline dataset: procedural iCLEVR-like scenes of coloured shapes.

Each scene holds 1–3 distinct objects out of 24 (3 shapes × 8 colours) on a plain dark
background. The object names and their order are those of iCLEVR's ``objects.json``
(shape-major: cube 0–7, sphere 8–15, cylinder 16–23), so a model trained on these
scenes takes the same condition vectors as one trained on iCLEVR.

Each object fills a square box of whole pixels (side ``s``, top-left corner on the
pixel grid), and its silhouette touches all four sides of that box:

- cube: a filled square (fills its box);
- sphere: a filled circle (fills about π/4 of it);
- cylinder: an upright filled triangle, apex on top (fills about 1/2 of it). A capsule
  or tall rectangle would look more like a cylinder, but at 32 px it differs from a
  circle or a square only by its aspect ratio; the triangle differs in corners, fill
  and top-bottom symmetry. A 3-layer CNN trained for 600 steps on 8,000 one-object
  32 px scenes names all 24 objects of the test split without error.

Objects sit in distinct cells of a 2×2 grid, at a random whole-pixel offset inside
their cell with a margin, so they never overlap or touch. Edges are hard (no
anti-aliasing): every object pixel has exactly its label's colour.

Because boxes are whole pixels, an image determines its layout (each object's id and
box), so a hash of the layout is a function of the image: splits take disjoint hash
buckets and can never share an image. Rendering is vectorised over a batch with torch
and deterministic from a seed; all random draws happen before drawing, so the result
does not depend on the chunk size that bounds memory.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import NamedTuple

import torch

from gankit.data.base import ImageDataset, check_label_mode
from gankit.data.decode import check_channels
from gankit.data.registry import DATASETS, DataRequest
from gankit.errors import GankitError

SHAPES: tuple[str, ...] = ("cube", "sphere", "cylinder")

#: Colour name → RGB, in iCLEVR order: ≥ 90 apart in RGB, and each ≥ 65 brighter
#: (luma) than the background, so they stay distinct from it in grayscale too.
COLORS: dict[str, tuple[int, int, int]] = {
    "gray": (128, 128, 128),
    "red": (220, 40, 40),
    "blue": (40, 80, 230),
    "green": (40, 180, 60),
    "brown": (140, 90, 40),
    "purple": (150, 60, 200),
    "cyan": (40, 210, 220),
    "yellow": (240, 220, 40),
}

#: The plain background: near-black, so every colour contrasts with it.
BACKGROUND: tuple[int, int, int] = (20, 20, 20)

#: The 24 iCLEVR object names, index order (``objects.json``).
OBJECT_NAMES: tuple[str, ...] = tuple(f"{c} {s}" for s in SHAPES for c in COLORS)

MIN_RESOLUTION, MAX_RESOLUTION = 16, 256
MAX_OBJECTS = 3
_GRID = 2                    # cells per side; 4 cells ≥ MAX_OBJECTS
_SIDE = (0.56, 0.80)         # object side range, as a fraction of the cell side
_MIN_SIDE = 7                # pixels; smaller circles rasterise to near-squares
_PIXELS_PER_CHUNK = 1 << 22  # bounds the per-chunk work tensors (~4M pixels)

# Layout hash buckets of each split (out of _BUCKETS): disjoint, so no image is in two.
_BUCKETS = 10
SPLIT_BUCKETS: dict[str, tuple[int, ...]] = {"train": tuple(range(8)), "valid": (8,),
                                             "test": (9,)}
_PRIME = 2**31 - 1  # modulus of the layout hash; products stay below 2**62


def _square_rows(dy: torch.Tensor, side: torch.Tensor) -> torch.Tensor:
    return torch.ones_like(dy)


def _circle_rows(dy: torch.Tensor, side: torch.Tensor) -> torch.Tensor:
    return (1 - dy * dy).clamp(min=0).sqrt()


def _triangle_rows(dy: torch.Tensor, side: torch.Tensor) -> torch.Tensor:
    # Apex at dy = -1 (top), full width at the base (dy = +1). The extra 0.6 / side
    # (0.3 px) puts one or two pixels in the top row, so the silhouette reaches the
    # top of its box for even sides too, and keeps every pixel off the exact edge.
    return (dy + 1) / 2 + 0.6 / side


# Each silhouette as its half-width at height dy, in box coordinates (dx, dy ∈ [-1, 1]):
# a pixel is inside when |dy| <= 1 and |dx| <= half_width(dy). Evaluating per row
# rather than per pixel keeps the per-pixel work to one comparison for any shape.
_SILHOUETTES = {"cube": _square_rows, "sphere": _circle_rows, "cylinder": _triangle_rows}


@dataclass
class ShapeScenes:
    """Rendered scenes and everything known about them.

    Attributes:
        images: uint8 ``[n, C, H, W]``.
        sketches: uint8 ``[n, 1, H, W]``: object outlines, white (255) on black.
        masks: uint8 ``[n, 1, H, W]``: 255 where any object is.
        object_ids: int64 ``[n, 3]``: the objects drawn (indices into
            ``OBJECT_NAMES``), padded with -1.
        multi_hot: float32 ``[n, 24]``.
        single_label: int64 ``[n]``: the first object's id (a class label when each
            scene has one object).
        boxes: int64 ``[n, 3, 4]``: each object's pixel box ``(x0, y0, x1, y1)``, end
            exclusive, padded with -1; the silhouette touches all four sides.
    """

    images: torch.Tensor
    sketches: torch.Tensor
    masks: torch.Tensor
    object_ids: torch.Tensor
    multi_hot: torch.Tensor
    single_label: torch.Tensor
    boxes: torch.Tensor


class _Layout(NamedTuple):
    """Objects of each scene: id, whether the slot is used, box (x0, y0, side)."""

    ids: torch.Tensor     # int64 [n, 3], distinct per row
    active: torch.Tensor  # bool [n, 3]
    box: torch.Tensor     # int64 [n, 3, 3]

    def take(self, index: torch.Tensor) -> "_Layout":
        return _Layout(self.ids[index], self.active[index], self.box[index])


def sketch_width(resolution: int) -> int:
    """Outline width in pixels: 1 up to 48 px, then about resolution / 40."""
    return max(1, round(resolution / 40))


def _palette(channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Object colours ``[24, C]`` (OBJECT_NAMES order) and background ``[C]``, uint8."""
    rgb = torch.tensor([COLORS[c] for _ in SHAPES for c in COLORS], dtype=torch.float32)
    background = torch.tensor(BACKGROUND, dtype=torch.float32)
    if channels == 1:  # ITU-R 601 luma, as PIL's "L" conversion
        luma = torch.tensor([0.299, 0.587, 0.114])
        rgb, background = rgb @ luma[:, None], (background @ luma).reshape(1)
    return rgb.round().to(torch.uint8), background.round().to(torch.uint8)


def _check(n: int, resolution: int, channels: int, min_objects: int, max_objects: int,
           split: str | None) -> None:
    if n < 0:
        raise GankitError(f"shapes: n={n} scenes is negative; ask for 0 or more")
    if not MIN_RESOLUTION <= resolution <= MAX_RESOLUTION:
        raise GankitError(f"shapes: resolution {resolution} is out of range; "
                          f"use {MIN_RESOLUTION}..{MAX_RESOLUTION}")
    check_channels(channels)
    if not 1 <= min_objects <= max_objects <= MAX_OBJECTS:
        raise GankitError(f"shapes: min_objects={min_objects}, max_objects={max_objects} "
                          f"is invalid; use 1 <= min_objects <= max_objects <= {MAX_OBJECTS}")
    if split is not None and split not in SPLIT_BUCKETS:
        raise GankitError(f"shapes: unknown split {split!r}; use one of: "
                          f"{', '.join(SPLIT_BUCKETS)}")


def _sample_layout(n: int, resolution: int, g: torch.Generator, min_objects: int,
                   max_objects: int) -> _Layout:
    count = torch.randint(min_objects, max_objects + 1, (n,), generator=g)
    ids = torch.rand(n, len(OBJECT_NAMES), generator=g).argsort(dim=1)[:, :MAX_OBJECTS]
    cells = torch.rand(n, _GRID * _GRID, generator=g).argsort(dim=1)[:, :MAX_OBJECTS]
    size_u = torch.rand(n, MAX_OBJECTS, generator=g)
    offset_u = torch.rand(n, MAX_OBJECTS, 2, generator=g)
    # Integer geometry: cells split the image at res // 2; a margin keeps objects in
    # neighbouring cells at least two pixels apart.
    cell = resolution // _GRID
    margin = max(1, round(resolution / 32))
    largest = cell - 2 * margin
    low = min(largest, max(_MIN_SIDE, round(_SIDE[0] * cell)))
    high = min(largest, max(low, round(_SIDE[1] * cell)))
    side = low + (size_u * (high - low + 1)).long().clamp(max=high - low)
    room = (cell - 2 * margin - side)[..., None]  # ≥ 0
    corner = torch.stack([cells % _GRID, cells // _GRID], dim=-1) * cell
    origin = corner + margin + (offset_u * (room + 1)).long().clamp(max=room)
    active = torch.arange(MAX_OBJECTS) < count[:, None]
    return _Layout(ids, active, torch.cat([origin, side[..., None]], dim=-1))


def _split_bucket(layout: _Layout) -> torch.Tensor:
    """A hash bucket in [0, _BUCKETS) of each scene's set of (id, box): slot order does
    not matter, so equal images always fall in the same bucket."""
    x0, y0, side = layout.box.unbind(-1)
    key = ((layout.ids * 256 + x0) * 256 + y0) * 256 + side  # < 2**29: all fields < 256
    mixed = (key * 1_103_515_245 + 12_345) % _PRIME
    mixed = (mixed * mixed) % _PRIME  # squaring makes the hash non-linear in the key
    total = torch.where(layout.active, mixed, 0).sum(dim=1) % _PRIME
    total = (total * 48_271 + 11) % _PRIME
    return (total * total) % _PRIME % _BUCKETS


def _sample_split_layout(n: int, resolution: int, g: torch.Generator, min_objects: int,
                         max_objects: int, split: str) -> _Layout:
    """Draw layouts until ``n`` fall in ``split``'s hash buckets (rejection sampling)."""
    buckets = torch.tensor(SPLIT_BUCKETS[split])
    rate = len(buckets) / _BUCKETS
    kept = [_sample_layout(0, resolution, g, min_objects, max_objects)]  # for n = 0
    have = 0
    while have < n:
        draw = _sample_layout(math.ceil((n - have) / rate * 1.2) + 16, resolution, g,
                              min_objects, max_objects)
        chosen = draw.take(torch.isin(_split_bucket(draw), buckets).nonzero().flatten())
        if len(chosen.ids) == 0:  # only with a tiny layout space, if at all
            raise GankitError(f"shapes: split {split!r} holds no scenes at {resolution} px "
                              f"with {min_objects}-{max_objects} objects; use a larger "
                              f"resolution or more objects")
        chosen = chosen.take(slice(0, n - have))
        kept.append(chosen)
        have += len(chosen.ids)
    return _Layout(*(torch.cat(parts) for parts in zip(*kept)))


def render_shapes(n: int, resolution: int = 32, seed: int = 0, min_objects: int = 1,
                  max_objects: int = 3, channels: int = 3,
                  split: str | None = None) -> ShapeScenes:
    """Render ``n`` scenes of 1–3 coloured shapes.

    Args:
        n: number of scenes.
        resolution: image side in pixels, 16..256.
        seed: the same seed gives identical tensors.
        min_objects: fewest objects in a scene (≥ 1).
        max_objects: most objects in a scene (≤ 3); each count is equally likely.
        channels: 3 for RGB, 1 for luminance grayscale.
        split: ``None`` for any scene; ``train``, ``valid`` or ``test`` to keep only
            the scenes of that split (80 / 10 / 10 % of all layouts, disjoint).

    Returns:
        The scenes, with their sketches, masks and labels.
    """
    _check(n, resolution, channels, min_objects, max_objects, split)
    g = torch.Generator().manual_seed(seed)
    if split is None:
        layout = _sample_layout(n, resolution, g, min_objects, max_objects)
    else:
        layout = _sample_split_layout(n, resolution, g, min_objects, max_objects, split)
    ids, active = layout.ids, layout.active
    object_ids = torch.where(active, ids, -1)
    multi_hot = torch.zeros(n, len(OBJECT_NAMES)).scatter_(1, ids, active.float())
    x0, y0, side = layout.box.unbind(-1)
    boxes = torch.stack([x0, y0, x0 + side, y0 + side], dim=-1)
    boxes = torch.where(active[..., None], boxes, -1)

    colours, background = _palette(channels)
    images = torch.empty(n, channels, resolution, resolution, dtype=torch.uint8)
    masks = torch.empty(n, 1, resolution, resolution, dtype=torch.uint8)
    sketches = torch.empty_like(masks)
    chunk = max(1, _PIXELS_PER_CHUNK // resolution**2)
    for start in range(0, n, chunk):
        part = slice(start, min(n, start + chunk))
        canvas = images[part]
        canvas.copy_(background.view(1, channels, 1, 1).expand_as(canvas))
        union = _draw(layout.take(part), colours, canvas)
        masks[part] = union.to(torch.uint8).mul_(255)
        sketches[part] = _outline(union, sketch_width(resolution)).to(torch.uint8).mul_(255)
    return ShapeScenes(images, sketches, masks, object_ids, multi_hot, ids[:, 0].clone(),
                       boxes)


def _draw(layout: _Layout, colours: torch.Tensor, canvas: torch.Tensor) -> torch.Tensor:
    """Paint the objects of one chunk onto ``canvas`` ``[b, C, H, W]`` in place; returns
    the union of the object masks, bool ``[b, 1, H, W]``."""
    b, _, resolution, _ = canvas.shape
    pixel = torch.arange(resolution, dtype=torch.float32) + 0.5  # pixel centres
    shape_of = layout.ids // len(COLORS)
    union = torch.zeros(b, 1, resolution, resolution, dtype=torch.bool)
    for slot in range(layout.ids.shape[1]):
        x0, y0, side = layout.box[:, slot, :, None].float().unbind(1)  # each [b, 1]
        half = side / 2
        dx = (pixel - x0 - half).abs_() / half  # [b, W]
        dy = (pixel - y0 - half) / half         # [b, H]
        half_width = torch.full_like(dy, -1.0)  # -1: no pixel of the row is inside
        for index, shape in enumerate(SHAPES):
            wanted = (layout.active[:, slot] & (shape_of[:, slot] == index))[:, None]
            half_width = torch.where(wanted, _SILHOUETTES[shape](dy, side), half_width)
        half_width.masked_fill_(dy.abs() > 1, -1.0)
        inside = (dx[:, None, :] <= half_width[:, :, None])[:, None]
        torch.where(inside, colours[layout.ids[:, slot], :, None, None], canvas, out=canvas)
        union |= inside
    return union


def _outline(mask: torch.Tensor, width: int) -> torch.Tensor:
    """Inner contour of a boolean mask ``[b, 1, H, W]``: mask pixels within ``width``
    pixels (Chebyshev distance) of a non-mask pixel inside the image."""
    # Dilate the background by a (2w+1)² square, separably, with shifted ORs:
    # on bool tensors this is ~25x faster than max_pool2d on floats.
    near_outside = ~mask
    for dim in (-2, -1):
        source = near_outside.clone()
        for shift in range(1, width + 1):
            near_outside.narrow(dim, shift, source.shape[dim] - shift).logical_or_(
                source.narrow(dim, 0, source.shape[dim] - shift))
            near_outside.narrow(dim, 0, source.shape[dim] - shift).logical_or_(
                source.narrow(dim, shift, source.shape[dim] - shift))
    return mask & near_outside


# ---------------------------------------------------------------- dataset builders

_DEFAULT_SIZE = {"train": 10_000, "valid": 2_000, "test": 2_000}
_OBJECT_OPTIONS = ("min_objects", "max_objects")


def split_seed(seed: int, split: str, dataset: str) -> int:
    """The generator seed of ``split``: ``seed`` itself for train, and for valid/test a
    hash of (dataset, seed, split), so each split draws its own items."""
    if split not in SPLIT_BUCKETS:
        raise GankitError(f"{dataset}: unknown split {split!r}; use one of: "
                          f"{', '.join(SPLIT_BUCKETS)}")
    if split == "train":
        return seed
    digest = hashlib.blake2b(f"gankit/{dataset}/{seed}/{split}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "little") & (2**63 - 1)


def check_options(dataset: str, options: dict, allowed: tuple[str, ...]) -> None:
    """Raise a GankitError naming the first option key not in ``allowed``."""
    for key in options:
        if key not in allowed:
            raise GankitError(f"{dataset}: unknown option {key!r}; allowed options: "
                              f"{', '.join(allowed) or 'none'}")


_LABELERS = {
    "multi": lambda s: (s.multi_hot, list(OBJECT_NAMES)),
    "class": lambda s: (s.single_label, list(OBJECT_NAMES)),
    "none": lambda s: (None, None),
}


def _object_range(dataset: str, options: dict, one_object: bool) -> tuple[int, int]:
    """(min_objects, max_objects) from the options; (1, 1) when one object is required."""
    try:
        low, high = (int(options.get(key, default))
                     for key, default in zip(_OBJECT_OPTIONS, (1, MAX_OBJECTS)))
    except (TypeError, ValueError):
        raise GankitError(f"{dataset}: min_objects and max_objects must be integers "
                          f"1..{MAX_OBJECTS}") from None
    if not one_object:
        return low, high
    for key, value in zip(_OBJECT_OPTIONS, (low, high)):
        if key in options and value != 1:
            raise GankitError(f"{dataset}: labels='class' draws one object per image, but "
                              f"{key}={value}; drop {key} or use labels='multi'")
    return 1, 1


def _build(req: DataRequest, dataset: str, auto_labels: str, allowed: tuple[str, ...],
           one_object: bool = False) -> ImageDataset:
    check_options(dataset, req.options, allowed)
    check_label_mode(dataset, req.labels, ("auto", *_LABELERS))
    labels = auto_labels if req.labels == "auto" else req.labels
    low, high = _object_range(dataset, req.options, one_object or labels == "class")
    seed = split_seed(req.seed, req.split, dataset)
    if req.size < 0:
        raise GankitError(f"{dataset}: size={req.size} is negative; use 0 (default) or more")
    size = req.size or _DEFAULT_SIZE[req.split]
    scenes = render_shapes(size, req.resolution, seed, low, high, req.channels, req.split)
    label_tensor, class_names = _LABELERS[labels](scenes)
    objects = f"{low}" if low == high else f"{low}-{high}"
    return ImageDataset(
        images=scenes.images,
        labels=label_tensor,
        class_names=class_names,
        sources=scenes.sketches if req.paired else None,
        names=[f"{req.split}_{i:06d}" for i in range(size)] if req.paired else None,
        description=(f"{dataset}: {size} procedural scenes of {objects} object(s) "
                     f"(3 shapes x 8 colours, iCLEVR names) at {req.resolution}px, "
                     f"split {req.split}, seed {req.seed}"),
        meta={"generator": "gankit.data.shapes", "seed": req.seed, "split": req.split,
              "split_seed": seed, "resolution": req.resolution, "channels": req.channels,
              "min_objects": low, "max_objects": high, "labels": labels},
    )


@DATASETS.register("shapes", help="procedural iCLEVR-like scenes of 1-3 coloured shapes "
                                  "(built in, offline; multi-hot labels, sketches)")
def build_shapes(req: DataRequest) -> ImageDataset:
    """Procedural iCLEVR-like scenes (options: min_objects, max_objects)."""
    return _build(req, "shapes", "multi", _OBJECT_OPTIONS)


@DATASETS.register("shapes-single", help="procedural scenes of one coloured shape each, "
                                         "labelled with its class out of 24")
def build_shapes_single(req: DataRequest) -> ImageDataset:
    """One object per scene, labelled with its class (24 classes); no options."""
    return _build(req, "shapes-single", "class", (), one_object=True)
