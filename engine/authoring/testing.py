"""Run a pack's test cases (``*.tests`` files): the engine behind ``policy test``.

``check_cases(pack, test_file)`` validates a parsed test file against a compiled pack
(known action, facts that fit the vocabulary, step and rule ids the pack has), collecting
every problem as a positioned error. ``run_case`` decides one case and compares it with
what the case expects. ``Coverage`` records which outcome of which rule the cases
exercised, so ``policy test --coverage`` can list what no case reaches.

Cases without ``at`` are decided at :data:`DEFAULT_AT`, so a test never depends on the
day it runs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable

import attrs

from dsl import ast
from dsl.parser import parse_pack, parse_tests
from engine import vocabulary as vocab
from engine.compiler import CompiledPack, compile_pack
from engine.contract import contract_vocabulary
from engine.decide import decide
from engine.errors import (PackCompileError, PackErrors, PackLoadError, PolicyError,
                           RequestError, SourceError, did_you_mean, one_of)
from engine.evaluator import evaluate
from engine.model import Decision, Finding
from engine.plugins import source_files
from engine.validate import FactValidator

DEFAULT_AT = dt.date(2025, 1, 1)


@attrs.frozen
class Suite:
    """A pack and its test cases, ready to run."""

    pack: CompiledPack
    tests: ast.TestFile


@attrs.frozen
class CaseResult:
    case: ast.TestCase
    passed: bool
    decision: Decision
    problems: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        span = self.case.span
        return f"{span.file}:{span.line}" if span else "?"


def value_of(value: ast.Value) -> Any:
    """A test file's literal as the JSON-like value a caller would send."""
    if isinstance(value, ast.ListValue):
        return [value_of(item) for item in value.items]
    if isinstance(value, ast.Name):
        return value.id
    if isinstance(value, ast.RecordValue):
        return {k: value_of(v) for k, v in value.entries}
    return value.value


def check_cases(pack: CompiledPack | None, tests: ast.TestFile,
                vocabulary: vocab.Vocabulary | None = None) -> None:
    """Raise :class:`PackErrors` listing every case that cannot run against ``pack``.

    Without a pack (its source did not compile) the requests are still checked against
    the vocabulary, and every step and rule a case names is unknown.
    """
    errors: list[SourceError] = []
    rules = pack.rules if pack is not None else ()
    pack_id = pack.id if pack is not None else "?"
    words = (vocabulary or (pack.vocabulary if pack is not None else None)
             or contract_vocabulary())

    def error(message: str, span: Any, code: str = "bad-test") -> None:
        errors.append(PackCompileError.at(message, span, tests.text, code=code))

    step_ids = {r.step.id for r in rules if r.step}
    rule_ids = {r.id for r in rules} | {"default"}
    names: dict[str, ast.TestCase] = {}
    for case in tests.cases:
        if case.name in names:
            error(f"two tests are named \"{case.name}\"; give each a name of its own", case.span,
                  "duplicate-test")
        names[case.name] = case
        if case.action is None:
            error(f"test \"{case.name}\" has no 'request ACTION {{facts}}'", case.span)
        elif case.action not in words.actions:
            error(f"test \"{case.name}\": unknown action '{case.action}'"
                  f"{did_you_mean(case.action, words.actions)}; actions are "
                  f"{one_of(words.actions)}", case.span, "unknown-action")
        else:
            validator = FactValidator(words.actions[case.action])
            facts = {k: value_of(v) for k, v in case.facts}
            try:
                validator.normalise(facts)
            except RequestError as e:
                fact = (e.path or "").removeprefix("facts.")
                span = next((s for (k, _), s in zip(case.facts, case.fact_spans) if k == fact),
                            case.span)
                error(f"test \"{case.name}\": {e.message}", span, e.code)
        if case.expect is None:
            error(f"test \"{case.name}\" has no 'expect allow|deny|required_steps'", case.span)
        for word, ids, known in (("step", case.steps, step_ids), ("rule", case.rules, rule_ids)):
            listed: dict[str, str] = {}
            for name in ids or ():
                other = listed.get(name.casefold())
                listed.setdefault(name.casefold(), name)
                if other is not None and other != name:   # the same id twice may be meant
                    error(f"test \"{case.name}\" lists {word} '{other}' twice (as '{other}' "
                          f"and '{name}': ids are compared without case); spell each {word} "
                          "as the pack does", case.span, f"duplicate-{word}")
                    continue
                if name not in known:
                    spelled = [k for k in known if k.casefold() == name.casefold()]
                    hint = (f"; it is spelled '{spelled[0]}' (ids are compared without case, "
                            "but a test names them as the pack does)" if spelled else
                            did_you_mean(name, known) or (
                                f"; its {word} ids are {one_of(known, limit=8)}" if known else ""))
                    error(f"test \"{case.name}\" names {word} '{name}', which pack '{pack_id}' "
                          f"does not have{hint}", case.span, f"unknown-{word}")
    if errors:
        raise PackErrors(errors)


