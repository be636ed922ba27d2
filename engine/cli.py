"""The ``policy`` command line.

Each command imports what it needs when it runs, so ``policy --help`` stays quick.
Bad input of any kind ends with one line on stderr (``error: …``) naming what is wrong
and what is valid, and exit status 2; never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import json
import pathlib
import sys
from typing import Any, Callable, NoReturn, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def reports_errors(func: F) -> F:
    """Turn the project's errors into ``error: …`` and exit status 2."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from engine.errors import PolicyError
        try:
            return func(*args, **kwargs)
        except PolicyError as e:
            fail(str(e))
    return wrapper  # type: ignore[return-value]


def records_decisions(func: F) -> F:
    """With ``--decision-log PATH`` (or ``POLICY_DECISION_LOG``), log the decisions made.

    They are written when the command succeeds; a command that fails writes none.
    """
    @functools.wraps(func)
    def wrapper(*args: Any, decision_log: str | None = None, **kwargs: Any) -> Any:
        if not decision_log:
            return func(*args, **kwargs)
        from engine.decision_log import recording
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(recording(decision_log, "cli"))
            except OSError as e:
                fail(f"cannot append to the decision log {decision_log}: {e.strerror or e}")
            return func(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def _load_engine() -> Any:
    from engine.core import Engine
    from engine.decision_log import scope_plugins
    return Engine.load(plugins=scope_plugins())


def _parse_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        fail(f"{what} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="policy-engine", prog_name="policy")
def main() -> None:
    """Decide requests against Swedish municipalities' social-media guidelines.

    Each municipality's guideline is a rule pack; `policy packs` lists them.
    Start with, for example:

        policy decide tyreso like_page --facts '{"page_category": "commercial"}'
    """


@main.command()
@click.argument("pack", required=False)
@click.argument("action", required=False)
@click.option("--facts", "facts_json", metavar="JSON",
              help='The request\'s facts as a JSON object, e.g. \'{"page_category": "own"}\'.')
@click.option("--input", "input_file", type=click.File("r", encoding="utf-8"), metavar="FILE|-",
              help="Read a request object {pack, action, facts, at}, or a JSON list of them, "
                   "from FILE (or - for standard input).")
@click.option("--at", "at", metavar="YYYY-MM-DD",
              help="The date the request is decided at (default: today in Sweden).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output for people, or the decision JSON.")
@click.option("--decision-log", metavar="PATH", envvar="POLICY_DECISION_LOG",
              help="Append the decisions to this decision log, as `policy serve` does "
                   "(default: $POLICY_DECISION_LOG).")
@reports_errors
@records_decisions
def decide(pack: str | None, action: str | None, facts_json: str | None, input_file: Any,
           at: str | None, fmt: str) -> None:
    """Decide one request: PACK ACTION with --facts, or requests from --input.

    Exit status 0 when a decision was made, whatever the outcome; 2 on bad input.
    """
    from engine.serialization import to_json

    if input_file is not None:
        if pack or action or facts_json:
            fail("give either PACK ACTION [--facts JSON] or --input FILE, not both")
        data = _parse_json(input_file.read(), f"--input {input_file.name}")
        engine = _load_engine()
        if isinstance(data, list):
            if at is not None:
                data = [dict(r, at=r.get("at", at)) if isinstance(r, dict) else r for r in data]
            decisions = engine.decide_many(data)
            if fmt == "json":
                _echo_json([to_json(d) for d in decisions])
            else:
                click.echo("\n\n".join(render_decision(d) for d in decisions))
            return
        if at is not None and isinstance(data, dict):
            data = dict(data, at=data.get("at", at))
        decision = engine.decide_request(data)
    else:
        if not pack or not action:
            fail("name a PACK and an ACTION (e.g. policy decide tyreso like_page --facts "
                 "'{\"page_category\": \"own\"}'), or give --input FILE; see policy packs")
        facts = _parse_json(facts_json, "--facts") if facts_json is not None else {}
        if not isinstance(facts, dict):
            fail(f"--facts must be a JSON object of fact names to values, got {facts_json}")
        decision = _load_engine().decide(pack, action, facts, at)
    if fmt == "json":
        _echo_json(to_json(decision))
    else:
        click.echo(render_decision(decision))


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


_OUTCOME_WORDS = {"allow": "ALLOW", "deny": "DENY", "required_steps": "REQUIRED STEPS"}


def render_decision(decision: Any) -> str:
    """The decision for people: outcome, steps as a checklist, reasons with sources."""
    lines = [f"{decision.pack} · {decision.action} · {decision.at.isoformat()}: "
             f"{_OUTCOME_WORDS[decision.outcome]}"
             + (" (by default: the guideline does not regulate this)" if decision.by_default else "")]
    if decision.steps:
        lines.append("")
        lines.append("Steps to do first:")
        for step in decision.steps:
            who = f" ({step.by})" if step.by else ""
            lines.append(f"  [ ] {step.text}{who}")
            lines.append(f"      {step.id} · {step.level} · {_source(step.source)}")
    if decision.reasons and not decision.steps:
        lines.append("")
        lines.append("Because:")
        for reason in decision.reasons:
            lines.append(f"  - {reason.text}")
            lines.append(f"    {reason.rule} · {reason.effect} · {reason.level} · "
                         f"{_source(reason.source)}")
    return "\n".join(lines)


def _source(source: Any) -> str:
    return f"{source.pack}: \"{source.section}\"" if source.section else source.pack


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@reports_errors
def packs(fmt: str) -> None:
    """List the installed packs: id, name, version, document date, rules, origin."""
    engine = _load_engine()
    rows = []
    for pack_id in sorted(engine.loaded):
        item = engine.loaded[pack_id]
        pack = item.pack
        rows.append({
            "id": pack.id, "name": pack.name, "version": pack.version,
            "document": pack.document,
            "dated": pack.dated.isoformat() if pack.dated else None,
            "rules": len(pack.ast.rules),
            "origin": pack.origin, "plugin": item.plugin, "distribution": item.distribution,
            "status": "ok",
        })
    for failure in engine.failed:
        rows.append({"id": failure.pack_id, "origin": failure.origin, "plugin": failure.plugin,
                     "status": "error", "error": str(failure.error)})
    if fmt == "json":
        _echo_json(rows)
        return
    for row in rows:
        if row["status"] != "ok":
            click.echo(f"{row['id'] or '?':10} FAILED TO LOAD from {row['origin']}:\n"
                       f"{row['error']}")
            continue
        click.echo(f"{row['id']:10} {row['name']} · version {row['version']} · "
                   f"document {row['dated'] or 'undated'} · {row['rules']} rules\n"
                   f"{'':10} {row['origin']}"
                   + (f" ({row['distribution']})" if row["distribution"] else ""))
    if any(r["status"] != "ok" for r in rows):
        sys.exit(2)


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=pathlib.Path))
@click.option("--coverage", is_flag=True,
              help="Also list, per pack, the rule outcomes that no case exercised.")
