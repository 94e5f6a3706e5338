"""Running independent trainings side by side, one per device (``--devices cuda:0,cuda:1``).

Each job runs in a fresh process (spawned, so every CUDA context starts clean) pinned
to one device; a device takes the next job as soon as its current one ends. The
processes run in their own session: a Ctrl-C reaches this process only, which asks each
job once to stop (SIGINT), so every run saves its step and resumes later; a second
Ctrl-C stops them at once. The first job that fails stops the others the same way.
A stop asked for while a job is still starting takes effect as soon as it can be
received, and a job takes SIGINT even when its parent ignores it (a shell's background
job does).
A device may be listed twice (``cpu,cpu``): two jobs then share it, each with its share
of the CPU cores.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

import torch

from gankit.device import pick_device
from gankit.errors import GankitError

#: seconds a stopped job gets to save its checkpoint before it is killed
STOP_TIMEOUT_S = 600

# a job's start-up state, shared with its process: SIGINT may only be sent once it is READY
STARTING, READY, STOP_ASKED = 0, 1, 2


@dataclass
class Outcome:
    """How one job ended: ``state`` ok | error (a user error: ``message``) | interrupted
    | crashed (``message``: its traceback or exit code)."""

    job: Any
    device: str
    state: str
    value: Any = None
    message: str = ""


def parse_devices(text: str) -> list[str]:
    """``cuda:0,cuda:1`` → ``["cuda:0", "cuda:1"]``, each checked (a GPU index must exist)."""
    devices = [name.strip() for name in text.split(",") if name.strip()]
    if not devices:
        raise GankitError("--devices needs at least one device, e.g. --devices cuda:0,cuda:1")
    for name in devices:
        if name in ("auto", "cuda"):
            raise GankitError(f"--devices names each device: {name!r} is ambiguous; use cpu or "
                              "cuda:0, cuda:1, ...")
        device = pick_device(name)
        if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
            raise GankitError(f"--devices {name}: only {torch.cuda.device_count()} GPU(s) are "
                              "visible")
    return devices


def cpu_share(device: str, devices: list[str]) -> int:
    """Threads a job on ``device`` may use: the cores split among the CPU entries (0 for a
    GPU: torch's default)."""
    if device != "cpu":
        return 0
    return max(1, (os.cpu_count() or 1) // devices.count("cpu"))


def _child(work: Callable, job, device: str, threads: int, state, conn) -> None:
    os.setsid()  # the terminal's Ctrl-C goes to the parent, which forwards one SIGINT
    # a process started from a shell's background job inherits SIGINT ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if threads:
        torch.set_num_threads(threads)
    try:
        with state.get_lock():
            stop_asked = state.value == STOP_ASKED
            state.value = READY
        if stop_asked:
            raise KeyboardInterrupt("stopped before it began")
        conn.send(("ok", work(job, device), ""))
    except GankitError as error:
        conn.send(("error", None, str(error)))
    except KeyboardInterrupt as interrupt:
        conn.send(("interrupted", getattr(interrupt, "exit_code", 130), str(interrupt)))
    except BaseException:  # noqa: BLE001 - a bug: its traceback goes to the parent
        conn.send(("crashed", None, traceback.format_exc()))
    finally:
        conn.close()


def run_on_devices(next_job: Callable[[int], Any], devices: list[str],
                   work: Callable[[Any, str], Any],
                   on_start: Callable[[Any, str], None] | None = None,
                   on_end: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Run ``work(job, device)`` for every job ``next_job`` hands out, one job per device
    entry at a time, each in its own process.

    Args:
        next_job: called when a device is free, with the number of jobs running; returns
            the next job, or ``None`` when there is none (now: it is asked again when a
            running job ends, so jobs may depend on earlier results).
        devices: device names (see :func:`parse_devices`).
        work: a module-level function (it is pickled into the job's process).
        on_start, on_end: told when a job starts, and how each ended.

    Returns:
        The outcomes in the order the jobs ended. After a failure (an ``error`` or
        ``crashed`` outcome) no new job starts and the running ones are stopped.

    Raises:
        KeyboardInterrupt: after Ctrl-C, once every job has stopped (``on_end`` is told
            how each ended).
    """
    context = multiprocessing.get_context("spawn")
    free, running, outcomes = deque(devices), {}, []
    failed = False
    try:
        while True:
            while free and not failed:
                job = next_job(len(running))
                if job is None:
                    break
                device = free.popleft()
                receive, send = context.Pipe(duplex=False)
                state = context.Value("i", STARTING)
                process = context.Process(target=_child, daemon=False, args=(
                    work, job, device, cpu_share(device, devices), state, send))
                process.start()
                send.close()
                running[receive] = (job, device, process, state)
                if on_start:
                    on_start(job, device)
            if not running:
                return outcomes
            for conn in wait(list(running)):
                outcome = _receive(conn, running)
                free.append(outcome.device)
                outcomes.append(outcome)
                if outcome.state in ("error", "crashed") and not failed:
                    failed = True
                    _ask_to_stop(running)
                if on_end:
                    on_end(outcome)
    except KeyboardInterrupt:
        _ask_to_stop(running)
        try:
            _collect(running, outcomes, on_end)
        except KeyboardInterrupt:  # asked twice: stop at once
            _ask_to_stop(running)
            _collect(running, outcomes, on_end)
        raise


def _receive(conn, running: dict) -> Outcome:
    job, device, process, _ = running.pop(conn)
    try:
        state, value, message = conn.recv()
    except EOFError:
        state, value, message = "crashed", None, "its process ended without a word"
    process.join()
    if state == "crashed" and process.exitcode not in (0, None):
        message += f" (exit code {process.exitcode})"
    return Outcome(job, device, state, value, message)


def _ask_to_stop(running: dict) -> None:
    for _, _, process, state in running.values():
        with state.get_lock():
            if state.value == STARTING:  # it stops itself once it can take SIGINT
                state.value = STOP_ASKED
                continue
        if process.is_alive():
            os.kill(process.pid, signal.SIGINT)


def _collect(running: dict, outcomes: list, on_end) -> None:
    """Wait for the stopped jobs' outcomes; kill what has not ended within the timeout."""
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while running:
        ended = wait(list(running), timeout=max(0.0, deadline - time.monotonic()))
        if not ended:
            for _, _, process, _ in running.values():
                process.kill()
            ended = list(running)
        for conn in ended:
            outcomes.append(_receive(conn, running))
            if on_end:
                on_end(outcomes[-1])


def raise_first_failure(outcomes: list[Outcome], describe: Callable[[Any], str]) -> None:
    """Raise the first outcome that is not ``ok``: a user error as :class:`GankitError`
    (its message, prefixed with ``describe(job)``), a job stopped from outside as one
    too, a crash as ``RuntimeError`` with its traceback."""
    for outcome in outcomes:
        if outcome.state == "error":
            raise GankitError(f"{describe(outcome.job)}: {outcome.message}")
        if outcome.state == "crashed":
            raise RuntimeError(f"{describe(outcome.job)} on {outcome.device} crashed:\n"
                               f"{outcome.message}")
        if outcome.state == "interrupted":
            raise GankitError(f"{describe(outcome.job)} was stopped on {outcome.device} "
                              "(it is resumable); run the command again to finish it")
