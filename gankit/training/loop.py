"""The training loop: D phase(s), G phase, EMA, callbacks. Nothing else lives here."""

from __future__ import annotations

import math
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

from gankit.config import Config
from gankit.data.base import Dataset, to_unit
from gankit.data.loader import BatchLoader, condition_vectors
from gankit.errors import GankitError
from gankit.precision import Autocast, LossScaler, autocast_dtype
from gankit.runs.data import build_dataset, data_spec
from gankit.runs.sampling import generate
from gankit.startup import resume_collector
from gankit.training.callbacks import Callback, Checkpointer, ProgressBar, SampleGrid, StatsLogger
from gankit.training.collapse import CollapseMonitor
from gankit.training.components import build_components
from gankit.training.disk import DISK_ERRORS, disk_error_message, last_checkpoint_words
from gankit.training.distributed import Distributed
from gankit.training.divergence import Diverged, DivergenceGuard, non_finite_weights
from gankit.training.ema import StandingStatistics, training_inputs
from gankit.training.pictures import picture_callbacks
from gankit.training.schedules import Schedule
from gankit.training.signals import StopRequests, TrainingInterrupted

GRID_COLUMNS = 8


def total_steps(cfg: Config, dataset_size: int) -> int:
    """Generator steps to run: ``train.steps``, or ``train.epochs`` over the data."""
    t = cfg.train
    if t.epochs > 0:
        return max(1, math.ceil(t.epochs * dataset_size / (t.batch_size * t.d_steps)))
    return t.steps


def periodic_evaluation(cfg: Config, run_dir: Path) -> Callback:
    """The evaluation callback that ``train.eval_*`` asks for."""
    # the metrics (torch-fidelity, torchvision: ~2 s of imports) load only for runs that
    # evaluate while they train
    from gankit.runs.evaluation import EvaluationRequest
    from gankit.training.evaluation import PeriodicEvaluation

    t = cfg.train
    request = EvaluationRequest(tuple(t.eval_metrics), t.eval_n, seed=t.seed,
                                inception_weights=t.inception_weights, evaluator=t.evaluator)
    return PeriodicEvaluation(run_dir, t.eval_every, request, t.best_metric)


