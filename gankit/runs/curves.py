"""Training curves drawn from ``metrics.jsonl`` rows: one run's losses, other logged
terms and evaluation metrics, or several runs overlaid.

The one implementation behind ``curves.png`` in a run folder (redrawn while training),
``gankit compare``'s ``curves.png`` and the curves of ``gankit report``. It draws on a
bare matplotlib ``Figure`` (Agg), never through pyplot, so it neither changes the
caller's backend nor keeps figures alive.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from gankit.errors import GankitError
from gankit.runs.atomic import replaced_atomically

#: the picture of a run's curves in its folder
CURVES_FILE = "curves.png"
#: row keys that say when, not how well
BOOKKEEPING = frozenset({"step", "epoch", "kimg", "time_s", "images_per_s", "kind"})
#: a derived term: the critic's estimate of the Wasserstein distance for WGANs, the
#: gap between D's outputs on real and fake images for every other loss
GAP = "d_real - d_fake"
#: logged terms drawn together in one panel of a single run (title, keys); any other
#: key gets a panel of its own
TERM_GROUPS = (
    ("G and D losses", ("loss_d", "loss_g")),
    ("D output (real − fake: W-distance for WGANs)", ("d_real", "d_fake", GAP)),
    ("penalties", ("gp", "r1", "r2")),
    ("auxiliary classifier losses", ("loss_d_aux", "loss_g_aux")),
    ("D losses per domain", ("loss_d_a", "loss_d_b")),
    ("G loss terms", ("loss_g_adv", "cycle", "identity", "recon")),
)
#: points drawn per line at most (longer series are thinned after smoothing)
MAX_POINTS = 2000
#: series shorter than this are drawn as they are, without smoothing
MIN_SMOOTHED = 8
COLUMNS = 3
PANEL_SIZE = (4.3, 2.8)
DPI = 80


@dataclass
class Series:
    """One line: ``values`` over ``xs``; ``smooth`` lines are drawn raw (faint) and as a
    moving average, the others (evaluations) as points joined by lines."""

    label: str
    xs: list[float]
    values: list[float]
    smooth: bool = True
    color: str | None = None


@dataclass
class Panel:
    """One set of axes."""

    title: str
    series: list[Series]
    xlabel: str = "step"
    ylabel: str = ""
    marks: list[float] = field(default_factory=list)  # steps of rollbacks


# ---------------------------------------------------------------- rows → series

def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def rows_of_kind(rows: list[dict], kind: str | None) -> list[dict]:
    """Rows of one kind (``None``: the loss rows, which carry no kind), one per step,
    sorted by step. A step logged twice (training went back after a rollback and
    passed it again) keeps its last row."""
    by_step = {}
    for row in rows:
        if row.get("kind") == kind and isinstance(row.get("step"), (int, float)):
            by_step[row["step"]] = row
    return [by_step[step] for step in sorted(by_step)]


def series(rows: list[dict], key: str, label: str | None = None, x: str = "step",
           smooth: bool = True) -> Series:
    """The finite values of ``key`` (or of :data:`GAP`) in ``rows`` over ``x``
    (``step``, or ``time_s`` shown in minutes)."""
    xs, values = [], []
    for row in rows:
        if key == GAP:
            real, fake = row.get("d_real"), row.get("d_fake")
            value = real - fake if _finite(real) and _finite(fake) else None
        else:
            value = row.get(key)
        where = row.get(x)
        if _finite(value) and _finite(where):
            xs.append(where / 60 if x == "time_s" else where)
            values.append(float(value))
    return Series(label or key, xs, values, smooth)


def smoothed(values: list[float], span: int) -> list[float]:
    """An exponential moving average over about ``span`` points, corrected for its
    start (the first values are not pulled towards zero)."""
    alpha = 2.0 / (span + 1)
    out, mean, weight = [], 0.0, 0.0
    for value in values:
        mean = (1 - alpha) * mean + alpha * value
        weight = (1 - alpha) * weight + alpha
        out.append(mean / weight)
    return out


def metric_keys(rows: list[dict]) -> list[str]:
    """The numeric result keys of the evaluation rows that a registered metric declares
    (not the sample counts logged beside them), in the order first seen."""
    from gankit.metrics.registry import declares
    keys = {}
    for row in rows:
        if row.get("kind") == "eval":
            keys.update({k: None for k, v in row.items()
                         if k not in BOOKKEEPING and _finite(v) and declares(k)})
    return list(keys)


def as_result_key(name: str) -> str:
    """A metric name's ranking key (``is`` → ``is_mean``); a result key stays itself."""
    from gankit.metrics.registry import result_key
    try:
        return result_key(name)
    except GankitError:
        return name


