"""A cheap mode-collapse monitor for image runs.

A conditional generator can learn to ignore its noise z and draw one image per class
while both losses look ordinary. Every ``train.collapse_every`` steps the monitor draws
a few samples per class from fixed noise with the trained generator (in eval mode; not
its EMA, whose early average of a fast-moving G is washed out) and compares their
spread (mean pairwise pixel distance, :mod:`gankit.metrics.diversity`) with that of
real images of the same classes. The mean ratio over the classes is logged as
``diversity_ratio``, the lowest as ``diversity_ratio_min`` with its class
(``least_varied``): one class can collapse while the others thrive, which the mean hides.
When either stays below ``train.collapse_threshold`` after the warm-up, a warning is
printed and logged once per run (the flag lives in ``trainer.extra_state``, so it
survives a resume).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import torch

from gankit.data.base import to_unit
from gankit.data.loader import condition_vectors
from gankit.metrics.diversity import grouped_pairwise_distance
from gankit.models.registry import MBSTD_DISCRIMINATORS
from gankit.runs.records import append_record
from gankit.runs.sampling import generate
from gankit.training.callbacks import Callback, ProgressBar, StatsLogger

STATE_KEY = "collapse"
KIND = "collapse"
WARNING_PREFIX = "gankit: warning: "
WHOLE_DATA_REAL = 128  # real images behind the reference of unconditional/multi-label runs
MULTI_LABEL_CONDITIONS = 4
MIN_SPREAD = 1e-6  # groups whose real images are all alike carry no signal


@dataclass
class Probe:
    """The fixed inputs of a check and the real reference they are compared with.

    Attributes:
        z: fixed latents ``[n, z_dim]``.
        cond: condition rows ``[n, K]`` or ``None``.
        groups: group index of each sample ``[n]`` (one group per class/condition).
        real_spread: mean pairwise distance of real images per group, float64 ``[G]``.
        scope: how the message names a group ("within a class"...).
        names: a name for each group (its class; "condition i"; "all").
    """

    z: torch.Tensor
    cond: torch.Tensor | None
    groups: torch.Tensor
    real_spread: torch.Tensor
    scope: str
    names: list[str]


def _real_spread(images: torch.Tensor, index: torch.Tensor, groups: torch.Tensor,
                 num_groups: int) -> torch.Tensor:
    return grouped_pairwise_distance(to_unit(images[index]), groups, num_groups)


def _shared_conditions(labels: torch.Tensor, count: int, rng: torch.Generator,
                       tries: int = 64) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Up to ``count`` multi-hot conditions seen in the data, each with the indices of
    the images that have exactly it. Conditions that two or more images share come
    first: real scenes of one object list differ only in where and how large the objects
    are, far less than the whole data, and against the whole data a healthy multi-label
    G looked collapsed."""
    order = torch.randperm(len(labels), generator=rng)
    shared, single = [], []
    for row in order[:tries].tolist():
        if any(torch.equal(labels[row], labels[r]) for r, _ in shared + single):
            continue
        members = (labels == labels[row]).all(dim=1).nonzero().flatten()
        (shared if len(members) >= 2 else single).append((row, members))
        if len(shared) == count:
            break
    picked = (shared + single)[:count]
    return labels[[r for r, _ in picked]], [m for _, m in picked]


def build_probe(dataset, z_sampler, per_group: int, max_groups: int, real_per_group: int,
                seed: int) -> Probe | None:
    """Fixed inputs for ``dataset`` (an ImageDataset): ``per_group`` latents for each of
    up to ``max_groups`` classes (class labels), for a few conditions taken from the
    data (multi-hot; compared with the real images of the same condition), or
    ``2 × per_group`` unconditional ones. ``z_sampler(n, rng)`` draws latents. ``None``
    when no group has a real spread to compare with."""
    rng = torch.Generator().manual_seed(seed)
    images, labels, k = dataset.images, dataset.labels, dataset.num_classes
    if labels is not None and labels.dim() == 1:
        counts = torch.bincount(labels.long(), minlength=k)
        classes = (counts >= 2).nonzero().flatten()
        if len(classes) > max_groups:
            pick = torch.randperm(len(classes), generator=rng)[:max_groups]
            classes = classes[pick].sort().values
        index, real_groups = [], []
        for g, c in enumerate(classes.tolist()):
            members = (labels == c).nonzero().flatten()
            members = members[torch.randperm(len(members), generator=rng)[:real_per_group]]
            index.append(members)
            real_groups.append(torch.full((len(members),), g))
        num = len(classes)
        real = (_real_spread(images, torch.cat(index), torch.cat(real_groups), num)
                if num else torch.zeros(0, dtype=torch.float64))
        cond = condition_vectors(classes.repeat_interleave(per_group), k)
        scope = "within a class"
        class_names = dataset.class_names or [str(c) for c in range(k)]
        names = [class_names[c] for c in classes.tolist()]
    else:
        subset = torch.randperm(len(images), generator=rng)[:WHOLE_DATA_REAL]
        whole = _real_spread(images, subset, torch.zeros(len(subset), dtype=torch.long), 1)
        if labels is not None:  # multi-hot: a few conditions seen in the data
            rows, members = _shared_conditions(labels, MULTI_LABEL_CONDITIONS, rng)
            num = len(rows)
            cond = rows.float().repeat_interleave(per_group, dim=0)
            scope = "for a fixed condition"
            names = [f"condition {i}" for i in range(num)]
            real = torch.cat([
                _real_spread(images, m[torch.randperm(len(m), generator=rng)[:real_per_group]],
                             torch.zeros(min(len(m), real_per_group), dtype=torch.long), 1)
                if len(m) >= 2 else whole for m in members])
        else:
            num, cond, per_group = 1, None, 2 * per_group
            scope, names = "", ["all"]
            real = whole
    keep = real > MIN_SPREAD  # NaN compares False
    if not bool(keep.any()):
        return None
    groups = torch.arange(num).repeat_interleave(per_group)
    z = z_sampler(len(groups), rng)
    return Probe(z, cond, groups, real, scope, names)


