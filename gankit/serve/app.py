"""The explorer's web app: one page and a small JSON / PNG API under ``/api/``.

::

    registry = Registry(["runs/cdcgan-1", "runs/iclevr-2"])
    app = create_app(registry)          # a Flask app; see gankit.serve.server to serve it

Endpoints (all ``GET`` unless said; ``run`` is a run id from ``/api/runs``, ``checkpoint``
a checkpoint name of that run, default its latest):

- ``/api/runs``: the served runs (kind, class names, checkpoints, limits).
- ``/api/sample?run&checkpoint&class|objects&n&seed``: a PNG grid of ``n`` images.
- ``/api/interpolate?run&checkpoint&seed_a&seed_b&frames&class|objects``: a PNG strip
  from ``seed_a``'s latent code to ``seed_b``'s (slerp).
- ``/api/translate?run&example&direction&class``, or ``POST`` with a multipart ``image``:
  a PNG of source | output.
- ``/api/examples?run&direction`` (how many) and ``/api/example?run&index&direction``
  (one, as PNG): the run's own sketches to translate.
- ``/api/curves?run``: the losses and metrics of its ``metrics.jsonl`` per step.

A bad request gets ``{"error": "..."}`` with a 4xx status; a bug gets a 500 with the same
shape (and its traceback in the server log), and the server goes on serving.
"""

from __future__ import annotations

from pathlib import Path

import torch
from flask import Flask, Response, jsonify, request, send_from_directory
from PIL import Image
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from gankit.data.decode import BadImage, decode_image
from gankit.errors import GankitError
from gankit.metrics.registry import declares
from gankit.runs.interpolation import METHOD, interpolate
from gankit.runs.records import METRICS_FILE, read_records
from gankit.runs.translate import Translator
from gankit.serve.images import grid_png, image_png, pairs_png, points_png
from gankit.serve.models import EXAMPLES, Registry
from gankit.serve.params import ApiError, condition, int_param, required, seed_param

STATIC = Path(__file__).parent / "static"
MAX_N = 64
MAX_FRAMES = 16
MAX_UPLOAD = 16 * 2**20
#: bookkeeping fields of metrics.jsonl rows, not curves
NOT_CURVES = frozenset({"step", "epoch", "kimg", "time_s", "images_per_s"})


def png(data: bytes, **headers: object) -> Response:
    """A PNG answer, never cached (each seed gives new pictures); ``headers`` become
    ``X-...`` headers (``seed_a`` → ``X-Seed-A``)."""
    extra = {"X-" + "-".join(part.capitalize() for part in key.split("_")): str(value)
             for key, value in headers.items()}
    return Response(data, mimetype="image/png", headers={"Cache-Control": "no-store", **extra})


def curve_series(records: list[dict]) -> dict[str, list[list[float]]]:
    """Every numeric field of the rows as ``{name: [[step, value], ...]}`` (losses and
    the evaluation results a metric declares), steps ascending; ``null`` values (NaN when
    logged) left out."""
    series: dict[str, list[list[float]]] = {}
    for record in records:
        step = record.get("step")
        if not isinstance(step, (int, float)):
            continue
        results = record.get("kind") in ("eval", "evaluate")
        for key, value in record.items():
            if (key in NOT_CURVES or isinstance(value, bool)
                    or not isinstance(value, (int, float))
                    or (results and not declares(key))):  # sample counts are no curves
                continue
            series.setdefault(key, []).append([step, value])
    for points in series.values():
        points.sort(key=lambda point: point[0])
    return series


