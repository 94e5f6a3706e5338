"""progress.gif: frames from sample grids, in bounded memory, the newest always last."""

import io

import pytest
from PIL import Image

from gankit.runs.animation import ProgressAnimation, grid_step, sample_grids


def grid(value: int, size=(40, 20)) -> Image.Image:
    return Image.new("RGB", size, (value % 256, 0, 0))


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_each_grid_is_one_frame_with_its_step_written_under_it():
    animation = ProgressAnimation()
    for step in (0, 100, 200):
        animation.add(grid(step * 10), step)
    gif = decoded(animation.gif_bytes())
    assert gif.format == "GIF" and gif.n_frames == 3
    assert gif.size[0] == 40 and gif.size[1] > 20  # the text band below the grid
    band = gif.convert("RGB").crop((0, 20, 40, gif.size[1]))
    assert band.getextrema() != ((255, 255), (255, 255), (255, 255))  # text on white


def test_many_grids_keep_every_kth_frame_and_always_the_newest():
    animation = ProgressAnimation(max_frames=10)
    for step in range(0, 1000, 10):  # 100 grids
        animation.add(grid(step), step)
    assert len(animation) <= 10 and animation.stride > 1
    kept = [step for step, _ in animation.kept]
    assert kept == sorted(kept) and kept[0] == 0
    assert animation.latest[0] == 990 and animation.frames()[-1] is animation.latest[1]
    assert decoded(animation.gif_bytes()).n_frames == len(animation)


def test_large_grids_are_scaled_down_and_every_frame_has_the_first_ones_size():
    animation = ProgressAnimation(max_side=64)
    animation.add(grid(0, (512, 256)), 0)
    animation.add(grid(1, (300, 300)), 1)
    sizes = {frame.size for frame in animation.frames()}
    assert len(sizes) == 1 and max(next(iter(sizes))) <= 64


def test_going_back_forgets_the_frames_past_that_step():
    animation = ProgressAnimation()
    for step in (0, 10, 20, 30):
        animation.add(grid(step), step)
    animation.drop_after(10)
    assert [s for s, _ in animation.kept] == [0, 10] and animation.latest[0] == 10


def test_frames_come_from_a_samples_folder_in_step_order_past_damaged_grids(tmp_path):
    for step in (20, 0, 100):
        grid(step).save(tmp_path / f"step-{step:07d}.png")
    (tmp_path / "notes.png").write_bytes(b"not a grid")
    (tmp_path / "step-0000040.png").write_bytes(b"\x89PNG cut short by a crash")
    assert [s for s, _ in sample_grids(tmp_path)] == [0, 20, 40, 100]
    assert grid_step("step-0000020.png") == 20 and grid_step("grid.png") is None
    animation = ProgressAnimation.from_samples(tmp_path, up_to_step=50)
    assert [s for s, _ in animation.kept] == [0, 20]
    path = animation.save(tmp_path / "progress.gif")
    assert decoded(path.read_bytes()).n_frames == 2
    assert not list(tmp_path.glob(".*.tmp"))
    assert ProgressAnimation().gif_bytes() == b""
    with pytest.raises(ValueError):
        ProgressAnimation(max_frames=1)
