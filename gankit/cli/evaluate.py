"""``gankit evaluate``: FID / IS / KID / precision-recall / evaluator accuracy of a run,
per-class figures (accuracy, diversity, intra-FID) of conditional runs (per object and
per repeated object list for multi-label runs), and each
direction of a CycleGAN run (B → A figures keyed ``BtoA/...``)."""

from __future__ import annotations

import json
import math

from gankit.errors import GankitError


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="measure a trained generator (FID, IS, KID, PR, acc)")
    p.add_argument("run", metavar="RUN_DIR_OR_CHECKPOINT")
    p.add_argument("--metrics", help="comma-separated: fid,is,kid,pr,acc,fid_evaluator,"
                   "kid_evaluator,pr_evaluator,per_class (default: fid,is,kid,pr, plus acc "
                   "and per_class for a conditional run when an evaluator is known). "
                   "per_class: the evaluator's accuracy, the diversity of the fakes relative "
                   "to real images (diversity_ratio, ~0 when a class collapses) and the "
                   "evaluator-space FID of each class, and the worst classes; for a "
                   "multi-label run each object's hit rate, and the pixel diversity of "
                   "fakes of repeated object lists against real scenes of each list")
    p.add_argument("--n", type=int, default=10000, help="generated images (default 10000; "
                   "compare FIDs only at equal n); translation runs use every held-out pair")
    p.add_argument("--data", help="real data (name or path; default: the run's training data)")
    p.add_argument("--split", help="split of the real data (default: the run's; test for "
                   "translation runs)")
    p.add_argument("--conditions", metavar="FILE.json",
                   help="condition lists (iCLEVR test.json) to generate from, cycled to --n")
    p.add_argument("--evaluator", metavar="FILE", help="domain evaluator for acc / *_evaluator")
    p.add_argument("--inception-weights", metavar="PATH",
                   help="pt_inception-2015-12-05-6726825d.pth (default: "
                   "$GANKIT_INCEPTION_WEIGHTS, then the torch hub cache)")
    p.add_argument("--download", action="store_true",
                   help="allow downloading the Inception weights if they are nowhere on disk")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-ema", action="store_true", help="evaluate the raw generator")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--device", default="auto")
    p.set_defaults(handler=run)


def run(args) -> int:
    from gankit.device import pick_device
    from gankit.metrics.defaults import default_metrics
    from gankit.metrics.shipped import default_evaluator
    from gankit.runs import TrainedRun
    from gankit.runs.evaluation import EvaluationRequest, available_metrics, evaluate_model

    if args.n <= 0:
        raise GankitError("--n must be positive")
    run = TrainedRun.open(args.run, pick_device(args.device), not args.no_ema)
    if run.spec.kind != "image":
        raise GankitError("evaluate measures image generators; this run generates 2-D points")
    # a translation run is judged on held-out pairs: the test split unless told otherwise
    split = args.split or ("test" if run.translation else None)
    real = run.real_data(args.data, split)
    evaluator = args.evaluator or default_evaluator(real)
    metrics = (tuple(m.strip() for m in args.metrics.split(",") if m.strip()) if args.metrics
               else available_metrics(default_metrics(run.translation, run.conditional,
                                                      evaluator is not None), real))
    request = EvaluationRequest(metrics, args.n, args.seed,
                                inception_weights=args.inception_weights,
                                allow_download=args.download, evaluator=evaluator,
                                progress=not args.json)
    conditions = (run.conditions_from_file(args.conditions)
                  if args.conditions and not run.translation else None)
    results, _ = evaluate_model(run.generator, run.spec, real, request, run.device,
                                conditions=conditions)
    return _report(args, run, results)


