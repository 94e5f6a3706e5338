"""Per-object generator conditioning for object lists (multi-label scenes).

Class-conditional BatchNorm adds the gains of every object in a multi-hot row, so
one channel scaled up for "red cube" is scaled up for "blue sphere" too: channel-wise
conditioning cannot say which object gets which colour, and a G conditioned that way
draws single objects right but mixes or washes out the second and third (the
multi-label runs in ``benchmarks/RESULTS.md``). Here each object of the condition
instead gets its own slot: its embedding, plus an embedding of its rank in the list,
passes with the shared latent through a small MLP, and the slots' outputs are summed.
Identity and placement are bound per object before anything is summed, and the
shared z lets the slots agree on where each object goes (the object-centric idea of
set-conditioned scene generators, reduced to the input of G).
"""

from __future__ import annotations

import torch
from torch import nn

from gankit.errors import GankitError

#: objects one condition may hold (iCLEVR and the built-in scenes hold at most 3)
MAX_SLOTS = 8


def _tracing() -> bool:
    # an exported or compiled graph cannot raise on a value; eager calls check it
    return torch.jit.is_tracing() or torch.compiler.is_compiling()


class ObjectSlots(nn.Module):
    """Encodes a one- or multi-hot condition ``[N, K]`` with the latent ``[N, Z]`` into
    ``[N, out_dim]``: the sum over the condition's objects of
    ``MLP([embed(object) + embed(rank), z])``, each weighted by its entry in the row.
    Objects are ranked in class order."""

    reads_latent = True

    def __init__(self, num_classes: int, embed_dim: int, z_dim: int, hidden: int = 256):
        super().__init__()
        self.slots = min(num_classes, MAX_SLOTS)
        self.objects = nn.Embedding(num_classes, embed_dim)
        self.ranks = nn.Embedding(self.slots, embed_dim)
        self.mlp = nn.Sequential(nn.Linear(embed_dim + z_dim, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden))
        self.out_dim = hidden
        # descending keys K..1 put a row's objects in class order, first to last
        self.register_buffer("order", torch.arange(num_classes, 0, -1), persistent=False)
        self.reset_condition_parameters()

    def reset_condition_parameters(self) -> None:
        nn.init.normal_(self.objects.weight, 0.0, 1.0)
        nn.init.normal_(self.ranks.weight, 0.0, 1.0)
        for layer in self.mlp:
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()

    def forward(self, cond: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        present = cond > 0
        if not _tracing():
            most = int(present.sum(1).max())
            if most > self.slots:
                raise GankitError(f"a condition names {most} objects, more than the "
                                  f"{self.slots} that model.g_cond=slots draws; use "
                                  "model.g_cond=cbn for it")
        # always every slot (unused ones weigh 0): as many as the fullest row of the batch
        # needs would make an image depend on the rows it is drawn beside, by rounding
        keys, index = (present * self.order).topk(self.slots, dim=1)
        weight = cond.gather(1, index) * (keys > 0)
        tokens = self.objects(index) + self.ranks.weight
        latent = z[:, None, :].expand(-1, self.slots, -1)
        features = self.mlp(torch.cat([tokens, latent], dim=2))
        return (features * weight[..., None]).sum(1)
