"""``policy serve`` (the HTTP decision service), ``policy log`` (read a decision log) and
``policy replay`` (decide a log's requests again).

``serve`` checks its options (pack paths, token file, decision log, that the port is
free) and hands the rest to uvicorn, which runs ``engine.service.app_from_environment``
in one or more worker processes; the configuration travels to the workers as JSON in
the environment variable ``POLICY_SERVICE_CONFIG``. The web libraries are imported only
here, inside the commands, so ``policy decide`` does not pay for them.

``log`` prints the entries of a decision log that match its filters, for people or as
the original JSON lines. ``replay`` reads the same entries (``engine.service.replay``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import socket
import sys
from typing import Any, Iterable

import click

from engine.cli.common import NumberRange, WholeRange, fail, load_engine, reports_errors

DEFAULT_PORT = 8181


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on.")
@click.option("--port", default=DEFAULT_PORT, type=WholeRange(0, 65535), show_default=True)
@click.option("--workers", default=1, type=WholeRange(1, 64), show_default=True,
              help="Worker processes (each loads the packs and writes to the same log).")
@click.option("--packs", "packs", multiple=True, metavar="PATH",
              type=click.Path(path_type=pathlib.Path),
              help="Also serve the pack in PATH (a .policy file, or a folder of them). "
                   "Repeatable.")
@click.option("--installed/--no-installed", default=True, show_default=True,
              help="Serve the installed packs; --no-installed serves only --packs.")
@click.option("--watch", is_flag=True,
              help="Reload packs whose files change; a new version goes live once its files "
                   "have settled, it compiles and it passes its own .tests; otherwise the "
                   "last good version keeps serving.")
@click.option("--watch-interval", type=NumberRange(0.05, 60), default=0.5,
              show_default=True, metavar="SECONDS",
              help="With --watch: how often the pack files are looked at.")
@click.option("--watch-settle", type=NumberRange(0, 600), default=1.0,
              show_default=True, metavar="SECONDS",
              help="With --watch: how long a changed pack file must stay the same (size, "
                   "time, content) before it is loaded.")
@click.option("--decision-log", metavar="PATH", envvar="POLICY_DECISION_LOG",
              type=click.Path(dir_okay=False, path_type=pathlib.Path),
              help="Append every decision to this JSON Lines file "
                   "(default: $POLICY_DECISION_LOG).")
@click.option("--flush-interval", type=NumberRange(0, 10), default=0.2, show_default=True,
              metavar="SECONDS",
              help="Longest time a decision waits before it is written to the log (0: at once).")
@click.option("--token-file", metavar="FILE",
              type=click.Path(dir_okay=False, path_type=pathlib.Path),
              help="Require 'Authorization: Bearer TOKEN' with one of the tokens in FILE (one a "
                   "line) on every endpoint but /healthz.")
@click.option("--max-body-size", type=WholeRange(1024), default=1_048_576,
              show_default=True, metavar="BYTES", help="Larger request bodies get 413.")
@click.option("--max-batch", type=WholeRange(1), default=1000, show_default=True,
              metavar="N", help="Longer batches (and AuthZEN evaluation lists) get 422/400.")
@click.option("--max-header-size", type=WholeRange(1024, 16 * 1048576), default=32768,
              show_default=True, metavar="BYTES",
              help="Larger request lines and headers get 431 and the connection is closed.")
@click.option("--header-timeout", type=NumberRange(0.1, 3600), default=10.0,
              show_default=True, metavar="SECONDS",
              help="A request's line and headers must arrive within this time (else 408 and "
                   "the connection is closed).")
@click.option("--body-timeout", type=NumberRange(0.1, 3600), default=30.0,
              show_default=True, metavar="SECONDS",
              help="A request's body must arrive within this time (else 408 and the "
                   "connection is closed).")
@click.option("--keep-alive-timeout", type=WholeRange(1, 3600), default=5,
              show_default=True, metavar="SECONDS",
              help="An idle kept-alive connection is closed after this time.")
@click.option("--limit-concurrency", type=WholeRange(1), default=1000, show_default=True,
              metavar="N",
              help="Per worker: with N connections or requests open, new requests get 503.")
@click.option("--backlog", type=WholeRange(1, 65535), default=2048, show_default=True,
              metavar="N", help="Connections the system may queue before they are accepted.")
@click.option("--graceful-timeout", type=WholeRange(1), default=30, show_default=True,
              metavar="SECONDS", help="On SIGTERM, how long in-flight requests may take.")
@click.option("--playground/--no-playground", default=True, show_default=True,
              help="Serve the web desk's Playground, where pack authors try a pack's source "
                   "(/playground).")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="Log every HTTP request (the decision log records decisions either way).")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]),
              default="info", show_default=True)
@reports_errors
def serve(host: str, port: int, workers: int, packs: tuple[pathlib.Path, ...], installed: bool,
          watch: bool, watch_interval: float, watch_settle: float, decision_log: pathlib.Path | None, flush_interval: float,
          token_file: pathlib.Path | None, max_body_size: int, max_batch: int,
          max_header_size: int, header_timeout: float, body_timeout: float,
          keep_alive_timeout: int, limit_concurrency: int, backlog: int,
          graceful_timeout: int, playground: bool, access_log: bool, log_level: str) -> None:
    """Run the HTTP decision service (endpoints: docs/service.md, /openapi.json).

    Stops gracefully on SIGTERM or Ctrl-C: requests in flight finish and the decision
    log is written and fsynced. SIGHUP reads the token file again and reopens the
    decision log (with --workers above 1, the workers are replaced one by one).
    """
    from engine.plugins import source_files
    for path in packs:
        if not path.exists():
            fail(f"--packs {path}: no such file or folder")
        if path.is_dir() and not source_files(path):
            fail(f"--packs {path}: the folder holds no .policy file (editors' files such as "
                 ".#x.policy and x.policy~ do not count)")
    if not installed and not packs:
        fail("--no-installed serves only --packs PATH; name at least one")
    from engine.service.app import CONFIG_ENV, ServiceConfig
    from engine.service.http_io import read_tokens
    from engine.serialization import converter
    if token_file is not None:
        try:
            read_tokens(str(token_file))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            fail(f"--token-file {token_file}: {getattr(e, 'strerror', None) or e}")
    if decision_log is not None:
        from engine.service.log_writer import LogWriter
        try:     # opens it as a worker will, setting aside a partial last line
            LogWriter(decision_log, flush_interval=0).open().close()
        except OSError as e:
            fail(f"--decision-log {decision_log}: cannot append to it: {e.strerror or e}")
    _check_port(host, port)
    config = ServiceConfig(
        # absolute but not resolved: a symbolic link (a ConfigMap's) is followed anew
        packs=tuple(str(p.absolute()) for p in packs), installed=installed, watch=watch,
        watch_interval=watch_interval, watch_settle=watch_settle,
        decision_log=str(decision_log.resolve()) if decision_log else None,
        flush_interval=flush_interval,
        token_file=str(token_file.resolve()) if token_file else None,
        max_body=max_body_size, max_batch=max_batch, body_timeout=body_timeout,
        max_header_size=max_header_size, header_timeout=header_timeout, playground=playground)
    os.environ[CONFIG_ENV] = json.dumps(converter().unstructure(config))

    import uvicorn
    uvicorn.run("engine.service.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers if workers > 1 else None, log_level=log_level,
                access_log=access_log, timeout_graceful_shutdown=graceful_timeout,
                lifespan="on", server_header=False,
                http="engine.service.protocol:LimitedHttpToolsProtocol",
                timeout_keep_alive=keep_alive_timeout, limit_concurrency=limit_concurrency,
                backlog=backlog)


def _check_port(host: str, port: int) -> None:
    """Fail with one line when the address cannot be listened on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        fail(f"--host {host}: {e.strerror}")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as e:
            fail(f"cannot listen on {host}:{port}: {e.strerror}")


