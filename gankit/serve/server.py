"""Serving the explorer: Werkzeug's threaded server, bound to loopback unless told.

::

    server = make_explorer(["runs/cdcgan-1"], host="127.0.0.1", port=0)
    print(url_of(server)); server.serve_forever()       # server.shutdown() from another thread
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket

import torch
from werkzeug.serving import BaseWSGIServer, make_server

from gankit.errors import GankitError
from gankit.serve import DEFAULT_HOST, DEFAULT_PORT
from gankit.serve.app import MAX_N, create_app
from gankit.serve.models import MAX_OPEN, Registry


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(app, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> BaseWSGIServer:
    """A threaded server for ``app`` on ``host:port`` (port 0: any free port), not yet
    serving.

    Raises:
        GankitError: the port is taken, or the address cannot be bound.
    """
    if not 0 <= port <= 65535:
        raise GankitError(f"--port {port} is not a port number; use 1..65535 (0: any free one)")
    # bind here, not in Werkzeug: it answers a taken port by printing and exiting
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
        return make_server(host, port, app, threaded=True, fd=listener.fileno())
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise GankitError(f"port {port} on {host} is in use; pick another with --port "
                              "(or --port 0 for any free one)") from None
        raise GankitError(f"cannot serve on {host}:{port} ({err.strerror or err}); "
                          "check --host and --port") from None
    finally:
        listener.close()  # the server holds its own duplicate of the socket


def url_of(server: BaseWSGIServer) -> str:
    """The address a browser on this machine opens for ``server`` (loopback when it
    listens on every address)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(server.host, server.host)
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{server.port}/"


def make_explorer(runs: list[str | os.PathLike], host: str = DEFAULT_HOST,
                  port: int = DEFAULT_PORT, device: str | torch.device = "cpu",
                  max_n: int = MAX_N, max_open: int = MAX_OPEN) -> BaseWSGIServer:
    """Open ``runs`` and bind the explorer to ``host:port``; call ``serve_forever()``.

    Raises:
        GankitError: no runs, a path that is not a run or checkpoint, or a port in use.
    """
    if not runs:
        raise GankitError("name at least one run folder or checkpoint to serve")
    if max_n < 1:
        raise GankitError(f"--max-n {max_n} must be at least 1")
    registry = Registry(list(runs), device, max_open)
    return bind(create_app(registry, max_n=max_n), host, port)
