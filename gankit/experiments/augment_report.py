"""The augmentation study's report: ``augment.json``, ``augment.md`` and its charts."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from gankit.experiments.augment import MIXED, REAL, SYNTHETIC
from gankit.experiments.plots import pyplot


def write_report(result: dict, out: str | Path) -> dict[str, Path]:
    """``augment.json`` (every figure), ``augment.md``, ``curves.png``, ``bars.png`` and,
    for several ratios, ``ratio.png`` in ``out``; returns them by kind."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "augment.json", "markdown": out / "augment.md",
             "curves": out / "curves.png", "bars": out / "bars.png"}
    if len(result["ratios"]) > 1:
        paths["ratio"] = out / "ratio.png"
    paths["json"].write_text(json.dumps(result, indent=2) + "\n")
    paths["markdown"].write_text(report_markdown(result, "ratio" in paths))
    plt = pyplot()
    for kind, draw in (("curves", _draw_curves), ("bars", _draw_bars), ("ratio", _draw_ratio)):
        if kind in paths:
            fig = draw(plt, result["settings"])
            fig.tight_layout()
            fig.savefig(paths[kind], dpi=110)
            plt.close(fig)
    return paths


TABLE_HEADER = ("setting", "real images", "generated images", "held-out accuracy",
                "held-out loss")


def table_rows(result: dict) -> list[tuple[str, ...]]:
    """One row of strings per setting, in :data:`TABLE_HEADER` order."""
    return [(s["name"], str(s["n_real"]), str(s["n_synthetic"]),
             _pm(s["accuracy"]), _pm(s["loss"])) for s in result["settings"]]


def _pm(stat: dict) -> str:
    return f"{stat['mean']:.4f} ± {stat['std']:.4f}"


def report_markdown(result: dict, with_ratio: bool) -> str:
    """The study as a page a person reads without gankit."""
    gan, data, c = result["gan"], result["data"], result["classifier"]
    seeds = result["seeds"]
    lines = [
        "# Synthetic-data augmentation study", "",
        f"Generator: `{gan['checkpoint']}` (step {gan['step']}, {gan['conditioning']}-"
        f"conditional, {gan['classes']} classes).",
        f"Real data: {data['train']}; the classifier is tested on split "
        f"`{data['test_split']}` ({data['n_test']} images, {data['test']}).",
        f"Classifier: {c['arch']} trained from scratch, {c['optimizer']} lr {c['lr']:g} "
        f"momentum {c['momentum']:g}, batch {c['batch_size']}, {c['epochs']} epoch(s), "
        f"{c['loss']} loss; accuracy rule: {c['accuracy_rule']}.",
        f"Each figure is the mean ± sample standard deviation over {len(seeds)} seed(s) "
        f"({', '.join(map(str, seeds))}), after the last epoch.", "",
        "| " + " | ".join(TABLE_HEADER) + " | accuracy per seed |",
        "|---|" + "---:|" * (len(TABLE_HEADER) - 1) + "---|",
    ]
    for row, s in zip(table_rows(result), result["settings"]):
        per_seed = ", ".join(f"{r['test_accuracy'][-1]:.4f}" for r in s["runs"])
        lines.append("| " + " | ".join(row) + f" | {per_seed} |")
    lines += [
        "", "- **real**: the real training images only.",
        "- **real+synthetic xR**: the real images plus R generated images per real image "
        "of each class, labelled with the condition they were generated for.",
        "- **synthetic**: generated images only, as many per class as the real ones "
        "(train on synthetic, test on real).", "",
        "![held-out accuracy and loss per epoch](curves.png)", "",
        "![final held-out accuracy](bars.png)", ""]
    if with_ratio:
        lines += ["![accuracy against the ratio of generated images](ratio.png)", ""]
    return "\n".join(lines)


def _draw_curves(plt, settings: list[dict]):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric in zip(axes, ("accuracy", "loss")):
        for s in settings:
            mean = torch.tensor(s["curves"][f"{metric}_mean"])
            std = torch.tensor(s["curves"][f"{metric}_std"])
            epochs = torch.arange(1, len(mean) + 1)
            (line,) = ax.plot(epochs, mean, marker="o", ms=3, label=s["name"])
            ax.fill_between(epochs, mean - std, mean + std, color=line.get_color(), alpha=0.2)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set(xlabel="epoch", ylabel=f"held-out {metric}",
               title=f"held-out {metric} (mean ± std over seeds)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return fig


def _draw_bars(plt, settings: list[dict]):
    fig, ax = plt.subplots(figsize=(1.4 * len(settings) + 2, 4))
    means = [s["accuracy"]["mean"] for s in settings]
    bars = ax.bar(range(len(settings)), means, yerr=[s["accuracy"]["std"] for s in settings],
                  capsize=4, color="#4c72b0")
    ax.bar_label(bars, labels=[f"{m:.3f}" for m in means], label_type="center", fontsize=8,
                 color="white")
    ax.set_xticks(range(len(settings)), [s["name"] for s in settings], rotation=20,
                  ha="right", fontsize=8)
    ax.set(ylabel="held-out accuracy", title="final held-out accuracy (± std over seeds)")
    ax.grid(axis="y", alpha=0.3)
    return fig


def _draw_ratio(plt, settings: list[dict]):
    fig, ax = plt.subplots(figsize=(6, 4))
    points = [s for s in settings if s["kind"] in (REAL, MIXED)]
    ax.errorbar([s["ratio"] for s in points], [s["accuracy"]["mean"] for s in points],
                yerr=[s["accuracy"]["std"] for s in points], marker="o", capsize=4,
                label="real + ratio x generated (0: real only)")
    for s in settings:
        if s["kind"] == SYNTHETIC:
            mean, std = s["accuracy"]["mean"], s["accuracy"]["std"]
            ax.axhline(mean, color="#dd8452", ls="--", label="generated only")
            ax.axhspan(mean - std, mean + std, color="#dd8452", alpha=0.15)
    ax.set(xlabel="generated images per real image", ylabel="held-out accuracy",
           title="held-out accuracy against the ratio")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig
