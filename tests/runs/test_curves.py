"""Curves from metrics.jsonl rows: which terms get panels, smoothing, rollbacks, several
runs overlaid, and a PNG written atomically."""

import io

import pytest
from PIL import Image

from gankit.runs.curves import (
    GAP,
    curves_png,
    overlay_panels,
    plot_curves,
    rows_of_kind,
    run_panels,
    series,
    smoothed,
)


def loss_rows(steps, **extra):
    return [{"step": s, "epoch": 0, "kimg": s / 100, "time_s": s / 10, "images_per_s": 900.0,
             "loss_d": 1.0 + (s % 3) / 10, "loss_g": 2.0 - s / 1000, **extra} for s in steps]


def titles(panels):
    return [p.title for p in panels]


def test_each_logged_term_is_drawn_with_its_group_and_metrics_get_their_own_panels():
    rows = loss_rows(range(10, 110, 10), d_real=0.5, d_fake=-0.5, gp=0.1, r1=0.2,
                     loss_d_aux=0.3, loss_g_aux=0.4, augment_p=0.05, lr_g=2e-4)
    rows += [{"step": 50, "kind": "eval", "time_s": 5, "fid": 80.0, "acc": 0.4},
             {"step": 100, "kind": "eval", "time_s": 10, "fid": 60.0, "acc": 0.6},
             {"step": 100, "kind": "collapse", "diversity_ratio": 0.7}]
    panels = {p.title: [line.label for line in p.series] for p in run_panels(rows)}
    assert panels["G and D losses"] == ["loss_d", "loss_g"]
    assert [k for k in panels if "W-distance" in k] and GAP in next(
        v for k, v in panels.items() if "W-distance" in k)
    assert panels["penalties"] == ["gp", "r1"]
    assert panels["auxiliary classifier losses"] == ["loss_d_aux", "loss_g_aux"]
    assert panels["augment_p"] == ["augment_p"] and panels["lr_g"] == ["lr_g"]
    assert "fid ↓" in panels and "acc ↑" in panels  # the registry's direction
    assert any("diversity" in title for title in panels)
    assert not any(key in str(panels) for key in ("kimg", "images_per_s", "epoch"))


def test_a_cycle_run_shows_its_own_terms():
    rows = loss_rows(range(1, 5), loss_d_a=0.3, loss_d_b=0.4, loss_g_adv=0.5, cycle=1.0,
                     identity=0.2)
    panels = {p.title: [line.label for line in p.series] for p in run_panels(rows)}
    assert panels["D losses per domain"] == ["loss_d_a", "loss_d_b"]
    assert panels["G loss terms"] == ["loss_g_adv", "cycle", "identity"]


def test_a_step_logged_again_after_a_rollback_keeps_its_last_row_and_is_marked():
    rows = loss_rows([10, 20, 30]) + [{"step": 20, "kind": "rollback"}]
    rows += [dict(r, loss_g=9.0) for r in loss_rows([30])]
    losses = rows_of_kind(rows, None)
    assert [r["step"] for r in losses] == [10, 20, 30] and losses[-1]["loss_g"] == 9.0
    assert run_panels(rows)[0].marks == [20]


def test_non_finite_values_are_left_out_and_smoothing_starts_unbiased():
    rows = loss_rows([1, 2, 3])
    rows[1]["loss_d"] = None  # NaN is written as null
    line = series(rows, "loss_d")
    assert line.xs == [1, 3]
    assert smoothed([5.0, 5.0, 5.0], span=10) == pytest.approx([5.0, 5.0, 5.0])
    mean = smoothed([0.0] * 50 + [10.0] * 50, span=5)
    assert mean[0] == 0.0 and 9.9 < mean[-1] <= 10.0


def test_several_runs_are_overlaid_one_line_each_over_steps_and_time():
    a = loss_rows(range(10, 60, 10)) + [{"step": 50, "kind": "eval", "time_s": 5, "fid": 70.0}]
    b = loss_rows(range(10, 60, 10)) + [{"step": 50, "kind": "eval", "time_s": 8, "fid": 50.0}]
    panels = overlay_panels({"a": a, "b": b}, ["fid"], over_time=True)
    assert titles(panels) == ["fid ↓ over steps", "fid ↓ over time", "D loss", "G loss"]
    assert [line.label for line in panels[0].series] == ["a", "b"]
    assert panels[1].series[1].xs == [8 / 60]  # training minutes


def test_the_png_is_written_atomically_and_decodes(tmp_path):
    rows = loss_rows(range(10, 2010, 10)) + [{"step": 1000, "kind": "eval", "time_s": 1,
                                              "fid": 10.0}]
    path = plot_curves(tmp_path / "curves.png", rows)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width > 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png"]
    png = curves_png({"a": rows, "b": rows}, ["fid"], over_time=True)
    assert Image.open(io.BytesIO(png)).height > 300
    assert Image.open(io.BytesIO(curves_png([]))).width > 0  # nothing logged yet


def test_a_failed_drawing_leaves_the_old_picture(tmp_path, monkeypatch):
    path = plot_curves(tmp_path / "curves.png", loss_rows([1, 2]))
    before = path.read_bytes()
    from matplotlib.figure import Figure

    def full_disk(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", full_disk)
    with pytest.raises(OSError):
        plot_curves(path, loss_rows([1, 2, 3]))
    assert path.read_bytes() == before and len(list(tmp_path.iterdir())) == 1
