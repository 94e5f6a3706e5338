"""The HTML of ``gankit report``: one self-contained page — pictures as ``data:`` URIs, a
little plain CSS, no script, nothing fetched from anywhere. Every string that comes
from a run (names, paths, config text, metric keys) is escaped here."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the report's data; only read here
    from gankit.experiments.report import Comparison, Picture, RunSection

CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 1em 2em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em; }
h3 { margin-bottom: .3em; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
td.best { background: #e3f6e3; font-weight: bold; }
th { background: #f2f2f2; }
figure { display: inline-block; margin: .5em 1.5em 1em 0; vertical-align: top; }
figure img { max-width: 100%; height: auto; image-rendering: pixelated;
             border: 1px solid #ddd; }
figure img.chart { image-rendering: auto; }
figcaption { font-weight: bold; margin-bottom: .2em; }
.caption, .muted { color: #666; font-size: .9em; }
.note { background: #fff6e0; border-left: 4px solid #f0b400; padding: .3em .6em; }
pre { background: #f7f7f7; padding: .8em; overflow-x: auto; font-size: 12px; }
details { margin: .5em 0 1em; } summary { cursor: pointer; font-weight: bold; }
nav ul { columns: 2; }
"""


@dataclass
class Cell:
    """One table cell: its text, whether it holds a number, whether it is the best."""

    text: str
    number: bool = False
    best: bool = False


def esc(text) -> str:
    """``text`` made safe inside HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def number(value) -> str:
    """A metric or count as people read it (``-`` when missing)."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.4g}"


def data_uri(mime: str, data: bytes) -> str:
    """``data`` inline, base64-encoded."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def figure(picture: Picture) -> str:
    """A titled picture with its caption."""
    css = ' class="chart"' if picture.chart else ""
    width = f' width="{picture.width}"' if picture.width else ""
    caption = f'<div class="caption">{esc(picture.caption)}</div>' if picture.caption else ""
    return (f"<figure><figcaption>{esc(picture.title)}</figcaption>"
            f'<img{css}{width} src="{data_uri(picture.mime, picture.data)}" '
            f'alt="{esc(picture.title)}">{caption}</figure>')


def table(headers: list[str], rows: list[list[Cell | str]], css_class: str = "") -> str:
    """A table; plain strings are text cells."""
    head = ("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in headers) + "</tr></thead>"
            if any(headers) else "")
    body = []
    for row in rows:
        cells = []
        for cell in row:
            cell = cell if isinstance(cell, Cell) else Cell(str(cell))
            classes = " ".join(c for c, on in (("number", cell.number), ("best", cell.best)) if on)
            attribute = f' class="{classes}"' if classes else ""
            mark = " ★" if cell.best else ""
            cells.append(f"<td{attribute}>{esc(cell.text)}{mark}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    attribute = f' class="{esc(css_class)}"' if css_class else ""
    return f"<table{attribute}>{head}<tbody>{''.join(body)}</tbody></table>"


def details(summary: str, inner_html: str, open_: bool = False) -> str:
    """A collapsible block (``inner_html`` is already HTML)."""
    return (f"<details{' open' if open_ else ''}><summary>{esc(summary)}</summary>"
            f"{inner_html}</details>")


def notes(lines: list[str]) -> str:
    return "".join(f'<p class="note">{esc(line)}</p>' for line in lines)


# ---------------------------------------------------------------- sections

def comparison_html(comparison: Comparison) -> str:
    """The side-by-side section: the table (best of each metric marked) and the
    overlaid curves."""
    parts = ["<section id=\"comparison\"><h2>Side by side</h2>"]
    for folder in comparison.compare_folders:
        parts.append(f'<p class="muted">From <code>{esc(folder.path)}</code>: '
                     f"{esc(folder.summary)}</p>")
    parts.append(table(comparison.headers, comparison.rows, "comparison"))
    parts.append('<p class="muted">★ best value of each metric among these runs '
                 "(↑ higher is better, ↓ lower is better). Metrics are the latest "
                 "training-time evaluation; <q>evaluate:</q> columns are the latest "
                 "<code>gankit evaluate</code> results.</p>")
    if comparison.curves is not None:
        parts.append(figure(comparison.curves))
    parts.append("</section>")
    return "".join(parts)


def run_html(index: int, run: RunSection) -> str:
    """One run: summary, timings, metrics, pictures, config."""
    parts = [f'<section id="run-{index}"><h2>{esc(run.name)}</h2>',
             f'<p class="muted"><code>{esc(run.path)}</code>']
    if run.preset or run.description:
        parts.append(f" — {esc(run.preset)} {esc(run.description)}")
    parts.append("</p>")
    parts.append(notes(run.notes))
    parts.append("<h3>Timings</h3>" + table(["", ""], [[label, Cell(text, number=True)]
                                                      for label, text in run.timings],
                                            "timings"))
    if run.metrics:
        parts.append("<h3>Metrics (training-time evaluation)</h3>")
        parts.append(table(["metric", "latest", "at step", "best", "at step"],
                           [[Cell(key)] + [Cell(text, number=True) for text in values]
                            for key, *values in run.metrics], "metrics"))
    if run.evaluated is not None:
        count = f", {run.evaluated.n:,} fakes" if run.evaluated.n else ""
        parts.append(f"<h3>gankit evaluate (step {esc(run.evaluated.step)}{count})</h3>")
        parts.append(table(["metric", "value"], [[key, Cell(number(value), number=True)]
                                                 for key, value in run.evaluated.values.items()],
                           "evaluate"))
        if run.evaluated.per_class:
            parts.append(details("per class", _per_class_table(run.evaluated.per_class)))
    if run.pictures:
        parts.append("<h3>Pictures</h3>" + "".join(figure(p) for p in run.pictures))
    parts.append(details("resolved config (config.yaml)", f"<pre>{esc(run.config_text)}</pre>"))
    parts.append("</section>")
    return "".join(parts)


def _per_class_table(per_class: dict) -> str:
    keys = list({k: None for row in per_class.values() if isinstance(row, dict) for k in row})
    rows = [[name] + [Cell(number(row.get(k)), number=True) for k in keys]
            for name, row in per_class.items() if isinstance(row, dict)]
    return table(["class", *keys], rows, "per-class")


def page(title: str, comparison: Comparison | None, runs: list[RunSection],
         generated: str) -> str:
    """The whole document."""
    contents = "".join(f'<li><a href="#run-{i}">{esc(run.name)}</a></li>'
                       for i, run in enumerate(runs, 1))
    nav = f"<nav><ul>{contents}</ul></nav>" if len(runs) > 1 else ""
    body = [f"<h1>{esc(title)}</h1>", f'<p class="muted">{esc(generated)}</p>', nav]
    if comparison is not None:
        body.append(comparison_html(comparison))
    body += [run_html(i, run) for i, run in enumerate(runs, 1)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")
