"""Learning tests judge what short runs draw; a conditional run's early phase depends on
the arithmetic's rounding (a 1,500-step run: 0.69 accuracy with 2 threads, ~0.2 with 1;
benchmarks/RESULTS.md), so every learning test runs with 2 threads, CI's count, whatever
the machine."""

import pytest
import torch


@pytest.fixture(autouse=True)
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)
