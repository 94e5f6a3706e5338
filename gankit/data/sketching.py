"""Make sketches for sketch→image training: mask outlines and image edge maps.

* :func:`mask_to_outline` draws the external contour of a thresholded segmentation mask
  (holes are ignored), ``width`` pixels thick, inside the mask.
* :func:`image_to_edges` is a Canny-style edge detector on the luminance: Gaussian
  smoothing, Sobel gradients, non-maximum suppression and hysteresis thresholding.
* :func:`sketch_folder` applies one of them (a ``SKETCH_MODES`` entry) to every image of
  a folder and writes ``<stem>.png`` files.

Sketches are white lines on black (0 background, 255 lines); ``invert=True`` gives black
lines on white. Only numpy, scipy.ndimage and PIL are used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

from gankit.data.badfiles import link_problem
from gankit.data.decode import quiet_bomb_warnings
from gankit.data.files import list_image_files
from gankit.errors import GankitError
from gankit.registry import Registry

LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, as PIL's "L" mode


def _as_drawing(lines: np.ndarray, width: int, invert: bool) -> np.ndarray:
    if width > 1:
        lines = ndimage.binary_dilation(lines, structure=np.ones((width, width), bool))
    drawing = np.where(lines, 255, 0).astype(np.uint8)
    return 255 - drawing if invert else drawing


def _check_width(width: int) -> None:
    if int(width) != width or width < 1:
        raise GankitError(f"line width {width!r} must be a whole number of pixels >= 1")


def mask_to_outline(mask: np.ndarray, threshold: int = 127, width: int = 1,
                    invert: bool = False) -> np.ndarray:
    """The external contour of a segmentation mask.

    Args:
        mask: uint8 ``[H, W]``; pixels above ``threshold`` are the object.
        threshold: mask threshold in grey levels.
        width: line thickness in pixels, measured inwards from the mask border.
        invert: black lines on white instead of white on black.

    Returns:
        uint8 ``[H, W]`` with lines 255 on 0 (or 0 on 255 when ``invert``). The line
        covers the object pixels within ``width`` (Euclidean) of the background; holes
        inside the object are filled first, so only external contours are drawn. The
        image border counts as background.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f"mask must be [H, W], got shape {mask.shape}")
    _check_width(width)
    solid = ndimage.binary_fill_holes(mask > threshold)
    depth = ndimage.distance_transform_edt(np.pad(solid, 1))[1:-1, 1:-1]
    return _as_drawing(solid & (depth <= width), 1, invert)


def luminance(image: np.ndarray) -> np.ndarray:
    """Float ``[H, W]`` luminance (0–255) of a ``[H, W]`` or ``[H, W, C]`` uint8 image."""
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] in (3, 4):
        return image[..., :3] @ LUMA_WEIGHTS
    if image.ndim == 3 and image.shape[2] == 1:
        return image[..., 0]
    raise ValueError(f"image must be [H, W] or [H, W, C] with C in 1/3/4, got {image.shape}")


