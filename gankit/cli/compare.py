"""``gankit compare``: several presets on the same data and budget, ranked in one table."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "compare", help="train several presets alike and rank them (table, curves, best fakes)",
        description="Train each preset on the same data with the same budget as run folders "
                    "under --out, evaluating each every --eval-every steps on the same real "
                    "reference; write results.md/json, curves.png and best.png. Run again to "
                    "resume an interrupted compare, or with a larger budget to extend it.")
    p.add_argument("presets", nargs="+", metavar="PRESET", help="preset names or CONFIG.yaml")
    p.add_argument("--data", required=True, help="dataset name or folder/archive path")
    length = p.add_argument_group("budget (equal for every model; default 2000 steps)")
    length.add_argument("--steps", type=int, help="generator steps per model")
    length.add_argument("--minutes", type=float,
                        help="training minutes per model (wall clock, evaluation excluded)")
    p.add_argument("--metrics", help="comma-separated metrics (default: fid,kid when the "
                   "Inception weights file is present, else fid_evaluator (+acc) with a "
                   "domain evaluator)")
    p.add_argument("--eval-every", type=int, default=500, help="steps between evaluations")
    p.add_argument("--eval-n", type=int, default=1000, help="fakes per evaluation")
    p.add_argument("--evaluator", metavar="FILE", help="domain evaluator for *_evaluator / acc")
    p.add_argument("--inception-weights", metavar="PATH",
                   help="pt_inception-2015-12-05-6726825d.pth for FID")
    p.add_argument("--resolution", type=int, help="image size for all (default: the first "
                   "preset's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting for every model (repeatable)")
    p.add_argument("--best-n", type=int, default=8, help="fakes per model in best.png")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--devices", metavar="LIST", help="train the models side by side, one per "
                   "device, e.g. cuda:0,cuda:1 (a device may repeat: cpu,cpu)")
    p.add_argument("--out", default="compare", help="comparison folder (default ./compare)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from gankit.errors import GankitError
    from gankit.experiments.compare import compare
    from gankit.experiments.placement import parse_devices
    from gankit.experiments.study import Budget

    if args.best_n <= 0:
        raise GankitError("--best-n must be positive")
    devices = parse_devices(args.devices) if args.devices else None
    try:
        result = compare(args.presets, args.data, Budget(args.steps, args.minutes), args.out,
                         args.eval_every, args.eval_n, args.metrics, args.overrides,
                         args.evaluator, args.inception_weights, args.resolution, args.seed,
                         args.best_n, devices=devices)
    except KeyboardInterrupt:
        print("gankit: compare stopped; run the same command again to resume it",
              file=sys.stderr)
        raise
    print()
    print(result.files["markdown"].read_text(), end="")
    for name, path in result.files.items():
        print(f"gankit: {name:<8} {path}")
    return 0
