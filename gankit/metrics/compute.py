"""The public entry point: compute any registered metrics of generated images.

>>> results = compute_metrics(fake_uint8, real_uint8, metrics=("fid", "kid"),
...                           real_cache_key="cifar10-train-32px")  # doctest: +SKIP
>>> results["fid"], results["n_fake"], results["n_real"]            # doctest: +SKIP

For repeated evaluations (during training), build one :class:`MetricSuite`: it keeps the
networks loaded and the real features in memory between calls.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from gankit.data.base import ImageDataset
from gankit.errors import GankitError
from gankit.metrics.cache import cache_file, default_cache_dir, load_feature_set, save_feature_set
from gankit.metrics.defaults import DEFAULT_METRICS, DEFAULTS
from gankit.metrics.extractors import EXTRACTORS, ExtractorOptions
from gankit.metrics.features import FeatureExtractor, FeatureSet, extract_feature_sets
from gankit.metrics.registry import MetricSpec, metric
from gankit.metrics.sources import ImageSource
from gankit.sharding import WHOLE, Shard

__all__ = ["MetricSuite", "compute_metrics"]


class MetricSuite:
    """A fixed set of metrics with its feature extractors loaded once.

    Args:
        metrics: registered feature metrics (``fid``, ``is``, ``kid``, ``pr``,
            ``fid_evaluator``, ``kid_evaluator``, ``pr_evaluator``).
        inception_weights: explicit path of ``pt_inception-2015-12-05-6726825d.pth``
            (``None``: ``$GANKIT_INCEPTION_WEIGHTS``, then the torch hub cache).
        allow_download: download the Inception weights when they are nowhere on disk.
        evaluator: an :class:`~gankit.metrics.evaluator.Evaluator` or its file, for the
            ``*_evaluator`` metrics.
        device: extraction device (``None``: CUDA when available, else CPU).
        settings: overrides of :data:`gankit.metrics.defaults.DEFAULTS`
            (``kid_subset_size``, ``isc_splits``, ``batch_size``, ``rng_seed``...).
        cache_dir: real-feature cache folder (``None``: ``$GANKIT_CACHE/metrics`` or
            ``~/.cache/gankit/metrics``).
        progress: show tqdm bars while extracting.
        extractors: ready-made extractors by feature space (e.g. shared between
            suites, already on ``device``); other spaces are built from the options.

    Raises:
        GankitError: an unknown metric or setting name.
    """

    def __init__(self, metrics: tuple[str, ...] | list[str] = DEFAULT_METRICS, *,
                 inception_weights: str | os.PathLike | None = None,
                 allow_download: bool = False, evaluator: object | None = None,
                 device: torch.device | str | None = None, settings: dict | None = None,
                 cache_dir: str | os.PathLike | None = None, progress: bool = True,
                 extractors: dict[str, FeatureExtractor] | None = None):
        if isinstance(metrics, str):
            metrics = (metrics,)
        self.specs: list[MetricSpec] = [metric(name) for name in dict.fromkeys(metrics)]
        computed_elsewhere = [spec.name for spec in self.specs if not spec.from_features]
        if computed_elsewhere:
            raise GankitError(f"metric {computed_elsewhere[0]!r} is not computed from image "
                              "features; evaluate a generator for it (gankit evaluate)")
        unknown = sorted(set(settings or {}) - set(DEFAULTS))
        if unknown:
            raise GankitError(f"unknown metric setting {unknown[0]!r}; choose from: "
                              f"{', '.join(sorted(DEFAULTS))}")
        self.settings = {**DEFAULTS, **(settings or {})}
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.options = ExtractorOptions(self.device, inception_weights, allow_download, evaluator)
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
        self.progress = progress
        self._extractors: dict[str, FeatureExtractor] = dict(extractors or {})
        self._real_in_memory: dict[tuple, FeatureSet] = {}
        self._on_disk: dict[tuple, tuple[FeatureSet, frozenset]] = {}

    def extractor(self, space: str) -> FeatureExtractor:
        """The (lazily built, then kept) extractor of a feature space."""
        if space not in self._extractors:
            self._extractors[space] = EXTRACTORS.get(space)(self.options)
        return self._extractors[space]

    def compute(self, fake: ImageSource, real: ImageSource | None = None, *,
                n: int | None = None, n_real: int | None = None,
                real_cache_key: str | None = None,
                shard: Shard = WHOLE) -> dict[str, float | int]:
        """Compute every metric of the suite.

        Args:
            fake: generated images: a uint8 tensor ``[N, C, H, W]``, an iterable of
                uint8 batches, or a callable ``sample(b) -> uint8 [b, C, H, W]``
                (streamed; only features are kept).
            real: reference images, same forms; needed by every metric but ``is``,
                unless ``real_cache_key`` is already cached.
            n: number of generated images (``None``: all; required for a callable).
            n_real: number of real images (``None``: all).
            real_cache_key: a string identifying the real images' content; their
                features are then cached on disk and in memory under it. An entry is
                reused when its image count matches ``n_real`` (or the size of a real
                tensor); with ``real=None`` and ``n_real=None`` any cached count is used.
            shard: with several processes, this process's part: ``fake`` (and ``n``) is
                its part of the generated images; a real tensor is split likewise. The
                features of all parts are gathered (:meth:`Shard.gather_rows`), so every
                process computes the same figures; only part 0 writes the cache.

        Returns:
            Flat ``{name: value}``: ``fid``; ``is_mean``/``is_std``;
            ``kid_mean``/``kid_std``/``kid_subset_size``; ``precision``/``recall``/
            ``f_score``/``density``/``coverage``; the same with an ``_evaluator`` suffix
            for evaluator-space metrics (``fid_evaluator``, ``kid_evaluator_mean``...);
            and always ``n_fake`` (and ``n_real`` when real data was used).

        Raises:
            GankitError: missing weights or evaluator, malformed images, too few images,
                or real images needed but not given.
        """
        real_sets = self._real_sets(real, n_real, real_cache_key, shard)  # first: fail early
        fake_layers = self._layers(real=False)
        extractors = {space: self.extractor(space) for space in fake_layers}
        fake_sets = _gathered(extract_feature_sets(
            fake, extractors, fake_layers, n, self.settings["batch_size"], self.device, "fake",
            self.progress, self.settings["allow_tf32"]), shard)
        results: dict[str, float | int] = {}
        for spec in self.specs:
            results.update(spec.compute(fake_sets[spec.space], real_sets.get(spec.space),
                                        self.settings, self.device))
        results["n_fake"] = next(iter(fake_sets.values())).n
        if real_sets:
            results["n_real"] = next(iter(real_sets.values())).n
        if real_cache_key is not None:
            self._store_real(real_sets, real_cache_key, write=shard.index == 0)
        return results

    def _layers(self, real: bool) -> dict[str, tuple[str, ...]]:
        layers: dict[str, dict[str, None]] = {}
        for spec in self.specs:
            wanted = spec.real_layers if real else spec.fake_layers
            if wanted:
                layers.setdefault(spec.space, {}).update(dict.fromkeys(wanted))
        return {space: tuple(names) for space, names in layers.items()}

    def _cache_entry(self, space: str, key: str) -> tuple[Path, dict]:
        extractor = f"{self.extractor(space).fingerprint()}|tf32={self.settings['allow_tf32']}"
        return cache_file(self.cache_dir, key, extractor)

    def _real_sets(self, real: ImageSource | None, n_real: int | None,
                   key: str | None, shard: Shard = WHOLE) -> dict[str, FeatureSet]:
        wanted = self._layers(real=True)
        found: dict[str, FeatureSet] = {}
        if key is not None:
            count = _known_count(real, n_real)
            for space, layers in wanted.items():
                cached = self._lookup(space, layers, count, key)
                if cached is not None:
                    found[space] = cached
        missing = {space: layers for space, layers in wanted.items() if space not in found}
        if missing:
            if real is None:
                names = ", ".join(s.name for s in self.specs if s.space in missing and s.needs_real)
                raise GankitError(f"metrics {names} compare with real images: pass real images "
                                  f"(or a real_cache_key that is already cached)")
            extractors = {space: self.extractor(space) for space in missing}
            if isinstance(real, ImageDataset):
                real = real.images
            split = (not shard.whole and isinstance(real, torch.Tensor) and n_real is None
                     and len(real) >= shard.count)
            if split:
                real = real[shard.rows(len(real))]
            found.update(_gathered(extract_feature_sets(
                real, extractors, missing, n_real,
                self.settings["batch_size"], self.device, "real", self.progress,
                self.settings["allow_tf32"]), shard if split else WHOLE))
        return found

    def _lookup(self, space: str, layers: tuple[str, ...], count: int | None,
                key: str) -> FeatureSet | None:
        in_memory = self._real_in_memory.get((space, key))
        if (in_memory is not None and set(layers) <= set(in_memory.features)
                and count in (None, in_memory.n)):
            return in_memory
        path, meta = self._cache_entry(space, key)
        loaded = load_feature_set(path, meta, layers, count)
        if loaded is not None:
            self._real_in_memory[(space, key)] = loaded
            self._on_disk[(space, key)] = (loaded, frozenset(loaded.stats))
        return loaded

    def _store_real(self, real_sets: dict[str, FeatureSet], key: str,
                    write: bool = True) -> None:
        """Keep the real sets in memory and (when ``write``) write them to disk unless
        the disk copy (with the same statistics) is already there."""
        for space, features in real_sets.items():
            self._real_in_memory[(space, key)] = features
            if not write:
                continue
            on_disk = self._on_disk.get((space, key))
            if on_disk is None or on_disk[0] is not features or on_disk[1] != set(features.stats):
                path, meta = self._cache_entry(space, key)
                save_feature_set(path, meta, features)
                self._on_disk[(space, key)] = (features, frozenset(features.stats))


def _gathered(sets: dict[str, FeatureSet], shard: Shard) -> dict[str, FeatureSet]:
    """Every part's features, in part order (``sets`` itself for a single part)."""
    if shard.whole:
        return sets
    return {space: FeatureSet({layer: shard.gather_rows(rows)
                               for layer, rows in found.features.items()})
            for space, found in sets.items()}


