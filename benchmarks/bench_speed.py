"""Benchmark: gankit's training speed against the machine's limit and the common loop.

In one run, on the same machine and moment:

1. the machine's matrix-product peak: the best of ``--gemm-reps`` 2048² float32
   products (``torch.mm``, default threads), and the same kind of product through oneDNN,
   the library that runs the nets' convolutions (a 1×1 convolution, 8×1024 channels at
   32², channels-last). On an AMD CPU with AVX-512, ``torch.mm`` (MKL) runs AVX2 code and
   oneDNN AVX-512, about twice as fast;
2. each model's cost per training image: the matrix-product FLOPs (convolutions and
   linear layers, forward and backward; the formulas of torch's flop counter) of one gankit
   training step divided by the images it consumes (``batch × d_steps``). peak ÷ cost is
   the **bound**: images/s if every FLOP ran at the peak and nothing else cost time (one
   bound per peak: "mm" as the issue defines it, "oneDNN" the stricter one);
3. ``gankit train PRESET --steps N`` end to end (a fresh process, decoded-data cache
   already built, start-up and the run folder's writing included) and its steady rate
   (``metrics.jsonl`` after the first log interval);
4. for the DCGANs, the common PyTorch loop (``benchmarks/plain_dcgan.py``: ImageFolder +
   DataLoader with 2 workers, the tutorial's nets) at equal batch, architecture and
   steps, timed the same way.

Printed per model: images/s end to end and steady, % of the bound, and gankit ÷ plain.

    python benchmarks/bench_speed.py --data /tmp/cifar10/train
    python benchmarks/bench_speed.py --data /tmp/cifar10/train --only dcgan32 --steps 100

``--data`` is a class-folder tree (extract ``../shared/data/cifar10-jpg.tar.gz``).
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
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

HERE = Path(__file__).resolve().parent


@dataclass
class Case:
    """One model: a gankit preset and overrides; ``plain``: also time the common loop."""

    name: str
    preset: str
    resolution: int
    overrides: tuple[str, ...] = ()
    plain: bool = False
    steps_divisor: int = 1  # G steps = --steps / this (WGAN-GP: 5 critic steps each)


CASES = [
    Case("dcgan32", "dcgan32", 32, (), plain=True),
    Case("dcgan32 compiled", "dcgan32", 32, ("train.compile=true",), plain=True),
    Case("dcgan64", "dcgan", 64, (), plain=True, steps_divisor=2),
    Case("dcgan64 compiled", "dcgan", 64, ("train.compile=true",), plain=True, steps_divisor=2),
    Case("wgan-gp32", "wgan-gp", 32, (), steps_divisor=5),
    Case("sngan32-cpu (ResNet, width 32)", "sngan32-cpu", 32, (), steps_divisor=2),
    Case("resnet32 width 64, n_dis 1", "sngan32", 32,
         ("model.g_width=64", "model.d_width=64", "train.d_steps=1"), steps_divisor=4),
]


def gemm_peak(n: int = 2048, reps: int = 10) -> float:
    """FLOP/s of the fastest of ``reps`` n×n float32 products (after 3 warm-ups)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        torch.mm(a, b)
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best


class MatmulFlops(TorchDispatchMode):
    """Sums the FLOPs of the ops torch's flop counter knows (matrix products and
    convolutions, forward and backward). Unlike ``FlopCounterMode`` it puts no hooks on
    modules, so it also counts a gradient penalty's double backward."""

    def __init__(self):
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        count = flop_registry.get(func._overloadpacket)
        if count is not None:
            self.total += count(*args, **kwargs, out_val=out)
        return out


def onednn_peak(reps: int = 10) -> float:
    """FLOP/s of the fastest of ``reps`` 1×1 convolutions (a matrix product through
    oneDNN: [8·32², 1024] × [1024, 1024], channels-last)."""
    x = torch.randn(8, 1024, 32, 32).contiguous(memory_format=torch.channels_last)
    w = torch.randn(1024, 1024, 1, 1).contiguous(memory_format=torch.channels_last)
    for _ in range(3):
        torch.nn.functional.conv2d(x, w)
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        torch.nn.functional.conv2d(x, w)
        best = min(best, time.perf_counter() - start)
    return 2 * 8 * 32 * 32 * 1024 * 1024 / best


def flops_per_image(case: Case, batch: int) -> tuple[float, int]:
    """Matrix-product FLOPs of one gankit training step ÷ the images it consumes, and
    those images (``batch × d_steps``)."""
    from gankit.config import load_config
    from gankit.data.base import ImageDataset
    from gankit.training.loop import Trainer

    cfg = load_config(case.preset, [*overrides(case, batch), "train.progress=false"])
    images = torch.randint(0, 256, (4 * batch, 3, case.resolution, case.resolution),
                           dtype=torch.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, Path(tmp), torch.device("cpu"), dataset=ImageDataset(images),
                          callbacks=[])
        with MatmulFlops() as counter:
            trainer.train_step()
    return counter.total / trainer.images_per_step, trainer.images_per_step


