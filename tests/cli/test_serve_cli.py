"""`gankit serve`: loopback by default, the address printed, Ctrl-C, and one-line errors
for what a user can fix (no such run, not a run, a port in use)."""

import socket

import pytest
from werkzeug.serving import BaseWSGIServer

from gankit.cli.main import build_parser, main
from gankit.errors import GankitError
from gankit.serve.server import is_loopback, make_explorer, url_of


@pytest.fixture(scope="module")
def run(tiny_run):
    return tiny_run("default")


def one_line_error(capsys, fragment):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error:") and fragment in err[0], err


def test_the_default_address_is_loopback(run):
    args = build_parser().parse_args(["serve", str(run)])
    assert (args.host, args.port) == ("127.0.0.1", 8765)
    server = make_explorer([run], args.host, port=0)
    try:
        assert server.server_address[0] == "127.0.0.1" and server.port > 0
        assert url_of(server) == f"http://127.0.0.1:{server.port}/"
    finally:
        server.server_close()
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")


@pytest.fixture()
def interrupted(monkeypatch):
    """Serving stops at once, as on Ctrl-C; records the address it was serving."""
    served = []

    def serve_forever(self, poll_interval=0.5):
        served.append(self.server_address)
        raise KeyboardInterrupt

    monkeypatch.setattr(BaseWSGIServer, "serve_forever", serve_forever)
    return served


def test_serve_prints_the_address_and_ctrl_c_stops_it(run, interrupted, capsys):
    assert main(["serve", str(run), str(run), "--port", "0", "--device", "cpu"]) == 130
    out, err = capsys.readouterr()
    (host, port), = interrupted
    assert host == "127.0.0.1"
    assert out.strip() == f"gankit: serving 2 runs at http://127.0.0.1:{port}/ — Ctrl-C to stop"
    assert "warning" not in err
    with socket.socket() as probe:  # the port was let go
        probe.bind(("127.0.0.1", port))


def test_every_address_only_when_asked_and_with_a_warning(run, interrupted, capsys):
    assert main(["serve", str(run), "--host", "0.0.0.0", "--port", "0"]) == 130
    out, err = capsys.readouterr()
    assert interrupted[0][0] == "0.0.0.0"
    assert "reachable from the network" in err and "http://127.0.0.1:" in out


def test_a_missing_run_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["serve", str(tmp_path / "nope"), "--port", "0"]) == 2
    one_line_error(capsys, "does not exist")


def test_a_folder_without_checkpoints_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["serve", str(tmp_path), "--port", "0"]) == 2
    one_line_error(capsys, "no checkpoint")


def test_a_port_in_use_is_one_line_and_exit_2(run, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(run), "--port", str(port)]) == 2
    one_line_error(capsys, f"port {port} on 127.0.0.1 is in use")


def test_bad_numbers_are_user_errors(run):
    with pytest.raises(GankitError, match="--port 70000"):
        make_explorer([run], port=70000)
    with pytest.raises(GankitError, match="--max-n 0"):
        make_explorer([run], port=0, max_n=0)
