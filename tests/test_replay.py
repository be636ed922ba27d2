"""``policy replay``, end to end through the command line.

A log is made by ``policy decide --decision-log``; replayed with the installed packs
nothing changes (exit 0); replayed with ``--packs`` holding an edited pack the changed
decisions are reported with the old and new answers and the rules (exit 1). Gzip and
standard input, unusable lines by reason, the JSON shape and bad input (exit 2).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys

import pytest

from tests.servers import ROOT

AT = "2025-03-01"
REQUESTS = [
    {"pack": "tyreso", "action": "like_page", "facts": {"page_category": "commercial"},
     "at": AT},
    {"pack": "tyreso", "action": "like_page", "facts": {"page_category": "own"}, "at": AT},
    {"pack": "tyreso", "action": "like_page", "facts": {"page_category": "commercial"},
     "at": AT},
    {"pack": "vara", "action": "like_page", "facts": {"page_category": "own"}, "at": AT},
]


def policy(*args: str, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "engine", *args], input=stdin,
                          capture_output=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "POLICY_DECISION_LOG": ""})


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    """A log of the four requests, as ``policy decide --decision-log`` writes it."""
    folder = tmp_path_factory.mktemp("replay")
    requests = folder / "requests.json"
    requests.write_text(json.dumps(REQUESTS))
    path = folder / "decisions.jsonl"
    r = policy("decide", "--input", str(requests), "--decision-log", str(path))
    assert r.returncode == 0, r.stderr
    assert len(path.read_bytes().splitlines()) == 4
    return path


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """Tyresö with 'no-likes-for-companies-or-parties' turned from must into should."""
    folder = tmp_path_factory.mktemp("edited")
    text = (ROOT / "packs" / "tyreso" / "tyreso.policy").read_text(encoding="utf-8")
    head, rule = text.split("rule no-likes-for-companies-or-parties\n", 1)
    rule = rule.replace("level must", "level should", 1)
    (folder / "tyreso.policy").write_text(
        head + "rule no-likes-for-companies-or-parties\n" + rule, encoding="utf-8")
    return folder


def test_a_log_replayed_with_the_packs_it_was_made_with_changes_nothing(log):
    r = policy("replay", str(log))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == \
        "replayed 4 decisions: 0 changed, 4 unchanged, 0 unusable"


def test_an_edited_pack_in_packs_shows_each_changed_decision_with_old_new_and_rules(
        log, edited):
    r = policy("replay", str(log), "--packs", str(edited))
    assert r.returncode == 1, r.stderr
    out = r.stdout.decode()
    assert "tyreso like_page: 2 changed" in out
    assert f'{{"page_category": "commercial"}} at {AT} (2 lines, first 1)' in out
    assert "was: DENY (likes-only-listed-pages, no-likes-for-companies-or-parties)" in out
    assert "rule no-likes-for-companies-or-parties: deny (must) -> deny (should)" in out
    assert "vara" not in out.replace("replayed", "")      # other packs: the installed ones
    assert out.strip().endswith("replayed 4 decisions: 2 changed, 2 unchanged, 0 unusable")


def test_json_output_and_gzip_on_standard_input(log, edited):
    packed = gzip.compress(log.read_bytes())
    r = policy("replay", "-", "--packs", str(edited / "tyreso.policy"), "--format", "json",
               stdin=packed)
    assert r.returncode == 1, r.stderr
    report = json.loads(r.stdout)
    assert report["summary"] == {"lines": 4, "changed": 2, "unchanged": 2, "unusable": 0,
                                 "unusable_by_reason": {}}
    [group] = report["changes"]
    assert (group["pack"], group["action"], group["changed"], group["not_shown"]) == \
        ("tyreso", "like_page", 2, 0)
    [change] = group["shown"]
    assert change["request"] == {**REQUESTS[0]}
    assert (change["lines"], change["first_line"]) == (2, 1)
    assert change["old"]["outcome"] == change["new"]["outcome"] == "deny"
    assert change["rules"] == [{"rule": "no-likes-for-companies-or-parties",
                                "was": "deny (must)", "now": "deny (should)"}]
    assert report["unusable"] == []


def test_a_gzip_log_is_told_by_its_bytes_not_its_name(log, tmp_path):
    named_plain = tmp_path / "decisions.jsonl"
    named_plain.write_bytes(gzip.compress(log.read_bytes()))
    r = policy("replay", str(named_plain))
    assert r.returncode == 0, r.stderr
    assert b"replayed 4 decisions: 0 changed, 4 unchanged" in r.stdout


def test_unusable_lines_are_counted_and_named_by_reason(log, tmp_path):
    good = log.read_bytes().splitlines(keepends=True)
    entry = json.loads(good[0])

    def line(**changes):
        return (json.dumps({**entry, **changes}) + "\n").encode()

    cut = line(cut={"request.facts.page_category": {"size": 2000, "sha256": "0" * 64}})
    lines = [
        good[0],
        b"not json at all\n",
        b'{"some": "other log"}\n',
        cut,
        line(request={**entry["request"], "pack": "nowhere"}),
        line(request={**entry["request"], "action": "fly"}),
        line(request={**entry["request"], "facts": {"page_category": "galaxy"}}),
        line(request={**entry["request"], "at": "2025-02-30"}),
        line(request={**entry["request"], "at": None}),
        line(decision={"outcome": "deny", "reasons": 5, "steps": "x"}),
        good[1][:40],                                  # torn: the writer was interrupted
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"".join(lines))
    r = policy("replay", str(path), "--format", "json")
    assert r.returncode == 1, r.stderr     # the decision logged with bad reasons differs
    report = json.loads(r.stdout)
    assert report["summary"]["unusable_by_reason"] == {
        "cut": 1, "foreign": 2, "invalid-facts": 1, "invalid-request": 1, "not-json": 1,
        "torn": 1, "unknown-action": 1, "unknown-pack": 1}
    assert report["summary"]["lines"] == 11
    assert (report["summary"]["changed"], report["summary"]["unchanged"]) == (1, 1)
    firsts = {u["reason"]: u["first_line"] for u in report["unusable"]}
    assert firsts["torn"] == 11 and firsts["cut"] == 4
    text = policy("replay", str(path)).stdout.decode()
    assert re.search(r"unusable: 1 unknown-pack \(first: .*mixed.jsonl:5: unknown pack "
                     r"'nowhere'", text), text
    assert text.strip().endswith(
        "replayed 11 decisions: 1 changed, 1 unchanged, 9 unusable (cut 1, foreign 2, "
        "invalid-facts 1, invalid-request 1, not-json 1, torn 1, unknown-action 1, "
        "unknown-pack 1)")


def test_a_compressed_log_cut_short_counts_a_torn_line(log, tmp_path):
    packed = gzip.compress(log.read_bytes() * 50)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    r = policy("replay", str(path), "--format", "json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)["summary"]
    assert summary["unusable_by_reason"]["torn"] >= 1
    assert summary["changed"] == 0 and summary["unchanged"] > 0


def test_show_bounds_the_changes_listed_but_counts_them_all(log, edited, tmp_path):
    entry = json.loads(log.read_bytes().splitlines()[0])
    lines = []
    for day in range(1, 13):              # twelve distinct requests, each changed
        at = f"2025-01-{day:02d}"
        lines.append(json.dumps({**entry, "request": {**entry["request"], "at": at}}))
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = json.loads(policy("replay", str(path), "--packs", str(edited), "--show", "3",
                               "--format", "json").stdout)
    [group] = report["changes"]
    assert (group["changed"], len(group["shown"]), group["not_shown"]) == (12, 3, 9)
    text = policy("replay", str(path), "--packs", str(edited), "--show", "3").stdout.decode()
    assert "… and 9 more changed lines" in text


@pytest.mark.parametrize("args, words", [
    (["{tmp}/missing.jsonl"], "cannot read the decision log"),
    (["{log}", "--packs", "{tmp}/nowhere"], "no such file or folder"),
    (["{log}", "--packs", "{tmp}/empty"], "holds no .policy file"),
    (["{log}", "--packs", "{tmp}/broken.policy"], "broken.policy"),
    (["{log}", "--show", "-1"], "--show"),
    (["{log}", "--format", "xml"], "--format"),
], ids=["missing-log", "missing-packs", "empty-folder", "broken-pack", "show", "format"])
def test_bad_input_is_one_error_line_and_exit_2(log, tmp_path, args, words):
    (tmp_path / "broken.policy").write_text("pack broken\n  this is not a pack\n")
    (tmp_path / "empty").mkdir()
    r = policy("replay", *[a.format(tmp=tmp_path, log=log) for a in args])
    assert r.returncode == 2, (r.stdout, r.stderr)
    err = r.stderr.decode()
    assert words in err and "Traceback" not in err, err
    assert r.stdout == b""


def test_no_progress_bar_when_stderr_is_not_a_terminal(log):
    r = policy("replay", str(log))
    assert r.stderr == b""


def test_the_summary_counts_one_decision_in_the_singular():
    from engine.service.replay import Replay, summary
    assert summary(Replay(lines=1, unchanged=1)) == (
        "replayed 1 decision: 0 changed, 1 unchanged, 0 unusable")
    assert summary(Replay(lines=2, changed=2)).startswith("replayed 2 decisions: 2 changed")