def overrides(case: Case, batch: int) -> list[str]:
    return [f"data.resolution={case.resolution}", f"train.batch_size={batch}",
            *case.overrides]


def gankit_run(case: Case, args, steps: int, out: Path) -> dict:
    """``gankit train`` in a fresh process: wall seconds and the steady images/s."""
    cmd = [sys.executable, "-m", "gankit", "train", case.preset, "--data", str(args.data),
           "--steps", str(steps), "--out", str(out), "--no-progress", "--device", "cpu"]
    # four log records: the steady rate is read from the last three
    for item in [*overrides(case, args.batch_size), f"train.log_every={max(1, steps // 4)}"]:
        cmd += ["--set", item]
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    wall = time.perf_counter() - start
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    rates = [r["images_per_s"] for r in records if "images_per_s" in r][1:]
    return {"wall": wall, "steady": statistics.median(rates) if rates else float("nan")}


def plain_run(case: Case, args, steps: int) -> dict:
    """The common loop in a fresh process: wall seconds and the steady images/s."""
    cmd = [sys.executable, str(HERE / "plain_dcgan.py"), "--data", str(args.data),
           "--resolution", str(case.resolution), "--steps", str(steps),
           "--batch-size", str(args.batch_size)]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    marks = json.loads(next(line for line in done.stdout.splitlines()
                            if line.startswith("MARKS "))[len("MARKS "):])
    steady = (steps - 10) * args.batch_size / (marks["end"] - marks["step_10"])
    return {"wall": wall, "steady": steady}


def plain_flops(case: Case, args) -> float:
    cmd = [sys.executable, str(HERE / "plain_dcgan.py"), "--data", str(args.data),
           "--resolution", str(case.resolution), "--batch-size", str(args.batch_size),
           "--count-flops", "--workers", "0"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])["flops_per_image"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="train/<class>/ folder")
    parser.add_argument("--steps", type=int, default=200, help="G steps (DCGANs)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--gemm-reps", type=int, default=10)
    parser.add_argument("--only", nargs="*", help="case names (prefixes) to run")
    args = parser.parse_args()
    cases = [c for c in CASES if not args.only or any(c.name.startswith(o) for o in args.only)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"1-min load {os.getloadavg()[0]:.2f} at the start")
    peak = gemm_peak(reps=args.gemm_reps)
    dnn_peak = onednn_peak(reps=args.gemm_reps)
    print(f"2048² float32 matrix product: peak {peak / 1e9:.1f} GFLOP/s (torch.mm); "
          f"{dnn_peak / 1e9:.1f} GFLOP/s (oneDNN 1×1 convolution)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(cases):
            steps = max(2, args.steps // case.steps_divisor)
            cost, per_step = flops_per_image(case, args.batch_size)
            bound, dnn_bound = peak / cost, dnn_peak / cost
            gankit_run(case, args, 1, Path(tmp) / f"warm-{i}")  # data cache, page cache
            ours = gankit_run(case, args, steps, Path(tmp) / f"run-{i}")
            images = steps * per_step
            row = {"case": case.name, "steps": steps, "gflop_per_image": cost / 1e9,
                   "bound": bound, "dnn_bound": dnn_bound, "gankit_e2e": images / ours["wall"],
                   "gankit_steady": ours["steady"], "gankit_wall": ours["wall"]}
            if case.plain:
                row["plain_gflop_per_image"] = plain_flops(case, args) / 1e9
                plain_run(case, args, 12)  # page cache of the JPEG files
                theirs = plain_run(case, args, steps)
                row.update(plain_e2e=images / theirs["wall"], plain_steady=theirs["steady"],
                           plain_wall=theirs["wall"])
            rows.append(row)
            report(row)
    print(f"1-min load {os.getloadavg()[0]:.2f} at the end")


def report(row: dict) -> None:
    bound, dnn = row["bound"], row["dnn_bound"]
    print(f"\n{row['case']}: {row['steps']} G steps, {row['gflop_per_image']:.3f} GFLOP per "
          f"training image → bound {bound:.0f} img/s (mm), {dnn:.0f} img/s (oneDNN)")

    def line(who: str, e2e: float, wall: float, steady: float) -> str:
        return (f"  {who:<7} end to end {e2e:7.1f} img/s ({e2e / bound:4.0%} of the mm bound, "
                f"{e2e / dnn:4.0%} of oneDNN's; {wall:.1f} s)   steady {steady:7.1f} img/s "
                f"({steady / bound:4.0%}, {steady / dnn:4.0%})")

    print(line("gankit", row["gankit_e2e"], row["gankit_wall"], row["gankit_steady"]))
    if "plain_e2e" in row:
        print(line("plain", row["plain_e2e"], row["plain_wall"], row["plain_steady"])
              + f"; its nets: {row['plain_gflop_per_image']:.3f} GFLOP/image")
        print(f"  gankit ÷ plain: end to end {row['plain_wall'] / row['gankit_wall']:.2f}×, "
              f"steady {row['gankit_steady'] / row['plain_steady']:.2f}×")

if __name__ == "__main__":
    main()
