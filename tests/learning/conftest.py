"""Learning tests judge what short runs draw, and a run's course depends on the
arithmetic's rounding, hence on the thread count (a conditional 1,500-step run: 0.69
accuracy with 2 threads, ~0.2 with 1; benchmarks/RESULTS.md). So every learning test
runs with a fixed count whatever the machine: 2, CI's, unless its module sets
``THREADS``."""

import pytest
import torch


@pytest.fixture(autouse=True)
def fixed_threads(request):
    before = torch.get_num_threads()
    torch.set_num_threads(getattr(request.module, "THREADS", 2))
    yield
    torch.set_num_threads(before)
