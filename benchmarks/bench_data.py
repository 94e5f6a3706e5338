"""Benchmark the image readers on the real CIFAR-10 archive: cold decode vs cache hit.

    python benchmarks/bench_data.py                    # train split, 32 px, RGB
    python benchmarks/bench_data.py --folder           # also an extracted folder
    python benchmarks/bench_data.py --resolution 64 --split test

Uses ``../shared/data/cifar10-jpg.tar.gz`` beside the checkout unless ``--archive``
is given, and a temporary cache folder so every run starts cold.
"""

from __future__ import annotations

import argparse
import tarfile
import tempfile
import time
from pathlib import Path

from gankit.data.archives import member_path
from gankit.data.decode import decode_many, default_workers
from gankit.data.paths import load_path
from gankit.data.registry import DataRequest

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
DEFAULT_ARCHIVE = SHARED_DATA / "cifar10-jpg.tar.gz"


def timed(label: str, run, count: int | None = None):
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    count = len(result) if count is None else count
    print(f"{label:<44} {seconds:7.2f} s  {count / seconds:9.0f} images/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--split", default="train")
    parser.add_argument("--resolution", type=int, default=32)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--folder", action="store_true", help="also time an extracted folder")
    args = parser.parse_args()
    if not args.archive.is_file():
        raise SystemExit(f"{args.archive} not found; pass --archive")
    print(f"{args.archive.name}: split {args.split}, {args.resolution} px, {args.channels} "
          f"channel(s), up to {default_workers()} decode threads")

    with tempfile.TemporaryDirectory() as scratch:
        request = DataRequest(name=str(args.archive), resolution=args.resolution,
                              channels=args.channels, split=args.split,
                              cache_dir=str(Path(scratch) / "cache"))
        cold = timed("archive, cold (list + read + decode + store)", lambda: load_path(request))
        assert cold.meta["cache"] == "miss"
        hot = timed("archive, cached (hash archive + load entry)", lambda: load_path(request))
        assert hot.meta["cache"] == "hit"

        with tarfile.open(args.archive) as archive:
            prefix = f"{args.split}/"
            blobs = [(info.name, archive.extractfile(info).read()) for info in archive
                     if info.isfile() and member_path(info.name).startswith(prefix)]
        for workers in (1, None):
            label = f"decode only, bytes in memory, workers={workers or 'auto'}"
            timed(label, lambda: decode_many(blobs, len(blobs), args.resolution, args.channels,
                                             workers=workers))

        if args.folder:
            folder = Path(scratch) / "extracted"
            with tarfile.open(args.archive) as archive:
                archive.extractall(folder, filter="data")
            folder_request = DataRequest(**{**vars(request), "name": str(folder)})
            timed("folder, cold", lambda: load_path(folder_request))
            timed("folder, cached (stat files + load entry)", lambda: load_path(folder_request))


if __name__ == "__main__":
    main()
