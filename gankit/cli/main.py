"""``gankit`` command line: parse, dispatch, and turn user errors into one line."""

from __future__ import annotations

import argparse
import sys

from gankit import __version__
from gankit.errors import GankitError
from gankit.startup import freeze_for_exit, pause_collector

# Each module adds one sub-command: ``add_parser(subparsers)`` and ``run(args) -> int``.
COMMAND_MODULES = ("train", "sample", "evaluate", "evaluator", "translate", "sketch", "presets",
                   "compare", "augment", "sweep", "serve", "export", "report")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="gankit", description="Train, evaluate and use GANs for images (offline first).")
    parser.add_argument("--version", action="version", version=f"gankit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"gankit.cli.{name}")
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; ``argv`` None: the process's own arguments (the ``gankit``
    command itself, which may also tune the garbage collector: :mod:`gankit.startup`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    own_process = argv is None
    # not under torchrun: with the heap frozen, the process group's objects outlived
    # their threads and about one exit in two aborted ("terminate called without an
    # active exception")
    tune_collector = own_process and not _launched()
    if tune_collector and getattr(args, "pause_gc", False):
        pause_collector()  # until training starts: faster imports and building
    # under torchrun every process runs the command; rank 0 alone speaks for them
    speaks = _launch_rank() == 0
    try:
        return int(args.handler(args) or 0)
    except GankitError as err:
        if speaks:
            print(f"gankit: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        # training says itself where it stopped; 128 + the signal number, as a shell would
        code = getattr(interrupt, "exit_code", None)
        if code is None and speaks:
            print("gankit: interrupted", file=sys.stderr)
        return code or 130
    finally:
        if tune_collector:
            freeze_for_exit()  # the process exits next: skip its last walk of the heap


def _launched() -> bool:
    import os

    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def _launch_rank() -> int:
    """This process's rank under torchrun, 0 otherwise (as
    :func:`gankit.training.distributed.launch_rank`, without importing torch)."""
    import os

    return int(os.environ.get("RANK", "0")) if _launched() else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