def _arrow(key: str) -> str:
    from gankit.metrics.registry import higher_is_better
    try:
        return " ↑" if higher_is_better(key) else " ↓"
    except KeyError:
        return ""


# ---------------------------------------------------------------- series → panels

def run_panels(rows: list[dict], metrics: list[str] | None = None) -> list[Panel]:
    """The panels of one run: grouped loss terms (:data:`TERM_GROUPS`), every other
    logged term alone, each evaluation metric, and the mode-collapse check."""
    losses = rows_of_kind(rows, None)
    logged = {k: None for row in losses for k, v in row.items()
              if k not in BOOKKEEPING and _finite(v)}
    if "d_real" in logged and "d_fake" in logged:
        logged[GAP] = None
    marks = [row["step"] for row in rows_of_kind(rows, "rollback")]
    panels, grouped = [], set()
    for title, keys in TERM_GROUPS:
        present = [k for k in keys if k in logged]
        grouped.update(present)
        if present:
            panels.append(Panel(title, [series(losses, k) for k in present], marks=marks))
    panels += [Panel(key, [series(losses, key)], marks=marks) for key in logged
               if key not in grouped]
    evals = rows_of_kind(rows, "eval")
    for key in metrics if metrics is not None else metric_keys(rows):
        panels.append(Panel(f"{key}{_arrow(key)}", [series(evals, key, smooth=False)],
                            ylabel=key))
    checks = rows_of_kind(rows, "collapse")
    if checks:
        panels.append(Panel("diversity ratio (mode-collapse check) ↑",
                            [series(checks, "diversity_ratio", smooth=False)]))
    return panels


def overlay_panels(records: dict[str, list[dict]], metrics: list[str] | None = None,
                   over_time: bool = False) -> list[Panel]:
    """The panels of several runs, one line per run: each metric over steps (and over
    training minutes when ``over_time``), then the D and the G loss."""
    if metrics is None:
        metrics = list({k: None for rows in records.values() for k in metric_keys(rows)})
    colors = {name: f"C{i % 10}" for i, name in enumerate(records)}
    panels = []
    for key in metrics:
        axes = [("step", "step")] + ([("time_s", "training minutes")] if over_time else [])
        for x, xlabel in axes:
            lines = [Series(name, *_xy(rows_of_kind(rows, "eval"), key, x), smooth=False,
                            color=colors[name]) for name, rows in records.items()]
            over = "steps" if x == "step" else "time"
            panels.append(Panel(f"{key}{_arrow(key)} over {over}", lines, xlabel, key))
    for key, title in (("loss_d", "D loss"), ("loss_g", "G loss")):
        lines = [Series(name, *_xy(rows_of_kind(rows, None), key, "step"), color=colors[name])
                 for name, rows in records.items()]
        panels.append(Panel(title, lines, ylabel=key))
    return panels


def _xy(rows: list[dict], key: str, x: str) -> tuple[list[float], list[float]]:
    found = series(rows, key, x=x)
    return found.xs, found.values


# ---------------------------------------------------------------- panels → picture

