"""``gankit sweep``: an Optuna search over config keys, one run folder per trial."""

from __future__ import annotations

import argparse
import sys

SPACE_EXAMPLE = """\
SPACE.yaml maps config keys to ranges (int when both bounds are ints) or choices:

  optim.lr_g: {low: 1.0e-5, high: 1.0e-3, log: true}
  optim.betas: {choices: [[0.5, 0.999], [0.0, 0.99]]}
  train.d_steps: {choices: [1, 2, 5]}
  loss.gp_weight: {low: 1.0, high: 20.0, step: 1.0}

Rerun the same command (with a larger --trials) to continue a stopped sweep.
Writes DIR/study.db, DIR/trial-NNNN/, DIR/trials.csv, DIR/best.yaml (train it with
`gankit train DIR/best.yaml`), DIR/parallel.png and DIR/importance.png.
"""


def add_parser(sub) -> None:
    p = sub.add_parser("sweep", help="search hyper-parameters with Optuna (resumable)",
                       description="Run an Optuna study over config keys: each trial a run "
                       "folder,\nhopeless trials pruned at their evaluations.",
                       epilog=SPACE_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("preset", help="preset name (see `gankit presets`) or a CONFIG.yaml")
    p.add_argument("--space", required=True, metavar="SPACE.yaml", help="the search space")
    p.add_argument("--trials", type=int, required=True, metavar="N",
                   help="trials in total (complete + pruned), counting earlier runs of the sweep")
    p.add_argument("--metric", help="the metric trials are judged by (default: Inception FID "
                   "when its weights are on disk, else the shipped evaluator's fid_evaluator)")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="generator steps per trial (default 2000)")
    length.add_argument("--minutes", type=float, help="training minutes per trial")
    p.add_argument("--out", metavar="DIR", help="sweep folder (default: sweeps/<preset>)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config value for every trial (repeatable)")
    p.add_argument("--data", help="dataset name or a folder/archive path")
    p.add_argument("--eval-every", type=int, metavar="K",
                   help="evaluate (and maybe prune) every K steps (default: 5 per trial)")
    p.add_argument("--evaluator", metavar="FILE", help="domain evaluator for *_evaluator metrics")
    p.add_argument("--seed", type=int, help="seed of every trial's training and of the sampler")
    p.add_argument("--devices", metavar="LIST", help="run trials side by side, one per device, "
                   "e.g. cuda:0,cuda:1 (a device may repeat: cpu,cpu)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from gankit.experiments.placement import parse_devices
    from gankit.experiments.study import Budget
    from gankit.experiments.sweep import run_sweep

    budget = Budget(args.steps, args.minutes)
    devices = parse_devices(args.devices) if args.devices else None
    try:
        sweep = run_sweep(args.preset, args.space, args.trials, metric=args.metric,
                          budget=budget, out=args.out, overrides=args.overrides, data=args.data,
                          eval_every=args.eval_every, evaluator=args.evaluator, seed=args.seed,
                          on_start=lambda plan: _print_plan(plan, budget),
                          on_trial=_print_trial, devices=devices)
    except KeyboardInterrupt:
        print("gankit: sweep stopped; run the same command again to continue it (the "
              "interrupted trial starts over)", file=sys.stderr)
        raise
    if sweep.best is None:
        print("gankit: no trial completed, so there is no best config yet")
    else:
        print(f"gankit: best trial {sweep.best.number}: {sweep.key} {sweep.best.value:.4g}  "
              f"{_settings(sweep.best.params)}")
        print(f"gankit: best config  {sweep.best_yaml} (train it: gankit train {sweep.best_yaml})")
    print(f"gankit: trials table {sweep.table}")
    for plot in sweep.plots:
        print(f"gankit: plot         {plot}")
    for note in sweep.notes:
        print(f"gankit: note: {note}")
    return 0


def _print_plan(plan, budget) -> None:
    print(f"gankit: sweep in {plan.folder}: {plan.done} trials done, {plan.todo} to go, "
          f"{budget.describe()} each, evaluated every {plan.eval_every} steps")
    print(f"gankit: judged by {plan.key} ({plan.direction}): {plan.reason}")
    for param in plan.space:
        print(f"gankit: searching {_describe(param)}")
    for number in plan.redo:
        print(f"gankit: trial {number} was interrupted; its settings run again")


def _print_trial(row) -> None:
    value = "-" if row.value is None else f"{row.value:.4g}"
    state = f"pruned at step {row.step}" if row.state == "pruned" else row.state
    print(f"trial {row.number:4d}  {value:>10}  {state}{' (best so far)' * row.best}  "
          f"{_settings(row.params)}", flush=True)


def _settings(params: dict) -> str:
    return " ".join(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
                    for key, value in params.items())


def _describe(param) -> str:
    if param.choices:
        return f"{param.key} in {list(param.choices)}"
    extra = (", log scale" if param.log else "") + (f", step {param.step:g}" if param.step else "")
    return f"{param.key} from {param.low:g} to {param.high:g}{extra}"