@click.option("-q", "--quiet", is_flag=True, help="Print failures and the summary only.")
@reports_errors
def test_command(paths: tuple[Any, ...], coverage: bool, quiet: bool) -> None:
    """Run the test cases of packs (default: every installed pack).

    PATHS are pack folders, .policy files or .tests files. Prints a line per case and a
    summary 'N passed, N failed'; exits 1 when a case fails (or, with --coverage, when a
    rule outcome is not exercised) and 2 when a pack or test file has errors.
    """
    from engine.errors import PackErrors
    from engine.testing import Coverage, check_cases, installed_suites, run_case, suite_from_path

    if paths:
        suites = [suite_from_path(p) for p in paths]
        untested: list[str] = []
    else:
        suites, untested, errors = installed_suites()
        if errors:
            fail("\n".join(str(e) for e in errors))
    problems = []
    for suite in suites:
        try:
            check_cases(suite.pack, suite.tests)
        except PackErrors as e:
            problems.append(str(e))
    if problems:
        fail("\n".join(problems))
    cov = Coverage()
    passed = failed = 0
    for suite in suites:
        for case in suite.tests.cases:
            result = run_case(suite.pack, case, cov)
            if result.passed:
                passed += 1
                if not quiet:
                    click.echo(f"PASS {suite.pack.id}: {case.name}")
            else:
                failed += 1
                click.echo(f"FAIL {suite.pack.id}: {case.name} ({result.where})")
                for problem in result.problems:
                    click.echo(f"     {problem}")
    for pack_id in untested:
        click.echo(f"note: pack '{pack_id}' ships no test cases")
    uncovered = 0
    if coverage:
        click.echo("")
        for suite in suites:
            missing = cov.missing(suite.pack)
            total = len(cov.possible(suite.pack))
            uncovered += len(missing)
            click.echo(f"coverage {suite.pack.id}: {total - len(missing)}/{total} rule outcomes "
                       "exercised")
            for rule_id, kind in missing:
                click.echo(f"     not exercised: {rule_id} ({kind})")
    click.echo(f"{passed} passed, {failed} failed")
    if failed or uncovered:
        sys.exit(1)


from engine.cli_explain import explain  # noqa: E402  (the command imports from this module)

main.add_command(explain)

# The commands for pack authors live in their own module (they use fail and
# reports_errors from this one).
from engine import cli_authoring  # noqa: E402

main.add_command(cli_authoring.check_command)
main.add_command(cli_authoring.diff_command)
main.add_command(cli_authoring.fmt_command)
main.add_command(cli_authoring.new_command)

from engine.cli_service import log, serve  # noqa: E402  (they import from this module)

main.add_command(serve)
main.add_command(log)
