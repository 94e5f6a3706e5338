"""compute_metrics / MetricSuite: streaming inputs, counts, the real-feature cache, errors,
and agreement with torch-fidelity's own calculate_metrics."""

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from gankit.errors import GankitError
from gankit.metrics import MetricSuite, compute_metrics
from gankit.metrics.features import float32_precision
from gankit.metrics.sources import image_batches

SETTINGS = {"batch_size": 8, "isc_splits": 4, "kid_subset_size": 20, "kid_subsets": 10}


class PixelFeatures:
    """A cheap stand-in for Inception: pooled pixels on fixed random directions."""

    space = "inception"
    layers = ("2048", "logits_unbiased")
    description = "pooled pixels (test)"

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.projection = torch.randn(48, 64, generator=g)
        self.classes = torch.randn(48, 10, generator=g) * 5
        self.seen = 0

    def fingerprint(self) -> str:
        return "pixels:1"

    def __call__(self, images):
        self.seen += len(images)
        x = F.adaptive_avg_pool2d(images.float().expand(-1, 3, -1, -1) / 255, 4).flatten(1)
        return {"2048": x @ self.projection, "logits_unbiased": x @ self.classes}


def _images(n, seed, brightness=0, size=16):
    g = torch.Generator().manual_seed(seed)
    base = torch.randint(0, 200, (n, 3, size, size), generator=g)
    return (base + brightness).clamp(0, 255).to(torch.uint8)


def _suite(tmp_path, metrics=("fid", "is", "kid", "pr"), extractor=None, **kwargs):
    return MetricSuite(metrics, settings=SETTINGS, cache_dir=tmp_path / "cache", progress=False,
                       device="cpu", extractors={"inception": extractor or PixelFeatures()},
                       **kwargs)


def test_tensor_batches_and_sampler_give_identical_results(tmp_path):
    fake, real = _images(40, 0), _images(40, 1)
    suite = _suite(tmp_path)
    from_tensor = suite.compute(fake, real)
    from_batches = suite.compute([fake[:7], fake[7:19], (fake[19:], "labels ignored")], real)
    asked = []

    def sample(b):
        asked.append(b)
        start = sum(asked[:-1])
        return fake[start:start + b]

    from_sampler = suite.compute(sample, real, n=40)
    assert from_tensor == from_batches == from_sampler
    assert max(asked) <= SETTINGS["batch_size"] and sum(asked) == 40
    assert set(from_tensor) == {"fid", "is_mean", "is_std", "kid_mean", "kid_std",
                                "kid_subset_size", "precision", "recall", "f_score", "density",
                                "coverage", "n_fake", "n_real"}
    assert (from_tensor["n_fake"], from_tensor["n_real"]) == (40, 40)


def test_uneven_batches_reach_the_network_in_equal_batches():
    # CPU kernels round differently per batch size: every way of handing over the
    # images must give the feature network the same batches
    images = _images(40, 0)
    pieces = [images[:7], images[7:19], images[19:20], (images[20:], "labels")]
    chunks = list(image_batches(pieces, None, 16, "fake"))
    assert [len(c) for c in chunks] == [16, 16, 8]
    assert torch.equal(torch.cat(chunks), images)
    assert [len(c) for c in image_batches(iter(pieces), 30, 16, "fake")] == [16, 14]
    assert [len(c) for c in image_batches(images, None, 16, "fake")] == [16, 16, 8]


def test_n_takes_the_first_images_and_is_reported(tmp_path):
    fake, real = _images(40, 0), _images(40, 1)
    suite = _suite(tmp_path, ("fid",))
    first_24 = suite.compute(fake, real, n=24, n_real=32)
    assert (first_24["n_fake"], first_24["n_real"]) == (24, 32)
    assert first_24 == suite.compute(iter([fake[:30], fake[30:]]), real[:32], n=24)
    assert first_24["fid"] != suite.compute(fake, real, n_real=32)["fid"]


def test_fid_is_zero_for_identical_sets_and_grows_with_a_shift(tmp_path):
    real = _images(60, 2)
    suite = _suite(tmp_path, ("fid", "kid"))
    same = suite.compute(real, real)
    shifted = suite.compute(_images(60, 2, brightness=40), real)
    assert abs(same["fid"]) < 1e-6 * shifted["fid"]
    assert shifted["fid"] > 0.1 and shifted["kid_mean"] > abs(same["kid_mean"])


def test_real_features_are_cached_on_disk_by_key(tmp_path):
    fake, real = _images(30, 3), _images(30, 4)
    first = _suite(tmp_path).compute(fake, real, real_cache_key="toy real set v1")
    files = list((tmp_path / "cache").glob("toy_real_set_v1-*.safetensors"))
    assert len(files) == 1
    extractor = PixelFeatures()
    again = _suite(tmp_path, extractor=extractor).compute(fake, None,
                                                          real_cache_key="toy real set v1")
    assert again == first
    assert extractor.seen == 30  # only the generated images went through the network
    with pytest.raises(GankitError, match="pass real images"):
        _suite(tmp_path).compute(fake, None, n_real=20, real_cache_key="toy real set v1")
    other_network = PixelFeatures()
    other_network.fingerprint = lambda: "pixels:2"
    with pytest.raises(GankitError, match="pass real images"):
        _suite(tmp_path, extractor=other_network).compute(fake, None,
                                                          real_cache_key="toy real set v1")