# ---- policy log -------------------------------------------------------------------------

_OUTCOME_WORDS = {"allow": "ALLOW", "deny": "DENY", "required_steps": "REQUIRED STEPS"}


@click.command("log")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option("--pack", "packs", multiple=True, metavar="ID", help="Only this pack (repeatable).")
@click.option("--action", "actions", multiple=True, metavar="ACTION",
              help="Only this action (repeatable).")
@click.option("--outcome", "outcomes", multiple=True,
              type=click.Choice(["allow", "deny", "required_steps"]),
              help="Only this outcome (repeatable).")
@click.option("--since", metavar="WHEN",
              help="From this time on: YYYY-MM-DD or an ISO date and time (Swedish time "
                   "unless it has an offset).")
@click.option("--until", metavar="WHEN",
              help="Up to this time: a date includes the whole day; a time is exclusive.")
@click.option("--request-id", metavar="ID", help="Only the decisions of this request.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="A line per decision, or the log's own JSON lines.")
@reports_errors
def log(path: str, packs: tuple[str, ...], actions: tuple[str, ...], outcomes: tuple[str, ...],
        since: str | None, until: str | None, request_id: str | None, fmt: str) -> None:
    """Show the decisions in a decision log (PATH, or - for standard input), filtered.

    Lines that are not whole entries are skipped with a warning on stderr.
    """
    from engine.service.decision_log import BadLine, LogFilter, read_entries
    from engine.errors import did_you_mean, one_of

    known = load_engine().vocabulary.actions if actions else {}
    for action in actions:
        if action not in known:
            fail(f"--action: unknown action '{action}'{did_you_mean(action, known)}; "
                 f"actions are {one_of(known)}")
    keep = LogFilter(frozenset(packs), frozenset(actions), frozenset(outcomes),
                     _moment(since, "--since", end=False), _moment(until, "--until", end=True),
                     request_id)
    try:
        stream = sys.stdin.buffer if path == "-" else open(path, "rb")
    except OSError as e:
        fail(f"cannot read the decision log {path}: {e.strerror}")
    with stream:
        for _number, entry in read_entries(stream):
            if isinstance(entry, BadLine):
                click.echo(f"warning: {path}:{entry.number}: {entry.problem}; skipped", err=True)
                continue
            if not keep(entry):
                continue
            click.echo(json.dumps(entry, ensure_ascii=False) if fmt == "json"
                       else render_entry(entry))


def render_entry(entry: Any) -> str:
    """One decision on one line: time, pack and version, action, outcome, request."""
    decision = entry.get("decision") or {}
    request = entry.get("request") or {}
    when = str(entry.get("time", "?"))[:19].replace("T", " ")
    outcome = str(decision.get("outcome"))
    outcome = _OUTCOME_WORDS.get(outcome, outcome)
    steps = _ids(s.get("id") for s in decision.get("steps") or ())
    reasons = _ids(r.get("rule") for r in decision.get("reasons") or ())
    index = f"[{entry['index']}]" if entry.get("index") is not None else ""
    from engine.service.http_io import printable     # a line shows only what it says
    return printable(f"{when} UTC  {entry.get('pack')} {entry.get('pack_version')}  "
                     f"{request.get('action')}  {outcome}"
                     + (f" ({steps})" if steps else f" ({reasons})" if reasons else "")
                     + f"  {entry.get('source')} {entry.get('request_id')}{index}")


def _ids(ids: Iterable[Any]) -> str:
    return ", ".join(str(i) for i in ids)


def _moment(text: str | None, option: str, *, end: bool) -> dt.datetime | None:
    """A --since/--until value as an aware datetime (Swedish time unless given); None for
    no bound (``--until 9999-12-31`` includes the calendar's last day, so it bounds nothing)."""
    if text is None:
        return None
    from engine.core import STOCKHOLM
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            if end and day == dt.date.max:
                return None
            moment = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time())
        else:
            moment = dt.datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text}: give a date (YYYY-MM-DD) or an ISO date and time "
             "(YYYY-MM-DDTHH:MM[:SS][+HH:MM])")
    return moment if moment.tzinfo else moment.replace(tzinfo=STOCKHOLM)


