"""``gankit train``: train a preset or YAML config into a run folder."""

from __future__ import annotations

import os
from pathlib import Path

from gankit.errors import GankitError


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a GAN (default: the `default` preset)",
                       description="Train a GAN from a preset or a YAML config.")
    p.add_argument("preset", nargs="?", default="default",
                   help="preset name (see `gankit presets`) or a CONFIG.yaml")
    p.add_argument("--data", help="dataset name (shapes, toy2d, ...) or a folder/archive path")
    p.add_argument("--out", help="run folder (default: runs/<preset>-<time>)")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="generator steps to train")
    length.add_argument("--epochs", type=float, help="passes over the data instead of --steps")
    p.add_argument("--minutes", type=float, help="also stop after this much training time "
                   "(wall clock, evaluation excluded; train.minutes)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value, e.g. --set optim.lr_g=1e-4 (repeatable)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    p.add_argument("--device", help="auto | cpu | cuda (default: the config's, auto)")
    p.add_argument("--seed", type=int, help="seed for a repeatable run")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--skip-bad-files", action="store_true",
                   help="skip unreadable or non-image files in the data (one summary warning) "
                   "instead of stopping (data.options.skip_bad_files)")
    p.add_argument("--force", action="store_true",
                   help="start over in an --out folder whose run stopped before its first "
                   "checkpoint (its files are deleted)")
    # imports and building come before the first step: the collector waits (main)
    p.set_defaults(handler=run, pause_gc=True)


def _overrides(args) -> list[str]:
    out = list(args.overrides)
    if args.data:
        out.append(f"data.name={args.data}")
    if args.steps is not None:
        out += [f"train.steps={args.steps}", "train.epochs=0"]
    if args.epochs is not None:
        out.append(f"train.epochs={args.epochs}")
    if args.minutes is not None:
        out.append(f"train.minutes={args.minutes}")
    if args.seed is not None:
        out.append(f"train.seed={args.seed}")
    if args.device:
        out.append(f"train.device={args.device}")
    if args.no_progress:
        out.append("train.progress=false")
    return out


def resolve_config(args):
    """The config for this invocation (preset/file, or the resumed run's, + overrides)
    and the loaded checkpoint when resuming."""
    from gankit.config import config_from_dict, load_config, merge, parse_override
    from gankit.runs import load_checkpoint

    if args.resume:
        state = load_checkpoint(args.resume)
        values = state["config"]
        for text in _overrides(args):
            values = merge(values, parse_override(text))
        return config_from_dict(values), state
    return load_config(args.preset, _overrides(args)), None


def run(args) -> int:
    from dataclasses import replace

    from gankit.data.badfiles import SKIP_OPTION
    from gankit.training import train
    from gankit.training.distributed import launch_rank, launched

    if args.resume and args.out:
        raise GankitError("--resume continues in the run's own folder; drop --out")
    if args.resume and args.force:
        raise GankitError("--force starts a new run over; drop it with --resume")
    cfg, state = resolve_config(args)
    if args.skip_bad_files:
        options = {**cfg.data.options, SKIP_OPTION: True}
        cfg = replace(cfg, data=replace(cfg.data, options=options))
    if launch_rank() != 0:  # under torchrun, rank 0 alone prints
        train(cfg, out=args.out, resume=state, force=args.force)
        return 0
    if state is not None:
        print(f"gankit: resuming {state['path']} at step {state['step']} (of "
              f"{cfg.train.steps if cfg.train.epochs <= 0 else f'{cfg.train.epochs:g} epochs'})")
    print(f"gankit: training preset {cfg.preset or args.preset!r} on {cfg.data.name} "
          f"({cfg.data.resolution} px) — {cfg.description}".rstrip(" —"))
    if launched():
        print(f"gankit: {os.environ['WORLD_SIZE']} processes (torchrun); train.batch_size "
              f"{cfg.train.batch_size} is the global batch")
    result = train(cfg, out=args.out, resume=state, force=args.force)
    run_dir = Path(result.run_dir)
    print(f"gankit: run folder   {run_dir}")
    if result.latest_samples is not None:
        print(f"gankit: sample grids {run_dir / 'samples'} (latest: {result.latest_samples.name})")
    if result.checkpoint is not None:
        print(f"gankit: checkpoint   {result.checkpoint}")
    print(f"gankit: sample more  gankit sample {run_dir} --n 64 --out samples.png")
    return 0