def _report(args, run, results: dict) -> int:
    from gankit.runs.records import append_record

    record = {"step": run.step, "kind": "evaluate", "checkpoint": str(run.checkpoint),
              **results}
    if run.run_dir is not None:
        append_record(run.run_dir, record)
    if args.json:
        print(json.dumps(record, allow_nan=True))
        return 0
    flat = {k: v for k, v in results.items() if not isinstance(v, (dict, list))}
    width = max(map(len, flat))
    print(f"gankit: {run.checkpoint} (step {run.step})")
    from gankit.metrics.registry import DIRECTION_PREFIX

    backward = DIRECTION_PREFIX["BtoA"]
    if any(key.startswith(backward) for key in flat):  # a CycleGAN: one block per direction
        _print_directions(flat, backward)
        return 0
    for key, value in flat.items():
        print(f"  {key:<{width}}  {_number(value)}")
    if "per_class" in results:
        _print_classes(results["per_class"], results.get("worst_classes", {}))
    if "per_condition" in results:
        _print_conditions(results["per_condition"], results.get("worst_conditions", {}))
    return 0


#: per-class columns: result key → heading
CLASS_COLUMNS = {"acc": "acc", "diversity_ratio": "div_ratio", "diversity_fake": "div_fake",
                 "diversity_real": "div_real", "fid_evaluator": "fid_eval", "n": "n"}
#: per-condition columns (multi-label runs): result key → heading
CONDITION_COLUMNS = {"diversity_ratio": "div_ratio", "diversity_fake": "div_fake",
                     "diversity_real": "div_real", "n_fake": "n_fake", "n_real": "n_real"}
#: worst_classes key → how its classes were picked
WORST_LABELS = {"acc": "lowest acc", "diversity_ratio": "lowest diversity_ratio",
                "fid_evaluator": "highest fid_evaluator"}


def _number(value) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _print_directions(flat: dict, prefix: str) -> None:
    forward = {k: v for k, v in flat.items() if not k.startswith(prefix)}
    backward = {k[len(prefix):]: v for k, v in flat.items() if k.startswith(prefix)}
    width = max(map(len, [*forward, *backward]))
    for title, rows in (("A → B", forward), (f"B → A (keys {prefix}...)", backward)):
        print(f"  {title}")
        for key, value in rows.items():
            print(f"    {key:<{width}}  {_number(value)}")


def _print_classes(table: dict, worst: dict) -> None:
    """One line per class, lowest accuracy (then diversity ratio) first; the worst classes."""
    _print_table("per class (lowest accuracy first)", "class", table, CLASS_COLUMNS,
                 ("acc", "diversity_ratio"))
    for key, names in worst.items():
        print(f"  {WORST_LABELS.get(key, 'worst ' + key)}: {', '.join(names) or '-'}")


def _print_conditions(table: dict, worst: dict) -> None:
    """Multi-label runs: one line per repeated object list, least varied first."""
    if not table:
        print("\n  no object list is shared by enough real images to compare diversity with")
        return
    _print_table("per repeated object list, pixel diversity against real scenes of the list "
                 "(least varied first)", "objects", table, CONDITION_COLUMNS,
                 ("diversity_ratio",))
    print(f"  least varied lists: {'; '.join(worst.get('diversity_ratio', [])) or '-'}")


def _print_table(title: str, first: str, table: dict, columns: dict, order: tuple) -> None:
    def low_first(item) -> tuple[float, ...]:
        values = (item[1].get(key) for key in order)
        return tuple(-math.inf if v is None or math.isnan(v) else v for v in values)

    columns = {k: h for k, h in columns.items() if any(k in r for r in table.values())}
    width = max([len(first), *map(len, table)])
    print(f"\n  {title}:")
    print(f"    {first:<{width}}" + "".join(f"  {h:>9}" for h in columns.values()))
    for name, row in sorted(table.items(), key=low_first):
        cells = (f"{row[k]:.4g}" if isinstance(row.get(k), float) else str(row.get(k, ""))
                 for k in columns)
        print(f"    {name:<{width}}" + "".join(f"  {c:>9}" for c in cells))
