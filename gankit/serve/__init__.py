"""``gankit serve``: a local web page to explore trained runs — grids by class or
objects, latent interpolation, sketch translation and training curves.

Thin: every picture comes from :mod:`gankit.runs`. :mod:`gankit.serve.app` holds the
page's API, :mod:`gankit.serve.models` the served runs and their open checkpoints,
:mod:`gankit.serve.server` binds it all to an address. Importing this package alone
loads neither torch nor Flask (the CLI reads the defaults below).
"""

DEFAULT_HOST = "127.0.0.1"
"""Loopback: the page is reachable from this machine only."""
DEFAULT_PORT = 8765
