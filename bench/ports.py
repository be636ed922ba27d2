"""Where a benchmark's service listens: the port asked for with ``--port``, or a free
loopback port; either way printed (on stderr) when the service starts, so a run never
binds a port nobody was told about."""

from __future__ import annotations

import argparse
import socket
import sys


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0,
                        help="loopback port for the service (default: a free one; printed)")


def choose(requested: int) -> int:
    """``requested``, or a free loopback port when it is 0."""
    if requested:
        return requested
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def announce(port: int, what: str = "policy serve") -> None:
    print(f"{what} listening on http://127.0.0.1:{port}", file=sys.stderr, flush=True)
