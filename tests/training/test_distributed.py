"""Training on several processes: torchrun + DDP on the CPU (gloo), two processes.

Each test starts the real command, ``python -m torch.distributed.run --standalone
--nproc_per_node 2 -m gankit train ...``, on tiny settings.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from gankit.metrics.shipped import shipped_evaluator_path
from gankit.runs import load_checkpoint

TINY = ["data.size=128", "model.g_width=8", "model.d_width=8", "model.z_dim=16",
        "train.batch_size=16", "train.progress=false", "train.tensorboard=false",
        "train.grid_size=8", "train.log_every=2", "train.collapse_every=0",
        "train.pictures=false"]
#: G and D without BatchNorm (layer norm in both), WGAN-GP; R1 and R2 on top, so the
#: double backward of all three penalties runs through DDP
WGAN_GP = ["wgan-gp", "data.resolution=32", "model.g_norm=layer", "train.d_steps=2",
           "train.ema=0.9", "loss.r1_weight=0.1", "loss.r2_weight=0.1"]
#: one process and two agree to float32 rounding, amplified over a few Adam steps
WEIGHT_ATOL = 1e-6
#: the same fakes, generated in other batches and measured in two halves
FID_RTOL = 1e-4

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for worker pids")


def command(preset, settings, *args, processes=2):
    launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone",
                 "--nproc_per_node", str(processes)] if processes > 1 else [sys.executable])
    sets = [arg for s in settings for arg in ("--set", s)]
    return [*launcher, "-m", "gankit", "train", preset, "--device", "cpu", *sets, *args]


def run(cwd, preset, settings, *args, processes=2):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(command(preset, settings, *args, processes=processes), cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def records(run_dir, kind=None):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r for r in rows if r.get("kind") == kind]


def test_two_processes_train_as_one_with_the_same_global_batch(tmp_path):
    evaluator = shipped_evaluator_path(multi_label=True, resolution=32)
    settings = TINY + WGAN_GP[1:] + ["train.eval_every=4", "train.eval_metrics=[fid_evaluator]",
                                     "train.eval_n=64", f"train.evaluator={evaluator}"]
    one = run(tmp_path, WGAN_GP[0], settings, "--steps", "4", "--out", "one", processes=1)
    two = run(tmp_path, WGAN_GP[0], settings, "--steps", "4", "--out", "two")
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    # rank 0 alone prints and writes: one summary, one run folder, nothing else
    assert two.stdout.count("gankit: run folder") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]
    a, b = load_checkpoint(tmp_path / "one"), load_checkpoint(tmp_path / "two")
    assert a["step"] == b["step"] == 4
    for part in ("generator", "discriminator", "ema"):
        flat_a = torch.cat([t.float().flatten() for t in _tensors(a[part])])
        flat_b = torch.cat([t.float().flatten() for t in _tensors(b[part])])
        assert torch.allclose(flat_a, flat_b, rtol=0, atol=WEIGHT_ATOL), part
    # the logged losses are the global batch's, not rank 0's half
    for ra, rb in zip(records(tmp_path / "one"), records(tmp_path / "two"), strict=True):
        for key in ("loss_d", "loss_g", "gp", "r1", "r2", "d_real"):
            assert rb[key] == pytest.approx(ra[key], rel=1e-4, abs=1e-6), (key, ra, rb)
    # sharded evaluation: each process measured 32 of the 64 fakes, one result
    (ea,), (eb,) = records(tmp_path / "one", "eval"), records(tmp_path / "two", "eval")
    assert eb["n_fake"] == ea["n_fake"] == 64
    assert eb["fid_evaluator"] == pytest.approx(ea["fid_evaluator"], rel=FID_RTOL)


def _tensors(state):
    if isinstance(state, torch.Tensor):
        return [state]
    if isinstance(state, dict):
        return [t for value in state.values() for t in _tensors(value)]
    if isinstance(state, (list, tuple)):
        return [t for value in state for t in _tensors(value)]
    return []


def _workers(parent: int) -> dict[int, int]:
    """rank → pid of the gankit processes torchrun started under ``parent``."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            environ = (stat.parent / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(fields[1]) == parent:
            rank = [v for v in environ if v.startswith(b"RANK=")]
            if rank:
                found[int(rank[0][5:])] = int(stat.parent.name)
    return found


def test_sigterm_to_one_process_stops_both_with_one_checkpoint_and_resumes(tmp_path):
    settings = TINY + ["data.resolution=16", "train.checkpoint_every=100000"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    # no --out: rank 0 names the run folder (runs/default-<time>) for both
    process = subprocess.Popen(command("default", settings, "--steps", "100000"),
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(tmp_path.glob("runs/*/metrics.jsonl")):
        time.sleep(0.2)
    workers = _workers(process.pid)
    assert sorted(workers) == [0, 1], process.communicate(timeout=60)
    os.kill(workers[1], signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode != 0
    assert err.count("stopped by SIGTERM") == 1, err
    assert "exitcode  : 143" in err  # both workers end as a signalled process would
    (run_dir,) = (tmp_path / "runs").iterdir()
    (saved,) = (run_dir / "checkpoints").glob("*.pt")
    stopped_at = load_checkpoint(run_dir)["step"]
    assert saved.name == f"step-{stopped_at:07d}.pt" and stopped_at > 0

    resumed = run(tmp_path, "default", [], "--resume", f"runs/{run_dir.name}", "--steps",
                  str(stopped_at + 2))
    assert resumed.returncode == 0, resumed.stderr
    assert load_checkpoint(run_dir)["step"] == stopped_at + 2
    assert [p.name for p in (tmp_path / "runs").iterdir()] == [run_dir.name]


def test_a_batch_that_does_not_split_is_one_error_and_every_process_exits_2(tmp_path):
    result = run(tmp_path, "default", TINY + ["data.resolution=16", "train.batch_size=15"],
                 "--steps", "2")
    assert result.returncode != 0
    assert result.stderr.count("gankit: error:") == 1, result.stderr
    assert "train.batch_size=15 is the global batch" in result.stderr
    # (torchrun may end the second process itself once it sees the first one's code)
    assert "exitcode  : 2" in result.stderr
    assert not (tmp_path / "runs").exists()