def _thin(xs: list[float], values: list[float]) -> tuple[list[float], list[float]]:
    stride = math.ceil(len(xs) / MAX_POINTS)
    if stride <= 1:
        return xs, values
    return xs[::stride] + xs[-1:], values[::stride] + values[-1:]


def _draw_series(ax, line: Series, color: str) -> None:
    xs, values = line.xs, line.values
    if line.smooth and len(values) >= MIN_SMOOTHED:
        mean = smoothed(values, max(2, min(50, len(values) // 10)))
        ax.plot(*_thin(xs, values), color=color, alpha=0.25, linewidth=0.8)
        ax.plot(*_thin(xs, mean), color=color, linewidth=1.4, label=line.label)
    else:
        ax.plot(*_thin(xs, values), color=color, linewidth=1.2, marker="o", markersize=3,
                label=line.label)


def draw_panels(panels: list[Panel], columns: int = COLUMNS):
    """A matplotlib ``Figure`` with the panels in a grid, ``columns`` wide."""
    from matplotlib.figure import Figure

    if not panels:
        fig = Figure(figsize=PANEL_SIZE, dpi=DPI)
        fig.text(0.5, 0.5, "nothing logged yet", ha="center", va="center")
        return fig
    columns = max(1, min(columns, len(panels)))
    rows = math.ceil(len(panels) / columns)
    fig = Figure(figsize=(PANEL_SIZE[0] * columns, PANEL_SIZE[1] * rows), dpi=DPI)
    axes = fig.subplots(rows, columns, squeeze=False).flatten()
    for ax, panel in zip(axes, panels):
        for i, line in enumerate(panel.series):
            _draw_series(ax, line, line.color or f"C{i % 10}")
        for step in panel.marks:
            ax.axvline(step, color="#d62728", linestyle=":", linewidth=1)
        ax.set_title(panel.title, fontsize=9)
        ax.set_xlabel(panel.xlabel, fontsize=8)
        ax.set_ylabel(panel.ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if any(line.xs for line in panel.series) and len(panel.series) > 1:
            ax.legend(fontsize=7)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    height = PANEL_SIZE[1] * rows  # margins in inches, whatever the number of rows
    fig.subplots_adjust(left=0.3 / (PANEL_SIZE[0] * columns) + 0.05, right=0.98,
                        bottom=0.5 / height, top=1 - 0.3 / height, wspace=0.3, hspace=0.6)
    return fig


def curves_figure(records: list[dict] | dict[str, list[dict]],
                  metrics: list[str] | tuple[str, ...] | None = None, over_time: bool = False):
    """The ``Figure`` of one run's rows (a list, or a mapping with one run) or of
    several runs overlaid (a mapping of run name → rows).

    Args:
        records: ``metrics.jsonl`` rows (see :func:`gankit.runs.records.read_records`).
        metrics: metric names or result keys to draw (default: every evaluated one).
        over_time: for several runs, also draw each metric over training minutes.
    """
    keys = None if metrics is None else [as_result_key(m) for m in metrics]
    if isinstance(records, dict) and len(records) == 1:
        records = next(iter(records.values()))
    if isinstance(records, dict):
        return draw_panels(overlay_panels(records, keys, over_time), columns=2)
    return draw_panels(run_panels(records, keys))


def plot_curves(path: str | Path, records: list[dict] | dict[str, list[dict]],
                metrics: list[str] | tuple[str, ...] | None = None,
                over_time: bool = False) -> Path:
    """Write :func:`curves_figure` as a PNG at ``path``, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = curves_figure(records, metrics, over_time)
    with replaced_atomically(path) as tmp:
        figure.savefig(tmp, format="png")
    return path


def curves_png(records: list[dict] | dict[str, list[dict]],
               metrics: list[str] | tuple[str, ...] | None = None,
               over_time: bool = False) -> bytes:
    """:func:`curves_figure` as PNG bytes (for pages that embed their pictures)."""
    buffer = io.BytesIO()
    curves_figure(records, metrics, over_time).savefig(buffer, format="png")
    return buffer.getvalue()
