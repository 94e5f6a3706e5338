"""The baseline a gankit preset must beat: the PyTorch DCGAN tutorial's loop on CIFAR-10.

torchvision ``ImageFolder`` + ``DataLoader`` (batch 64, 2 workers, shuffle), the
tutorial's per-image transforms (``ToTensor`` + ``Normalize``), BCE on D(real) and
D(fake) with separate backward passes, Adam 2e-4 β=(0.5, 0.999), no EMA — trained for
a wall-clock budget on the tutorial's networks at 32 px (gankit's ``dcgan32`` G and D
are those networks). The result is saved as a gankit run folder, so it is judged like
any run:

    python benchmarks/tutorial_dcgan.py --data /tmp/cifar10/train --minutes 20 --out /tmp/tut
    gankit evaluate /tmp/tut --evaluator cifar10-32.safetensors --metrics fid_evaluator \\
        --data ../shared/data/cifar10-jpg.tar.gz --split test --n 5000

``--data`` is a class-folder tree (``train/<class>/*.jpg``); extract the shared archive
first (``tar xzf ../shared/data/cifar10-jpg.tar.gz -C /tmp/cifar10``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision import datasets, transforms

from gankit.config import load_config
from gankit.training.callbacks import Checkpointer, SampleGrid
from gankit.training.loop import Trainer


def tutorial_loader(folder: Path, batch_size: int, workers: int) -> torch.utils.data.DataLoader:
    """The tutorial's data pipeline, as written there (32 px instead of 64)."""
    dataset = datasets.ImageFolder(str(folder), transform=transforms.Compose([
        transforms.Resize(32), transforms.CenterCrop(32), transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True,
                                       num_workers=workers, drop_last=True)


def train_tutorial(trainer: Trainer, loader, seconds: float) -> int:
    """The tutorial's loop until ``seconds`` of training have passed; returns steps."""
    G, D = trainer.G, trainer.D
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    steps, start = 0, time.perf_counter()
    while True:
        for real, _ in loader:
            real = real.to(trainer.device)
            D.zero_grad()
            err_real = F.binary_cross_entropy_with_logits(
                D(real).score, torch.ones(len(real), device=real.device))
            err_real.backward()
            fake = G(torch.randn(len(real), G.z_dim, device=real.device))
            err_fake = F.binary_cross_entropy_with_logits(
                D(fake.detach()).score, torch.zeros(len(real), device=real.device))
            err_fake.backward()
            opt_d.step()
            G.zero_grad()
            err_g = F.binary_cross_entropy_with_logits(
                D(fake).score, torch.ones(len(real), device=real.device))
            err_g.backward()
            opt_g.step()
            steps += 1
            if steps % 50 == 0:
                print(f"step {steps}  loss_d {float(err_real + err_fake):.3f}  "
                      f"loss_g {float(err_g):.3f}  {time.perf_counter() - start:.0f} s",
                      flush=True)
            if time.perf_counter() - start >= seconds:
                return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="train/<class>/ folder")
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("tutorial-dcgan"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cfg = load_config("dcgan32", [f"data.name={args.data}", "data.labels=none",
                                  f"train.batch_size={args.batch_size}", "train.ema=0",
                                  f"train.seed={args.seed}", "train.device=cpu"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "config.yaml").write_text(cfg.to_yaml())
    trainer = Trainer(cfg, args.out, torch.device("cpu"), callbacks=[])
    for net in (trainer.G, trainer.D):  # the tutorial's layout, not gankit's channels-last
        net.to(memory_format=torch.contiguous_format)
    torch.manual_seed(args.seed)
    loader = tutorial_loader(args.data, args.batch_size, args.workers)
    trainer.step = train_tutorial(trainer, loader, args.minutes * 60)
    trainer._elapsed_before = args.minutes * 60  # the budget, for the run's records
    SampleGrid(args.out, 0).save(trainer)
    path = Checkpointer(args.out, 0, 1).save(trainer)
    print(f"tutorial loop: {trainer.step} steps in {args.minutes:g} min → {path}")


if __name__ == "__main__":
    main()
