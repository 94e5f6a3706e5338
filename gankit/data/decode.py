"""Decode image files to uint8 tensors at a square model resolution.

One image: :func:`decode_image`. Many: :func:`decode_many`, which decodes straight
into one preallocated ``[N, C, H, W]`` tensor, on a small thread pool when the images
are big enough to gain from it (Pillow releases the GIL while it decodes and
resizes), keeping only a bounded window of raw file bytes in memory.

The pipeline for every image, whatever its source:

1. ``Image.open`` + ``load()``. ``ImageFile.LOAD_TRUNCATED_IMAGES`` is never set, so a
   truncated file raises instead of loading grey-filled. JPEGs first use Pillow's
   ``draft`` mode (libjpeg's DCT scaling) to decode at the smallest 1/2, 1/4 or 1/8
   scale whose short side still covers the target: large photos decode several times
   faster (1600×1200 → 64 px: 4.8 ms instead of 16.5 ms, mean pixel difference 0.9
   of 255) and the scaled IDCT is itself an antialiasing filter.
2. EXIF orientation is applied (phone photos look as they do in a viewer).
3. Colour: transparency is composited over white; palette, CMYK, YCbCr, LAB, 1-bit
   and 16-bit images (scaled by 1/257, not clipped) become ``RGB`` (3 channels) or
   ``L`` (1 channel, ITU-R 601-2 luma).
4. Geometry: the centred square of side ``min(W, H)`` is resized to
   ``resolution × resolution`` with Lanczos (antialiased) resampling, in one
   ``Image.resize(box=...)`` call. That is resizing the short side to the resolution
   and centre-cropping, without rounding the long side to whole pixels first.

Bad files: :func:`decode_many` decodes every item even after a failure and collects
the failures in a :class:`~gankit.data.badfiles.BadFiles`, so one error names them all
(or, with ``skip_bad_files``, the caller drops those rows). An image over Pillow's
decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``, ~89 MP) but under twice it
is decoded with one ``gankit: warning:`` line naming it (Pillow's own
``DecompressionBombWarning`` is silenced); one over twice the limit is a bad file.

Change :data:`DECODER_VERSION` whenever the output for the same bytes changes: it is
part of every cache key.
"""

from __future__ import annotations

import io
import os
import time
import warnings
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, Sequence, Union

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from gankit.data.badfiles import BadFiles, link_problem
from gankit.errors import GankitError

DECODER_VERSION = 1

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff"})

RESAMPLE = Image.Resampling.LANCZOS

CHANNEL_MODES = {1: "L", 3: "RGB"}

# 16-bit / 32-bit integer modes hold 0..65535; 65535 / 257 = 255.
_WIDE_INT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})

# Small images (e.g. 32 px JPEGs) cost ~0.1 ms, mostly Python header parsing under
# the GIL: threads then slow decoding down (measured 10k/s inline vs 6k/s on 2
# threads). From ~0.4 ms per image the C decoder dominates and 2 threads give ~1.8x.
# The probe measures this thread's CPU time, so other busy processes do not skew it.
_PROBE_IMAGES = 32
_THREADS_WORTH_S = 0.4e-3

ByteSource = Union[bytes, Callable[[], bytes]]


class BadImage(GankitError):
    """One file that is not a usable image; ``problem`` reads "is not a readable ..."."""

    def __init__(self, name: str, problem: str):
        super().__init__(f"{name} {problem}; remove or replace it")
        self.name, self.problem = name, problem


@contextmanager
def quiet_bomb_warnings() -> Iterator[None]:
    """Silence Pillow's ``DecompressionBombWarning`` (gankit names large files itself).

    Warning filters are process-wide, so this also covers threads started inside.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


def is_large(image: Image.Image) -> bool:
    """Whether ``image`` exceeds Pillow's decompression-bomb warning limit."""
    limit = Image.MAX_IMAGE_PIXELS
    return bool(limit) and image.size[0] * image.size[1] > limit


def is_image_name(name: str) -> bool:
    """Whether a file name has one of the :data:`IMAGE_EXTENSIONS` (any case)."""
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def check_channels(value: object, option: str = "channels") -> int:
    """``value`` as a channel count; :class:`GankitError` naming ``option`` unless 1 or 3."""
    if value not in CHANNEL_MODES:
        raise GankitError(f"{option}={value!r} is not supported; use 1 (grayscale) or 3 (RGB)")
    return int(value)  # type: ignore[arg-type]


