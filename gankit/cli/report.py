"""``gankit report``: one self-contained HTML page about one or more runs."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report", help="write one HTML page about runs (config, curves, samples, metrics)",
        description="Write one self-contained HTML file (pictures embedded, nothing fetched "
                    "from the network) with, for each run, its resolved config, timings, "
                    "metrics, curves, latest samples, progress animation, real vs fake and "
                    "most convincing fakes; for several runs or a `gankit compare` folder, "
                    "a side-by-side table with the best value of each metric marked and the "
                    "curves overlaid.")
    p.add_argument("runs", nargs="+", metavar="RUN", help="run folders or compare folders")
    p.add_argument("--out", default="report.html", help="the HTML file (default report.html)")
    p.add_argument("--best-n", type=int, default=8,
                   help="most convincing fakes shown per run (0: none)")
    p.add_argument("--title", help="the page title (default: the run names)")
    p.set_defaults(handler=run)


def run(args) -> int:
    from gankit.errors import GankitError
    from gankit.experiments.report import write_report

    if args.best_n < 0:
        raise GankitError(f"--best-n must be 0 or more, got {args.best_n}")
    out = write_report(args.runs, args.out, args.best_n, args.title)
    print(f"gankit: report of {len(args.runs)} folder{'s' if len(args.runs) > 1 else ''} "
          f"→ {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0
