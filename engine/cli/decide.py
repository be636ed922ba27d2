"""``policy decide`` and ``policy packs``: deciding requests and listing the packs."""

from __future__ import annotations

import sys
from typing import Any

import click

from engine.cli.common import echo_json, fail, load_engine, parse_json, records_decisions, reports_errors
from engine.cli.jsonlines import JsonLines, read_input, stream_decisions


INPUT_HELP = """Read requests from FILE (or - for standard input): a request object {pack,
action, facts, at}, a JSON list of them, or JSON Lines, one request object per line (a
FILE ending in .jsonl, or more than one line each holding a whole object). JSON Lines are
decided as they are read, in constant memory, and answered one decision per line."""


@click.command()
@click.argument("pack", required=False)
@click.argument("action", required=False)
@click.option("--facts", "facts_json", metavar="JSON",
              help='The request\'s facts as a JSON object, e.g. \'{"page_category": "own"}\'.')
@click.option("--input", "input_file", type=click.File("rb"), metavar="FILE|-",
              help=INPUT_HELP)
@click.option("--on-error", type=click.Choice(["stop", "continue"]), default="stop",
              show_default=True,
              help="For JSON Lines, at a bad line: stop there (exit 2), or report it and go "
                   "on with the next line (exit 2 at the end).")
@click.option("--at", "at", metavar="YYYY-MM-DD[THH:MM]",
              help="The date the request is decided at, with its time of day where a fact "
                   "counts hours (default: now in Sweden); for --input, of the requests "
                   "that give no \"at\".")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output for people, or the decision JSON (for JSON "
                                      "Lines, one decision JSON per line).")
@click.option("--decision-log", metavar="PATH", envvar="POLICY_DECISION_LOG",
              help="Append the decisions to this decision log, as `policy serve` does "
                   "(default: $POLICY_DECISION_LOG).")
@reports_errors
@records_decisions
def decide(pack: str | None, action: str | None, facts_json: str | None, input_file: Any,
           on_error: str, at: str | None, fmt: str) -> None:
    """Decide one request: PACK ACTION with --facts, or requests from --input.

    Exit status 0 when a decision was made, whatever the outcome; 2 on bad input.

    With JSON Lines (docs/contract.md, "CLI"), a bad line stops the run with one message
    naming the line (exit 2): the decisions of the lines before it have been written
    (and logged, with --decision-log), none after it. With --on-error continue, each bad
    line is reported on stderr (and, with --format json, as {"line": N, "error": {...}}
    in its place) and the run goes on. A progress bar shows on stderr when it is a
    terminal and the decisions go elsewhere.
    """
    if input_file is not None:
        if pack or action or facts_json:
            fail("give either PACK ACTION [--facts JSON] or --input FILE, not both")
        name = getattr(input_file, "name", "-")       # (a test's stand-in has none)
        name = "<stdin>" if name in ("-", "<stdin>") else name
        document = read_input(input_file, name)
        if isinstance(document, JsonLines):
            stream_decisions(document, load_engine(), at, fmt, on_error)
            return
        data = document
        engine = load_engine()
        if isinstance(data, list):
            if at is not None:
                data = [dict(r, at=r.get("at", at)) if isinstance(r, dict) else r for r in data]
            decisions = engine.decide_many(data)
            if fmt == "json":
                from engine.serialization import to_json
                echo_json([to_json(d) for d in decisions])
            else:
                from engine.explain.trace_views import render_decision_of
                click.echo("\n\n".join(render_decision_of(engine, d) for d in decisions))
            return
        if at is not None and isinstance(data, dict):
            data = dict(data, at=data.get("at", at))
        decision = engine.decide_request(data)
        decided_by = engine
    else:
        if not pack or not action:
            fail("name a PACK and an ACTION (e.g. policy decide tyreso like_page --facts "
                 "'{\"page_category\": \"own\"}'), or give --input FILE; see policy packs")
        facts = parse_json(facts_json, "--facts") if facts_json is not None else {}
        if not isinstance(facts, dict):
            fail(f"--facts must be a JSON object of fact names to values, got {facts_json}")
        decided_by = load_engine(only=pack)
        decision = decided_by.decide(pack, action, facts, at)
    if fmt == "json":
        from engine.serialization import to_json
        echo_json(to_json(decision))
    else:
        from engine.explain.trace_views import render_decision_of
        click.echo(render_decision_of(decided_by, decision))


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@reports_errors
def packs(fmt: str) -> None:
    """List the installed packs: id, name, version, document date, rules, origin, and
    every edition with the days it is in force ("undated": it applies on any day)."""
    engine = load_engine()
    rows = []
    for pack_id in sorted(engine.loaded):
        item = engine.loaded[pack_id]
        pack = item.pack
        rows.append({
            "id": pack.id, "name": pack.name, "version": pack.version,
            "document": pack.document,
            "dated": pack.dated.isoformat() if pack.dated else None,
            "parts": [{"title": p.title, "dated": p.dated.isoformat() if p.dated else None}
                      for p in pack.parts],
            "rules": pack.rule_count,
            "origin": pack.origin, "plugin": item.plugin, "distribution": item.distribution,
            "status": "ok",
            "editions": [{"version": e.version,
                          "in_force_from": e.in_force_from.isoformat() if e.in_force_from else None,
                          "in_force_until": e.in_force_until.isoformat() if e.in_force_until else None,
                          "origin": e.origin} for e in item.all_editions],
        })
    for failure in engine.failed:
        rows.append({"id": failure.pack_id, "origin": failure.origin, "plugin": failure.plugin,
                     "status": "error", "error": str(failure.error)})
    if fmt == "json":
        echo_json(rows)
        return
    for row in rows:
        if row["status"] != "ok":
            click.echo(f"{row['id'] or '?':10} FAILED TO LOAD from {row['origin']}:\n"
                       f"{row['error']}")
            continue
        click.echo(f"{row['id']:10} {row['name']} · version {row['version']} · "
                   f"document {row['dated'] or 'undated'} · {row['rules']} "
                   f"rule{'s' if row['rules'] != 1 else ''}\n"
                   f"{'':10} {row['origin']}"
                   + (f" ({row['distribution']})" if row["distribution"] else ""))
        for edition in row["editions"]:
            click.echo(f"{'':10} edition {edition['version']}: {_period(edition)}"
                       + (f" · {edition['origin']}" if len(row["editions"]) > 1 else ""))
    if any(r["status"] != "ok" for r in rows):
        sys.exit(2)




def _period(edition: dict[str, Any]) -> str:
    """``in force from 2024-02-21 [until …]``, or ``in force undated``."""
    if edition["in_force_from"] is None:
        return "in force undated (applies on any day)"
    until = f" until {edition['in_force_until']}" if edition["in_force_until"] else ""
    return f"in force from {edition['in_force_from']}{until}"