def check_target(resolution: int, channels: int) -> None:
    """Raise :class:`GankitError` unless ``resolution``/``channels`` can be produced."""
    check_channels(channels)
    if not isinstance(resolution, int) or resolution < 1:
        raise GankitError(f"resolution={resolution!r} is not a positive whole number of pixels")


def decode_image(data: bytes, resolution: int, channels: int, name: str = "image") -> torch.Tensor:
    """Decode one image file's bytes.

    Args:
        data: the encoded file (JPEG, PNG, BMP, WebP, GIF: first frame, TIFF).
        resolution: side of the square output.
        channels: 3 (RGB) or 1 (grayscale).
        name: the file's path or archive member, used in error messages.

    Returns:
        uint8 tensor ``[channels, resolution, resolution]``.

    Raises:
        GankitError: the bytes are not a complete, readable image (a :class:`BadImage`).
    """
    check_target(resolution, channels)
    large = BadFiles(hint=False)
    with quiet_bomb_warnings():
        array = _decode_array(data, resolution, channels, name, large)
    large.report()
    return torch.from_numpy(_to_chw(array).copy())  # copy: PIL arrays are read-only


def decode_many(items: Iterable[tuple[str, ByteSource]], count: int, resolution: int,
                channels: int, workers: int | None = None,
                rows: Sequence[int] | None = None, bad: BadFiles | None = None) -> torch.Tensor:
    """Decode ``count`` images into one ``[count, C, R, R]`` uint8 tensor.

    Args:
        items: ``(name, source)`` pairs, where ``source`` is the file's bytes or a
            zero-argument function returning them (called on a worker thread, so
            file reads overlap too). Consumed lazily: at most a few times
            ``workers`` sources are held at once.
        count: the number of items.
        resolution: side of the square output.
        channels: 3 (RGB) or 1 (grayscale).
        workers: most decoding threads (default :func:`default_workers`). The first
            images are timed inline; threads are used only where decoding, not
            per-image Python overhead, dominates (see ``_THREADS_WORTH_S``).
        rows: output row of each item (default: item order), so a stream that must
            be read in storage order (a ``.tar.gz``) can fill a sorted tensor.
        bad: where unreadable items are recorded (by output row, left undefined) for
            the caller to report; by default they are all named in one error.

    Raises:
        GankitError: without ``bad``, some items are not readable images (all are
            named in one message).
        RuntimeError: ``items`` does not yield exactly ``count`` pairs (a caller's bug).
    """
    check_target(resolution, channels)
    collector = BadFiles(hint=False) if bad is None else bad
    with quiet_bomb_warnings():
        out = _decode_rows(items, count, resolution, channels, workers, rows, collector)
    if bad is None:
        collector.report()
    return out


def _decode_rows(items: Iterable[tuple[str, ByteSource]], count: int, resolution: int,
                 channels: int, workers: int | None, rows: Sequence[int] | None,
                 bad: BadFiles) -> torch.Tensor:
    out = torch.empty((count, channels, resolution, resolution), dtype=torch.uint8)
    target = out.numpy()

    def work(index: int, name: str, source: ByteSource) -> None:
        row = index if rows is None else rows[index]
        try:
            data = source() if callable(source) else source
        except OSError as err:
            bad.add(name, link_problem(name) or f"cannot be read ({err.strerror or err})", row)
            return
        try:
            target[row] = _to_chw(_decode_array(data, resolution, channels, name, bad))
        except BadImage as err:
            bad.add(name, err.problem, row)

    workers = default_workers() if workers is None else max(1, workers)
    stream = enumerate(items)
    seen = 0
    started = 0.0
    for index, (name, source) in stream:  # probe inline: are these images worth threads?
        _check_index(index, count)
        if index == 1:  # the first image pays one-off plugin imports; time the rest
            started = time.thread_time()
        work(index, name, source)
        seen = index + 1
        if seen > _PROBE_IMAGES:
            break
    per_image = (time.thread_time() - started) / _PROBE_IMAGES if seen > _PROBE_IMAGES else 0.0
    if workers == 1 or per_image < _THREADS_WORTH_S:
        for index, (name, source) in stream:
            _check_index(index, count)
            work(index, name, source)
            seen = index + 1
    else:
        pool = ThreadPoolExecutor(workers, thread_name_prefix="gankit-decode")
        window: deque[Future] = deque()
        try:
            for index, (name, source) in stream:
                _check_index(index, count)
                window.append(pool.submit(work, index, name, source))
                seen = index + 1
                if len(window) >= 4 * workers:  # backpressure: bounded raw bytes in flight
                    window.popleft().result()
            while window:
                window.popleft().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    if seen != count:
        raise RuntimeError(f"decode_many was promised {count} images but got {seen}")
    return out


