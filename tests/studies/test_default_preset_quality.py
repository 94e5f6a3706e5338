"""The README's `gankit train` (the `default` preset) end to end, judged by the shipped
shapes evaluator. About 3 minutes on a 2-core CPU: marked slow, run with `-m slow`.

Seen (2-core CPU, 2026-11-22): evaluator-space FID 586 (untrained) → 144 after 3,000 steps
with EMA (the whole test: 2 min 36 s); an earlier 1,500-step run without EMA: 222.
"""

import pytest
import torch

from gankit.config import load_config
from gankit.data import DataRequest, load_dataset
from gankit.runs.sampling import generate_uint8
from gankit.metrics import compute_metrics
from gankit.metrics.shipped import shipped_evaluator_path
from gankit.training import Trainer, train

pytestmark = pytest.mark.slow


def evaluator_fid(G, real):
    fakes = torch.cat(list(generate_uint8(G, 2000, seed=0)))
    result = compute_metrics(fakes, real.images, ["fid_evaluator"], progress=False,
                             evaluator=str(shipped_evaluator_path(True, 32)))
    return result["fid_evaluator"]


def test_default_preset_learns_recognisable_shapes(tmp_path):
    cfg = load_config("default", ["train.progress=false", "train.device=cpu"])
    real = load_dataset(DataRequest(name="shapes", labels="multi", split="test", size=2000))
    untrained = evaluator_fid(Trainer(cfg, tmp_path / "untrained", torch.device("cpu"),
                                      callbacks=[]).sampler, real)
    result = train(cfg, out=tmp_path / "run")
    trained = evaluator_fid(result.trainer.sampler, real)
    print(f"\nevaluator FID: untrained {untrained:.1f} → trained {trained:.1f}")
    assert trained < 0.5 * untrained
    assert result.trainer.elapsed() < 600, "the README promises under 10 minutes on 2 cores"
