"""``gankit sample``: images from a trained generator, as a grid or one PNG each."""

from __future__ import annotations

from gankit.errors import GankitError


def add_parser(sub) -> None:
    p = sub.add_parser("sample", help="generate images from a run or checkpoint")
    p.add_argument("run", metavar="RUN_DIR_OR_CHECKPOINT")
    p.add_argument("--n", type=int, default=64, help="number of images (default 64)")
    p.add_argument("--out", required=True, help="FILE.png for a grid, or a folder for one PNG "
                   "per image (plus grid.png)")
    p.add_argument("--seed", type=int, default=0)
    cond = p.add_mutually_exclusive_group()
    cond.add_argument("--class", dest="class_", metavar="NAME_OR_INDEX",
                      help="draw this class (conditional models)")
    cond.add_argument("--conditions", metavar="FILE.json",
                      help="a JSON list of object-name lists (iCLEVR test.json); one image each")
    p.add_argument("--code", type=int, metavar="K",
                   help="draw every image with latent code K (runs with model.latent_codes)")
    p.add_argument("--best", type=int, metavar="N",
                   help="keep the N most convincing of --n samples (best first)")
    p.add_argument("--rank-by", choices=["discriminator", "evaluator"], default="discriminator",
                   help="what --best ranks by: the run's discriminator score (default) or a "
                   "domain evaluator's confidence in the condition")
    p.add_argument("--evaluator", metavar="FILE", help="evaluator for --rank-by evaluator")
    p.add_argument("--no-ema", action="store_true", help="use the raw generator, not its EMA")
    p.add_argument("--device", default="auto")
    p.set_defaults(handler=run)


def run(args) -> int:
    from gankit.device import pick_device
    from gankit.runs import TrainedRun
    from gankit.runs.grids import save_point_plot, save_samples

    run = TrainedRun.open(args.run, pick_device(args.device), not args.no_ema)
    if run.translation:
        raise GankitError("this is an image-to-image model; use `gankit translate`")
    n = args.n
    if n <= 0 and not args.conditions:
        raise GankitError("--n must be positive")
    if (args.class_ or args.conditions) and not run.conditional:
        raise GankitError("this model is unconditional; drop --class / --conditions")
    if args.conditions:
        cond = run.conditions_from_file(args.conditions)
        n = len(cond)
    elif args.class_ is not None:
        cond = run.class_condition(args.class_, n)
    else:
        cond = run.default_conditions(n, args.seed)
    if n <= 0:
        raise GankitError(f"{args.conditions} holds no conditions")
    images = run.sample(n, cond, seed=args.seed, code=args.code)
    if args.best is not None:
        images, cond = _best(args, run, images, cond)
    if run.spec.kind == "points":
        save_point_plot(images, args.out)
        print(f"gankit: wrote {args.out}")
        return 0
    paths = save_samples(images, args.out)
    print(f"gankit: wrote {len(images)} images to {args.out}"
          + (f" (+ {paths[-1].name})" if len(paths) > 1 else ""))
    return 0


def _best(args, run, images, cond):
    from gankit.runs.evaluation import load_evaluator
    from gankit.runs.ranking import best_of, rank_scores

    if not 0 < args.best <= len(images):
        raise GankitError(f"--best must lie in 1..--n ({len(images)}); raise --n for a larger pool")
    evaluator = load_evaluator(args.evaluator, run.device)
    keep = best_of(rank_scores(run, images, cond, args.rank_by, evaluator), args.best)
    return images[keep], (None if cond is None else cond[keep])