class CollapseMonitor(Callback):
    """Logs ``diversity_ratio`` every ``every`` steps and warns once on mode collapse.

    Args:
        every: check every this many steps (0: never).
        threshold: a ratio below this counts as collapsed (0 < threshold < 1).
        warmup: no warning before this step: an untrained G's samples are alike too, and
            healthy conditional runs (``acgan`` on the shapes) often stay below the
            threshold until step ~1,000 before their classes spread out.
        patience: consecutive collapsed checks (from ``warmup`` on) before the warning.
        per_group: fixed samples per class / condition.
        max_groups: classes checked at most (a seeded choice when there are more); enough
            for every class of CIFAR-10 or the shapes, since a single collapsed class
            is what the mean misses.
        real_per_group: real images per class behind the reference spread.
        seed: seeds the fixed noise and the choice of real images.
    """

    def __init__(self, every: int = 250, threshold: float = 0.3, warmup: int = 1000,
                 patience: int = 3, per_group: int = 8, max_groups: int = 32,
                 real_per_group: int = 32, seed: int = 0):
        self.every, self.threshold, self.warmup = every, threshold, warmup
        self.patience = max(1, patience)
        self.per_group, self.max_groups = per_group, max_groups
        self.real_per_group, self.seed = real_per_group, seed
        self.active = False
        self.probe: Probe | None = None

    @classmethod
    def from_config(cls, train_cfg) -> "CollapseMonitor":
        """The monitor ``train.collapse_*`` asks for (their ranges are checked by the config)."""
        return cls(train_cfg.collapse_every, train_cfg.collapse_threshold,
                   train_cfg.collapse_warmup, seed=train_cfg.seed + 3)

    @staticmethod
    def applies(spec) -> bool:
        """Image runs without a paired source (image-to-image models are meant to be
        deterministic given their input)."""
        return spec.kind == "image" and spec.source_channels == 0

    def on_start(self, trainer) -> None:
        self.active = (self.every > 0 and self.applies(trainer.spec)
                       and getattr(trainer.G, "z_dim", 0) > 0)

    def on_step(self, trainer, stats: dict) -> None:
        if self.active and trainer.step % self.every == 0:
            self.check(trainer)

    # ------------------------------------------------------------------ the check

    def group_ratios(self, trainer) -> dict[str, float]:
        """Fake spread / real spread of each group that has a real spread, by group name
        (empty when nothing can be compared)."""
        if self.probe is None:  # built once, on the first check
            sampler = (lambda n, rng: trainer.G.sample_z(n, "cpu", rng))
            self.probe = build_probe(trainer.dataset, sampler, self.per_group,
                                     self.max_groups, self.real_per_group, self.seed)
            if self.probe is None:
                self.active = False
                return {}
        p = self.probe
        fake = grouped_pairwise_distance(self._samples(trainer), p.groups, len(p.real_spread))
        return {name: float(f / r) for name, f, r in zip(p.names, fake, p.real_spread)
                if r > MIN_SPREAD}

    def _samples(self, trainer) -> torch.Tensor:
        # the trained G, not the EMA sampler: early on, an average over a fast-moving
        # trajectory draws washed-out, near-identical images (ratio ~0.1 on the default
        # preset up to step ~1000 at decay 0.999, while G itself is at 0.6-0.9)
        z = self.probe.z
        return generate(trainer.G, len(z), cond=self.probe.cond, batch_size=len(z),
                        device=trainer.device, z=z)

    def check(self, trainer) -> dict | None:
        """Measure, log a record and warn if due; returns the record (None if idle)."""
        ratios = self.group_ratios(trainer)
        if not self.active:
            return None
        ratio = sum(ratios.values()) / len(ratios)
        least = min(ratios, key=ratios.get)
        state = trainer.extra_state.setdefault(STATE_KEY, {"warned": False, "low": 0})
        # the least varied class is never above the mean
        low = ratios[least] < self.threshold and trainer.step >= self.warmup
        state["low"] = state["low"] + 1 if low else 0
        record = {"step": trainer.step, "kind": KIND, "diversity_ratio": round(ratio, 4)}
        if len(ratios) > 1:
            record.update(diversity_ratio_min=round(ratios[least], 4), least_varied=least)
        if state["low"] >= self.patience and not state["warned"]:
            state["warned"] = True
            message = (self.message(trainer, ratio) if ratio < self.threshold
                       else self.message(trainer, ratios[least], least, ratio))
            record.update(warning=KIND, message=message)
            self._announce(trainer, message)
        self._log(trainer, record)
        return record

    # ------------------------------------------------------------------ reporting

    def message(self, trainer, ratio: float, group: str | None = None,
                mean: float | None = None) -> str:
        """The one-line warning, with remedies that the run's config does not use yet;
        ``group``: the group that collapsed while the ``mean`` over groups did not."""
        scope = f" {self.probe.scope}" if self.probe and self.probe.scope else ""
        tips = _remedies(getattr(trainer, "cfg", None), self.probe is not None
                         and self.probe.cond is not None)
        samples = trainer.run_dir / "samples"
        if group is None:
            what = (f"the generator's samples{scope} are {ratio:.2f}x as varied as real "
                    f"images (mode collapse: it ignores its noise z)")
        else:
            what = (f"the generator's samples of {group!r} are {ratio:.2f}x as varied as "
                    f"real ones (mode collapse in that class; the mean over the classes: "
                    f"{mean:.2f}x)")
        return (f"{WARNING_PREFIX}step {trainer.step}: {what}; try {', '.join(tips)}, and "
                f"look at {samples}/")

    def _announce(self, trainer, message: str) -> None:
        progress = trainer.callback(ProgressBar)
        bar = getattr(progress, "bar", None)
        if bar is not None:  # above the bar, which keeps drawing underneath
            bar.write(message, file=sys.stderr)
            bar.set_description("train (mode collapse?)", refresh=False)
        else:
            print(message, file=sys.stderr, flush=True)

    def _log(self, trainer, record: dict) -> None:
        logger = trainer.callback(StatsLogger)
        if logger is not None:
            logger.log(record)
            return
        append_record(trainer.run_dir, record)


