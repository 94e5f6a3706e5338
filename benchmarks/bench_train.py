"""Benchmark: gankit's training loop against a bare hand-written DCGAN loop, same nets.

Both loops train the same DCGAN generator/discriminator (built by gankit) with the same
batch size, optimiser and loss, in the same process; the bare loop uses a torchvision-
style per-image pipeline (list of uint8 images → float per image, like a DataLoader
without workers), gankit its batched uint8-tensor loader. Printed: steps/s and images/s
of each and their ratio (> 1: gankit is faster).

    python benchmarks/bench_train.py --resolution 32 --steps 200
    python benchmarks/bench_train.py --resolution 64 --device cuda
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from gankit.config import load_config
from gankit.training import Trainer


def bare_loop(trainer: Trainer, steps: int, batch_size: int) -> float:
    """A minimal DCGAN loop over a per-image pipeline; returns seconds per step."""
    G, D, device = trainer.G, trainer.D, trainer.device
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    images = list(trainer.dataset.images)  # one uint8 tensor per image, as a Dataset yields

    def batches():
        while True:
            for start in range(0, len(images) - batch_size + 1, batch_size):
                items = [img.float().div(127.5).sub(1) for img in images[start:start + batch_size]]
                items = [img.flip(2) if torch.rand(()) < 0.5 else img for img in items]
                yield torch.stack(items).to(device)

    stream = batches()
    for step in range(steps + 5):
        if step == 5:
            sync(device)
            t0 = time.perf_counter()
        real = next(stream)
        fake = G(torch.randn(batch_size, G.z_dim, device=device))
        d_loss = F.softplus(-D(real).score).mean() + F.softplus(D(fake.detach()).score).mean()
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = F.softplus(-D(fake).score).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        float(d_loss.detach())  # what a script's per-step print costs: a host sync
    sync(device)
    return (time.perf_counter() - t0) / steps


def gankit_loop(trainer: Trainer, steps: int) -> float:
    for _ in range(5):
        trainer.train_step()
    sync(trainer.device)
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    sync(trainer.device)
    return (time.perf_counter() - t0) / steps


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    cfg = load_config("dcgan", [f"data.resolution={args.resolution}", "data.size=5000",
                                f"model.g_width={args.width}", f"model.d_width={args.width}",
                                f"train.batch_size={args.batch_size}", "train.epochs=0",
                                "train.progress=false", "train.tensorboard=false"])
    device = torch.device(args.device)
    with tempfile.TemporaryDirectory() as tmp:
        ours = gankit_loop(Trainer(cfg, Path(tmp), device, callbacks=[]), args.steps)
        bare = bare_loop(Trainer(cfg, Path(tmp), device, callbacks=[]), args.steps,
                         args.batch_size)
    print(f"DCGAN {args.resolution}px width {args.width} batch {args.batch_size} on {device}, "
          f"{torch.get_num_threads()} threads, {args.steps} steps")
    for name, sec in (("gankit loop", ours), ("bare per-image loop", bare)):
        print(f"  {name:<20} {1 / sec:8.2f} steps/s  {args.batch_size / sec:9.1f} images/s")
    print(f"  ratio gankit / bare: {bare / ours:.2f}x")


if __name__ == "__main__":
    main()
