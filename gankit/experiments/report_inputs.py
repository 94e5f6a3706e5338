"""What ``gankit report`` is given: run folders, ``gankit compare`` folders (expanded to
their runs), and the HTML file to write — each checked before any work is done."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gankit.errors import GankitError

RESULTS = "results.json"  # what marks a `gankit compare` folder


@dataclass
class CompareFolder:
    """A ``gankit compare`` folder: its runs, best first, and what judged them."""

    path: Path
    runs: list[Path]
    metrics: list[str]
    summary: str


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` is a folder written by ``gankit train`` (it holds config.yaml)."""
    return (Path(path) / "config.yaml").is_file()


def read_compare_folder(path: Path) -> CompareFolder:
    """The runs of a ``gankit compare`` folder, as ranked in its ``results.json``."""
    try:
        results = json.loads((path / RESULTS).read_text())
        names = [model["name"] for model in results["models"]]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise GankitError(f"{path / RESULTS} is not a gankit compare result ({err}); "
                          "run the compare again or pass its run folders") from None
    runs = [path / name for name in names]
    missing = [str(run) for run in runs if not is_run_folder(run)]
    if missing:
        raise GankitError(f"compare folder {path} names {missing[0]}, which is not a run "
                          "folder; run the compare again or pass the run folders there are")
    metrics = [str(m) for m in results.get("metrics") or []]
    summary = (f"{len(runs)} models on {results.get('data', '?')}, judged by "
               f"{', '.join(metrics) or '-'} ({results.get('judged_by', '')})")
    return CompareFolder(path, runs, metrics, summary)


def resolve_inputs(paths: list[str | Path]) -> tuple[list[Path], list[CompareFolder]]:
    """Run folders (a compare folder gives its runs) and the compare folders among them.

    Raises:
        GankitError: a path that does not exist or is neither kind of folder.
    """
    if not paths:
        raise GankitError("name at least one run folder (or a gankit compare folder)")
    runs, folders = [], []
    for path in map(Path, paths):
        if not path.exists():
            raise GankitError(f"{path} does not exist; pass a run folder written by "
                              "`gankit train` or a `gankit compare` folder")
        if is_run_folder(path):
            runs.append(path)
        elif path.is_dir() and (path / RESULTS).is_file():
            folders.append(read_compare_folder(path))
            runs += folders[-1].runs
        else:
            what = "a file" if path.is_file() else "a folder without config.yaml"
            raise GankitError(f"{path} is {what}, not a run folder; pass the folder "
                              "`gankit train` wrote (it holds config.yaml) or a `gankit "
                              "compare` folder (it holds results.json)")
    unique = list({run.resolve(): run for run in runs}.values())
    return unique, folders


def run_names(paths: list[Path]) -> list[str]:
    """A short distinct name per run: its folder name, with its parent's when two
    folders share a name."""
    names = [p.name for p in paths]
    names = [f"{p.parent.name}/{p.name}" if names.count(p.name) > 1 else p.name
             for p in paths]
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def check_out(out: str | Path) -> Path:
    """``out`` if an HTML file can be written there, else a one-line :class:`GankitError`."""
    out = Path(out)
    if out.is_dir():
        raise GankitError(f"--out {out} is a folder; name the file to write, e.g. "
                          f"--out {out / 'report.html'}")
    ancestor = out.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise GankitError(f"--out {out} lies under {ancestor}, which is a file; choose "
                          "another place")
    try:  # os.access says yes to root even where nothing can be written
        handle, probe = tempfile.mkstemp(prefix=".gankit-probe-", dir=ancestor)
        os.close(handle)
        os.unlink(probe)
    except OSError as err:
        raise GankitError(f"--out {out}: cannot write in {ancestor} ({err.strerror}); "
                          "choose a place you can write to") from None
    return out
