"""The metric maths agree with independent reference computations on random features."""

import numpy as np
import pytest
import scipy.linalg
import torch

from gankit.errors import GankitError
from gankit.metrics.features import FeatureSet
from gankit.metrics.fid import fid_statistics, frechet_distance
from gankit.metrics.isc import inception_score
from gankit.metrics.kid import kernel_distance
from gankit.metrics.prc import density_coverage, precision_recall


def _features(n, d, shift=0.0, scale=1.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(d, d, generator=g) / d ** 0.5  # correlated dimensions
    return (torch.randn(n, d, generator=g) @ mixing) * scale + shift


def _reference_fid(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = a.mean(0), b.mean(0)
    sigma_a, sigma_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(sigma_a @ sigma_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(sigma_a + sigma_b - 2 * covmean))


def _reference_mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    kernel = lambda a, b: (a @ b.T / d + 1.0) ** 3  # noqa: E731
    m = len(x)
    k_xx, k_yy, k_xy = kernel(x, x), kernel(y, y), kernel(x, y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2 * k_xy.mean())


def _reference_inception_score(logits: np.ndarray) -> float:
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    marginal = p.mean(0, keepdims=True)
    return float(np.exp((p * (np.log(p) - np.log(marginal))).sum(1).mean()))


@pytest.mark.parametrize("shift,scale", [(0.0, 1.0), (0.3, 1.0), (0.5, 1.7)])
def test_fid_matches_scipy_sqrtm_in_float64(shift, scale):
    fake, real = _features(500, 24, shift, scale, seed=1), _features(600, 24, seed=2)
    ours = frechet_distance(fid_statistics(FeatureSet({"f": fake}), "f"),
                            fid_statistics(FeatureSet({"f": real}), "f"))
    reference = _reference_fid(fake.double().numpy(), real.double().numpy())
    assert ours == pytest.approx(reference, rel=1e-6, abs=1e-9)


def test_fid_statistics_are_float64_and_computed_once():
    features = FeatureSet({"f": _features(50, 8)})
    stats = fid_statistics(features, "f")
    assert stats["mu"].dtype == np.float64 and stats["sigma"].dtype == np.float64
    assert fid_statistics(features, "f") is stats


def test_fid_grows_with_the_shift():
    real = _features(400, 16, seed=3)
    real_stats = fid_statistics(FeatureSet({"f": real}), "f")
    values = [frechet_distance(fid_statistics(FeatureSet({"f": _features(400, 16, s, seed=4)}),
                                              "f"), real_stats) for s in (0.0, 0.5, 1.0)]
    assert values[0] < values[1] < values[2]
    assert values[2] - values[1] == pytest.approx(16 * (1.0 - 0.25), rel=0.1)  # |Δmu|² grows


@pytest.mark.parametrize("shift", [0.0, 0.4])
def test_kid_matches_unbiased_polynomial_mmd(shift):
    # With subsets as large as the sets, every subset is a permutation of the whole set,
    # so each estimate is the full unbiased MMD² whatever the random choice.
    fake, real = _features(200, 16, shift, seed=5), _features(200, 16, seed=6)
    mean, std, size = kernel_distance(fake, real, subsets=3, subset_size=1000, seed=0)
    reference = _reference_mmd2_unbiased(fake.double().numpy(), real.double().numpy())
    assert size == 200
    assert mean == pytest.approx(reference, rel=1e-6, abs=1e-12)
    assert std == pytest.approx(0.0, abs=1e-9 + 1e-6 * abs(reference))


def test_kid_subsets_average_is_close_to_the_full_estimate():
    fake, real = _features(300, 8, 0.5, seed=7), _features(300, 8, seed=8)
    mean, std, size = kernel_distance(fake, real, subsets=50, subset_size=100, seed=0)
    full = _reference_mmd2_unbiased(fake.double().numpy(), real.double().numpy())
    assert size == 100 and std > 0
    assert abs(mean - full) < 3 * std / 50 ** 0.5 + 0.05 * full


def test_inception_score_matches_softmax_reference():
    g = torch.Generator().manual_seed(9)
    logits = torch.randn(120, 30, generator=g) * 3
    mean, std = inception_score(logits, splits=1)
    assert mean == pytest.approx(_reference_inception_score(logits.double().numpy()), rel=1e-6)
    assert std == 0.0
    mean, std = inception_score(logits, splits=4, shuffle=False)
    chunks = [_reference_inception_score(c) for c in np.split(logits.double().numpy(), 4)]
    assert mean == pytest.approx(np.mean(chunks), rel=1e-6)
    assert std == pytest.approx(np.std(chunks), rel=1e-6)


def test_inception_score_bounds():
    confident_and_diverse = torch.eye(10).repeat(3, 1) * 50
    assert inception_score(confident_and_diverse, splits=1)[0] == pytest.approx(10, rel=1e-6)
    collapsed = torch.zeros(30, 10)
    collapsed[:, 3] = 50
    assert inception_score(collapsed, splits=1)[0] == pytest.approx(1, rel=1e-6)
    with pytest.raises(GankitError, match="isc_splits"):
        inception_score(torch.zeros(5, 10), splits=10)


def _pairwise(a, b):
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))


def _kth_radius(points, k):
    return np.sort(_pairwise(points, points), axis=1)[:, k]  # column 0 is the point itself


def test_precision_recall_match_brute_force():
    fake, real = _features(120, 6, 0.6, seed=10), _features(150, 6, seed=11)
    precision, recall, f_score = precision_recall(fake, real, neighborhood=3, batch_size=40)
    f, r = fake.double().numpy(), real.double().numpy()
    ref_precision = (_pairwise(f, r) <= _kth_radius(r, 3)[None, :]).any(1).mean()
    ref_recall = (_pairwise(r, f) <= _kth_radius(f, 3)[None, :]).any(1).mean()
    assert precision == pytest.approx(ref_precision, abs=1e-7)
    assert recall == pytest.approx(ref_recall, abs=1e-7)
    assert f_score == pytest.approx(2 * ref_precision * ref_recall / (ref_precision + ref_recall),
                                    abs=1e-6)
    assert 0.05 < ref_precision < 0.95  # a case that discriminates


def test_density_coverage_match_brute_force():
    fake, real = _features(100, 5, 0.5, seed=12), _features(130, 5, seed=13)
    density, coverage = density_coverage(fake, real, neighborhood=5, batch_size=32)
    f, r = fake.double().numpy(), real.double().numpy()
    inside = _pairwise(f, r) <= _kth_radius(r, 5)[None, :]  # fake j in the ball of real i
    assert density == pytest.approx(inside.sum() / (5 * len(f)), abs=1e-9)
    assert coverage == pytest.approx(inside.any(0).mean(), abs=1e-9)
    assert 0.05 < coverage < 0.95


def test_identical_sets_are_fully_precise_and_covered():
    points = _features(80, 4, seed=14)
    assert precision_recall(points, points, 3)[:2] == (1.0, 1.0)
    assert density_coverage(points, points, 5)[1] == 1.0
    with pytest.raises(GankitError, match="prc_neighborhood"):
        precision_recall(points[:3], points, 3)