def _thin_to_ridges(magnitude: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Non-maximum suppression: keep pixels that peak along their gradient direction."""
    angle = np.rad2deg(np.arctan2(gy, gx)) % 180.0
    sector = (((angle + 22.5) // 45) % 4).astype(np.int64)
    padded = np.pad(magnitude, 1)
    height, width = magnitude.shape

    def shifted(dy: int, dx: int) -> np.ndarray:
        return padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width]

    ridge = np.zeros_like(magnitude, dtype=bool)
    tie = 1e-6 * float(magnitude.max())  # rounding noise must not break ties unevenly
    # sectors: 0 → gradient along x, 1 → 45°, 2 → along y, 3 → 135° (rows grow downwards)
    for index, (dy, dx) in enumerate(((0, 1), (1, 1), (1, 0), (1, -1))):
        # strict on one side so a plateau two pixels wide yields one line, not two
        peak = (magnitude >= shifted(dy, dx) - tie) & (magnitude > shifted(-dy, -dx) + tie)
        ridge |= (sector == index) & peak
    return ridge


def image_to_edges(image: np.ndarray, threshold: float = 30.0, sigma: float = 1.0,
                   width: int = 1, invert: bool = False) -> np.ndarray:
    """Canny-style edge sketch of an image.

    Args:
        image: uint8 ``[H, W]`` (grey) or ``[H, W, C]`` (RGB/RGBA, channels last as
            from PIL).
        threshold: high hysteresis threshold on the gradient magnitude, in grey levels
            (a sharp step of ``s`` grey levels scores ``s`` before smoothing). Ridges
            above it start lines; connected ridges above ``threshold / 2`` extend them.
        sigma: Gaussian smoothing (pixels) before differentiation; 0 disables it.
        width: line thickness in pixels.
        invert: black lines on white instead of white on black.

    Returns:
        uint8 ``[H, W]`` with lines 255 on 0 (or 0 on 255 when ``invert``).
    """
    _check_width(width)
    grey = luminance(image)
    if sigma > 0:
        grey = ndimage.gaussian_filter(grey, sigma)
    # scipy's Sobel kernels weigh the [1, 2, 1] smoothing by 4: divide it out
    gy, gx = ndimage.sobel(grey, axis=0) / 4.0, ndimage.sobel(grey, axis=1) / 4.0
    magnitude = np.hypot(gx, gy)
    ridge = _thin_to_ridges(magnitude, gx, gy)
    weak = ridge & (magnitude >= threshold / 2.0)
    strong = ridge & (magnitude >= threshold)
    components, count = ndimage.label(weak, structure=np.ones((3, 3), bool))
    keep = np.zeros(count + 1, dtype=bool)
    keep[np.unique(components[strong])] = True
    keep[0] = False
    return _as_drawing(keep[components], width, invert)


# ---------------------------------------------------------------- folders

SketchMode = Callable[[Image.Image, int, bool, "float | None", float], np.ndarray]
SKETCH_MODES: Registry[SketchMode] = Registry("sketch mode")


@SKETCH_MODES.register("outline", help="external contours of segmentation masks")
def _outline_of_file(image: Image.Image, width: int, invert: bool, threshold: float | None,
                     sigma: float) -> np.ndarray:
    mask = np.asarray(image.convert("L"))
    return mask_to_outline(mask, 127 if threshold is None else int(threshold), width, invert)


@SKETCH_MODES.register("edges", help="Canny-style edges of photos")
def _edges_of_file(image: Image.Image, width: int, invert: bool, threshold: float | None,
                   sigma: float) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB"))
    high = 30.0 if threshold is None else float(threshold)
    return image_to_edges(rgb, high, sigma, width, invert)


def sketch_folder(src: str | os.PathLike, dst: str | os.PathLike, mode: str = "outline",
                  width: int = 1, invert: bool = False, threshold: float | None = None,
                  sigma: float = 1.0, strip_suffix: str = "") -> int:
    """Write a sketch ``dst/<stem>.png`` for every image in ``src``.

    Args:
        src: folder of masks (``mode="outline"``) or photos (``mode="edges"``).
        dst: output folder (created; must differ from ``src``).
        mode: a ``SKETCH_MODES`` name: ``"outline"`` or ``"edges"``.
        width: line thickness in pixels.
        invert: black lines on white instead of white on black.
        threshold: mask threshold (outline, default 127) or high edge threshold
            (edges, default 30); see :func:`mask_to_outline` / :func:`image_to_edges`.
        sigma: edge smoothing (edges only).
        strip_suffix: removed from the end of stems, e.g. ``"_segmentation"`` so that
            ISIC's ``ISIC_0000000_segmentation.png`` becomes ``ISIC_0000000.png``.

    Returns:
        The number of sketches written.
    """
    sketch = SKETCH_MODES.get(mode)
    _check_width(width)
    src, dst = Path(src).expanduser(), Path(dst).expanduser()
    if not src.is_dir():
        raise GankitError(f"{src} is not a folder; give the folder of {mode} inputs")
    files = list_image_files(src)
    if not files:
        raise GankitError(f"no image files in {src}; expected masks or photos (.png, .jpg...)")
    if dst.resolve() == src.resolve():
        raise GankitError(f"output folder {dst} is the input folder; choose another output folder")
    targets: dict[str, Path] = {}
    for stem, path in files.items():
        out = stem[: -len(strip_suffix)] if strip_suffix and stem.endswith(strip_suffix) else stem
        if out in targets:
            raise GankitError(f"{targets[out]} and {path} would both be written as {out}.png")
        targets[out] = path
    dst.mkdir(parents=True, exist_ok=True)
    for out, path in targets.items():
        try:
            with quiet_bomb_warnings(), Image.open(path) as image:
                # upright as the image decoder and the pairing check see it
                drawing = sketch(ImageOps.exif_transpose(image), width, invert, threshold, sigma)
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            problem = link_problem(path) or str(error).splitlines()[0][:120]
            raise GankitError(f"cannot read {path}: {problem}; "
                              "replace or remove the file") from None
        Image.fromarray(drawing).save(dst / f"{out}.png")
    return len(targets)
