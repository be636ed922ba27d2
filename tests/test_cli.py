"""The `policy` command, run for real in a subprocess."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def policy(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], input=stdin, text=True,
                          capture_output=True, cwd=ROOT, env=env, timeout=60)


def test_decide_text():
    r = policy("decide", "tyreso", "like_page", "--facts", '{"page_category": "commercial"}',
               "--at", "2025-01-01")
    assert r.returncode == 0, r.stderr
    # the municipality as it writes itself, the action's label with its name
    assert r.stdout.splitlines()[0] == ("Tyresö kommun · like a page (like_page) · "
                                        "2025-01-01: DENY")
    assert 'Tyresö kommun: “Gilla andra”' in r.stdout


def test_decide_text_lists_steps_as_a_checklist():
    r = policy("decide", "tyreso", "close_channel", "--at", "2025-01-01")
    assert r.returncode == 0
    assert "[ ] Agree on closing the channel with the manager. (manager)" in r.stdout
    assert "consult-manager · should · Tyresö kommun: “Avsluta konto”" in r.stdout


def test_decide_json_matches_the_python_api(engine):
    r = policy("decide", "tyreso", "create_channel", "--facts", '{"account_type": "private"}',
               "--at", "2025-01-01", "--format", "json")
    assert r.returncode == 0
    from engine.serialization import to_json
    assert json.loads(r.stdout) == to_json(
        engine.decide("tyreso", "create_channel", {"account_type": "private"}, "2025-01-01"))


def test_decide_input_file_and_list(tmp_path):
    one = {"pack": "tyreso", "action": "like_page", "facts": {"page_category": "own"},
           "at": "2025-01-01"}
    path = tmp_path / "req.json"
    path.write_text(json.dumps(one))
    r = policy("decide", "--input", str(path), "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["outcome"] == "allow"
    many = [one, dict(one, facts={"page_category": "political_party"})]
    r = policy("decide", "--input", "-", "--format", "json", stdin=json.dumps(many))
    assert [d["outcome"] for d in json.loads(r.stdout)] == ["allow", "deny"]


@pytest.mark.parametrize("args, stdin, message", [
    (["decide", "tyreso", "like_page", "--facts", '{"page_category": "own"'], None,
     "error: --facts is not valid JSON: Expecting ',' delimiter at line 1 column 24"),
    (["decide", "tyreso", "like_page", "--facts", "[1]"], None,
     "error: --facts must be a JSON object"),
    (["decide", "tyreso", "like_page", "--facts", '{"page_category": "comercial"}'], None,
     "did you mean 'commercial'?"),
    (["decide", "tyresoo", "like_page"], None, "error: unknown pack 'tyresoo' (did you mean 'tyreso'?)"),
    (["decide", "tyreso", "like"], None, "error: unknown action 'like'"),
    (["decide", "tyreso", "like_page", "--facts", '{"page_category": "own"}', "--at", "2025-02-30"],
     None, "\"at\" must be a date"),
    (["decide", "tyreso"], None, "error: name a PACK and an ACTION"),
    (["decide", "--input", "-"], "{not json", "error: --input <stdin> is not valid JSON"),
    (["decide", "--input", "-"], '[{"pack": "tyreso"}]', "error: request 0: "),
    (["decide", "--input", "/no/such/file.json"], None, "No such file or directory"),
    (["decide", "tyreso", "like_page", "--format", "yaml"], None,
         "error: policy decide: --format must be one of 'json' or 'text', not 'yaml'"),
    (["test", "/no/such/pack.policy"], None, "no such file"),
])
def test_bad_input_is_one_line_and_exit_2(args, stdin, message):
    r = policy(*args, stdin=stdin)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_broken_pack_file_is_reported_with_position(tmp_path):
    (tmp_path / "p.policy").write_text('pack p\n  name "x"\nrule r on like_page deny when page_category == comercial because "b"\n')
    (tmp_path / "p.tests").write_text("")
    r = policy("test", str(tmp_path / "p.policy"))
    assert r.returncode == 2
    first = r.stderr.splitlines()[0]
    assert first.startswith(f"error: {tmp_path / 'p.policy'}:")
    assert "Traceback" not in r.stderr


def test_packs_lists_the_installed_packs():
    r = policy("packs")
    assert r.returncode == 0, r.stderr
    assert "tyreso" in r.stdout and "Tyresö kommun" in r.stdout
    r = policy("packs", "--format", "json")
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert rows["tyreso"]["rules"] >= 20 and rows["tyreso"]["status"] == "ok"


def test_policy_test_runs_every_installed_pack():
    from tests.conftest import PROJECT_PACKS
    r = policy("test", "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1].endswith(" passed, 0 failed")
    # the project's packs, by their installed ids, run and fully covered; another installed
    # pack, one in the making, may still ship few test cases or none
    r = policy("test", "--coverage", "-q", *PROJECT_PACKS)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ships no test cases" not in r.stdout
    for pack_id in PROJECT_PACKS:
        assert re.search(rf"(?m)^coverage {pack_id}: (\d+)/\1 rule outcomes exercised$",
                         r.stdout), (pack_id, r.stdout)


def test_policy_test_reports_a_failing_case(tmp_path):
    (tmp_path / "p.policy").write_text(
        'pack p\n name "P"\n dated undated\n version "1"\n default allow\n'
        'rule r on like_page deny when page_category == commercial because "b"\n')
    (tmp_path / "p.tests").write_text(
        'test "wrong on purpose"\n request like_page {page_category: commercial}\n expect allow\n'
        'test "right"\n request like_page {page_category: commercial}\n expect deny rules [r]\n')
    r = policy("test", str(tmp_path))
    assert r.returncode == 1
    assert "FAIL p: wrong on purpose" in r.stdout and "expected allow, got deny" in r.stdout
    assert r.stdout.splitlines()[-1] == "1 passed, 1 failed"


def test_policy_test_and_diff_ignore_editors_files_in_a_pack_folder(tmp_path):
    text = ('pack p\n name "P"\n dated undated\n version "1"\n default allow\n'
            'rule r on like_page deny when page_category == commercial because "b"\n')
    (tmp_path / "p.policy").write_text(text)
    (tmp_path / "p.tests").write_text(
        'test "right"\n request like_page {page_category: commercial}\n expect deny\n')
    for name in (".#p.policy", "._p.policy", "p.policy~", ".p.tests.swp", "._p.tests"):
        (tmp_path / name).write_text("pack p\n name")
    r = policy("test", str(tmp_path))
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == "1 passed, 0 failed", r.stderr
    r = policy("diff", str(tmp_path), str(tmp_path / "p.policy"))
    assert r.returncode == 0, r.stdout + r.stderr


def test_test_file_errors_name_the_case(tmp_path):
    (tmp_path / "p.policy").write_text(
        'pack p\n name "P"\n dated undated\n version "1"\n default allow\n'
        'rule r on like_page deny when page_category == commercial because "b"\n')
    (tmp_path / "p.tests").write_text(
        'test "t"\n request like_page {page_categry: commercial}\n expect deny rules [rr]\n')
    r = policy("test", str(tmp_path))
    assert r.returncode == 2
    assert "p.tests:2:21: test \"t\": unknown fact \"page_categry\"" in r.stderr
    assert "names rule 'rr', which pack 'p' does not have (did you mean 'r'?)" in r.stderr


def test_help_texts():
    r = policy("--help")
    assert r.returncode == 0 and "decide" in r.stdout and "packs" in r.stdout
    r = policy("decide", "--help")
    assert "--facts" in r.stdout and "--input" in r.stdout and "--at" in r.stdout
