"""``gankit sketch``: turn a folder of masks (or photos) into outline (or edge) sketches."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sketch", help="make sketches from masks (outlines) or photos (edges)",
        description="Write one sketch SRC/<stem> → DST/<stem>.png for every image in SRC, "
                    "to build a paired images/ + sketches/ folder for sketch→image training.")
    p.add_argument("src", metavar="SRC", help="folder of segmentation masks or photos")
    p.add_argument("dst", metavar="DST", help="output folder for the sketches")
    # modes are checked by the SKETCH_MODES registry (importing it here would load torch
    # and scipy for every gankit command)
    p.add_argument("--mode", default="outline",
                   help="outline: external contours of thresholded masks; edges: "
                        "Canny-style edges of photos (default outline)")
    p.add_argument("--width", type=int, default=1, help="line width in pixels (default 1)")
    p.add_argument("--invert", action="store_true",
                   help="black lines on white (default: white lines on black)")
    p.add_argument("--threshold", type=float, default=None,
                   help="mask threshold in grey levels (outline, default 127) or high edge "
                        "threshold (edges, default 30)")
    p.add_argument("--sigma", type=float, default=1.0,
                   help="Gaussian smoothing before edge detection, in pixels (edges; default 1)")
    p.add_argument("--strip-suffix", default="", metavar="S",
                   help="remove S from the end of names, e.g. _segmentation for ISIC masks")
    p.set_defaults(handler=run)


def run(args) -> int:
    from gankit.data.sketching import sketch_folder

    count = sketch_folder(args.src, args.dst, mode=args.mode, width=args.width,
                          invert=args.invert, threshold=args.threshold, sigma=args.sigma,
                          strip_suffix=args.strip_suffix)
    print(f"gankit: wrote {count} {args.mode} sketches to {args.dst}")
    return 0
