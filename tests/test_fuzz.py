"""Fuzzing every way in: pack sources, test files, requests (Python API and CLI).

Whatever comes in, only the project's errors come out: a positioned PolicyError for
sources, a RequestError for requests, exit status 2 and one line on the CLI.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from dsl.parser import grammar_parser, parse_pack, parse_tests
from engine.compiler import compile_pack
from engine.core import Engine
from engine.errors import PolicyError, RequestError
from engine.authoring.testing import check_cases
from tests.strategies import mutations

ROOT = Path(__file__).resolve().parent.parent
ENGINE = Engine.load(strict=True)
TYRESO = (ROOT / "packs/tyreso/tyreso.policy").read_text(encoding="utf-8")
TYRESO_TESTS = (ROOT / "packs/tyreso/tyreso.tests").read_text(encoding="utf-8")


def load(text: str) -> None:
    """Parse and compile; only PolicyError may escape."""
    try:
        compile_pack(parse_pack(text, "fuzz.policy"))
    except PolicyError as e:
        assert str(e)


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.data())
def test_grammar_generated_sources(data):
    text = data.draw(_grammar_sources())
    load(text)


@functools.cache
def _grammar_sources() -> st.SearchStrategy:
    from hypothesis.extra.lark import from_lark
    from lark import Lark
    grammar = Lark(grammar_parser().source_grammar, parser="lalr",
                   start=["pack_file", "test_file"])
    return from_lark(grammar, start="pack_file", explicit={
        "STRING": st.from_regex(r'"[a-zå ]{0,8}"', fullmatch=True),
        "COMMENT": st.just("# c")})


@given(mutations(TYRESO))
def test_mutated_built_in_pack(text):
    load(text)


@given(st.text(max_size=300))
@example("pack p\n\x00")
@example('pack p\n name "\\u{110000}"')
@example("pack p\n dated 2025-13-45")
@example('rule r on like_page deny when ' + 'not ' * 500 + 'true because "x"')  # RecursionError once
def test_random_text(text):
    load("pack p\n" + text)
    load(text)


@given(mutations(TYRESO_TESTS))
def test_mutated_test_file(text):
    pack = ENGINE.packs["tyreso"]
    try:
        check_cases(pack, parse_tests(text, "fuzz.tests"))
    except PolicyError as e:
        assert str(e)


def _time(text: str) -> float:
    """The least of three parses' CPU time: other work on the machine does not count."""
    times = []
    for _ in range(3):
        start = time.process_time()
        load(text)
        times.append(time.process_time() - start)
    return min(times)


@pytest.mark.parametrize("make", [
    lambda n: 'pack p\n name "' + "å" * n + '"\n',
    lambda n: "pack " + "a" * n + "\n",
    lambda n: "pack p\n" + "# " + "x" * n + "\n",
    lambda n: "pack p\n name " + '"a" ' * (n // 4) + "\n",
    lambda n: TYRESO * max(1, n // 20000),
], ids=["long-string", "long-name", "long-comment", "many-strings", "many-rules"])
def test_no_super_linear_parsing(make):
    """Eight times the input may not take much more than eight times as long."""
    small, large = _time(make(20_000)), _time(make(160_000))
    assert large < 40 * max(small, 0.005), (small, large)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)
NAMES = st.sampled_from(["page_category", "approved_by", "admin_count", "last_snapshot_on",
                         "purpose", "content_category", "during_break", "at", "pack"])


@given(st.sampled_from(sorted(ENGINE.packs)) | JSON, st.sampled_from(
    ["like_page", "create_channel", "audit_channel", "delete_comment"]) | JSON,
       st.dictionaries(NAMES | st.text(max_size=8), JSON, max_size=4) | JSON, JSON)
@example(["tyreso"], "like_page", {}, None)          # a list as pack raised TypeError once
@example("tyreso", ["like_page"], {}, None)          # a list as action raised TypeError once
def test_python_api_raises_only_request_errors(pack, action, facts, at):
    try:
        ENGINE.decide(pack, action, facts, at if isinstance(at, str) else None)
    except RequestError as e:
        assert str(e)


@given(JSON | st.fixed_dictionaries({"pack": JSON, "action": JSON, "facts": JSON},
                                    optional={"at": JSON}))
def test_request_objects_raise_only_request_errors(data):
    try:
        ENGINE.decide_request(data)
    except RequestError as e:
        assert str(e)


@settings(max_examples=12, deadline=None)
@given(st.lists(JSON | st.fixed_dictionaries(
    {"pack": st.sampled_from(sorted(ENGINE.packs)), "action": st.just("like_page"),
     "facts": st.dictionaries(NAMES, JSON, max_size=2)}), min_size=1, max_size=4),
    st.binary(max_size=40))
def test_cli_bad_input_is_exit_2_without_traceback(batch, junk):
    for stdin in (json.dumps(batch), junk.decode("utf-8", errors="replace")):
        r = subprocess.run([sys.executable, "-m", "engine", "decide", "--input", "-"],
                           input=stdin, text=True, capture_output=True, cwd=ROOT, timeout=60)
        assert r.returncode in (0, 2), r.stderr
        assert "Traceback" not in r.stderr
        if r.returncode == 2:
            assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1