def _known_count(real: ImageSource | None, n_real: int | None) -> int | None:
    """The number of real images a cached entry must hold (``None``: not known upfront)."""
    if n_real is not None or real is None:
        return n_real
    if isinstance(real, (torch.Tensor, ImageDataset)):
        return len(real)
    return None


def compute_metrics(fake: ImageSource, real: ImageSource | None = None,
                    metrics: tuple[str, ...] | list[str] = DEFAULT_METRICS, *,
                    n: int | None = None, n_real: int | None = None,
                    inception_weights: str | os.PathLike | None = None,
                    allow_download: bool = False, evaluator: object | None = None,
                    real_cache_key: str | None = None, cache_dir: str | os.PathLike | None = None,
                    device: torch.device | str | None = None, settings: dict | None = None,
                    progress: bool = True) -> dict[str, float | int]:
    """One-shot evaluation: ``MetricSuite(metrics, ...).compute(fake, real, ...)``.

    See :class:`MetricSuite` for the options and :meth:`MetricSuite.compute` for the
    inputs and the returned keys.
    """
    suite = MetricSuite(metrics, inception_weights=inception_weights,
                        allow_download=allow_download, evaluator=evaluator, device=device,
                        settings=settings, cache_dir=cache_dir, progress=progress)
    return suite.compute(fake, real, n=n, n_real=n_real, real_cache_key=real_cache_key)
