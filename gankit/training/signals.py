"""Stopping a run cleanly on a signal: Ctrl-C (SIGINT), schedulers, ``timeout`` and
``docker stop`` (SIGTERM), a closed terminal (SIGHUP).

The first signal asks the loop to stop after the step in progress, so the checkpoint it
then writes is a consistent state that resumes exactly; a second one stops at once.
"""

from __future__ import annotations

import signal
import threading
import time

STOP_SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None))
                     if s is not None)


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on a signal after saving where it got to.

    Attributes:
        signum: the signal number.
        exit_code: ``128 + signum``, what a shell reports for a process the signal ended.
    """

    def __init__(self, signum: int, message: str = ""):
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + signum


class StopRequests:
    """While active (a ``with`` block in the main thread), turns stop signals into
    :attr:`signum`; a second signal raises :class:`KeyboardInterrupt` at once, unless it
    comes within ``grace_s`` seconds of the first (under torchrun one Ctrl-C arrives
    twice: from the terminal and forwarded by torchrun)."""

    def __init__(self, grace_s: float = 0.0):
        self.signum: int | None = None
        self.grace_s = grace_s
        self._first_at = 0.0
        self._previous: dict[int, object] = {}

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    def _handle(self, signum, frame) -> None:
        if self.signum is not None:
            if time.monotonic() - self._first_at < self.grace_s:
                return
            self._restore()  # asked twice: the user means now
            raise KeyboardInterrupt
        self.signum, self._first_at = signum, time.monotonic()

    def __enter__(self) -> "StopRequests":
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def __exit__(self, *exc) -> None:
        self._restore()
