"""ONNX export of a generator: one self-contained graph, inputs by name, a free batch size.

Inputs (float32, only those the model takes, all with the same batch size):

* ``z`` ``[batch, z_dim]`` — standard normal noise (models with noise);
* ``cond`` ``[batch, K]`` — one-hot class rows, or multi-hot object rows for multi-label
  models, in the index order of the sidecar's ``class_names``;
* ``source`` ``[batch, Cs, H, W]`` — the input image of an image-to-image model, in
  [-1, 1] (``uint8 / 127.5 - 1``).

Output: ``images`` ``[batch, C, H, W]`` in [-1, 1] (``uint8 = round((x + 1) * 127.5)``),
or ``points`` ``[batch, 2]`` for the 2-D toy models. The sidecar lists the same.

torch 2.14 has two exporters. The TorchScript one (``dynamo=False``) is deprecated and
cannot express the ``vdot`` of spectral norm (BigGAN); the ``torch.export``-based one
(``dynamo=True``, needs ``onnx`` and ``onnxscript``) exports every gankit generator with
a symbolic batch axis, so it is the one used.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gankit.errors import GankitError
from gankit.models import DataSpec, Generator

#: opset of the exported graphs (onnxruntime >= 1.14 runs it)
OPSET = 18
BATCH = "batch"
INSTALL = 'pip install "gankit[onnx]"'


class OnnxGenerator(nn.Module):
    """A generator with the export signature ``forward(z, cond, source) → images``
    (keyword inputs; those a model does not take stay ``None`` and are left out)."""

    def __init__(self, generator: Generator):
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor | None = None, cond: torch.Tensor | None = None,
                source: torch.Tensor | None = None) -> torch.Tensor:
        return self.generator(z, cond, source)


def require_onnx() -> None:
    """Raise a one-line :class:`GankitError` unless the exporter's packages are installed."""
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as err:
        raise GankitError(f"ONNX export needs the onnx and onnxscript packages ({err.name} "
                          f"is missing): {INSTALL}") from None


def input_spec(G: Generator, spec: DataSpec, batch: int | str = BATCH) -> list[dict]:
    """Name, shape and meaning of each graph input (``batch``: the first dimension)."""
    inputs = []
    if G.z_dim > 0:
        meaning = "standard normal noise"
        if G.latent_codes:
            meaning += (f"; its last {G.latent_codes} columns a one-hot latent code "
                        "(InfoGAN), not noise")
        inputs.append({"name": "z", "shape": [batch, G.z_dim], "dtype": "float32",
                       "meaning": meaning})
    if spec.num_classes > 0:
        kind = "multi-hot object rows" if spec.multi_label else "one-hot class rows"
        inputs.append({"name": "cond", "shape": [batch, spec.num_classes], "dtype": "float32",
                       "meaning": f"{kind}, columns in the order of class_names"})
    if spec.source_channels > 0:
        inputs.append({"name": "source", "dtype": "float32",
                       "shape": [batch, spec.source_channels, spec.resolution, spec.resolution],
                       "meaning": "input image in [-1, 1] (uint8 / 127.5 - 1)"})
    return inputs


def output_spec(spec: DataSpec, batch: int | str = BATCH) -> dict:
    """Name, shape and value range of the graph output."""
    if spec.kind == "points":
        return {"name": "points", "shape": [batch, spec.channels], "dtype": "float32",
                "meaning": "generated points"}
    return {"name": "images", "shape": [batch, spec.channels, spec.resolution, spec.resolution],
            "dtype": "float32", "range": [-1, 1],
            "meaning": "images in [-1, 1]; uint8 = round((x + 1) * 127.5)"}


def example_inputs(G: Generator, spec: DataSpec, n: int = 2, seed: int = 0) -> dict:
    """Seeded inputs for ``n`` samples, keyed as the graph's inputs."""
    rng = torch.Generator().manual_seed(seed)
    out = {}
    if G.z_dim > 0:
        out["z"] = G.sample_z(n, "cpu", rng)  # an InfoGAN code sits in its last columns
    if spec.num_classes > 0:
        out["cond"] = F.one_hot(torch.arange(n) % spec.num_classes, spec.num_classes).float()
    if spec.source_channels > 0:
        shape = (n, spec.source_channels, spec.resolution, spec.resolution)
        out["source"] = torch.rand(*shape, generator=rng) * 2 - 1
    return out


def export_onnx(G: Generator, spec: DataSpec, path: str | Path, name: str = "generator") -> dict:
    """Write ``G`` (in eval mode; ``G`` itself is left untouched) as an ONNX file.

    Args:
        G: the generator (one direction of a CycleGAN, with its ``spec``).
        spec: the data spec of ``G``'s inputs and output.
        path: the ``.onnx`` file to write (weights inside it, no external data).
        name: the architecture's name, for error messages.

    Returns:
        The sidecar entry: ``inputs``, ``outputs`` and ``opset``.

    Raises:
        GankitError: the ONNX packages are missing, or this architecture cannot be
            expressed in ONNX.
    """
    require_onnx()
    model = OnnxGenerator(copy.deepcopy(G).cpu()).eval()  # eval: BatchNorm's running stats
    inputs = example_inputs(G, spec)
    output = output_spec(spec)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(model, (), None, kwargs=inputs,
                                        input_names=list(inputs), output_names=[output["name"]],
                                        dynamic_shapes={key: {0: BATCH} for key in inputs},
                                        dynamo=True, opset_version=OPSET, verbose=False)
    except Exception as err:  # noqa: BLE001 - any exporter failure: this net has no ONNX form
        first = (str(err).strip().splitlines() or [""])[0][:200]
        raise GankitError(f"the {name} generator cannot be exported to ONNX "
                          f"({type(err).__name__}: {first}); share it as .safetensors "
                          "instead") from None
    # saved outside the try: a disk error is the caller's "cannot write", not the net's
    program.save(str(path), external_data=False)
    return {"format": "onnx", "opset": OPSET, "inputs": input_spec(G, spec),
            "outputs": [output]}


def write_onnx(run, path: Path, direction: str = "AtoB") -> dict:
    """Export a :class:`~gankit.runs.trained.TrainedRun`'s generator (one direction of a
    CycleGAN run) to ``path``; returns its sidecar entry (with ``direction`` for
    image-to-image runs)."""
    from gankit.runs.translate import one_way

    G, spec = run.generator, run.spec
    if run.translation:
        G, spec = one_way(G, spec, direction)
    entry = export_onnx(G, spec, path, run.config.model.generator)
    return {**entry, "direction": direction} if run.translation else entry


__all__ = ["OPSET", "OnnxGenerator", "example_inputs", "export_onnx", "input_spec",
           "output_spec", "require_onnx", "write_onnx"]
