"""Benchmark: one training process against several (torchrun + DDP), and what DDP sends.

Default mode trains the same preset three ways and prints the training throughput
(images/s from ``metrics.jsonl``, the first log interval left out as warm-up):

* 1 process, 1 thread;
* 1 process, ``--processes`` threads (the same cores used by one process);
* ``--processes`` processes under torchrun, 1 thread each, the same global batch.

``--comm`` (run it under torchrun) times the collectives a training step makes: the
gradient all-reduce of G and D (the bytes DDP sends per step) and the tiny stop-flag
all-reduce the loop makes each step.

    python benchmarks/bench_distributed.py --preset default --steps 300
    python -m torch.distributed.run --standalone --nproc_per_node 2 \\
        benchmarks/bench_distributed.py --comm --preset default
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def throughput(run_dir: Path) -> float:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    rates = [row["images_per_s"] for row in rows if "images_per_s" in row][1:]
    return sum(rates) / len(rates)


def train(preset: str, steps: int, processes: int, threads: int, out: Path, device: str) -> float:
    launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone",
                 "--nproc_per_node", str(processes)] if processes > 1 else [sys.executable])
    settings = ["train.progress=false", "train.tensorboard=false", "train.pictures=false",
                "train.collapse_every=0", "train.sample_every=0", "train.checkpoint_every=0",
                "train.log_every=25"]
    command = [*launcher, "-m", "gankit", "train", preset, "--steps", str(steps), "--device",
               device, "--out", str(out), *[a for s in settings for a in ("--set", s)]]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    subprocess.run(command, env=env, check=True, capture_output=True)
    return throughput(out)


def compare_processes(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        one = train(args.preset, args.steps, 1, 1, root / "one", args.device)
        print(f"1 process, 1 thread:            {one:8.0f} img/s")
        many_threads = train(args.preset, args.steps, 1, args.processes, root / "threads",
                             args.device)
        print(f"1 process, {args.processes} threads:           {many_threads:8.0f} img/s "
              f"({many_threads / one:.2f}x)")
        ddp = train(args.preset, args.steps, args.processes, 1, root / "ddp", args.device)
        print(f"{args.processes} processes (DDP), 1 thread each: {ddp:8.0f} img/s "
              f"({ddp / one:.2f}x)")


def time_collectives(args) -> None:
    import torch
    import torch.distributed as dist

    from gankit.config import load_config
    from gankit.models import build_discriminator, build_generator
    from gankit.runs.data import build_dataset, data_spec

    dist.init_process_group("gloo")
    cfg = load_config(args.preset, ["data.size=64"])
    spec = data_spec(build_dataset(cfg.data))
    g, d = build_generator(cfg.model, spec), build_discriminator(cfg.model, spec)
    n_g = sum(p.numel() for p in g.parameters())
    n_d = sum(p.numel() for p in d.parameters())
    grads = torch.randn(n_g + cfg.train.d_steps * n_d)
    flag = torch.zeros(1, dtype=torch.int64)

    def timed(tensor, repeats):
        dist.barrier()
        start = time.perf_counter()
        for _ in range(repeats):
            dist.all_reduce(tensor)
        return (time.perf_counter() - start) / repeats

    timed(grads, 3)
    grad_s, flag_s = timed(grads, 20), timed(flag, 200)
    if dist.get_rank() == 0:
        megabytes = grads.numel() * 4 / 1e6
        print(f"G {n_g:,} + D {n_d:,} parameters (× {cfg.train.d_steps} D steps): "
              f"{megabytes:.2f} MB of float32 gradients all-reduced per step")
        print(f"gradient all-reduce: {grad_s * 1e3:.2f} ms per step "
              f"({megabytes / grad_s / 1e3:.2f} GB/s algorithm bandwidth)")
        print(f"stop-flag all-reduce: {flag_s * 1e6:.0f} µs per step")
    dist.destroy_process_group()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--comm", action="store_true", help="time the collectives (torchrun)")
    args = parser.parse_args()
    time_collectives(args) if args.comm else compare_processes(args)


if __name__ == "__main__":
    main()
