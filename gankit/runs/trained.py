"""A trained run: what every command that uses a trained generator starts from.

::

    run = TrainedRun.open("runs/acgan-20240101-120000")      # or a checkpoint file
    images = run.sample(64, cond=run.class_condition("red cube", 64))
    scores = run.discriminator_scores(images, cond)

Opening a run reads its checkpoint (a run folder's latest, or a file) and rebuilds the
generator (EMA by default); the discriminator is rebuilt only when asked for. A generator
exported by ``gankit export`` (``G.safetensors`` with its ``G.json``) opens the same way,
for everything but the discriminator and resuming. Nothing here needs the trainer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from gankit.config import Config, config_from_dict
from gankit.data.base import Dataset, to_unit
from gankit.errors import GankitError
from gankit.losses.auxiliary import needs_twin
from gankit.models import (
    DataSpec,
    Discriminator,
    Generator,
    build_discriminator,
    build_generator,
)
from gankit.runs.checkpoint import load_checkpoint
from gankit.runs.data import build_dataset
from gankit.runs.exported import FORMAT as EXPORT_FORMAT
from gankit.runs.exported import exported_state, is_exported_file
from gankit.runs.sampling import (
    class_condition,
    conditions_from_file,
    default_conditions,
    generate_batches,
)


def generator_from_state(state: dict, device: torch.device | str = "cpu",
                         use_ema: bool = True) -> tuple[Generator, Config, DataSpec]:
    """Rebuild the (EMA) generator stored in a checkpoint, in eval mode."""
    cfg = config_from_dict(state["config"])
    spec = DataSpec(**state["data_spec"])
    # every weight comes from the checkpoint: never look for ImageNet files (an encoder's
    # "pretrained" option would warn, or fail where the file is missing)
    G = build_generator(replace(cfg.model, options={**cfg.model.options, "pretrained": False}),
                        spec)
    weights = state["ema"] if use_ema and state.get("ema") is not None else state["generator"]
    G.load_state_dict(weights)
    return G.to(device).eval(), cfg, spec


@dataclass
class TrainedRun:
    """A trained generator with everything known about it.

    Attributes:
        state: the loaded checkpoint (``state["path"]`` is its file).
        config: the run's resolved configuration.
        spec: the data spec its models were built for.
        class_names: condition names in index order (empty: unconditional).
        generator: the EMA generator (or the raw one), in eval mode on ``device``.
        device: where the networks run.
        ema_weights: whether ``generator`` holds the EMA weights (not the raw ones).
    """

    state: dict
    config: Config
    spec: DataSpec
    class_names: list[str]
    generator: Generator
    device: torch.device
    _discriminator: Discriminator | None = field(default=None, repr=False)
    ema_weights: bool = False

    @classmethod
    def open(cls, run_or_checkpoint: str | os.PathLike | dict,
             device: str | torch.device = "cpu", use_ema: bool = True) -> "TrainedRun":
        """Open a run folder (its latest checkpoint), a checkpoint file, an exported
        ``G.safetensors`` (its ``G.json`` beside it) or a loaded state.

        ``use_ema`` picks the EMA generator when there is one (an export holds the one
        it was exported with; asking an EMA-only export for the raw one is an error).
        """
        if isinstance(run_or_checkpoint, dict):
            state = run_or_checkpoint
        elif is_exported_file(run_or_checkpoint):
            state = exported_state(run_or_checkpoint, use_ema)
        else:
            state = load_checkpoint(run_or_checkpoint)
        try:
            G, cfg, spec = generator_from_state(state, device, use_ema)
        except (GankitError, RuntimeError, KeyError, TypeError) as err:
            if state.get("format") != EXPORT_FORMAT:
                raise
            # the checksum matched, so the sidecar's description itself was edited
            raise GankitError(f"{state['sidecar']} does not describe the network in "
                              f"{state['path']} ({str(err).splitlines()[0][:200]}); "
                              "export again") from None
        return cls(state, cfg, spec, list(state.get("class_names") or []), G,
                   torch.device(device),
                   ema_weights=use_ema and state.get("ema") is not None)

    # ---------------------------------------------------------------- what it is

    @property
    def checkpoint(self) -> Path:
        """The file the run was opened from (a checkpoint, or an exported generator)."""
        return Path(self.state["path"])

    @property
    def exported(self) -> bool:
        """Whether this is a generator exported by ``gankit export`` (no discriminator)."""
        return self.state.get("format") == EXPORT_FORMAT

    @property
    def run_dir(self) -> Path | None:
        """The run folder the checkpoint lies in (``None`` for a loose checkpoint file or
        an exported generator)."""
        if self.exported:
            return None
        folder = self.checkpoint.parent.parent
        return folder if (folder / "config.yaml").is_file() else None

    @property
    def step(self) -> int:
        return int(self.state.get("step") or 0)

    @property
    def conditional(self) -> bool:
        return self.spec.num_classes > 0

    @property
    def translation(self) -> bool:
        """Whether the generator maps source images (sketches) to images."""
        return self.spec.source_channels > 0

    def discriminator(self) -> Discriminator:
        """The run's discriminator (rebuilt on first use), in eval mode.

        Raises:
            GankitError: an exported generator holds no discriminator.
        """
        if self.exported:
            raise GankitError(f"{self.checkpoint} is an exported generator and holds no "
                              "discriminator; use its run folder or checkpoint instead")
        if self._discriminator is None:
            twin = needs_twin(self.config.loss, self.config.model, self.spec.multi_label)
            D = build_discriminator(self.config.model, self.spec, twin)
            D.load_state_dict(self.state["discriminator"])
            self._discriminator = D.to(self.device).eval()
        return self._discriminator

    def parameter_counts(self) -> dict[str, int]:
        """Trainable parameters of G and D (G alone for an exported generator)."""
        nets = [("generator", self.generator)]
        if not self.exported:
            nets.append(("discriminator", self.discriminator()))
        return {name: sum(p.numel() for p in net.parameters()) for name, net in nets}

    def real_data(self, name: str | None = None, split: str | None = None) -> Dataset:
        """The run's training data, or another dataset / split loaded with its settings
        (an exported generator's sidecar holds them too)."""
        data = self.config.data
        return build_dataset(replace(data, name=name or data.name, split=split or data.split))

    # ---------------------------------------------------------------- conditions

    def class_condition(self, name_or_index: str | int, n: int) -> torch.Tensor:
        """``n`` one-hot rows for one class, by name or index."""
        return class_condition(name_or_index, self.class_names, n)

    def conditions_from_file(self, path: str | os.PathLike) -> torch.Tensor:
        """Multi-hot rows from a JSON list of object-name lists (iCLEVR ``test.json``)."""
        return conditions_from_file(path, self.class_names)

    def default_conditions(self, n: int, seed: int = 0) -> torch.Tensor | None:
        """Classes in turn, or random 1–3-object lists; ``None`` when unconditional."""
        return default_conditions(self.spec, n, seed)

    # ---------------------------------------------------------------- sampling

    def batches(self, n: int, cond: torch.Tensor | None = None,
                source: torch.Tensor | None = None, seed: int = 0,
                batch_size: int = 256, code: int | None = None):
        """Float images in [-1, 1] in batches (see :func:`generate_batches`);
        ``source`` is uint8 sketches at the model's resolution; ``code`` fixes the latent
        code of an InfoGAN run."""
        self._check_inputs(n, cond, source)
        if code is not None:
            k = self.generator.latent_codes
            if not k:
                raise GankitError("this model has no latent code (model.latent_codes); "
                                  "drop --code")
            if not 0 <= code < k:
                raise GankitError(f"--code {code} is out of range; this model's codes are "
                                  f"0..{k - 1}")
        src = None if source is None else to_unit(source)
        return generate_batches(self.generator, n, cond, src, seed, batch_size, self.device,
                                code=code)

    def sample(self, n: int, cond: torch.Tensor | None = None,
               source: torch.Tensor | None = None, seed: int = 0,
               batch_size: int = 256, code: int | None = None) -> torch.Tensor:
        """``n`` float images in [-1, 1] ``[n, C, H, W]`` (or 2-D points), on the CPU;
        ``code`` fixes the latent code of an InfoGAN run."""
        if n <= 0:
            raise ValueError(f"n must be positive, got {n}")
        return torch.cat(list(self.batches(n, cond, source, seed, batch_size, code)))

    def _check_inputs(self, n: int, cond, source) -> None:
        if self.conditional != (cond is not None):
            raise GankitError("this model is conditional: pass conditions" if self.conditional
                              else "this model is unconditional; drop the conditions")
        if cond is not None and (cond.dim() != 2 or len(cond) < n
                                 or cond.shape[1] != self.spec.num_classes):
            raise ValueError(f"cond must be [{n}, {self.spec.num_classes}], "
                             f"got {tuple(cond.shape)}")
        if self.translation != (source is not None):
            raise ValueError("pass source images exactly when the model translates images")
        if source is not None:
            expected = (self.spec.source_channels, self.spec.resolution, self.spec.resolution)
            if source.dim() != 4 or tuple(source.shape[1:]) != expected or len(source) < n:
                raise ValueError(f"source must be [{n}, {', '.join(map(str, expected))}] "
                                 f"uint8, got {tuple(source.shape)}")

    @torch.no_grad()
    def discriminator_scores(self, images: torch.Tensor, cond: torch.Tensor | None = None,
                             batch_size: int = 256) -> torch.Tensor:
        """The discriminator's realness score of each float image (higher: more real)."""
        D = self.discriminator()
        scores = []
        for start in range(0, len(images), batch_size):
            c = None if cond is None else cond[start:start + batch_size].to(self.device)
            out = D(images[start:start + batch_size].to(self.device), c).score
            scores.append(out.flatten(1).mean(1) if out.dim() > 1 else out)
        return torch.cat(scores).cpu() if scores else torch.empty(0)
