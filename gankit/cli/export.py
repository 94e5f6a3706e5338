"""``gankit export``: a trained generator as ``.safetensors`` weights or an ``.onnx`` graph,
with a ``.json`` sidecar describing it (see :mod:`gankit.runs.export`)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser(
        "export", help="write a run's generator as .safetensors or .onnx (+ .json sidecar)",
        description="Write the generator (EMA by default) to --out, and beside it a .json "
                    "sidecar (same stem) with its architecture, data spec, class names and "
                    "source checkpoint. `gankit sample G.safetensors` works like sampling "
                    "the run; an .onnx graph takes z / cond / source and gives images in "
                    "[-1, 1]. Nothing is pickled.")
    p.add_argument("run", metavar="RUN_DIR_OR_CHECKPOINT",
                   help="run folder, checkpoint file (or an exported .safetensors)")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="G.safetensors or G.onnx (its folder must exist; G.json goes beside it)")
    p.add_argument("--format", metavar="FORMAT",
                   help="safetensors or onnx (default: from the --out suffix)")
    p.add_argument("--no-ema", "--raw", dest="no_ema", action="store_true",
                   help="export the raw generator, not its EMA")
    p.add_argument("--direction", metavar="AtoB|BtoA",
                   help="CycleGAN runs, --format onnx: the direction to export (default AtoB)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from gankit.runs.export import export_generator

    result = export_generator(args.run, args.out, args.format, not args.no_ema, args.direction)
    entry = result.description["exports"][result.format]
    step = (result.description.get("source") or {}).get("step")
    inputs = ", ".join(f"{i['name']} [{', '.join(map(str, i['shape']))}]"
                       for i in entry.get("inputs", []))
    print(f"gankit: wrote {result.file} and {result.sidecar.name} ({entry['weights']} "
          f"generator, step {step}" + (f"; inputs {inputs}" if inputs else "") + ")")
    return 0
