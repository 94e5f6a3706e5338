"""Benchmark: how long `gankit train` takes to reach its first step, and where it goes.

Runs the real command in fresh processes (after one untimed run, so the decoded-data
cache exists) and prints, per phase, the median over ``--repeats`` runs:

- interpreter: process spawn until the first line of Python runs;
- imports: torch and the modules `gankit train` imports;
- data: the dataset, from the decoded-data cache;
- models: G, D, optimisers, objective, EMA;
- start: the rest of the trainer and the callbacks' start (step-0 sample grid, ...);
- first step: the first training step itself;
- to exit: the remaining steps, the last grids, checkpoint and pictures, and exit.

"first step reached" is spawn → the first step starts; "first step done" adds its
duration. The phases are timed by wrapping the trainer's functions in a small driver
that then calls gankit's own ``main``; the plain command is timed too, as a check that
the driver adds nothing.

    python benchmarks/bench_startup.py                        # dcgan32, shared CIFAR-10
    python benchmarks/bench_startup.py --preset default --data shapes
    python benchmarks/bench_startup.py --data /tmp/cifar10/train --repeats 5
    PYTHONPATH=OLD_CHECKOUT python benchmarks/bench_startup.py   # an older gankit, compared
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
SHARED_ARCHIVE = SHARED_DATA / "cifar10-jpg.tar.gz"

# Runs in the child: marks wall-clock times (time.time(), comparable across processes).
DRIVER = r"""
import json, sys, time
marks = {"python": time.time()}
from gankit.cli.main import main
try:
    from gankit.startup import pause_collector
except ImportError:  # a checkout from before issue 13 (PYTHONPATH=OLD_CHECKOUT)
    pause_collector = lambda: None
pause_collector()  # as main() does for `gankit train`, here before the imports timed below
import torch
import gankit.training.run, gankit.training.loop as loop
marks["imports"] = time.time()

def timed(name, fn):
    def wrapper(*args, **kwargs):
        marks.setdefault(name + "_start", time.time())
        try:
            return fn(*args, **kwargs)
        finally:
            marks.setdefault(name + "_end", time.time())
    return wrapper

loop.build_dataset = timed("data", loop.build_dataset)
loop.build_components = timed("models", loop.build_components)
loop.Trainer.train_step = timed("step", loop.Trainer.train_step)
sys.argv = ["gankit", *sys.argv[1:]]  # main() without argv: the command's own process
code = main()
marks["end"] = time.time()
print("MARKS " + json.dumps(marks))
sys.exit(code)
"""

PHASES = [("interpreter", "spawn", "python"), ("imports", "python", "imports"),
          ("config + data", "imports", "data_end"), ("models", "data_end", "models_end"),
          ("trainer + callbacks' start", "models_end", "step_start"),
          ("first step", "step_start", "step_end"), ("to exit", "step_end", "exit")]


def command(args, out: Path) -> list[str]:
    cmd = ["train", args.preset, "--out", str(out), "--steps", str(args.steps),
           "--no-progress", "--device", "cpu"]
    if args.data:
        cmd += ["--data", str(args.data)]
    for item in args.set:
        cmd += ["--set", item]
    return cmd


def driven_run(args, scratch: Path, i: int) -> dict:
    """One run through the driver; its marks relative to the spawn."""
    cmd = [sys.executable, "-c", DRIVER, *command(args, scratch / f"driven-{i}")]
    spawn = time.time()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    exit_ = time.time()
    if done.returncode != 0:
        raise SystemExit(f"run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    line = next(l for l in done.stdout.splitlines() if l.startswith("MARKS "))
    marks = json.loads(line[len("MARKS "):])
    marks.update(spawn=spawn, exit=exit_)
    return {k: v - spawn for k, v in marks.items()}


def plain_run(args, scratch: Path, i: int) -> float:
    """Wall seconds of the plain command (``python -m gankit train ...``)."""
    cmd = [sys.executable, "-m", "gankit", *command(args, scratch / f"plain-{i}")]
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="dcgan32")
    parser.add_argument("--data", default=str(SHARED_ARCHIVE),
                        help="dataset name or path ('' for the preset's own)")
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="a config override (default: train.batch_size=64)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    args.set = args.set or ["train.batch_size=64"]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        driven_run(args, scratch, -1)  # the cache exists from here on; pages are warm
        runs = [driven_run(args, scratch, i) for i in range(args.repeats)]
        plain = [plain_run(args, scratch, i) for i in range(args.repeats)]
    print(f"gankit {' '.join(command(args, Path('OUT')))}  ({args.repeats} runs, median; "
          f"torch threads default; 1-min load {load:.2f} before the runs)")
    for name, start, end in PHASES:
        values = [r[end] - r[start] for r in runs]
        print(f"  {name:<28} {statistics.median(values):6.2f} s   "
              f"({min(values):.2f}–{max(values):.2f})")
    reached = [r["step_start"] for r in runs]
    done = [r["step_end"] for r in runs]
    print(f"  {'first step reached':<28} {statistics.median(reached):6.2f} s   "
          f"({min(reached):.2f}–{max(reached):.2f})")
    print(f"  {'first step done':<28} {statistics.median(done):6.2f} s   "
          f"({min(done):.2f}–{max(done):.2f})")
    print(f"  {'whole command, driven':<28} {statistics.median(r['exit'] for r in runs):6.2f} s")
    print(f"  {'whole command, plain':<28} {statistics.median(plain):6.2f} s   "
          f"({min(plain):.2f}–{max(plain):.2f})")


if __name__ == "__main__":
    main()
