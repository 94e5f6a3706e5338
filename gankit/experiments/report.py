"""``gankit report``: one self-contained HTML page about one or more runs.

For each run: its resolved config, timings, metrics (the latest training-time
evaluation and the best, and what ``gankit evaluate`` saved), curves, the latest sample
grid, the progress animation, real vs fake and its most convincing fakes. For several
runs (or a ``gankit compare`` folder) a side-by-side table with the best value of each
metric marked, and their curves overlaid. Pictures the run folder lacks (runs older
than them) are drawn from what it has.
"""

from __future__ import annotations

import io
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gankit import __version__
from gankit.errors import GankitError
from gankit.experiments import report_html as H
from gankit.experiments.report_inputs import CompareFolder, check_out, resolve_inputs, run_names
from gankit.metrics.registry import declares, higher_is_better
from gankit.runs.animation import ANIMATION_FILE, ProgressAnimation, sample_grids
from gankit.runs.atomic import write_bytes_atomically
from gankit.runs.checkpoint import training_seconds
from gankit.runs.curves import CURVES_FILE, metric_keys, rows_of_kind
from gankit.runs.real_fake import REAL_VS_FAKE_FILE
from gankit.runs.records import METRICS_FILE, read_records

CURVES, ANIMATION, REAL_VS_FAKE = CURVES_FILE, ANIMATION_FILE, REAL_VS_FAKE_FILE
BEST_N = 8
ENLARGED_WIDTH = 560  # pixel pictures narrower than this are shown 2×, 3×...


