"""``policy decide --input``: telling JSON Lines from a JSON document, and streaming them.

:func:`read_input` looks at the start of the input only. A file named ``*.jsonl`` (or
``*.ndjson``) is JSON Lines; so is any input whose first non-blank line holds a whole
JSON object on its own and which has a second non-blank line. Anything else is one JSON
document (a request object or a list of them), read whole, as before JSON Lines existed.
So the first line is decided only once a second line, or the end of the input, has shown
which it is; a program that writes one request and waits for its answer before writing
the next can give a named pipe whose name ends in ``.jsonl``, which is read as lines from
the start.

:func:`stream_decisions` decides JSON Lines through :meth:`Engine.decide_stream`, one
line at a time, writing one decision per line (``--format json``) or a decision for
people per request, blank-line separated (``--format text``). Nothing is kept between two
lines, so memory stays flat however long the input. Blank lines are skipped; lines are
numbered from 1 as an editor numbers them. A bad line (not JSON, not a request object, a
request the engine refuses) stops the run with one message naming the line, after the
decisions of the lines before it have been written (``--on-error stop``), or is reported
and skipped (``--on-error continue``, exit status 2 at the end).

Output is flushed every :data:`FLUSH_EVERY` decisions, and before each line is read
when the input is not a regular file (a pipe, a terminal), so a caller who writes a
request and waits gets its decision. With ``--decision-log``, the entries of decisions
already flushed are handed to the log as they accumulate (see :class:`_Delivery`): a
decision is logged once it has been delivered, and none that was not.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from typing import IO, Any, Iterator

import click

from engine.cli.common import commit_decisions, fail, parse_json

FLUSH_EVERY = 1024
SUFFIXES = (".jsonl", ".ndjson")
COMPACT = (",", ":")


class JsonLines:
    """An input read as JSON Lines: the lines already looked at, then the rest."""

    def __init__(self, name: str, file: IO[bytes], head: list[tuple[int, bytes]],
                 next_number: int) -> None:
        self.name = name
        self.file = file
        self.head = head
        self.next_number = next_number
        try:
            mode = os.fstat(file.fileno()).st_mode
            self.size = os.fstat(file.fileno()).st_size if stat.S_ISREG(mode) else None
        except (OSError, ValueError, AttributeError):
            self.size = None

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """``(line number, text)`` of every non-blank line, lazily."""
        yield from self.head
        number = self.next_number
        for raw in self.file:
            if raw.strip():
                yield number, raw
            number += 1


def read_input(file: IO[bytes], name: str) -> Any:
    """The parsed JSON document of ``file``, or :class:`JsonLines` to decide line by line."""
    head: list[tuple[int, bytes]] = []
    number = 0
    for raw in file:
        number += 1
        if raw.strip():
            head.append((number, raw))
            break
    if not head:
        return parse_json(b"", f"--input {name}")          # the message for empty input
    if name.lower().endswith(SUFFIXES):
        return JsonLines(name, file, head, number + 1)
    first = head[0][1].lstrip(b"\xef\xbb\xbf \t\r\n")
    if first.startswith(b"{") and _whole_object(first):
        for raw in file:
            number += 1
            if raw.strip():
                head.append((number, raw))
                break
        if len(head) > 1:
            return JsonLines(name, file, head, number + 1)
    rest = b"".join(raw for _, raw in head) + file.read()
    return parse_json(rest, f"--input {name}")


def _whole_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def stream_decisions(lines: JsonLines, engine: Any, at: str | None, fmt: str,
                     on_error: str) -> None:
    """Decide every line of ``lines`` and write the decisions (see the module)."""
    from engine.errors import RequestError
    from engine.json_input import parse_json as read
    if fmt == "json":
        # the service's decision JSON, compact, through orjson; not the service's cache
        # of whole decisions' JSON (thousands of them), which a stream would fill
        from engine.service.log_lines import decision_text

        def show(decision: Any, first: bool) -> str:
            return decision_text(decision) + "\n"
    else:
        from engine.explain.trace_views import render_decision_of

        def show(decision: Any, first: bool) -> str:      # blank-line separated, as a list is
            return ("" if first else "\n") + render_decision_of(engine, decision) + "\n"
    out = sys.stdout
    deliver = _Delivery(out)
    interactive = lines.size is None
    bad = 0
    current = [0]                   # the line whose request the engine is deciding
    progress = _progress(lines.size)

    def refused(number: int, message: str, error: Any) -> None:
        nonlocal bad
        bad += 1
        where = f"--input {lines.name} line {number}"
        if on_error == "stop":
            deliver(log=True)
            fail(f"{where}: {message}; the lines before it were decided, none after it")
        click.echo(f"error: {where}: {message}", err=True)
        if fmt == "json":
            out.write(json.dumps({"line": number, "error": {
                "code": error.code, "message": message, "path": error.path}},
                ensure_ascii=False, separators=COMPACT) + "\n")

    def requests() -> Iterator[Any]:
        for number, raw in lines.lines():
            if progress is not None:
                progress(len(raw))
            try:
                request = read(raw, "the request")
            except RequestError as e:
                refused(number, e.message, e)
                continue
            if at is not None and isinstance(request, dict) and "at" not in request:
                request["at"] = at
            current[0] = number
            if interactive:
                deliver()
            yield request

    written = 0
    try:
        for index, result in enumerate(engine.decide_stream(requests(), on_error="yield")):
            if isinstance(result, RequestError):
                prefix = f"request {index}: "
                message = result.message.removeprefix(prefix)
                path = (result.path or "").removeprefix(f"[{index}]").removeprefix(".") or None
                refused(current[0], message, RequestError(message, code=result.code, path=path))
                continue
            out.write(show(result, not written))
            written += 1
            deliver.written()
            if written % FLUSH_EVERY == 0:
                deliver()
        deliver(log=True)
    finally:
        if progress is not None:
            progress(None)
    if bad:
        fail(f"--input {lines.name}: {bad} bad line{'s' if bad != 1 else ''} (reported "
             f"above); {written} decided")


class _Delivery:
    """Flushing the decisions written so far, and handing their log entries to the log.

    Standard output is flushed every :data:`FLUSH_EVERY` decisions, or before each line is
    read when the input is a pipe or a terminal; the log gets the entries of the flushed
    decisions every :data:`FLUSH_EVERY` of them, at most a second after the first, and at
    the end. (A closed output ends the command as click ends any: exit status 1, and
    the entries not yet handed over are not logged.)
    """

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.unlogged = 0
        self.since = time.monotonic()

    def __call__(self, *, log: bool = False) -> None:
        self.out.flush()
        if log or self.unlogged >= FLUSH_EVERY or time.monotonic() - self.since > 1:
            commit_decisions()
            self.unlogged = 0
            self.since = time.monotonic()

    def written(self) -> None:
        self.unlogged += 1


def _progress(total: int | None) -> Any:
    """A function that advances a progress bar on stderr by a number of bytes read
    (``None``: done), or None when stderr is not a terminal or stdout is one."""
    if not sys.stderr.isatty() or sys.stdout.isatty():
        return None
    from rich.console import Console
    from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress,
                               SpinnerColumn, TextColumn, TimeElapsedColumn)
    columns = ([TextColumn("deciding"), BarColumn(), DownloadColumn(), TimeElapsedColumn()]
               if total else [SpinnerColumn(), TextColumn("deciding"), MofNCompleteColumn(),
                              TimeElapsedColumn()])
    bar = Progress(*columns, console=Console(stderr=True), transient=True,
                   redirect_stdout=False, redirect_stderr=False)
    task = bar.add_task("deciding", total=total)
    bar.start()
    pending = [0, 0]                # bytes and lines read since the bar last moved
    moved = [time.monotonic()]

    def advance(size: int | None) -> None:
        if size is not None:
            pending[0] += size
            pending[1] += 1
            # moving the bar costs more than deciding a line: every 256 lines, or 0.1 s
            if pending[1] < 256 and time.monotonic() - moved[0] < 0.1:
                return
        bar.advance(task, pending[0] if total else pending[1])
        pending[:] = [0, 0]
        moved[0] = time.monotonic()
        if size is None:
            bar.stop()

    return advance
