"""``progress.gif``: a run's fixed-noise sample grids as one animation, the step written
under each frame.

Built one frame at a time as training writes ``samples/step-NNNNNNN.png``, in bounded
memory: frames are downscaled to :data:`MAX_SIDE` pixels and palette-coded, and once
there are :data:`MAX_FRAMES` of them every other one is dropped and from then on only
every second new grid is kept (then every fourth...). The newest grid is always the
last frame.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from gankit.runs.atomic import write_bytes_atomically
from gankit.runs.grids import caption_band

#: the animation in a run folder
ANIMATION_FILE = "progress.gif"
MAX_FRAMES = 60
MAX_SIDE = 384
FRAME_MS = 250
LAST_FRAME_MS = 2000
SAMPLE_NAME = re.compile(r"^step-(\d+)\.png$")


def grid_step(path: str | Path) -> int | None:
    """The step of a sample grid named ``step-NNNNNNN.png`` (``None`` for other names)."""
    match = SAMPLE_NAME.match(Path(path).name)
    return int(match.group(1)) if match else None


def sample_grids(folder: str | Path) -> list[tuple[int, Path]]:
    """``(step, path)`` of every sample grid in ``folder``, by step."""
    folder = Path(folder)
    found = [(grid_step(p), p) for p in folder.glob("step-*.png")] if folder.is_dir() else []
    return sorted((step, path) for step, path in found if step is not None)


class ProgressAnimation:
    """The frames of ``progress.gif``, added one grid at a time.

    Args:
        max_frames: frames kept at most (the newest grid comes on top of them).
        max_side: larger grids are scaled down to this many pixels on their long side.
    """

    def __init__(self, max_frames: int = MAX_FRAMES, max_side: int = MAX_SIDE):
        if max_frames < 2:
            raise ValueError(f"max_frames must be ≥ 2, got {max_frames}")
        self.max_frames = max_frames
        self.max_side = max_side
        self.kept: list[tuple[int, object]] = []  # (step, palette image)
        self.latest: tuple[int, object] | None = None
        self.stride = 1
        self.added = 0
        self._size: tuple[int, int] | None = None

    @classmethod
    def from_samples(cls, folder: str | Path, up_to_step: int | None = None,
                     **kwargs) -> ProgressAnimation:
        """The animation of the grids already in ``folder`` (up to ``up_to_step``)."""
        animation = cls(**kwargs)
        for step, path in sample_grids(folder):
            if up_to_step is None or step <= up_to_step:
                try:
                    animation.add(path, step)
                except OSError:  # a grid cut short by a crash: the others still animate
                    continue
        return animation

    def __len__(self) -> int:
        return len(self.frames())

    def add(self, picture, step: int) -> None:
        """Add a grid (a PNG path or a PIL image) shown at ``step``."""
        frame = self._frame(picture, step)
        if self.added % self.stride == 0:
            self.kept.append((step, frame))
            if len(self.kept) >= self.max_frames:  # one place stays free for the newest
                self.kept = self.kept[::2]
                self.stride *= 2
        self.latest = (step, frame)
        self.added += 1

    def drop_after(self, step: int) -> None:
        """Forget the frames past ``step`` (training went back to it)."""
        self.kept = [(s, f) for s, f in self.kept if s <= step]
        if self.latest is not None and self.latest[0] > step:
            self.latest = self.kept[-1] if self.kept else None
        self.added = len(self.kept) * self.stride

    def frames(self) -> list:
        """The frames in order: the kept ones, then the newest grid."""
        frames = [frame for _, frame in self.kept]
        if self.latest is not None and (not self.kept or self.kept[-1][0] != self.latest[0]):
            frames.append(self.latest[1])
        return frames

    def gif_bytes(self) -> bytes:
        """The animated GIF (the last frame held longer); empty without frames."""
        frames = self.frames()
        if not frames:
            return b""
        buffer = io.BytesIO()
        durations = [FRAME_MS] * (len(frames) - 1) + [LAST_FRAME_MS]
        frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:],
                       duration=durations, loop=0)
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write the GIF at ``path`` atomically."""
        return write_bytes_atomically(path, self.gif_bytes())

    def _frame(self, picture, step: int):
        from PIL import Image

        if isinstance(picture, (str, Path)):
            with Image.open(picture) as opened:
                image = opened.convert("RGB")
        else:
            image = picture.convert("RGB")
        if max(image.size) > self.max_side:
            image.thumbnail((self.max_side, self.max_side), Image.Resampling.BOX)
        if self._size is None:
            self._size = image.size
        elif image.size != self._size:  # every frame of a GIF has the first one's size
            image = image.resize(self._size, Image.Resampling.BOX)
        captioned = caption_band(image, [(image.width / 2, f"step {step:,}")])
        return captioned.quantize(colors=255, dither=Image.Dither.NONE)
