"""Soak test of exact resume: a run killed at random moments and resumed each time must
end bit-identical to the same run left alone.

    python benchmarks/soak_resume.py --steps 3000 --kills 10 --out /tmp/soak

It trains the uninterrupted reference first, then the same run again, sending SIGKILL
or SIGTERM (alternately) once the run has logged a random step (the kill steps spread
over the whole run) and resuming with ``gankit train --resume`` after each. Finally it
compares every tensor of the two final checkpoints (G, D, EMA, both optimisers, RNG
states) and the step counts. Prints one line per kill and the verdict; exits 1 on any
difference. Not a test: it takes as long as the run.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from gankit.runs import load_checkpoint


def command(out: Path, steps: int, checkpoint_every: int, resume: bool) -> list[str]:
    base = [sys.executable, "-m", "gankit.cli.main", "train"]
    if resume:
        return base + ["--resume", str(out), "--no-progress"]
    return base + ["default", "--out", str(out), "--steps", str(steps), "--no-progress",
                   "--force",
                   "--set", f"train.checkpoint_every={checkpoint_every}",
                   "--set", "train.tensorboard=false", "--seed", "7"]


def last_step(run_dir: Path) -> int:
    """The newest step logged in ``metrics.jsonl`` (0 before the first line)."""
    path = run_dir / "metrics.jsonl"
    lines = path.read_text().splitlines() if path.is_file() else []
    for line in reversed(lines):
        try:
            return int(json.loads(line)["step"])
        except (ValueError, KeyError):  # a line being written, or one without a step
            continue
    return 0


def tensors(state: dict, prefix: str = "") -> dict[str, torch.Tensor]:
    """Every tensor of a (nested) checkpoint, by dotted path."""
    found = {}
    for key, value in state.items():
        name = f"{prefix}{key}"
        if isinstance(value, torch.Tensor):
            found[name] = value
        elif isinstance(value, dict):
            found.update(tensors(value, name + "."))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--checkpoint-every", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("soak"))
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    whole, killed = args.out / "whole", args.out / "killed"
    started = time.perf_counter()
    subprocess.run(command(whole, args.steps, args.checkpoint_every, False), check=True,
                   stdout=subprocess.DEVNULL)
    duration = time.perf_counter() - started
    print(f"soak: uninterrupted run of {args.steps} steps took {duration:.0f} s")
    rng = random.Random(args.seed)
    # kill at random steps spread over the whole run, in order
    targets = sorted(rng.sample(range(1, args.steps), args.kills))
    for kill, target in enumerate(targets):
        resume = (killed / "checkpoints" / "latest").is_file()
        process = subprocess.Popen(command(killed, args.steps, args.checkpoint_every, resume),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        while process.poll() is None and last_step(killed) < target:
            time.sleep(0.05)
        if process.poll() is not None:
            print(f"soak: kill {kill + 1}: the run finished before step {target}")
            break
        signum = signal.SIGKILL if kill % 2 == 0 else signal.SIGTERM
        process.send_signal(signum)
        process.communicate()
        step = load_checkpoint(killed)["step"] if (killed / "checkpoints").is_dir() else 0
        print(f"soak: kill {kill + 1}: {signal.Signals(signum).name} near step {target} → "
              f"exit {process.returncode}, resumable from step {step}")
    resume = (killed / "checkpoints" / "latest").is_file()
    subprocess.run(command(killed, args.steps, args.checkpoint_every, resume), check=True,
                   stdout=subprocess.DEVNULL)
    a, b = load_checkpoint(whole), load_checkpoint(killed)
    ta, tb = tensors(a), tensors(b)
    differ = [name for name in ta if name not in tb or not torch.equal(ta[name], tb[name])]
    same = a["step"] == b["step"] and not differ and set(ta) == set(tb)
    print(f"soak: final step {a['step']} vs {b['step']}; {len(ta)} tensors compared; "
          + ("bit-identical" if same else f"DIFFERENT: {', '.join(differ[:5])}"))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
