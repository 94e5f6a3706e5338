"""Benchmark: gankit's metric path against torch-fidelity's calculate_metrics, same images.

Both runs see the same uint8 images and the same Inception weights file, in the same
process. Printed: feature-extraction throughput (images/s) and end-to-end time of each
path, whether the extracted features are identical, and every metric side by side.

Without the real FID weights (``--inception-weights``, ``$GANKIT_INCEPTION_WEIGHTS`` or the
torch hub cache) the benchmark runs on a random-weight Inception saved to a temporary
file and says so: the timings are real, the metric values mean nothing.

    python benchmarks/bench_metrics.py --n 2000 --device cuda

On CUDA both paths run in true float32 (gankit's default; torch-fidelity is run inside the
same setting) unless ``--allow-tf32``; a last column then shows torch-fidelity as users
usually call it, under PyTorch's defaults (cuDNN TF32 convolutions on).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.metrics import MetricSuite
from gankit.metrics.features import extract_feature_sets, float32_precision
from gankit.metrics.inception import TORCH_FIDELITY_NAME, save_random_inception_weights
from gankit.metrics.inception_weights import find_inception_weights

#: gankit result key → torch-fidelity result key.
SAME_METRIC = {
    "fid": "frechet_inception_distance",
    "is_mean": "inception_score_mean",
    "is_std": "inception_score_std",
    "kid_mean": "kernel_inception_distance_mean",
    "kid_std": "kernel_inception_distance_std",
    "precision": "precision",
    "recall": "recall",
    "f_score": "f_score",
}


class UInt8Images(torch.utils.data.Dataset):
    """The Dataset form torch-fidelity takes: one uint8 [3, H, W] tensor per item."""

    def __init__(self, images: torch.Tensor):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.images[i]


def smooth_noise(n: int, size: int, grain: int, seed: int) -> torch.Tensor:
    """Uniform noise drawn at ``grain`` px and upsampled to ``size``: image-like statistics."""
    g = torch.Generator().manual_seed(seed)
    noise = torch.rand(n, 3, grain, grain, generator=g) * 255
    return F.interpolate(noise, size=(size, size), mode="bilinear").round().to(torch.uint8)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device):
    synchronize(device)
    start = time.perf_counter()
    out = fn()
    synchronize(device)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="images per set")
    parser.add_argument("--size", type=int, default=32, help="image side in pixels")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", default=None, help="cuda or cpu (default: cuda if any)")
    parser.add_argument("--inception-weights", default=None)
    parser.add_argument("--allow-tf32", action="store_true",
                        help="CUDA: let both paths use TF32 convolutions (faster, inexact)")
    args = parser.parse_args()
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))

    tmp = tempfile.TemporaryDirectory()
    try:
        weights, real_weights = find_inception_weights(args.inception_weights), True
    except GankitError as missing:
        print(f"NOTE: {missing}")
        print("NOTE: using a RANDOM-weight Inception (timings are real, metric values are not)")
        weights, real_weights = save_random_inception_weights(Path(tmp.name) / "random.pth"), False

    fake = smooth_noise(args.n, args.size, grain=8, seed=0)
    real = smooth_noise(args.n, args.size, grain=16, seed=1)
    settings = {"batch_size": args.batch_size, "kid_subset_size": min(1000, args.n),
                "allow_tf32": args.allow_tf32}
    print(f"device={device} ({torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'}), "
          f"torch {torch.__version__}, threads={torch.get_num_threads()}, n={args.n} per set, "
          f"{args.size}px, batch {args.batch_size}, weights={weights.name} "
          f"({'real' if real_weights else 'random'}), allow_tf32={args.allow_tf32}")

    # gankit: extraction alone, then the full computation (extractor kept by the suite).
    suite = MetricSuite(("fid", "is", "kid", "pr"), inception_weights=weights, device=device,
                        settings=settings, progress=False)
    extractor = suite.extractor("inception")
    with torch.no_grad():
        extractor(fake[:args.batch_size].to(device))  # warm-up
    layers = {"inception": extractor.layers}
    (ours_fake, ours_real), extract_s = timed(lambda: [
        extract_feature_sets(x, {"inception": extractor}, layers, None, args.batch_size,
                             device, role, progress=False,
                             allow_tf32=args.allow_tf32)["inception"]
        for x, role in ((fake, "fake"), (real, "real"))], device)
    ours, ours_total_s = timed(lambda: suite.compute(fake, real), device)

    # torch-fidelity: its own extraction loop, then calculate_metrics end to end.
    import torch_fidelity
    from torch_fidelity.utils import create_feature_extractor, get_featuresdict_from_dataset

    cuda = device.type == "cuda"
    common = dict(cuda=cuda, batch_size=args.batch_size, verbose=False,
                  feature_extractor=TORCH_FIDELITY_NAME,
                  feature_extractor_weights_path=str(weights),
                  kid_subset_size=settings["kid_subset_size"])
    tf_extractor = create_feature_extractor(TORCH_FIDELITY_NAME, ["2048", "logits_unbiased"],
                                            **common)
    with torch.no_grad():
        tf_extractor(fake[:args.batch_size].to(device))  # warm-up
    with float32_precision(args.allow_tf32):
        (tf_fake, tf_real), tf_extract_s = timed(lambda: [
            get_featuresdict_from_dataset(UInt8Images(x), tf_extractor, args.batch_size, cuda,
                                          save_cpu_ram=False, verbose=False)
            for x in (fake, real)], device)
        reference, tf_total_s = timed(lambda: torch_fidelity.calculate_metrics(
            input1=UInt8Images(fake), input2=UInt8Images(real), isc=True, fid=True, kid=True,
            prc=True, cache=False, **common), device)
    as_usual = None
    if cuda and not args.allow_tf32:
        as_usual = torch_fidelity.calculate_metrics(
            input1=UInt8Images(fake), input2=UInt8Images(real), isc=True, fid=True, kid=True,
            prc=True, cache=False, **common)

    images = 2 * args.n
    print(f"\nfeature extraction, {images} images:")
    print(f"  gankit          {images / extract_s:9.1f} img/s ({extract_s:.2f} s)")
    print(f"  torch-fidelity  {images / tf_extract_s:9.1f} img/s ({tf_extract_s:.2f} s)")
    print("end to end (extraction + FID/IS/KID/PR):")
    print(f"  gankit          {images / ours_total_s:9.1f} img/s ({ours_total_s:.2f} s)")
    print(f"  torch-fidelity  {images / tf_total_s:9.1f} img/s ({tf_total_s:.2f} s)")
    for layer in ("2048", "logits_unbiased"):
        diff = max((ours_fake.features[layer] - tf_fake[layer]).abs().max().item(),
                   (ours_real.features[layer] - tf_real[layer]).abs().max().item())
        print(f"max |feature difference| ({layer}): {diff:.3g}")
    usual = "  torch-fidelity, TF32 default" if as_usual else ""
    print(f"\n{'metric':<12}{'gankit':>22}{'torch-fidelity':>22}{'rel. diff':>12}{usual}")
    for ours_key, tf_key in SAME_METRIC.items():
        a, b = ours[ours_key], reference[tf_key]
        rel = abs(a - b) / max(abs(b), 1e-30)
        extra = f"{as_usual[tf_key]:>30.12g}" if as_usual else ""
        print(f"{ours_key:<12}{a:>22.12g}{b:>22.12g}{rel:>12.2g}{extra}")
    for key in ("density", "coverage", "kid_subset_size", "n_fake", "n_real"):
        print(f"{key:<12}{ours[key]:>22.12g}{'-':>22}")
    print("\ngankit keeps FID/KID statistics in float64; torch-fidelity's own run computes the "
          "FID mean and the KID kernels in float32, hence differences in the last digits.")
    tmp.cleanup()


if __name__ == "__main__":
    main()