@dataclass
class Picture:
    """One embedded picture; small pixel pictures (sample grids) are shown enlarged by
    a whole factor, so that every pixel stays square and sharp."""

    title: str
    mime: str
    data: bytes
    caption: str = ""
    chart: bool = False  # drawn lines (smooth scaling), not pixels
    width: int | None = None  # shown width in CSS pixels (None: natural)

    def __post_init__(self):
        if not self.chart and self.width is None:
            from PIL import Image
            with Image.open(io.BytesIO(self.data)) as image:
                self.width = image.width * max(1, ENLARGED_WIDTH // image.width)


@dataclass
class Evaluated:
    """The latest ``gankit evaluate`` results saved in a run's ``metrics.jsonl``."""

    step: int
    values: dict
    per_class: dict = field(default_factory=dict)
    n: int | None = None  # fakes measured


@dataclass
class RunSection:
    """What the page says about one run."""

    name: str
    path: Path
    config_text: str
    preset: str = ""
    description: str = ""
    records: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: list[tuple[str, str]] = field(default_factory=list)
    metrics: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    latest: dict = field(default_factory=dict)  # metric key → latest value
    evaluated: Evaluated | None = None
    steps: int = 0
    seconds: float | None = None
    images_per_s: float | None = None
    pictures: list[Picture] = field(default_factory=list)


@dataclass
class Comparison:
    """The side-by-side section."""

    headers: list[str]
    rows: list[list]
    curves: Picture | None
    compare_folders: list[CompareFolder]


# ---------------------------------------------------------------- one run

def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _arrow(key: str) -> str:
    higher = _higher_is_better(key)
    return "" if higher is None else " ↑" if higher else " ↓"


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _higher_is_better(key: str) -> bool | None:
    """The direction of result ``key``; ``None`` for a key no metric declares."""
    try:
        return higher_is_better(key)
    except KeyError:
        return None


def metric_rows(records: list[dict]) -> tuple[list[tuple], dict]:
    """``(key, latest, at step, best, at step)`` text rows and the latest values."""
    evals = rows_of_kind(records, "eval")
    rows, latest = [], {}
    for key in metric_keys(records):
        found = [(r["step"], r[key]) for r in evals if _finite(r.get(key))]
        if not found:
            continue
        higher = _higher_is_better(key)
        best = ((None, None) if higher is None
                else (max if higher else min)(found, key=lambda step_value: step_value[1]))
        latest[key] = found[-1][1]
        rows.append((key + _arrow(key), H.number(found[-1][1]), str(found[-1][0]),
                     H.number(best[1]), "-" if best[0] is None else str(best[0])))
    return rows, latest


def last_evaluation(records: list[dict]) -> Evaluated | None:
    """The newest row that ``gankit evaluate`` appended."""
    rows = [r for r in records if r.get("kind") == "evaluate"]
    if not rows:
        return None
    row = rows[-1]
    values = {k: v for k, v in row.items()
              if isinstance(v, (int, float)) and not isinstance(v, bool) and declares(k)}
    per_class = row.get("per_class") if isinstance(row.get("per_class"), dict) else {}
    n = row.get("n") if isinstance(row.get("n"), int) else None
    return Evaluated(int(row.get("step") or 0), values, per_class, n)


def _timings(section: RunSection, config: dict, state: dict | None) -> None:
    train = config.get("train") if isinstance(config.get("train"), dict) else {}
    per_step = int(train.get("batch_size") or 0) * int(train.get("d_steps") or 1)
    losses = rows_of_kind(section.records, None)
    last = losses[-1] if losses else {}
    if state is not None:
        section.steps = int(state.get("step") or 0)
        section.seconds = training_seconds(state)
        label = "training time (evaluation excluded)"
    else:
        section.steps = int(last.get("step") or 0)
        section.seconds = last.get("time_s")
        label = "wall time (evaluation included)"
    images = section.steps * per_step
    rows = [("steps", f"{section.steps:,}"), ("images seen", f"{images:,}")]
    if _finite(section.seconds) and section.seconds > 0:
        section.images_per_s = images / section.seconds
        rows += [(label, _duration(section.seconds)),
                 ("images / s (whole run)", f"{section.images_per_s:,.0f}")]
    if _finite(last.get("images_per_s")):
        rows.append(("images / s (last logged interval)", f"{last['images_per_s']:,.0f}"))
    if state is not None:
        extra = state.get("extra") or {}
        if _finite(extra.get("eval_s")):
            rows.append(("time spent evaluating", _duration(extra["eval_s"])))
        rows.append(("checkpoint", Path(state["path"]).name))
    section.timings = rows


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _fresh(picture: Path, source: Path) -> bool:
    """Whether ``picture`` exists and is not older than ``source``."""
    return picture.is_file() and (not source.is_file()
                                  or picture.stat().st_mtime >= source.stat().st_mtime)


def _pictures(section: RunSection, run, best_n: int) -> None:
    from gankit.runs.curves import curves_png

    folder, add = section.path, section.pictures.append
    if _fresh(folder / CURVES, folder / METRICS_FILE):
        add(Picture("Curves", "image/png", (folder / CURVES).read_bytes(), chart=True))
    elif section.records:
        add(Picture("Curves", "image/png", curves_png(section.records), chart=True))
    grids = sample_grids(folder / "samples")
    if grids:
        step, path = grids[-1]
        add(Picture("Latest samples", "image/png", path.read_bytes(), f"step {step:,}"))
        gif = ((folder / ANIMATION).read_bytes() if (folder / ANIMATION).is_file()
               else ProgressAnimation.from_samples(folder / "samples").gif_bytes())
        add(Picture("Progress", "image/gif", gif, f"{len(grids)} sample grids over training"))
    else:
        section.notes.append("no sample grids yet")
    images = run is not None and run.spec.kind == "image"
    if (folder / REAL_VS_FAKE).is_file():
        add(Picture("Real vs fake", "image/png", (folder / REAL_VS_FAKE).read_bytes()))
    elif images:
        from gankit.runs.real_fake import real_and_fake, real_fake_picture
        try:
            pairs = real_and_fake(run.generator, run.real_data(), seed=0)
            add(Picture("Real vs fake", "image/png", _png(real_fake_picture(pairs))))
        except GankitError as err:
            section.notes.append(f"real vs fake left out: {err}")
    if images and best_n > 0 and not run.translation:
        from PIL import Image

        from gankit.experiments.plots import best_fakes
        from gankit.runs.grids import image_grid

        grid = image_grid(best_fakes(run, best_n), nrow=best_n)
        picture = Image.fromarray(grid.mul(255).round().byte().permute(1, 2, 0).numpy())
        add(Picture("Best fakes", "image/png", _png(picture),
                    f"the {best_n} of {8 * best_n} fakes that its discriminator rates most real"))


def collect_run(name: str, path: Path, best_n: int = BEST_N) -> RunSection:
    """Everything the page shows about the run folder ``path``."""
    from gankit.runs import TrainedRun

    config_text = (path / "config.yaml").read_text(errors="replace")
    try:
        config = yaml.safe_load(config_text)
    except yaml.YAMLError:
        config = None
    config = config if isinstance(config, dict) else {}
    section = RunSection(name, path, config_text, str(config.get("preset") or ""),
                         str(config.get("description") or ""), read_records(path))
    try:
        run = TrainedRun.open(path)
    except GankitError as err:
        run = None
        section.notes.append(f"no usable checkpoint ({err}): timings come from "
                             "metrics.jsonl and the best fakes are left out")
    _timings(section, config, run.state if run is not None else None)
    section.metrics, section.latest = metric_rows(section.records)
    section.evaluated = last_evaluation(section.records)
    _pictures(section, run, best_n)
    return section


# ---------------------------------------------------------------- several runs

def _best_flags(values: list, key: str) -> list[bool]:
    """Which of ``values`` (one per run) is the best for result ``key`` (ties: all)."""
    finite = [v for v in values if _finite(v)]
    higher = _higher_is_better(key)
    best = (max if higher else min)(finite) if finite and higher is not None else None
    return [best is not None and v == best for v in values]


def comparison(sections: list[RunSection], folders: list[CompareFolder]) -> Comparison:
    """The side-by-side table (best of each metric marked) and overlaid curves."""
    from gankit.runs.curves import as_result_key, curves_png

    ranked = [as_result_key(m) for folder in folders for m in folder.metrics]
    keys = list(dict.fromkeys(ranked + [k for s in sections for k in s.latest]))
    evaluated = list(dict.fromkeys(k for s in sections if s.evaluated
                                   for k in s.evaluated.values))
    headers = (["run"] + [k + _arrow(k) for k in keys]
               + [f"evaluate: {k}{_arrow(k)}" for k in evaluated]
               + ["steps", "training time", "images / s"])
    columns = [[s.latest.get(k) for s in sections] for k in keys]
    columns += [[s.evaluated.values.get(k) if s.evaluated else None for s in sections]
                for k in evaluated]
    flags = [_best_flags(column, key) for column, key in zip(columns, keys + evaluated)]
    rows = []
    for i, s in enumerate(sections):
        row = [H.Cell(s.name)]
        row += [H.Cell(H.number(column[i]), number=True, best=flag[i])
                for column, flag in zip(columns, flags)]
        row += [H.Cell(f"{s.steps:,}", number=True),
                H.Cell(_duration(s.seconds) if _finite(s.seconds) else "-", number=True),
                H.Cell(f"{s.images_per_s:,.0f}" if s.images_per_s else "-", number=True)]
        rows.append(row)
    records = {s.name: s.records for s in sections if s.records}
    curves = (Picture("Curves, overlaid", "image/png",
                      curves_png(records, keys or None, over_time=True), chart=True)
              if records else None)
    return Comparison(headers, rows, curves, folders)


def write_report(paths: list[str | Path], out: str | Path = "report.html",
                 best_n: int = BEST_N, title: str | None = None) -> Path:
    """Write the report of the runs at ``paths`` (run folders or compare folders) to
    ``out``, atomically; returns ``out``.

    Raises:
        GankitError: a path that is not a run or compare folder, or an ``out`` that
            cannot be written (checked before any work; nothing is left half-written).
    """
    runs, folders = resolve_inputs(paths)
    out = check_out(out)
    names = run_names(runs)
    sections = [collect_run(name, path, best_n) for name, path in zip(names, runs)]
    side_by_side = comparison(sections, folders) if len(sections) > 1 or folders else None
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    generated = (f"gankit {__version__}, {time.strftime('%Y-%m-%d %H:%M')}: "
                 f"{len(sections)} run{'s' if len(sections) > 1 else ''}")
    document = H.page(title or f"gankit report: {shown}", side_by_side, sections, generated)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomically(out, document.encode("utf-8"))
    except OSError as err:
        raise GankitError(f"--out {out}: cannot write it ({err.strerror})") from None
    return out
