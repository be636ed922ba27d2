"""Run the real ``policy serve`` in a subprocess on a free loopback port, and talk to it.

``Server`` starts the command, waits for ``/healthz`` and is always stopped by the
fixture that made it. ``call`` is a small HTTP client on ``http.client`` that sends
exactly the bytes it is given (invalid UTF-8 included) and returns the status,
headers and body.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@attrs.frozen
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class Server:
    """One ``policy serve`` process (``args`` are its options). ``command`` is the
    ``policy`` command to run (default: this interpreter's ``python -m engine``; another
    environment's ``bin/policy``)."""

    def __init__(self, tmp: Path, *args: str, env: dict[str, str] | None = None,
                 command: list[str] | None = None) -> None:
        self.command = command or [sys.executable, "-m", "engine"]
        self.port = free_port()
        self.tmp = tmp
        self.stderr_path = tmp / f"serve-{self.port}.err"
        self.args = ["--port", str(self.port), *args]
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20) -> "Server":
        self._stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(
            [*self.command, "serve", *self.args], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"policy serve exited with {self.process.returncode}:\n"
                                   f"{self.stderr}")
            try:
                if self.call("GET", "/healthz").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"policy serve did not answer /healthz in {timeout} s:\n{self.stderr}")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def send_signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Stop the server (SIGTERM by default) and return its exit status."""
        process = self.process
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._stderr.close()
        return process.returncode

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
             headers: dict[str, str] | None = None, timeout: float = 10) -> Reply:
        return call(self.port, method, path, body, raw=raw, headers=headers, timeout=timeout)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.call("POST", path, body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.call("GET", path, **kwargs)


def served(name: str, *args: str) -> Any:
    """A module-scoped fixture: ``policy serve ARGS`` in a temporary folder ``name``,
    started once for the module's tests and stopped after them."""
    import pytest

    @pytest.fixture(scope="module")
    def server(tmp_path_factory: Any) -> Any:
        s = Server(tmp_path_factory.mktemp(name), *args).start()
        yield s
        s.stop()
    return server


def call(port: int, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
         headers: dict[str, str] | None = None, timeout: float = 10) -> Reply:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()},
                     response.read())
    finally:
        connection.close()


def wait_for(condition: Any, timeout: float = 10, step: float = 0.05) -> Any:
    """Poll ``condition()`` until it returns something true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(step)


def log_lines(path: Path, *, writing: bool = False) -> list[dict[str, Any]]:
    """Every line of a decision log, parsed; fails on a line that is not whole JSON.

    ``writing``: the server may be writing as the log is read, so a last line without
    its newline is one being written, left for the next read rather than a failure.
    """
    if not path.exists():
        return []
    data = path.read_bytes()
    if writing and not data.endswith(b"\n"):
        data = data[:data.rfind(b"\n") + 1]
    assert not data or data.endswith(b"\n"), f"the log ends in a partial line: {data[-80:]!r}"
    return [json.loads(line) for line in data.splitlines()]


__all__ = ["Server", "Reply", "call", "free_port", "wait_for", "log_lines", "signal"]


def configmap(root: Path, files: dict[str, str], stamp: str) -> Path:
    """Lay out (or update) a folder the way the kubelet mounts a ConfigMap.

    The files live in a timestamped folder ``..STAMP``; ``..data`` links to it and each
    file is a link ``NAME -> ..data/NAME``. An update writes a new timestamped folder,
    points a new link at it and renames that over ``..data`` (one atomic swap), then
    removes the old folder.
    """
    root.mkdir(exist_ok=True)
    data = root / f"..{stamp}"
    data.mkdir()
    for name, text in files.items():
        (data / name).write_text(text)
    old = os.readlink(root / "..data") if (root / "..data").is_symlink() else None
    os.symlink(data.name, root / "..data_tmp")
    os.replace(root / "..data_tmp", root / "..data")
    for name in files:
        if not (root / name).is_symlink():
            os.symlink(f"..data/{name}", root / name)
    if old is not None:
        shutil.rmtree(root / old)
    return root
