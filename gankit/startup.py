"""Start-up and exit speed of commands: when Python's cyclic garbage collector runs.

Importing torch (and the compiler stack its optimisers load) creates some 300,000
objects the collector tracks. The collector, triggered every few hundred new ones,
walks the growing heap again and again: pausing it while a command imports and builds
cuts the import time by about a quarter (≈ 0.5 s on the 2-core CPU). What was built
then is long-lived, not garbage: it is frozen (:func:`gc.freeze`) when collection
resumes, so later collections skip it too. At exit the interpreter walks every object
once more (0.5–0.9 s with torch loaded) unless it is frozen.

Only a process's own command (``gankit ...``, ``python -m gankit ...``) does any of this;
``main(argv)`` called from Python (tests, scripts) leaves the collector alone.
"""

from __future__ import annotations

import gc

_paused = False


def pause_collector() -> None:
    """Stop automatic collection (when it is on) until :func:`resume_collector`."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_collector() -> None:
    """Turn automatic collection back on if :func:`pause_collector` turned it off, with
    what was built meanwhile frozen (else the first collections would walk it all)."""
    global _paused
    if _paused:
        gc.freeze()
        gc.enable()
        _paused = False


def freeze_for_exit() -> None:
    """Move every object to the permanent generation, which the interpreter's last
    collection skips: call only as the process is about to exit. Recent garbage (an
    error's frames) is collected first, so it is still finalised in order."""
    resume_collector()
    gc.collect(1)
    gc.freeze()