def test_a_cached_entry_of_another_size_is_recomputed(tmp_path):
    fake, real = _images(30, 3), _images(30, 4)
    _suite(tmp_path).compute(fake, real, real_cache_key="sized")
    extractor = PixelFeatures()
    smaller = _suite(tmp_path, extractor=extractor).compute(fake, real[:20],
                                                            real_cache_key="sized")
    assert smaller["n_real"] == 20 and extractor.seen == 30 + 20
    assert len(list((tmp_path / "cache").glob("sized-*.safetensors"))) == 1  # overwritten
    extractor = PixelFeatures()
    again = _suite(tmp_path, extractor=extractor).compute(fake, real[:20], real_cache_key="sized")
    assert again == smaller and extractor.seen == 30


def test_real_features_are_kept_in_memory_between_calls(tmp_path):
    extractor = PixelFeatures()
    suite = _suite(tmp_path, extractor=extractor)
    real = _images(30, 5)
    first = suite.compute(_images(30, 6), real, real_cache_key="mem")
    second = suite.compute(_images(30, 7), real, real_cache_key="mem")
    assert extractor.seen == 30 + 30 + 30
    assert first["n_real"] == second["n_real"] == 30 and first["fid"] != second["fid"]


def test_inception_score_needs_no_real_images(tmp_path):
    result = _suite(tmp_path, ("is",)).compute(_images(20, 8))
    assert set(result) == {"is_mean", "is_std", "n_fake"} and result["is_mean"] > 1


@pytest.mark.parametrize("call, message", [
    (lambda s: s.compute(_images(10, 0), _images(10, 1), n=11), "n=11 .* only 10"),
    (lambda s: s.compute(lambda b: _images(b, 0), _images(10, 1)), "needs the number of images"),
    (lambda s: s.compute(_images(10, 0).float(), _images(10, 1)), "expected uint8 images"),
    (lambda s: s.compute(lambda b: _images(b - 1, 0), _images(10, 1), n=10), "returned 7"),
    (lambda s: s.compute([_images(4, 0)], _images(10, 1), n=6), "n=6 .* only 4"),
    (lambda s: s.compute(_images(10, 0)), "pass real images"),
])
def test_bad_inputs_raise_one_clear_error(tmp_path, call, message):
    with pytest.raises(GankitError, match=message):
        call(_suite(tmp_path, ("fid",)))


def test_unknown_names_are_refused(tmp_path):
    with pytest.raises(GankitError, match="unknown metric 'fdi'"):
        MetricSuite(("fdi",))
    with pytest.raises(GankitError, match="unknown metric setting 'kid_size'"):
        MetricSuite(("kid",), settings={"kid_size": 3})


def test_evaluator_metrics_without_an_evaluator_say_so(tmp_path):
    with pytest.raises(GankitError, match="need a trained evaluator"):
        compute_metrics(_images(10, 0), _images(10, 1), ("fid_evaluator",), device="cpu",
                        progress=False)


def test_importing_the_package_does_not_import_torch_fidelity():
    code = ("import sys, gankit.metrics as m; assert 'torch_fidelity' not in sys.modules; "
            "assert callable(m.compute_metrics); assert m.metric('fid').from_features; "
            "assert 'torch_fidelity' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


class _UInt8Images(torch.utils.data.Dataset):
    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i]


def test_same_numbers_as_torch_fidelity_calculate_metrics(random_inception):
    """Same images, same weights: torch-fidelity's own pipeline gives the same numbers.

    FID is left to the benchmark (a 2048² eigen-decomposition costs seconds per call on a
    small CPU); its maths is checked against scipy in test_metrics_maths.py, on features
    that IS and precision/recall here show to be the same.
    """
    import torch_fidelity

    fake, real = _images(5, 10, size=32), _images(5, 11, brightness=30, size=32)
    settings = {"isc_splits": 2, "kid_subset_size": 5, "kid_subsets": 5}
    ours = compute_metrics(fake, real, ("is", "kid", "pr"), inception_weights=random_inception,
                           settings={**settings, "dc_neighborhood": 3}, device="cpu",
                           progress=False)
    reference = torch_fidelity.calculate_metrics(
        input1=_UInt8Images(fake), input2=_UInt8Images(real), cuda=False, isc=True, kid=True,
        prc=True, feature_extractor="inception-v3-compat",
        feature_extractor_weights_path=str(random_inception), cache=False, save_cpu_ram=True,
        verbose=False, **settings)
    assert ours["is_mean"] == reference["inception_score_mean"]
    assert ours["is_std"] == reference["inception_score_std"]
    assert ours["precision"] == reference["precision"]
    assert ours["recall"] == reference["recall"]
    # gankit sums KID kernels in float64; torch-fidelity's own run uses float32.
    assert ours["kid_mean"] == pytest.approx(reference["kernel_inception_distance_mean"],
                                             rel=1e-4)
    assert ours["kid_mean"] > 1e-3  # a non-trivial value


def test_extraction_runs_in_true_float32_and_restores_the_flags(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    seen = []

    class Probe(PixelFeatures):
        def __call__(self, images):
            seen.append((torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32))
            return super().__call__(images)

    _suite(tmp_path, ("is",), extractor=Probe()).compute(_images(8, 0))
    assert seen and set(seen) == {(False, False)}
    assert torch.backends.cudnn.allow_tf32 is True
    with float32_precision(True):
        assert torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32
    assert torch.backends.cudnn.allow_tf32 is True
