"""``gankit evaluate``: FID / IS / KID / precision-recall / evaluator accuracy of a run."""

from __future__ import annotations

import json
from pathlib import Path

from gankit.errors import GankitError


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="measure a trained generator (FID, IS, KID, PR, acc)")
    p.add_argument("run", metavar="RUN_DIR_OR_CHECKPOINT")
    p.add_argument("--metrics", help="comma-separated: fid,is,kid,pr,acc,fid_evaluator,"
                   "kid_evaluator,pr_evaluator (default: fid,is,kid,pr, plus acc when an "
                   "evaluator is known)")
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


def _metrics(args, has_evaluator: bool, conditional: bool, translation: bool
             ) -> tuple[str, ...]:
    if args.metrics:
        return tuple(m.strip() for m in args.metrics.split(",") if m.strip())
    names = ["l1", "psnr", "ssim", "fid", "kid"] if translation else ["fid", "is", "kid", "pr"]
    if has_evaluator and conditional:
        names.append("acc")
    return tuple(names)


def run(args) -> int:
    from dataclasses import replace

    from gankit.evaluation import EvaluationRequest, evaluate_model
    from gankit.generate import conditions_from_file, load_generator
    from gankit.metrics.shipped import default_evaluator
    from gankit.training import build_dataset, pick_device

    if args.n <= 0:
        raise GankitError("--n must be positive")
    device = pick_device(args.device)
    G, cfg, spec, class_names, state = load_generator(args.run, device, not args.no_ema)
    if spec.kind != "image":
        raise GankitError("evaluate measures image generators; this run generates 2-D points")
    translation = spec.source_channels > 0
    # a translation run is judged on held-out pairs: the test split unless told otherwise
    split = args.split or ("test" if translation else cfg.data.split)
    real = build_dataset(replace(cfg.data, name=args.data or cfg.data.name, split=split))
    evaluator = args.evaluator or default_evaluator(real)
    request = EvaluationRequest(_metrics(args, evaluator is not None, spec.num_classes > 0,
                                         translation),
                                args.n, args.seed, inception_weights=args.inception_weights,
                                allow_download=args.download, evaluator=evaluator,
                                progress=not args.json)
    conditions = (conditions_from_file(args.conditions, class_names)
                  if args.conditions and not translation else None)
    results, _ = evaluate_model(G, spec, real, request, device, config=cfg, conditions=conditions)
    return _report(args, state, results)


def _report(args, state: dict, results: dict) -> int:
    record = {"step": state.get("step"), "kind": "evaluate",
              "checkpoint": state.get("path"), **results}
    run_dir = Path(state["path"]).parent.parent
    if (run_dir / "config.yaml").is_file():
        with (run_dir / "metrics.jsonl").open("a") as f:
            f.write(json.dumps(record) + "\n")
    if args.json:
        print(json.dumps(record, allow_nan=True))
        return 0
    width = max(map(len, results))
    print(f"gankit: {state.get('path')} (step {state.get('step')})")
    for key, value in results.items():
        text = f"{value:.6g}" if isinstance(value, float) else str(value)
        print(f"  {key:<{width}}  {text}")
    return 0