def create_app(registry: Registry, max_n: int = MAX_N, max_frames: int = MAX_FRAMES,
               max_upload: int = MAX_UPLOAD) -> Flask:
    """The explorer app for ``registry``'s runs.

    Args:
        registry: the served runs.
        max_n: most images in one grid.
        max_frames: most frames in one interpolation strip.
        max_upload: largest accepted upload in bytes (larger: 413).
    """
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = max_upload
    app.extensions["gankit.registry"] = registry
    _error_handlers(app, max_upload)

    @app.get("/")
    def index():
        return send_from_directory(STATIC, "index.html")

    @app.get("/api/runs")
    def runs():
        return jsonify({"runs": [{**entry.describe(), "max_n": max_n, "max_frames": max_frames,
                                  "interpolation": METHOD, "examples": EXAMPLES}
                                 for entry in registry.entries.values()]})

    @app.get("/api/sample")
    def sample():
        args = request.args
        run_id = required(args, "run")
        n = int_param(args, "n", 16, 1, max_n)
        seed = seed_param(args)
        with registry.model(run_id, args.get("checkpoint")) as run:
            if run.translation:
                raise ApiError(f"run {run_id!r} translates sketches; use /api/translate")
            cond = condition(args, run.spec, run.class_names, n, seed)
            images = run.sample(n, cond, seed=seed, batch_size=max_n)
            points = run.spec.kind == "points"
        return png(points_png(images) if points else grid_png(images), seed=seed)

    @app.get("/api/interpolate")
    def interpolation():
        args = request.args
        run_id = required(args, "run")
        frames = int_param(args, "frames", 8, 2, max_frames)
        seed_a, seed_b = seed_param(args, "seed_a"), seed_param(args, "seed_b")
        with registry.model(run_id, args.get("checkpoint")) as run:
            if run.spec.kind == "points":
                raise ApiError(f"run {run_id!r} draws 2-D points; interpolation shows images")
            one = condition(args, run.spec, run.class_names, 1, seed_a)
            cond = None if one is None else one.repeat(frames, 1)
            images = interpolate(run, seed_a, seed_b, frames, cond)
        return png(grid_png(images, per_row=frames), seed_a=seed_a, seed_b=seed_b,
                   interpolation=METHOD)

    @app.route("/api/translate", methods=["GET", "POST"])
    def translate():
        args = request.args
        run_id = required(args, "run")
        direction = _direction(registry, run_id, args.get("direction"))
        seed = seed_param(args)
        upload = _upload() if request.method == "POST" else None
        example = None if upload else int_param(args, "example", None, 0, EXAMPLES - 1)
        with registry.model(run_id, args.get("checkpoint")) as run:
            translator = Translator.from_run(run, direction)
            spec = translator.spec
            if upload is not None:
                source = _decode(*upload, spec.resolution, spec.source_channels)
            else:
                source = _example(registry.examples(run, run_id, direction), example, run_id)
            cond = condition(args, spec, translator.class_names, 1, seed)
            output = translator.translate(source, cond, seed=seed)
        return png(pairs_png(source, output), seed=seed, direction=direction)

    @app.get("/api/examples")
    def examples():
        run_id = required(request.args, "run")
        direction = _direction(registry, run_id, request.args.get("direction"))
        with registry.model(run_id) as run:
            count = len(registry.examples(run, run_id, direction))
        return jsonify({"run": run_id, "direction": direction, "count": count})

    @app.get("/api/example")
    def example_image():
        args = request.args
        run_id = required(args, "run")
        direction = _direction(registry, run_id, args.get("direction"))
        index = int_param(args, "index", None, 0, EXAMPLES - 1)
        with registry.model(run_id) as run:
            source = _example(registry.examples(run, run_id, direction), index, run_id)
        return png(image_png(source[0]))

    @app.get("/api/curves")
    def curves():
        entry = registry.entry(required(request.args, "run"))
        try:
            records = read_records(entry.run_dir) if entry.run_dir is not None else []
        except ValueError as err:
            raise ApiError(f"{entry.run_dir / METRICS_FILE} is not valid JSON lines ({err})",
                           500) from None
        return jsonify({"run": entry.id, "name": entry.name, "series": curve_series(records)})

    return app


def _direction(registry: Registry, run_id: str, value: str | None) -> str:
    """The translation direction asked for, checked against what the run can do."""
    entry = registry.entry(run_id)
    if entry.info["kind"] not in ("image-to-image", "cycle"):
        raise ApiError(f"run {run_id!r} draws from noise, not from sketches; use /api/sample")
    direction = (value or "AtoB").strip()
    allowed = entry.info["directions"]
    if direction not in allowed:
        raise ApiError(f"direction={direction[:20]!r} is not possible for run {run_id!r}; "
                       f"use {' or '.join(allowed)}")
    return direction


def _upload() -> tuple[bytes, str]:
    """The bytes and file name of the multipart field ``image``."""
    file = request.files.get("image")
    if file is None:
        raise ApiError("missing upload: send the sketch as the multipart field 'image'")
    data = file.read()
    name = file.filename or "the upload"
    if not data:
        raise ApiError(f"{name} is empty; upload an image file (PNG, JPEG, ...)")
    return data, name


def _decode(data: bytes, name: str, resolution: int, channels: int) -> torch.Tensor:
    """Decode an uploaded image like the training sketches: ``[1, channels, res, res]``."""
    try:
        return decode_image(data, resolution, channels, name)[None]
    except BadImage as err:
        status = 413 if isinstance(err.__cause__, Image.DecompressionBombError) else 415
        raise ApiError(f"{name} {err.problem}; upload a PNG, JPEG, BMP, WebP, GIF or TIFF "
                       "image", status) from None


def _example(examples: torch.Tensor, index: int, run_id: str) -> torch.Tensor:
    if index >= len(examples):
        raise ApiError(f"run {run_id!r} has {len(examples)} example sketches; "
                       f"use index 0..{len(examples) - 1}", 404)
    return examples[index:index + 1]


def _error_handlers(app: Flask, max_upload: int) -> None:
    def answer(message: str, status: int) -> tuple[Response, int]:
        return jsonify({"error": message}), status

    @app.errorhandler(ApiError)
    def api_error(err: ApiError):
        return answer(err.message, err.status)

    @app.errorhandler(GankitError)
    @app.errorhandler(ValueError)
    def bad_request(err: Exception):
        return answer(str(err), 400)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(err: RequestEntityTooLarge):
        return answer(f"the upload is larger than the {max_upload / 2**20:g} MiB limit; "
                      "send a smaller image", 413)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        return answer(f"{err.name}: {err.description}", err.code or 500)

    @app.errorhandler(torch.cuda.OutOfMemoryError)
    def out_of_memory(err: Exception):
        return answer("the GPU ran out of memory; draw fewer images (lower n)", 503)

    @app.errorhandler(Exception)
    def bug(err: Exception):
        app.logger.exception("gankit serve: %s %s failed", request.method, request.path)
        return answer(f"internal error ({type(err).__name__}: {err}); the server log has "
                      "the traceback", 500)
