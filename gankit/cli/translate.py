"""``gankit translate``: sketches → images with a trained pix2pix / sketch2image run, or
either direction of a CycleGAN run."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser(
        "translate", help="translate a folder of sketches with a trained image-to-image run",
        description="Write OUT/<name> for every sketch <name> of the input folder, plus a "
                    "side-by-side grid (sketch | output).")
    p.add_argument("run", metavar="RUN_DIR", help="run folder or checkpoint file")
    p.add_argument("--input", required=True, metavar="SKETCH_DIR", help="folder of sketches")
    labels = p.add_mutually_exclusive_group()
    labels.add_argument("--labels", metavar="CSV",
                        help="one-hot labels CSV, one row per sketch (labelled models)")
    labels.add_argument("--class", dest="class_", metavar="NAME",
                        help="one class (name or index) for every sketch (labelled models)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--direction", choices=("AtoB", "BtoA"), default="AtoB",
                   help="CycleGAN runs: translate domain A → B (default) or B → A; the "
                        "input folder holds images of the source domain")
    p.add_argument("--grid", metavar="FILE.png", help="side-by-side grid (default OUT/grid.png)")
    p.add_argument("--grid-n", type=int, default=32, help="pairs shown in the grid (default 32)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--no-ema", action="store_true", help="use the raw generator, not its EMA")
    p.add_argument("--device", default="auto")
    p.set_defaults(handler=run)


def run(args) -> int:
    from gankit.device import pick_device
    from gankit.errors import GankitError
    from gankit.runs.translate import load_translator, translate_folder

    if args.batch_size <= 0 or args.grid_n <= 0:
        raise GankitError("--batch-size and --grid-n must be positive")
    translator = load_translator(args.run, pick_device(args.device), not args.no_ema,
                                 args.direction)
    result = translate_folder(translator, args.input, args.out, labels_csv=args.labels,
                              class_name=args.class_, grid=args.grid, grid_pairs=args.grid_n,
                              batch_size=args.batch_size)
    print(f"gankit: wrote {len(result.outputs)} images to {args.out} "
          f"(side by side: {result.grid})")
    return 0
