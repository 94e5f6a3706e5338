"""The `gankit train` command pauses the garbage collector while it imports and builds,
turns it back on for training, and freezes the heap as it exits; ``main(argv)`` called
from Python changes none of that (see gankit.startup)."""

import gc
import subprocess
import sys

from gankit.cli.main import main

TINY = ["--steps", "2", "--no-progress", "--device", "cpu", "--set", "data.size=96",
        "--set", "model.g_width=8", "--set", "model.d_width=8", "--set", "train.batch_size=16",
        "--set", "train.grid_size=8", "--set", "train.tensorboard=false",
        "--set", "train.pictures=false"]

# records whether the collector runs while the models are built and at every step
PROBE = """
import gc, sys
import gankit.training.loop as loop
from gankit.cli.main import main
seen = {"build": [], "steps": []}
build, step = loop.build_components, loop.Trainer.train_step
def probe_build(*args):
    seen["build"].append(gc.isenabled())
    return build(*args)
def probe_step(self):
    seen["steps"].append(gc.isenabled())
    return step(self)
loop.build_components, loop.Trainer.train_step = probe_build, probe_step
sys.argv = ["gankit", *sys.argv[1:]]
code = main()
print(seen, gc.isenabled(), gc.get_freeze_count() > 0, code)
"""


def test_the_train_command_pauses_the_collector_until_training_starts(tmp_path):
    done = subprocess.run([sys.executable, "-c", PROBE, "train", "--out",
                           str(tmp_path / "run"), *TINY], capture_output=True, text=True,
                          check=True)
    last = done.stdout.strip().splitlines()[-1]
    assert last == "{'build': [False], 'steps': [True, True]} True True 0", done.stdout


def test_main_called_from_python_leaves_the_collector_alone(tmp_path):
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    assert main(["train", "--out", str(tmp_path / "run"), *TINY]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen
