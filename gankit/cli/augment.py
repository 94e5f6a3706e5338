"""``gankit augment``: does a conditional GAN's output help a classifier? Trains one on
real, real + generated (per ratio) and generated-only images and tests each on real
held-out images, over several seeds."""

from __future__ import annotations

import sys
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("augment", help="train a classifier on real, real+generated and "
                       "generated images of a conditional run; compare held-out accuracy")
    p.add_argument("--gan", required=True, metavar="RUN_DIR_OR_CHECKPOINT",
                   help="a class-conditional or multi-label run")
    p.add_argument("--data", help="real labelled data with the run's classes (name or path; "
                   "default: the run's training data), loaded at the run's resolution")
    p.add_argument("--ratio", type=float, nargs="+", action="extend", metavar="R",
                   help="generated images per real image of each class added to the real "
                   "ones; repeat or list several (default: 1)")
    p.add_argument("--repeats", type=int, default=3,
                   help="seeds per setting; figures are mean ± std (default 3)")
    p.add_argument("--classifier", default="resnet18",
                   help="resnet18 (torchvision, no pretrained weights; default), "
                   "resnet18-small or small-cnn")
    p.add_argument("--epochs", type=int, default=10, help="epochs per training (default 10)")
    p.add_argument("--batch-size", type=int, default=64, help="default 64")
    p.add_argument("--lr", type=float, default=1e-3,
                   help="SGD learning rate, momentum 0.9 (default 1e-3)")
    p.add_argument("--split-test", default="test",
                   help="real split the classifiers are tested on (default test)")
    p.add_argument("--per-class", type=int, default=0, metavar="N",
                   help="real training images per class (a seeded subset; default all): "
                   "the low-data regime, and a way to fit a large dataset in CPU time")
    p.add_argument("--seed", type=int, default=0, help="first seed (then seed+1, ...)")
    p.add_argument("--out", help="folder for augment.json/.md and the charts "
                   "(default: RUN/augment)")
    p.add_argument("--device", default="auto")
    p.set_defaults(handler=run)


def run(args) -> int:
    from gankit.device import pick_device
    from gankit.experiments.augment import AugmentOptions, check_run, load_real, run_study
    from gankit.experiments.augment_report import TABLE_HEADER, table_rows, write_report
    from gankit.experiments.classifier import ClassifierSettings
    from gankit.runs import TrainedRun

    options = AugmentOptions(
        ratios=tuple(args.ratio or (1.0,)), repeats=args.repeats, seed=args.seed,
        split_test=args.split_test,
        classifier=ClassifierSettings(args.classifier, args.epochs, args.batch_size, args.lr))
    device = pick_device(args.device)
    gan = TrainedRun.open(args.gan, device)
    check_run(gan, args.gan)
    real = load_real(gan, args.data, args.split_test, args.per_class, args.seed)
    out = Path(args.out) if args.out else (gan.run_dir or gan.checkpoint.parent) / "augment"
    result = run_study(gan, real, options, device, progress=sys.stderr.isatty())
    paths = write_report(result, out)
    _print_table(TABLE_HEADER, table_rows(result))
    print(f"gankit: {len(result['seeds'])} seed(s) in {result['seconds']:.0f} s; wrote "
          + ", ".join(str(p) for p in paths.values()))
    return 0


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                        for i, (cell, w) in enumerate(zip(row, widths))))