def _remedies(cfg, conditional: bool) -> list[str]:
    """Usual cures for collapse, leaving out what the config already does."""
    model, loss = getattr(cfg, "model", None), getattr(cfg, "loss", None)
    tips = []
    # a G without normalisation layers (R3GAN) has no gains and biases to condition;
    # slots bind a multi-label scene's objects, which cBN cannot
    if (conditional and getattr(model, "g_cond", None) not in ("cbn", "slots")
            and getattr(model, "g_norm", None) != "none"):
        tips.append("class-conditional BatchNorm in G (model.g_cond=cbn)")
    if conditional and getattr(model, "d_cond", None) != "projection":
        tips.append("a projection discriminator (model.d_cond=projection)")
    if conditional and not getattr(model, "aux_classifier", False):
        tips.append("an auxiliary classifier on D (model.aux_classifier=true)")
    elif conditional and getattr(loss, "aux_mode", "acgan") == "acgan":
        # ACGAN's classifier rewards each class's easiest image (TAC-GAN's diagnosis)
        tips.append("TAC-GAN's twin classifier (loss.aux_mode=tac)")
    # the two that rescued collapsed acgan seeds (benchmarks/RESULTS.md, issue 8)
    if not getattr(loss, "mode_seeking", 0):
        tips.append("DSGAN's capped mode-seeking term (loss.mode_seeking=10 with "
                    "loss.mode_seeking_cap near real images' spread, e.g. 0.04)")
    elif not getattr(loss, "mode_seeking_cap", 0):
        tips.append("a cap on the mode-seeking term (loss.mode_seeking_cap)")
    tips.extend(_minibatch_std_tips(cfg))
    tips.append("a lower D learning rate (optim.lr_d)")
    if not getattr(model, "spectral_norm", False):
        tips.append("spectral norm (model.spectral_norm=true)")
    if getattr(loss, "name", None) != "hinge":
        tips.append("the hinge loss (loss.name=hinge)")
    return tips


def _minibatch_std_tips(cfg) -> list[str]:
    """ProGAN's minibatch standard deviation in D; with class labels over groups of one
    class, or it sees only that images of different classes differ."""
    model, train_cfg = getattr(cfg, "model", None), getattr(cfg, "train", None)
    labels = getattr(getattr(cfg, "data", None), "labels", "none")
    if (getattr(model, "discriminator", None) not in MBSTD_DISCRIMINATORS
            or labels == "multi"):  # on multi-label scenes it did not help
        return []
    if labels != "class":
        return [] if getattr(model, "d_mbstd", 0) else [
            "minibatch standard deviation in D (model.d_mbstd=4)"]
    if getattr(model, "d_mbstd", 0) and getattr(train_cfg, "class_groups", 0):
        return []
    return [("minibatch standard deviation in D over groups of one class "
             "(model.d_mbstd=4 with train.class_groups=4)")]