class Trainer:
    """Trains one GAN described by a :class:`Config`, writing into ``run_dir``.

    Args:
        cfg: the resolved configuration.
        run_dir: the run folder (created by the caller).
        device: torch device.
        dataset: an already loaded dataset (default: built from ``cfg.data``).
        callbacks: replaces the default callbacks (progress, stats, samples, checkpoints,
            evaluation, pictures...).
        extra_callbacks: run after the default (or given) callbacks.
        dist: this process's place among several (torchrun); default one process. With
            several, only rank 0 keeps the callbacks that write or print (those whose
            ``all_ranks`` is false); G and D are wrapped in DDP by :meth:`distribute`.
    """

    def __init__(self, cfg: Config, run_dir: Path, device: torch.device,
                 dataset: Dataset | None = None, callbacks: list[Callback] | None = None,
                 extra_callbacks: list[Callback] = (), dist: Distributed | None = None):
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.device = device
        self.dist = dist or Distributed(device)
        if self.dist.active and cfg.loss.objective == "cycle":
            raise GankitError("loss.objective=cycle trains with one process for now (its "
                              "objective calls the networks' parts, which DDP cannot see); "
                              "run it without torchrun")
        self.dataset = dataset if dataset is not None else build_dataset(cfg.data)
        self.spec = data_spec(self.dataset)
        parts = build_components(cfg, self.spec, device)
        self.G, self.D = parts.G, parts.D
        self.opt_g, self.opt_d = parts.opt_g, parts.opt_d
        self.scalers = {name: LossScaler(cfg.train.precision, device) for name in ("g", "d")}
        self._step_networks(ddp=False)
        self.objective, self.ema, self.noise = parts.objective, parts.ema, parts.noise
        self.objective.shard = self.dist.shard
        if hasattr(self.objective.augment, "sum_across") and self.dist.active:
            self.objective.augment.sum_across = self.dist.sum
        self.loader = BatchLoader(self.dataset, cfg.train.batch_size, device, cfg.data.flip,
                                  seed=cfg.train.seed, shard=self.dist.shard,
                                  class_groups=cfg.train.class_groups)
        if self.ema is not None and cfg.train.ema_standing_batches > 0:
            # the batch each BatchNorm layer normalises over in training
            per_norm = cfg.train.batch_size // (1 if cfg.train.sync_batchnorm
                                                else self.dist.shard.count)
            draw = training_inputs(self.dataset, self.G, per_norm, device)
            self.ema.use_standing(StandingStatistics(draw, cfg.train.ema_standing_batches,
                                                     seed=cfg.train.seed + 3))
        self.step = 0
        self.total_steps = total_steps(cfg, len(self.dataset))
        self.images_per_step = cfg.train.batch_size * cfg.train.d_steps
        self.schedule = Schedule(cfg, {"g": self.opt_g, "d": self.opt_d}, self.objective,
                                 self.total_steps * self.images_per_step)
        self.grid_nrow = GRID_COLUMNS
        self.fixed = self._fixed_inputs(cfg.train.grid_size)
        self.extra_state: dict = {}
        self.last_eval: dict | None = None
        self._elapsed_before = 0.0
        self._t_start = time.perf_counter()
        callbacks = self._default_callbacks() if callbacks is None else list(callbacks)
        self.callbacks = [cb for cb in callbacks + list(extra_callbacks)
                          if self.dist.is_main or cb.all_ranks]

    def _default_callbacks(self) -> list[Callback]:
        cfg, t, main = self.cfg, self.cfg.train, self.dist.is_main
        callbacks = [
            StatsLogger(self.run_dir, t.log_every, t.tensorboard),
            SampleGrid(self.run_dir, t.sample_every),
            Checkpointer(self.run_dir, t.checkpoint_every, t.keep_checkpoints),
            ProgressBar(t.progress),
        ] if main else []
        if t.eval_every > 0 and t.eval_metrics:
            if self.spec.kind != "image":
                raise GankitError("train.eval_* measures image generators; 2-D point runs "
                                  "are judged by their sample plots")
            callbacks.insert(min(1, len(callbacks)), periodic_evaluation(cfg, self.run_dir))
        # with several processes, the guard also checks the weights wherever rank 0 may
        # save them, so a non-finite state is refused by all processes at once
        saves = (t.checkpoint_every, t.eval_every) if self.dist.active else ()
        # first: a diverged step must stop before anything logs or saves it
        callbacks.insert(0, DivergenceGuard(t.log_every, t.nan_rollbacks, t.nan_lr_factor,
                                            also_every=saves))
        if not main:
            return callbacks
        monitor = CollapseMonitor.from_config(t)
        if t.collapse_every > 0 and monitor.applies(self.spec):
            # early, so a step's loss record stays the last line written for it
            callbacks.insert(1, monitor)
        # last: they draw what the others have logged and saved in the same step
        callbacks += picture_callbacks(cfg, self.run_dir, self.spec.kind)
        if t.wandb:
            from gankit.training.wandb_logging import WandbLogger
            callbacks.append(WandbLogger(self.run_dir, cfg.to_dict(), t.wandb_project))
        return callbacks

    def distribute(self) -> None:
        """Wrap G and D in DDP when there are several processes (once; a no-op for one)."""
        if self.dist.active and not self._ddp:
            self._step_networks(ddp=True)

    def _step_networks(self, ddp: bool) -> None:
        """What the steps run: G and D themselves or their DDP wrappers, under autocast
        when ``train.precision`` asks for it; ``D_frozen`` is the bare D of the G phase."""
        G, D = self.G, self.D
        if ddp:
            sync = self.cfg.train.sync_batchnorm
            G, D = self.dist.wrap(self.G, sync), self.dist.wrap(self.D, sync)
        self._ddp = ddp
        dtype = autocast_dtype(self.cfg.train.precision)
        cast = ((lambda net: net) if dtype is None
                else (lambda net: Autocast(net, dtype, self.device.type)))
        self.G_train, self.D_train, self.D_frozen = cast(G), cast(D), cast(self.D)

    # ------------------------------------------------------------------ the loop

    def train_step(self) -> dict[str, torch.Tensor]:
        """One G update preceded by ``d_steps`` D updates; returns detached stats (the
        processes' average when there are several)."""
        G, D, objective = self.G_train, self.D_train, self.objective
        images = self.step * self.images_per_step
        self.dist.seed_step(self.cfg.train.seed, self.step)
        rollbacks = int(self.extra_state.get("rollbacks", 0))
        scheduled = self.schedule.apply(images, self.cfg.train.nan_lr_factor ** rollbacks)
        G.train()
        D.train()
        D.requires_grad_(True)
        d_steps = self.cfg.train.d_steps
        for i in range(d_steps):
            batch = next(self.loader)
            # the last D step's fakes keep their graph and serve the G phase too, which
            # saves one generator forward per step (as the DCGAN reference loop does)
            last = i == d_steps - 1 and objective.shares_fakes
            fake = objective.fake(G, batch) if last else None
            loss, stats = objective.d_loss(G, D, batch, fake)
            self.opt_d.zero_grad(set_to_none=True)
            self.scalers["d"].backward_and_step(loss, self.opt_d)
            objective.after_d_step(self.D)
        D.requires_grad_(False)
        # the bare D: it is frozen in the G phase, so it has no gradient to share
        loss, g_stats = objective.g_loss(G, self.D_frozen, batch, fake)
        self.opt_g.zero_grad(set_to_none=True)
        self.scalers["g"].backward_and_step(loss, self.opt_g)
        self.step += 1
        if self.ema is not None:
            self.ema.update(G, self.step, self.schedule.ema_decay(images, self.images_per_step))
        stats = {**stats, **g_stats, **{k: torch.tensor(v) for k, v in scheduled.items()}}
        return self.dist.mean(stats)

    def train(self) -> "Trainer":
        """Run until ``total_steps``; callbacks write the run folder.

        Raises:
            TrainingInterrupted: a stop signal (Ctrl-C, SIGTERM, SIGHUP) arrived; the
                step in progress was finished and saved.
            GankitError: the run diverged past its rollbacks, or the disk refused a write
                (the last checkpoint stays resumable).
        """
        resume_collector()  # paused by the `gankit train` command while it started
        self.distribute()
        self._t_start = time.perf_counter()
        if self.dist.max_int(self.out_of_time()):
            self.total_steps = self.step
        guard = self.callback(DivergenceGuard)
        stopping = False
        with StopRequests(self.dist.signal_grace) as stop:
            try:
                # a failure on any process stops all, before the first collective step
                self.dist.together(lambda: [cb.on_start(self) for cb in self.callbacks])
                while self.step < self.total_steps:
                    stats = self.train_step()
                    if self.cfg.train.minutes > 0 and self.dist.max_int(self.out_of_time()):
                        self.total_steps = self.step  # the last step: callbacks finish the run
                    try:
                        for cb in self.callbacks:
                            cb.on_step(self, stats)
                    except Diverged as error:
                        if guard is None:
                            raise GankitError(f"training diverged: {error}") from None
                        guard.recover(self, error)
                    # all processes stop at the same step, whichever one was signalled
                    signum = self.dist.max_int(stop.signum or 0)
                    if signum:
                        stopping = True
                        raise self._stopped(signal.Signals(signum).name, signum)
            except OSError as error:
                if error.errno not in DISK_ERRORS:
                    raise
                raise GankitError(disk_error_message(error, self.step, self.run_dir)) from None
            except KeyboardInterrupt as error:
                if not isinstance(error, TrainingInterrupted) and self.dist.is_main:
                    print(f"\ngankit: stopped at once in step {self.step}; "
                          f"{last_checkpoint_words(self.run_dir)}", file=sys.stderr)
                raise
            finally:
                self._end_callbacks()
                if stopping:  # the others wait until rank 0 has saved and closed its files
                    self.dist.barrier()
        return self

    def _end_callbacks(self) -> None:
        """``on_end`` of every callback; a disk that refuses the last writes is one line."""
        for cb in self.callbacks:
            try:
                cb.on_end(self)
            except OSError as error:
                if error.errno not in DISK_ERRORS:
                    raise
                raise GankitError(disk_error_message(error, self.step, self.run_dir)) from None

    def _stopped(self, name: str, signum: int) -> TrainingInterrupted:
        """Save the finished step (unless just saved) and say how to continue."""
        checkpointer = self.callback(Checkpointer)
        if checkpointer is None:
            return TrainingInterrupted(signum, f"stopped by {name} at step {self.step}")
        path = checkpointer.last_path
        try:
            if path is None or checkpointer.last_step != self.step:
                path = checkpointer.save(self)
        except Diverged as error:
            message = (f"stopped by {name} at step {self.step} ({error}: not saved); "
                       f"{last_checkpoint_words(self.run_dir)}")
            print(f"\ngankit: {message}", file=sys.stderr)
            return TrainingInterrupted(signum, message)
        message = (f"stopped by {name} at step {self.step}; saved {path}; continue with "
                   f"`gankit train --resume {self.run_dir}`")
        print(f"\ngankit: {message}", file=sys.stderr)
        return TrainingInterrupted(signum, message)

    # ------------------------------------------------------------------ helpers

    def elapsed(self) -> float:
        return self._elapsed_before + time.perf_counter() - self._t_start

    def training_seconds(self) -> float:
        """Wall time spent training so far (all sessions), evaluation excluded."""
        return self.elapsed() - float(self.extra_state.get("eval_s", 0.0))

    def out_of_time(self) -> bool:
        """Whether ``train.minutes`` (when set) has been used up."""
        minutes = self.cfg.train.minutes
        return minutes > 0 and self.training_seconds() >= minutes * 60

    def callback(self, kind: type) -> Callback | None:
        return next((cb for cb in self.callbacks if isinstance(cb, kind)), None)

    @property
    def sampler(self) -> torch.nn.Module:
        """The generator used for samples and evaluation: EMA when enabled (its BatchNorm
        statistics re-estimated first, see :class:`~gankit.training.ema.EMA`)."""
        return self.ema.sampler if self.ema is not None else self.G

    def _fixed_inputs(self, n: int) -> dict:
        n = min(n, len(self.dataset))
        rng = torch.Generator().manual_seed(self.cfg.train.seed + 2)
        z = self.G.sample_z(n, "cpu", rng)
        cond = source = None
        labels, k = self.dataset.labels, self.spec.num_classes
        sources = getattr(self.dataset, "sources", None)
        if labels is not None and labels.dim() == 1 and sources is None:
            # one row of the grid per class, as far as the grid reaches
            cond = condition_vectors(torch.arange(n) // GRID_COLUMNS % k, k)
        elif labels is not None:  # multi-hot, or paired items shown beside their targets
            cond = condition_vectors(labels[:n], k)
        if sources is not None:
            source = to_unit(sources[:n])
        return {"z": z, "cond": cond, "source": source}

    def fixed_samples(self) -> torch.Tensor:
        """Generator output on the fixed grid inputs (eval mode)."""
        z, cond, source = self.fixed["z"], self.fixed["cond"], self.fixed["source"]
        n = len(next(t for t in (z, cond, source) if t is not None))
        return generate(self.sampler, n, cond=cond, source=source, batch_size=n,
                        device=self.device, z=z)

    def grid_columns(self) -> list[torch.Tensor]:
        """What the sample grid shows: the fixed samples; for image-to-image data each
        source beside its output and target; for two-way (CycleGAN) generators
        A | A→B | B | B→A."""
        output, source = self.fixed_samples(), self.fixed["source"]
        if source is None or self.spec.kind != "image":
            return [output]
        target = to_unit(self.dataset.images[:len(output)])
        towards = getattr(self.sampler, "towards", None)
        if towards is None:
            return [source, output, target]
        back = generate(towards("BtoA"), len(target), source=target, batch_size=len(target),
                        device=self.device)
        return [source, output, target, back]

    # ------------------------------------------------------------------ state

    def _check_same_models(self, state: dict) -> None:
        saved_model, model = state["config"]["model"], self.cfg.to_dict()["model"]
        changed = [f"model.{k}" for k in model if saved_model.get(k) != model[k]]
        saved_spec, spec = state["data_spec"], asdict(self.spec)
        changed += [f"data ({k})" for k in spec if saved_spec.get(k) != spec[k]]
        if changed:
            raise GankitError(f"cannot resume: {', '.join(changed)} differ from the "
                              "checkpoint's; resume with its settings or start a new run")

    def state_dict(self, for_sampling: bool = True) -> dict:
        """Everything needed to sample from this run and to resume it exactly.

        ``for_sampling`` false leaves the EMA's BatchNorm statistics as they are instead
        of re-estimating them: for rollback snapshots, which only training reads (taken
        every ``log_every`` steps, re-estimating would cost about a tenth of the time).

        Raises:
            Diverged: a weight is NaN/Inf (such a state is never saved).
        """
        average = None if self.ema is None else (self.ema.sampler if for_sampling
                                                 else self.ema.shadow)
        broken = non_finite_weights({"generator": self.G, "discriminator": self.D,
                                     "EMA generator": average})
        if broken is not None:
            raise Diverged(self.step, f"{broken} weights")
        rng = {"torch": torch.get_rng_state(), "noise": self.noise.get_state()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        return {
            "step": self.step,
            "elapsed_s": self.elapsed(),
            "config": self.cfg.to_dict(),
            "data_spec": asdict(self.spec),
            "class_names": list(getattr(self.dataset, "class_names", None) or []),
            "generator": self.G.state_dict(),
            "discriminator": self.D.state_dict(),
            "ema": None if average is None else average.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "objective": self.objective.state_dict(),
            "scalers": {name: s.state_dict() for name, s in self.scalers.items()},
            "loader": self.loader.state_dict(),
            "rng": rng,
            "fixed": self.fixed,
            "extra": self.extra_state,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict` (the config must describe the same models)."""
        self._check_same_models(state)
        self.G.load_state_dict(state["generator"])
        self.D.load_state_dict(state["discriminator"])
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        self.objective.load_state_dict(state.get("objective") or {})
        for name, saved in (state.get("scalers") or {}).items():
            self.scalers[name].load_state_dict(saved)
        self.loader.load_state_dict(state["loader"])
        self.step = int(state["step"])
        self._elapsed_before = float(state.get("elapsed_s", 0.0))
        self.fixed = state["fixed"]
        self.extra_state = dict(state.get("extra") or {})
        torch.set_rng_state(state["rng"]["torch"])
        self.noise.set_state(state["rng"]["noise"])
        if "cuda" in state["rng"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