def case_moment(case: ast.TestCase) -> dt.datetime | None:
    """The time of day a case is decided at, when its ``at`` gives one."""
    return case.at if isinstance(case.at, dt.datetime) else None


def case_day(case: ast.TestCase) -> dt.date:
    """The day a case is decided on (:data:`DEFAULT_AT` when it gives none)."""
    if isinstance(case.at, dt.datetime):
        return case.at.date()
    return case.at or DEFAULT_AT


def run_case(pack: CompiledPack, case: ast.TestCase,
             coverage: "Coverage | None" = None) -> CaseResult:
    """Decide ``case`` with the pack's rules and compare with what it expects."""
    action = case.action or ""
    facts = FactValidator(pack.vocabulary.actions[action]).normalise(
        {k: value_of(v) for k, v in case.facts}, case_moment(case))
    at = case_day(case)
    findings = evaluate(pack, action, facts, at)
    if coverage is not None:
        coverage.record(pack, findings)
    decision = decide(pack, action, findings, at)
    problems = []
    if decision.outcome != case.expect:
        problems.append(f"expected {case.expect}, got {decision.outcome}")
    got_steps = tuple(s.id for s in decision.steps)
    if case.steps is not None and got_steps != case.steps:
        problems.append(f"expected steps [{', '.join(case.steps)}], got [{', '.join(got_steps)}]")
    got_rules = tuple(r.rule for r in decision.reasons)
    if case.rules is not None and got_rules != case.rules:
        problems.append(f"expected rules [{', '.join(case.rules)}], got [{', '.join(got_rules)}]")
    if case.by_default is not None and decision.by_default != case.by_default:
        problems.append(f"expected by_default {str(case.by_default).lower()}, got "
                        f"{str(decision.by_default).lower()}")
    return CaseResult(case, not problems, decision, tuple(problems))


def verify_pack(pack: CompiledPack, tests_text: str, tests_origin: str) -> None:
    """Run a pack's own test file against it; return quietly when every case passes.

    Raises :class:`PolicyError`: the test file's syntax errors, the problems of cases
    that cannot run (``check_cases``), or :class:`PackErrors` with one positioned
    ``failing-test`` error per failing case (``test "NAME" fails against version V:
    expected deny, got allow``). This is the gate a new version of a served pack must
    pass before it goes live (``engine.service.reload``).
    """
    tests = parse_tests(tests_text, tests_origin)
    check_cases(pack, tests)
    errors: list[SourceError] = []
    for case in tests.cases:
        result = run_case(pack, case)
        if not result.passed:
            errors.append(PackCompileError.at(
                f"test \"{case.name}\" fails against version {pack.version} of pack "
                f"'{pack.id}': {'; '.join(result.problems)}", case.span, tests.text,
                code="failing-test"))
    if errors:
        raise PackErrors(errors)


