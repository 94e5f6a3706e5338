"""The common PyTorch DCGAN loop, for a fixed number of steps: gankit's yardstick.

Written as the PyTorch DCGAN tutorial writes it and without gankit: torchvision
``ImageFolder`` + ``DataLoader`` (shuffle, 2 workers, per-image ``Resize`` / ``CenterCrop``
/ ``ToTensor`` / ``Normalize``), the tutorial's generator and discriminator (at 32 px one
level fewer: G 100→4·ngf→2·ngf→ngf→3, D 3→ndf→2·ndf→4·ndf→1; the same layers as
gankit's ``dcgan`` nets), BCE on D(real) and D(fake) with separate backward passes, Adam
2e-4 β=(0.5, 0.999). It prints one JSON line of wall-clock marks (``time.time()``) so
that a caller can time it end to end, start-up included:

    python benchmarks/plain_dcgan.py --data /tmp/cifar10/train --resolution 32 --steps 200
    python benchmarks/plain_dcgan.py --data /tmp/cifar10/train --count-flops

``--count-flops`` counts the matrix-product FLOPs of one training step instead (torch's
``FlopCounterMode``) and prints them per image.
"""

from __future__ import annotations

import time

MARKS = {"python": time.time()}

# (imported after the mark above, which times the interpreter's start)
import argparse
import json
from itertools import pairwise

import torch
from torch import nn
from torchvision import datasets, transforms

MARKS["imports"] = time.time()


def generator(levels: int, nz: int = 100, ngf: int = 64, nc: int = 3) -> nn.Sequential:
    """The tutorial's generator with ``levels`` upsamplings after the 4×4 start."""
    widths = [ngf * 2 ** i for i in reversed(range(levels))]
    layers = [nn.ConvTranspose2d(nz, widths[0], 4, 1, 0, bias=False),
              nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
    for w_in, w_out in pairwise(widths):
        layers += [nn.ConvTranspose2d(w_in, w_out, 4, 2, 1, bias=False),
                   nn.BatchNorm2d(w_out), nn.ReLU(True)]
    layers += [nn.ConvTranspose2d(widths[-1], nc, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator(levels: int, ndf: int = 64, nc: int = 3) -> nn.Sequential:
    """The tutorial's discriminator with ``levels`` stride-2 convolutions."""
    widths = [ndf * 2 ** i for i in range(levels)]
    layers = [nn.Conv2d(nc, widths[0], 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    for w_in, w_out in pairwise(widths):
        layers += [nn.Conv2d(w_in, w_out, 4, 2, 1, bias=False), nn.BatchNorm2d(w_out),
                   nn.LeakyReLU(0.2, inplace=True)]
    layers += [nn.Conv2d(widths[-1], 1, 4, 1, 0, bias=False), nn.Sigmoid()]
    return nn.Sequential(*layers)


def weights_init(m: nn.Module) -> None:
    """The tutorial's N(0, 0.02) conv and N(1, 0.02) BatchNorm initialisation."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="train/<class>/ image folder")
    parser.add_argument("--resolution", type=int, default=32, choices=(32, 64))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--count-flops", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(0)
    size, levels = args.resolution, {32: 3, 64: 4}[args.resolution]
    dataset = datasets.ImageFolder(args.data, transform=transforms.Compose([
        transforms.Resize(size), transforms.CenterCrop(size), transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
    loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True,
                                         num_workers=args.workers, drop_last=True)
    MARKS["data"] = time.time()
    G, D = generator(levels), discriminator(levels)
    G.apply(weights_init)
    D.apply(weights_init)
    criterion = nn.BCELoss()
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    MARKS["models"] = time.time()

    def step(real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = real.size(0)
        D.zero_grad()
        err_real = criterion(D(real).view(-1), torch.full((n,), 1.0))
        err_real.backward()
        fake = G(torch.randn(n, 100, 1, 1))
        err_fake = criterion(D(fake.detach()).view(-1), torch.full((n,), 0.0))
        err_fake.backward()
        opt_d.step()
        G.zero_grad()
        err_g = criterion(D(fake).view(-1), torch.full((n,), 1.0))
        err_g.backward()
        opt_g.step()
        return err_real + err_fake, err_g

    if args.count_flops:
        from torch.utils.flop_counter import FlopCounterMode

        real = next(iter(loader))[0]
        with FlopCounterMode(display=False) as counter:
            step(real)
        print(json.dumps({"flops_per_image": counter.get_total_flops() / len(real)}))
        return
    steps = 0
    while steps < args.steps:
        for real, _ in loader:
            if steps == 0:
                MARKS["first_step"] = time.time()
            err_d, err_g = step(real)
            steps += 1
            if steps == 10:
                MARKS["step_10"] = time.time()
            if steps % 50 == 0:  # the tutorial prints its losses as it goes
                print(f"[{steps}/{args.steps}] loss_d {err_d.item():.3f} "
                      f"loss_g {err_g.item():.3f}", flush=True)
            if steps == args.steps:
                break
    MARKS["end"] = time.time()
    print("MARKS " + json.dumps(MARKS), flush=True)


if __name__ == "__main__":
    main()