def default_workers() -> int:
    """Decoding threads: the usable CPU cores, at most 8 (``$GANKIT_DECODE_WORKERS`` wins)."""
    env = os.environ.get("GANKIT_DECODE_WORKERS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def _check_index(index: int, count: int) -> None:
    if index >= count:
        raise RuntimeError(f"decode_many was promised {count} images but got more")


def _to_chw(array: np.ndarray) -> np.ndarray:
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)


def _decode_array(data: bytes, resolution: int, channels: int, name: str,
                  bad: BadFiles) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data)) as image:
            if is_large(image):
                bad.add_large(name)
            if image.format == "JPEG":
                _draft(image, resolution)
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
            return np.asarray(square_image(image, resolution, channels))
    except MemoryError:
        raise
    except Exception as err:  # Pillow raises many types for bad bytes; all mean "bad file"
        raise bad_image(name, err) from err


def bad_image(name: str, err: Exception) -> BadImage:
    """The :class:`BadImage` for ``err``, raised opening or decoding the file ``name``:
    a decompression bomb, a broken symbolic link, or bytes Pillow cannot read."""
    if isinstance(err, Image.DecompressionBombError):
        text = str(err)
        pixels = text.split("(")[1].split(")")[0] if "(" in text else "too many pixels"
        return BadImage(name, f"is too large to decode safely ({pixels}, over twice Pillow's "
                              f"{Image.MAX_IMAGE_PIXELS:,}-pixel limit: a decompression bomb?)")
    return BadImage(name, link_problem(name) or
                    f"is not a readable image (truncated or corrupt? {_reason(err)})")


def square_image(image: Image.Image, resolution: int, channels: int) -> Image.Image:
    """A decoded PIL image → the model's square ``resolution`` in L or RGB: alpha over
    white, 16-bit and float images scaled, centre square resized with Lanczos."""
    return _square(_to_mode(image, CHANNEL_MODES[channels]), resolution)


def _reason(err: Exception) -> str:
    if isinstance(err, UnidentifiedImageError):  # its text names a BytesIO object
        return "not an image format Pillow reads"
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:120]


def _draft(image: Image.Image, resolution: int) -> None:
    width, height = image.size
    scale = resolution / min(width, height)
    if scale < 1:  # draft keeps the decoded size >= the requested size
        image.draft(image.mode if image.mode in ("L", "RGB") else None,
                    (max(1, int(np.ceil(width * scale))), max(1, int(np.ceil(height * scale)))))


def _to_mode(image: Image.Image, mode: str) -> Image.Image:
    if image.mode in _WIDE_INT_MODES or image.mode == "F":
        image = _narrow_to_l(image)
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    if image.mode != mode:
        if mode == "L" and image.mode not in ("RGB", "RGBA", "L", "1", "P"):
            image = image.convert("RGB")  # CMYK, YCbCr, LAB, HSV: via RGB
        image = image.convert(mode)
    return image


def _has_alpha(image: Image.Image) -> bool:
    return "A" in image.getbands() or "a" in image.getbands() or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info)


def _narrow_to_l(image: Image.Image) -> Image.Image:
    values = np.asarray(image)
    if image.mode == "F":  # float images are taken to hold [0, 1]
        values = np.clip(values, 0.0, 1.0) * 255.0
    else:
        values = np.clip(values.astype(np.float64), 0, 65535) / 257.0
    return Image.fromarray(np.round(values).astype(np.uint8))


def _square(image: Image.Image, resolution: int) -> Image.Image:
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    if side == resolution and width == height:
        return image
    return image.resize((resolution, resolution), RESAMPLE,
                        box=(left, top, left + side, top + side))
