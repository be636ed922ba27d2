"""Checks run in a process of their own, so that the server answers while they run.

A check of a large pack decides many requests and can take seconds or minutes; in the
server's own process it would hold up every completion and hover. :class:`Worker` runs
each job (a function of ``engine.editor.checks``) in a child process and hands its
stages back as they come: for a pack, first its errors, then every finding. A newer job
for the same document ends the older one's process at once (``supersede``): the text it
was checking is gone.

Children are forked from a fork server that has the checks already imported (where the
platform has one; spawned otherwise), so a job starts in milliseconds.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from typing import AsyncIterator, Sequence

import attrs

from engine.authoring.analysis import Diagnostic

__all__ = ["Job", "Worker"]

_CHECKS = "engine.editor.checks"


@attrs.frozen
class Job:
    """What to check: ``kind`` is ``pack`` (errors, then every finding) or ``tests``."""

    kind: str
    text: str
    origin: str
    pack_text: str | None = None       # for tests: the pack beside the file
    pack_origin: str = ""


def _run(job: Job, connection: multiprocessing.connection.Connection) -> None:
    """The child: each stage's diagnostics, sent as soon as it is done."""
    from engine.editor import checks
    try:
        if job.kind == "tests":
            connection.send(("tests", checks.tests_findings(job.text, job.origin, job.pack_text,
                                                            job.pack_origin)))
        else:
            connection.send(("errors", checks.pack_errors(job.text, job.origin)))
            connection.send(("findings", checks.pack_findings(job.text, job.origin)))
    except Exception as e:  # noqa: BLE001 - reported to the editor's log, never a crash
        connection.send(("failed", f"{type(e).__name__}: {e}"))
    finally:
        connection.close()


class Worker:
    """Runs checks in child processes, one at a time for each document."""

    def __init__(self) -> None:
        self._context: ForkServerContext | SpawnContext | None = None
        self._running: dict[str, BaseProcess] = {}

    def _start(self) -> ForkServerContext | SpawnContext:
        if self._context is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                forkserver = multiprocessing.get_context("forkserver")
                forkserver.set_forkserver_preload([_CHECKS])
                self._context = forkserver
            else:
                self._context = multiprocessing.get_context("spawn")
        return self._context

    def supersede(self, key: str) -> None:
        """End the job running for ``key``, if any."""
        process = self._running.pop(key, None)
        if process is not None and process.is_alive():
            process.kill()

    async def run(self, key: str, job: Job) -> AsyncIterator[tuple[str, Sequence[Diagnostic]]]:
        """Each stage of ``job`` as (stage, diagnostics); a stage that fails is
        ``("failed", [])`` after its message is logged. Ends early when superseded."""
        self.supersede(key)
        context = self._start()
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_run, args=(job, sender), daemon=True)
        process.start()
        sender.close()
        self._running[key] = process
        finished = False
        try:
            while True:
                message = await asyncio.to_thread(_receive, receiver)
                if message is None:
                    finished = True
                    return
                stage, found = message
                if stage == "failed":
                    finished = True
                    raise RuntimeError(str(found))
                yield stage, list(found) if isinstance(found, list) else []
        finally:
            if self._running.get(key) is process:
                del self._running[key]
            if process.is_alive() and not finished:
                process.kill()         # ends a receive still waiting, which closes the pipe
            elif finished:
                receiver.close()
            process.join(timeout=0.2)

    def close(self) -> None:
        for key in list(self._running):
            self.supersede(key)


def _receive(receiver: multiprocessing.connection.Connection) -> tuple[str, object] | None:
    """The next message, or None once the child is gone."""
    try:
        message: tuple[str, object] = receiver.recv()
        return message
    except (EOFError, OSError):
        return None
