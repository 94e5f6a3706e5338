"""Typed run configuration: dataclasses filled from YAML presets and ``--set`` overrides.

Unknown keys and wrong types are :class:`GankitError` naming the key, so a typo in a
preset never trains silently with a default.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from gankit.data.request import DataRequest
from gankit.errors import GankitError
from gankit.fields import bounded, check_range


@dataclass
class DataConfig(DataRequest):
    """Which data, at which size (fields of :class:`~gankit.data.request.DataRequest`),
    plus ``flip``: random horizontal flips of training batches."""

    labels: str = "none"
    flip: bool = True


@dataclass
class ModelConfig:
    """Networks by registry name, with their widths and conditioning.

    ``g_cond``: none | onehot | embedding (condition concatenated to z) | cbn
    (class-conditional BatchNorm) | slots (each object encoded with z on its own, for
    multi-label scenes; :mod:`gankit.models.object_slots`).
    ``d_cond``: none | onehot | embedding | channel | projection.
    ``aux_classifier``: an ACGAN head on D. ``d_norm``: batch | layer | instance | none.
    ``latent_codes``: K > 0 makes the last K of z's dimensions a one-hot categorical code
    that D's extra head must recover from the fakes (InfoGAN, Chen et al. 2016);
    ``code_head``: shared (that head on D's features, as InfoGAN) | coarse (a small
    network of its own that sees the image pooled to 8×8, so the code must be visible).
    ``d_mbstd``: G > 0 appends to D's last feature map the minibatch standard deviation
    over groups of G images (ProGAN; :mod:`gankit.models.minibatch_std`), so D sees
    whether a batch varies (dcgan D).
    """

    generator: str = "dcgan"
    discriminator: str = "dcgan"
    z_dim: int = bounded(100, min=0)
    g_width: int = bounded(64, min=1)
    d_width: int = bounded(64, min=1)
    depth: int = bounded(3, min=1)
    g_cond: str = "none"
    d_cond: str = "none"
    embed_dim: int = bounded(50, min=1)
    aux_classifier: bool = False
    g_norm: str = "batch"
    d_norm: str = "batch"
    spectral_norm: bool = False
    d_dropout: float = bounded(0.0, min=0, below=1)
    d_mbstd: int = bounded(0, min=0)
    latent_codes: int = bounded(0, min=0)
    code_head: str = "shared"
    options: dict = field(default_factory=dict)


@dataclass
class LossConfig:
    """Adversarial loss by name, plus regulariser weights (0 disables one).

    ``name``: ns | minimax | lsgan | hinge | wasserstein. ``clip``: WGAN weight
    clipping bound. ``gp_weight``: WGAN-GP λ. ``r1_weight``: R1 γ. ``aux_weight``:
    ACGAN classification weight. ``aux_fake_weight``: weight of D's classification loss
    on fakes (Odena et al. use 1; 0, the default, trains D's classifier on real images
    only: taught G's labels for its early fakes, D learns G's mistakes and G keeps them).
    ``recon``/``recon_weight``: l1 | mse reconstruction for paired (image-to-image)
    training. ``r2_weight``: γ of the zero-centred penalty on fakes (R2; R3GAN uses
    R1 and R2 with one γ). ``reg_every``: lazy regularisation, the penalties computed
    every so many D steps and weighted by as much (StyleGAN2: 16).
    ``objective``: gan (one G, one D) | cycle (CycleGAN's two of each, unpaired data,
    which reads ``cycle_weight`` λ, ``identity_weight`` as a fraction of λ and the
    ``history`` pool size). ``info_weight``: λ of InfoGAN's code-recovery term
    (with ``model.latent_codes``). ``aux_mode``: how the auxiliary classifier is
    trained, from :data:`~gankit.losses.auxiliary.AUX_MODES`: acgan | tac | adc;
    ``twin_weight``: weight of the twin classifier's term in G's loss (tac).
    ``mode_seeking``: weight of MSGAN's term (:mod:`gankit.losses.mode_seeking`), which
    rewards G for drawing different images from different latents under one condition;
    ``mode_seeking_cap`` > 0 uses DSGAN's form instead: each pair's distance, capped at
    this value, rewarded linearly (no reward for variety beyond the cap).
    """

    name: str = "ns"
    clip: float = bounded(0.0, min=0)
    gp_weight: float = bounded(0.0, min=0)
    r1_weight: float = bounded(0.0, min=0)
    aux_weight: float = bounded(1.0, min=0)
    aux_fake_weight: float = bounded(0.0, min=0)
    recon: str = "none"
    recon_weight: float = bounded(0.0, min=0)
    objective: str = "gan"
    r2_weight: float = bounded(0.0, min=0)
    reg_every: int = bounded(1, min=1)
    cycle_weight: float = bounded(10.0, min=0)
    identity_weight: float = bounded(0.5, min=0)
    history: int = bounded(50, min=0)
    info_weight: float = bounded(1.0, min=0)
    aux_mode: str = "acgan"
    twin_weight: float = bounded(1.0, min=0)
    mode_seeking: float = bounded(0.0, min=0)
    mode_seeking_cap: float = bounded(0.0, min=0)


@dataclass
class OptimConfig:
    """Optimiser by name (adam | rmsprop) with separate learning rates for G and D."""

    name: str = "adam"
    lr_g: float = bounded(2e-4, above=0)
    lr_d: float = bounded(2e-4, above=0)
    betas: list = field(default_factory=lambda: [0.5, 0.999])
    weight_decay: float = bounded(0.0, min=0)

    def __post_init__(self):
        if (len(self.betas) != 2 or not all(isinstance(b, (int, float)) and not
                                            isinstance(b, bool) and 0 <= b < 1
                                            for b in self.betas)):
            raise GankitError(f"config key 'optim.betas' must be two numbers in [0, 1), "
                              f"got {self.betas!r}")


@dataclass
class AugmentConfig:
    """Differentiable augmentation of every image D sees, real and fake alike.

    ``name``: none | diffaugment (Zhao et al., 2020: fixed ops, each applied with
    probability ``p``) | ada (Karras et al., 2020: ``p`` starts at ``ada_start`` and
    moves so that E[sign D(real)] stays at ``target``; it would go from 0 to 1 in
    ``speed_images`` images, adjusted every ``interval`` D steps).
    ``policy``: the ops and groups, comma-separated (see :mod:`gankit.training.augment`);
    ``auto`` is each method's own: ``color,translation,cutout`` for diffaugment,
    ``geometric,color-ada`` (ADA's "bgc") for ada. Images only, unpaired GANs only.
    """

    name: str = "none"
    policy: str = "auto"
    p: float = bounded(1.0, min=0, max=1)
    ada_start: float = bounded(0.0, min=0, max=1)
    target: float = bounded(0.6, min=0, max=1)
    speed_images: int = bounded(500_000, min=1)
    interval: int = bounded(4, min=1)


@dataclass
class ScheduleConfig:
    """How learning rates, the R1/R2 γ, Adam's β2 and the EMA change over training.

    Every schedule is a function of images seen (R3GAN), so a change of batch size keeps
    the recipe. Values hold until ``begin`` (a fraction of the span), then move from
    their start (``optim.lr_g``/``lr_d``, ``loss.r1_weight``/``r2_weight``,
    ``optim.betas[1]``) to their end along ``shape`` (constant | linear | cosine) and
    hold there. ``images``: the span (0: the whole run). ``lr_warmup_images``: the
    learning rates first rise linearly from 0. ``lr_end``/``gamma_end``: end values as
    factors of the start; ``beta2_end``: Adam's β2 at the end (none: kept).
    ``ema_halflife``: the EMA's half-life in images (0: ``train.ema`` is the decay);
    it moves from ``ema_halflife_start`` (none: no move) along the same shape, and is
    never more than ``ema_rampup`` × images seen (StyleGAN2's warm-up; 0: off).
    """

    shape: str = "constant"
    images: int = bounded(0, min=0)
    begin: float = bounded(0.0, min=0, below=1)
    lr_warmup_images: int = bounded(0, min=0)
    lr_end: float = bounded(1.0, min=0)
    gamma_end: float = bounded(1.0, min=0)
    beta2_end: float | None = bounded(None, min=0, below=1)
    ema_halflife: float = bounded(0.0, min=0)
    ema_halflife_start: float | None = bounded(None, min=0)
    ema_rampup: float = bounded(0.0, min=0)


@dataclass
class TrainConfig:
    """Loop length, cadence of logs/samples/checkpoints/evaluation, and device.

    ``steps`` counts generator updates; each is preceded by ``d_steps`` D updates on
    fresh real batches. ``epochs`` (> 0) overrides ``steps`` from the dataset size.
    ``minutes`` (> 0) also ends the run once it has trained that long (wall clock,
    evaluation time not counted, summed over resumes): the fair budget on one machine.
    ``ema`` is the decay of the generator's moving average (0 disables it); before the
    average draws, its BatchNorm statistics are re-estimated on ``ema_standing_batches``
    batches of its own outputs (BigGAN's standing statistics; 0 copies the trained
    generator's, which do not fit the averaged weights).
    ``eval_every`` > 0 evaluates ``eval_metrics`` (fid, is, kid, pr, acc, fid_evaluator...)
    on ``eval_n`` samples; ``best_metric`` keeps ``checkpoints/best.pt``.
    A loss or weight that turns NaN/Inf (checked every ``log_every`` steps) rolls the
    run back to the last clean check with the learning rates × ``nan_lr_factor``, at
    most ``nan_rollbacks`` times; then the run stops with a message.
    ``collapse_every`` > 0 checks image runs for mode collapse every so many steps (the
    spread of fixed-noise samples per class over that of real images, logged as
    ``diversity_ratio``, the least varied class's as ``diversity_ratio_min``); either
    below ``collapse_threshold`` (0-1) at three checks in a row, from step
    ``collapse_warmup`` on, warns once.
    ``class_groups`` g > 0 makes every batch runs of g real images of one class (and the
    fakes, made for the batch's labels, the same runs), so that D's minibatch standard
    deviation over groups of g (``model.d_mbstd``) measures the spread within a class.
    ``pictures`` keeps ``curves.png``, ``progress.gif`` and ``real_vs_fake.png`` up to
    date in the run folder. ``wandb`` also logs to Weights & Biases (project
    ``wandb_project``; offline unless ``WANDB_MODE`` is set; ``pip install
    "gankit[wandb]"``).
    Under ``torchrun`` (several processes), ``batch_size`` is the global batch, split
    evenly among the processes; ``sync_batchnorm`` makes BatchNorm layers compute their
    statistics over the global batch (GPUs only). ``compile`` runs G's and D's forward
    through ``torch.compile`` (D's only when no gradient penalty needs a double backward).
    ``precision``: ``fp32``, or ``bf16`` / ``fp16`` autocast for the networks' forward
    passes on GPUs (weights, losses and GP/R1/R2 stay float32; :mod:`gankit.precision`).
    """

    steps: int = bounded(2000, min=1)
    epochs: float = bounded(0.0, min=0)
    minutes: float = bounded(0.0, min=0)
    batch_size: int = bounded(64, min=1)
    d_steps: int = bounded(1, min=1)
    ema: float = bounded(0.0, min=0, below=1)
    ema_start: int = bounded(0, min=0)
    ema_standing_batches: int = bounded(32, min=0)
    log_every: int = bounded(50, min=1)
    sample_every: int = bounded(500, min=0)
    checkpoint_every: int = bounded(1000, min=0)
    keep_checkpoints: int = bounded(3, min=0)
    grid_size: int = bounded(64, min=1)
    eval_every: int = bounded(0, min=0)
    eval_metrics: list = field(default_factory=list)
    eval_n: int = bounded(2000, min=2)
    best_metric: str = ""
    inception_weights: str | None = None
    evaluator: str | None = None
    nan_rollbacks: int = bounded(2, min=0)
    nan_lr_factor: float = bounded(0.5, above=0, max=1)
    collapse_every: int = bounded(250, min=0)
    collapse_threshold: float = bounded(0.3, above=0, below=1)
    collapse_warmup: int = bounded(1000, min=0)
    class_groups: int = bounded(0, min=0)
    seed: int = 0
    device: str = "auto"
    tensorboard: bool = True
    pictures: bool = True
    wandb: bool = False
    wandb_project: str = "gankit"
    progress: bool = True
    threads: int = bounded(0, min=0)
    sync_batchnorm: bool = False
    compile: bool = False
    precision: str = "fp32"


@dataclass
class Config:
    """A whole run: what ``config.yaml`` in a run folder holds."""

    preset: str = ""
    description: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


# ---------------------------------------------------------------- building from dicts

def _check_type(value: Any, hint: Any, key: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _check_type(value, option, key)
            except GankitError as err:
                errors.append(err)
        raise errors[0]
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is float and is_number:
        return float(value)
    if hint is int and is_number and isinstance(value, int):
        return value
    if hint in (bool, str, dict) and isinstance(value, hint):
        return value
    if hint is list and isinstance(value, (list, tuple)):
        return list(value)
    expected = getattr(hint, "__name__", str(hint))
    raise GankitError(f"config key {key!r} must be {expected}, got {value!r}")


def _build(cls: type, values: dict, prefix: str = "") -> Any:
    if not isinstance(values, dict):
        raise GankitError(f"config section {prefix.rstrip('.') or 'top'!r} must be a mapping")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    odd = [key for key in values if not isinstance(key, str)]
    if odd:
        raise GankitError(f"config key {odd[0]!r} in section {prefix.rstrip('.') or 'top'!r} "
                          "is not a name; keys are words such as steps or lr_g")
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise GankitError(f"unknown config key {prefix + unknown[0]!r}; "
                          f"known keys here: {', '.join(fields)}")
    kwargs = {}
    for name, value in values.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            kwargs[name] = _build(hint, value or {}, f"{prefix}{name}.")
        else:
            kwargs[name] = check_range(_check_type(value, hint, prefix + name), fields[name],
                                       prefix + name)
    return cls(**kwargs)


def config_from_dict(values: dict) -> Config:
    """A :class:`Config` from a (possibly partial) nested mapping; checks keys/types."""
    return _build(Config, values)


def merge(base: dict, update: dict) -> dict:
    """Deep-merge ``update`` into a copy of ``base`` (mappings merge, the rest replaces)."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "options":
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_override(text: str) -> dict:
    """``"train.lr_g=1e-4"`` → ``{"train": {"lr_g": 1e-4}}`` (value parsed as YAML)."""
    if "=" not in text:
        raise GankitError(f"--set expects key=value, got {text!r} (e.g. --set optim.lr_g=1e-4)")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as err:
        problem = str(err).splitlines()[0]
        raise GankitError(f"--set {text!r}: the value is not valid YAML ({problem}); quote "
                          "it, e.g. --set \"data.name='my data'\"") from None
    if isinstance(value, str) and _looks_numeric(value):
        value = float(value)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise GankitError(f"--set has an empty key in {text!r}")
    for part in reversed(parts):
        value = {part: value}
    return value  # type: ignore[return-value]


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- presets

PRESET_PACKAGE = "gankit.presets"


def preset_names() -> list[str]:
    """Names of the presets shipped in the package."""
    files = resources.files(PRESET_PACKAGE).iterdir()
    return sorted(p.name[:-5] for p in files if p.name.endswith(".yaml"))


def _read_yaml(text: str, origin: str) -> dict:
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise GankitError(f"{origin} is not valid YAML: {err}".splitlines()[0]) from None
    if values is None:  # empty, or comments only
        return {}
    if not isinstance(values, dict):
        raise GankitError(f"{origin} must hold a mapping of config sections")
    return values


def preset_values(name_or_path: str, _seen: tuple[str, ...] = ()) -> dict:
    """The raw mapping of a preset name or a YAML file, with ``base:`` resolved.

    Raises:
        GankitError: an unknown preset, a missing, unreadable, malformed or empty
            config file, or a ``base:`` that is not a name or that loops.
    """
    path = Path(name_or_path)
    if name_or_path.endswith((".yaml", ".yml")) or path.is_file():
        if path.is_dir():
            raise GankitError(f"config file {name_or_path} is a folder; pass a .yaml file")
        if not path.is_file():
            raise GankitError(f"config file {name_or_path} does not exist")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
            raise GankitError(f"cannot read config file {path} ({reason}); "
                              "pass a YAML text file") from None
        values = _read_yaml(text, str(path))
        if not values:  # training on the defaults was surely not what was meant
            raise GankitError(f"config file {path} is empty; start from a preset "
                              "(gankit presets) or set at least one key")
    elif name_or_path in preset_names():
        text = resources.files(PRESET_PACKAGE).joinpath(f"{name_or_path}.yaml").read_text()
        values = _read_yaml(text, f"preset {name_or_path!r}")
        values.setdefault("preset", name_or_path)
    else:
        raise GankitError(f"unknown preset {name_or_path!r}; `gankit presets` lists them "
                          f"({', '.join(preset_names())}), or pass a .yaml file")
    base = values.pop("base", None)
    if base is not None and base != "":
        if not isinstance(base, str):
            raise GankitError(f"base: in {name_or_path} must be a preset name or a .yaml "
                              f"file, got {base!r}")
        seen = _seen + (str(path.resolve()) if path.is_file() else name_or_path,)
        base_path = Path(base)
        if (str(base_path.resolve()) if base_path.is_file() else base) in seen:
            raise GankitError(f"base: {base} in {name_or_path} loops back to itself; "
                              "remove one of the base: keys")
        values = merge(preset_values(base, seen), values)
    return values


def load_config(preset: str = "default", overrides: list[str] | tuple = ()) -> Config:
    """Resolve a preset (or YAML file) plus ``key=value`` overrides into a Config."""
    values = preset_values(preset)
    for text in overrides:
        values = merge(values, parse_override(text))
    return config_from_dict(values)
