"""``gankit serve``: a local web page to explore trained runs (grids, interpolation,
sketch translation, training curves)."""

from __future__ import annotations

import sys

from gankit.serve import DEFAULT_HOST, DEFAULT_PORT


def add_parser(sub) -> None:
    p = sub.add_parser(
        "serve", help="explore trained runs in a local web page",
        description="Serve a page on this machine to draw grids by class or objects, "
                    "interpolate between latent codes, translate sketches and compare "
                    "runs' curves. Listens on loopback only unless --host says otherwise.")
    p.add_argument("runs", nargs="+", metavar="RUN", help="run folders, checkpoint files or exported G.safetensors")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port to listen on (default {DEFAULT_PORT}; 0: any free port)")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default {DEFAULT_HOST}, this machine only; "
                        "0.0.0.0 makes the page reachable from the network)")
    p.add_argument("--max-n", type=int, default=64, help="most images per grid (default 64)")
    p.add_argument("--device", default="auto",
                   help="where the models run: auto (CUDA when present), cpu or cuda")
    p.set_defaults(handler=run)


def run(args) -> int:
    from gankit.device import pick_device
    from gankit.serve.server import is_loopback, make_explorer, url_of

    server = make_explorer(args.runs, args.host, args.port, pick_device(args.device),
                           max_n=args.max_n)
    if not is_loopback(args.host):
        print(f"gankit: warning: --host {args.host} makes the explorer reachable from the "
              "network; anyone who can reach this machine can use it", file=sys.stderr)
    count = len(args.runs)
    print(f"gankit: serving {count} run{'s' if count != 1 else ''} at {url_of(server)} "
          "— Ctrl-C to stop", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
