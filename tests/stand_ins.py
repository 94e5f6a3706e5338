"""Stand-in generators for tests that judge how a generator's samples vary: one that
has collapsed (ignores its noise) and a perfect one (draws real images).

Importable from any test as ``stand_ins`` (``pythonpath`` in ``pyproject.toml``)."""

import torch

from gankit.data.base import to_unit
from gankit.models.base import Generator


class IgnoresZ(Generator):
    """A collapsed generator: the wrapped one, fed zeros instead of its noise."""

    def __init__(self, inner: Generator):
        super().__init__()
        self.inner, self.z_dim = inner, inner.z_dim

    def forward(self, z, cond=None, source=None):
        return self.inner(torch.zeros_like(z), cond, source)


class RealImages(Generator):
    """A perfect "generator": distinct random real images of the asked class or object
    list (of the whole data when unconditional)."""

    def __init__(self, dataset, z_dim: int, seed: int = 1):
        super().__init__()
        self.dataset, self.z_dim = dataset, z_dim
        self.rng = torch.Generator().manual_seed(seed)

    def forward(self, z, cond=None, source=None):
        images, labels = self.dataset.images, self.dataset.labels
        if cond is None:
            return to_unit(images[torch.randperm(len(images), generator=self.rng)[:len(z)]])
        out = torch.empty(len(z), *images.shape[1:])
        asked = cond if labels.dim() == 2 else cond.argmax(1)
        for c in asked.unique(dim=0):
            rows = (asked == c).reshape(len(asked), -1).all(1).nonzero().flatten()
            members = (labels == c).reshape(len(labels), -1).all(1).nonzero().flatten()
            # a rare object list may have fewer images than asked: they come round again
            shuffled = members[torch.randperm(len(members), generator=self.rng)]
            pick = shuffled[torch.arange(len(rows)) % len(shuffled)]
            out[rows] = to_unit(images[pick])
        return out
