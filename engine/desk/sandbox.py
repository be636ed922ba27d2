"""The Playground's work on an author's untrusted pack, in a child process of its own:
``python -m engine.desk.sandbox`` reads ``{"source", "tests", "request", "lang"}`` as
JSON on standard input and writes what ``policy check`` says of the source (each
diagnostic at its line and column), the pack's test cases passed and failed, and the
request's decision with its trace in the page's language, as JSON on standard output. A
warning the pack acknowledges (``# check: ignore``) carries its reason in
``acknowledged``, as ``policy check --format json`` gives it. A source with errors is
``stopped``: its tests are not run and no request is decided; a test file with errors
is ``tests_stopped``: none of its cases is run, as ``policy test`` runs none. A request
that cannot be decided (not JSON, not an object, keys a request does not have, facts
that are not an object, no action, or the engine's refusal) is ``request_error``: its
code, path and English message, and the values the desk's own words for it are filled
in with (``engine.phrases``, ``error:``); a request naming another pack than the
source's is decided by the source's, and ``request_note`` says so.

The service runs it with a time limit and kills it when the limit is over
(``engine.desk.playground``), so a source that takes long to check holds no worker of
the service; nothing here reads or writes a file. The source is checked in the
contract's words.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from dsl.parser import parse_pack, parse_tests
from engine.authoring.analysis import ERROR, check_source
from engine.authoring.testing import run_case
from engine.compiler import compile_pack
from engine.errors import PolicyError, RequestError
from engine.glossary import LANGUAGES
from engine.model import PackSource
from engine.hookspecs import hookimpl

ORIGIN = "playground.policy"
#: The keys a Playground request may have, as the API's decision request.
REQUEST_KEYS = frozenset({"pack", "action", "facts", "at"})
TESTS_ORIGIN = "playground.tests"


class _Offer:
    """A plugin offering the one pack being tried."""

    def __init__(self, text: str) -> None:
        self.text = text

    @hookimpl
    def policy_packs(self) -> list[PackSource]:
        return [PackSource(self.text, ORIGIN)]


def _problem(code: str, message: str, path: str | None = "request",
             **values: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "path": path, "values": values}


def work(source: str, tests: str | None, request_text: str | None,
         lang: str = "en") -> dict[str, Any]:
    """What the Playground shows for ``source``, its ``tests`` and one ``request``, the
    trace in ``lang``."""
    from engine.core import Engine
    from engine.explain.trace_views import developer, explain_request
    from engine.serialization import to_json

    from engine.authoring.installed import installed_words
    from engine.plugins import load_packs, make_plugin_manager

    words = installed_words()            # the installed plugins' words, as the service has
    report = check_source(source, ORIGIN, tests or None, TESTS_ORIGIN, vocabulary=words)
    out: dict[str, Any] = {"diagnostics": [
        {"severity": d.severity, "code": d.code, "message": d.message,
         "file": d.span.file if d.span else None, "line": d.span.line if d.span else None,
         "column": d.span.column if d.span else None, "source_line": d.source_line,
         "end_column": (d.span.end_column if d.span and d.span.end_line in (None, d.span.line)
                        else None),
         "acknowledged": d.acknowledged}
        for d in report.diagnostics], "tests": [], "decision": None, "trace": None,
        "request_error": None, "request_note": None, "stopped": False,
        "tests_stopped": False}
    if any(d.severity == ERROR and (d.span is None or d.span.file == ORIGIN)
           for d in report.diagnostics):
        out["stopped"] = True
        return out
    pack = compile_pack(parse_pack(source, ORIGIN), words)
    if tests and any(d.severity == ERROR and d.span is not None and d.span.file == TESTS_ORIGIN
                     for d in report.diagnostics):
        out["tests_stopped"] = True        # as policy test, which runs no case of such a file
    elif tests:
        cases = parse_tests(tests, TESTS_ORIGIN).cases
        for case in cases:
            try:
                result = run_case(pack, case)
                passed, problems = result.passed, list(result.problems)
            except PolicyError as e:
                passed, problems = False, [getattr(e, "message", str(e))]
            out["tests"].append({"name": case.name, "passed": passed, "problems": problems})
    request: Any = None
    if request_text and request_text.strip():
        try:
            request = json.loads(request_text)
        except ValueError as e:          # a JSONDecodeError, or a number too long
            out["request_error"] = _problem("request-not-json", f"the request is not JSON: {e}",
                                            line=getattr(e, "lineno", 1),
                                            column=getattr(e, "colno", 1))
        else:
            if not isinstance(request, dict):
                out["request_error"] = _problem(
                    "request-not-object",
                    "the request is a JSON object {\"action\", \"facts\", \"at\"?}")
    unknown = sorted(set(request) - REQUEST_KEYS) if isinstance(request, dict) else []
    if unknown:                           # as the API refuses them: a misspelt "at" is no day
        out["request_error"] = _problem(
            "request-unknown-key",
            f"the request has unknown key(s) {', '.join(map(repr, unknown))}; a request "
            "has \"action\", \"facts\", \"at\" and \"pack\"", "request",
            keys=", ".join(unknown))
        request = None
    elif isinstance(request, dict) and not isinstance(request.get("facts", {}), dict):
        out["request_error"] = _problem(
            "request-facts-not-object", "the request's \"facts\" is a JSON object of facts",
            "request.facts")
        request = None
    if isinstance(request, dict) and not isinstance(request.get("action"), str):
        out["request_error"] = _problem(
            "request-no-action", "the request names its action: {\"action\": \"like_page\", …}",
            "request.action")
    elif isinstance(request, dict):
        named = request.get("pack")
        if named is not None and named != pack.id:
            out["request_note"] = {"code": "other-pack",
                                   "values": {"named": str(named),
                                              "pack": f"{pack.name} ({pack.id})"}}
        pm = make_plugin_manager(entry_points=False, plugins=[_Offer(source)])
        loaded, failed = load_packs(pm, words)
        engine = Engine(loaded, pm, failed, words)
        try:
            explained = explain_request(engine, pack.id, request["action"],
                                        request.get("facts") or {}, request.get("at"))
        except RequestError as e:
            out["request_error"] = _problem(e.code, e.message, e.path)
        except PolicyError as e:
            out["request_error"] = _problem(e.code, (str(e).splitlines() or [""])[0], None)
        else:
            out["decision"] = to_json(explained.decision)
            out["trace"] = developer(explained, engine.edition(pack.id, explained.decision.at),
                                     lang=lang)
    return out


def main() -> None:
    given = json.loads(sys.stdin.read())
    lang = given.get("lang") if given.get("lang") in LANGUAGES else "en"
    json.dump(work(given["source"], given.get("tests"), given.get("request"), lang), sys.stdout)


if __name__ == "__main__":
    main()