# ---- policy replay ----------------------------------------------------------------------

@click.command("replay")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True, path_type=str))
@click.option("--packs", "packs", multiple=True, metavar="PATH",
              type=click.Path(path_type=pathlib.Path),
              help="Decide with the pack in PATH (a .policy file, or a folder of them) in "
                   "place of the installed pack of the same id. Repeatable.")
@click.option("--show", type=WholeRange(0), default=10, show_default=True, metavar="N",
              help="Distinct changed decisions shown per pack and action (0: all); every "
                   "change is counted either way.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="A report for people, or JSON.")
@reports_errors
def replay(path: str, packs: tuple[pathlib.Path, ...], show: int, fmt: str) -> None:
    """Decide every request in a decision log (PATH, or - for standard input; plain or
    gzip-compressed) again at its logged date, and show the decisions that change.

    A decision changes when its outcome, its steps or the rules that decided it (and
    their levels) differ. Lines that cannot be replayed (cut short, not entries, an
    unknown pack or action, facts that no longer fit) are counted by reason. Exit status
    0 when no decision changes, 1 when some do, 2 on bad input.
    """
    from engine.plugins import source_files
    from engine.service import replay as replaying

    for pack_path in packs:
        if not pack_path.exists():
            fail(f"--packs {pack_path}: no such file or folder")
        if pack_path.is_dir() and not source_files(pack_path):
            fail(f"--packs {pack_path}: the folder holds no .policy file (editors' files such "
                 "as .#x.policy and x.policy~ do not count)")
    engine = replaying.replay_engine(packs)
    try:
        stream = sys.stdin.buffer if path == "-" else open(path, "rb")
    except OSError as e:
        fail(f"cannot read the decision log {path}: {e.strerror}")
    with stream:
        try:
            lines = replaying.open_log(stream)
        except OSError as e:
            fail(f"cannot read the decision log {path}: {e.strerror or e}")
        size = replaying.log_size(path) if path != "-" else None
        if size and sys.stderr.isatty():
            fd = stream.fileno()
            with click.progressbar(length=size, label="replaying", file=sys.stderr,
                                   show_pos=False) as bar:
                def advance(_lines: int) -> None:
                    bar.update(os.lseek(fd, 0, os.SEEK_CUR) - bar.pos)
                result = replaying.replay(engine, lines, show=show, progress=advance)
        else:
            result = replaying.replay(engine, lines, show=show)
    if fmt == "json":
        click.echo(json.dumps(replaying.to_json(result), ensure_ascii=False, indent=2))
    else:
        click.echo(replaying.render(result, "stdin" if path == "-" else path))
    if result.changed:
        sys.exit(1)