@attrs.define
class Coverage:
    """Which (rule, outcome) pairs the cases reached, per pack."""

    seen: dict[str, set[tuple[str, str]]] = attrs.field(factory=dict)

    def record(self, pack: CompiledPack, findings: Iterable[Finding]) -> None:
        seen = self.seen.setdefault(pack.id, set())
        for f in findings:
            seen.add((f.reason.rule, f.kind))

    @staticmethod
    def possible(pack: CompiledPack) -> list[tuple[str, str]]:
        """Every (rule id, outcome) a pack's rules can produce, in rule order."""
        pairs: list[tuple[str, str]] = []
        for rule in pack.rules:
            kinds = ([rule.kind] if rule.kind != "require" else
                     ["met", "unmet"] if rule.ast.done is not None else ["unmet"])
            for kind in kinds:
                if (rule.id, kind) not in pairs:
                    pairs.append((rule.id, kind))
        return pairs

    def missing(self, pack: CompiledPack) -> list[tuple[str, str]]:
        seen = self.seen.get(pack.id, set())
        return [p for p in self.possible(pack) if p not in seen]


def suite_from_path(path: Path) -> Suite:
    """A suite from a pack folder, a ``.policy`` file, or a ``.tests`` file.

    A folder holds one ``*.policy`` and one ``*.tests``; a file finds its partner with the
    same stem beside it.
    """
    if path.is_dir():
        policies = source_files(path)                 # editors' files left out
        tests = source_files(path, (".tests",))
        if len(policies) != 1 or len(tests) != 1:
            raise PackLoadError(f"{path}: a pack folder holds one .policy file and one .tests "
                                f"file; found {len(policies)} and {len(tests)}",
                                code="bad-path")
        pack_path, tests_path = policies[0], tests[0]
    elif path.suffix == ".policy":
        pack_path, tests_path = path, path.with_suffix(".tests")
    elif path.suffix == ".tests":
        pack_path, tests_path = path.with_suffix(".policy"), path
    else:
        raise PackLoadError(f"{path}: expected a pack folder, a .policy file or a .tests file",
                            code="bad-path")
    from engine.authoring.installed import words_beside
    words, refused = words_beside(pack_path)
    if refused is not None:
        raise refused
    pack = compile_pack(parse_pack(_read(pack_path), str(pack_path)), words)
    return Suite(pack, parse_tests(_read(tests_path), str(tests_path)))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PackLoadError(f"{path}: no such file", code="unreadable-pack") from None
    except (OSError, UnicodeDecodeError) as e:
        raise PackLoadError(f"{path}: cannot read it: {e}", code="unreadable-pack") from None


def installed_suites(ids: Iterable[str] = ()) -> tuple[list[Suite], list[str], list[PolicyError]]:
    """Suites for every installed pack that ships tests (only the packs ``ids``, if
    given), compiled with the installed plugins' words; ids without tests; load errors."""
    from engine.core import Engine

    engine = Engine.load()
    wanted = list(ids)
    suites, untested = [], []
    errors: list[PolicyError] = [f.error for f in engine.failed
                                 if not wanted or f.pack_id in wanted]
    for pack_id in wanted:
        if pack_id not in engine.loaded and not any(f.pack_id == pack_id for f in engine.failed):
            errors.append(PackLoadError(
                f"{pack_id}: no such file or folder, and no installed pack has this id"
                f"{did_you_mean(pack_id, engine.loaded)}; installed packs are "
                f"{one_of(sorted(engine.loaded))}", code="bad-path"))
    for pack_id in sorted(engine.loaded):
        if wanted and pack_id not in wanted:
            continue
        loaded = engine.loaded[pack_id]
        source = loaded.source
        if source.tests is None:
            untested.append(pack_id)
            continue
        try:
            suites.append(Suite(loaded.pack, parse_tests(source.tests, source.tests_origin or "?")))
        except PolicyError as e:
            errors.append(e)
    return suites, untested, errors
