"""The authoring commands (fmt, check, diff, new), run for real in a subprocess."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_PACKS
from tests.test_cli import policy

ROOT = Path(__file__).resolve().parent.parent

UNFORMATTED = 'pack p  # the id\n name "P" dated undated\n version "1" default allow\n'
FORMATTED = 'pack p  # the id\n  name "P"\n  dated undated\n  version "1"\n  default allow\n'


def test_fmt_check_prints_a_diff_and_exits_1(tmp_path):
    path = tmp_path / "p.policy"
    path.write_text(UNFORMATTED)
    r = policy("fmt", "--check", str(tmp_path))
    assert r.returncode == 1, r.stderr
    assert f"+++ {path} (formatted)" in r.stdout
    assert "+  dated undated" in r.stdout
    assert r.stdout.splitlines()[-1] == "1 of 1 file would be reformatted"
    assert path.read_text() == UNFORMATTED


def test_fmt_rewrites_files_and_then_check_passes(tmp_path):
    path = tmp_path / "p.policy"
    path.write_text(UNFORMATTED)
    (tmp_path / "p.tests").write_text(
        'test "t" request like_page {page_category: own} expect allow\n')
    r = policy("fmt", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert f"formatted {path}" in r.stdout
    assert path.read_text() == FORMATTED
    assert (tmp_path / "p.tests").read_text() == (
        'test "t"\n  request like_page {page_category: own}\n  expect allow\n')
    r = policy("fmt", "--check", str(path), str(tmp_path / "p.tests"))
    assert (r.returncode, r.stdout) == (0, "2 files already formatted\n")


def test_fmt_keeps_a_files_line_endings(tmp_path):
    path = tmp_path / "p.policy"
    path.write_bytes(FORMATTED.replace("\n", "\r\n").encode())
    r = policy("fmt", "--check", str(path))
    assert r.returncode == 0 and "1 file already formatted" in r.stdout
    path.write_bytes(UNFORMATTED.replace("\n", "\r\n").encode())
    assert policy("fmt", "--check", str(path)).returncode == 1
    assert policy("fmt", str(path)).returncode == 0
    assert path.read_bytes() == FORMATTED.replace("\n", "\r\n").encode()
    path.write_bytes(UNFORMATTED.encode())
    assert policy("fmt", str(path)).returncode == 0
    assert path.read_bytes() == FORMATTED.encode()


def test_fmt_reads_standard_input():
    r = policy("fmt", "-", stdin=UNFORMATTED)
    assert (r.returncode, r.stdout) == (0, FORMATTED)


def test_fmt_reports_a_broken_file_and_formats_the_others(tmp_path):
    (tmp_path / "a.policy").write_text('pack a\n  name "A\n')
    (tmp_path / "b.policy").write_text(UNFORMATTED)
    r = policy("fmt", str(tmp_path))
    assert r.returncode == 2
    assert f"error: {tmp_path / 'a.policy'}:2:8: unterminated string" in r.stderr
    assert "Traceback" not in r.stderr
    assert (tmp_path / "b.policy").read_text() == FORMATTED


def test_fmt_bad_paths_are_usage_errors(tmp_path):
    r = policy("fmt", str(tmp_path / "nope.policy"))
    assert (r.returncode, r.stderr.strip()) == (
        2, f"error: {tmp_path / 'nope.policy'}: no such file or folder")
    r = policy("fmt", str(tmp_path))
    assert r.returncode == 2 and "no .policy or .tests files in this folder" in r.stderr


def test_the_builtin_packs_are_formatted():
    """What CI checks too: every .policy and .tests under packs/ is as policy fmt writes it."""
    r = policy("fmt", "--check", "packs")
    assert r.returncode == 0, r.stdout
    assert r.stdout == "10 files already formatted\n"


# ---- what check, test and diff take: files, pack folders, folders of packs, installed ids

PACK_IDS = PROJECT_PACKS


def _summary(stdout: str) -> tuple[int, int]:
    passed, _, failed = stdout.splitlines()[-1].partition(" passed, ")
    return int(passed), int(failed.split()[0])


def test_policy_test_finds_the_cases_in_a_folder_of_pack_folders():
    """`policy test packs` runs what `policy test` runs for each pack on its own, as
    `check` and `fmt` take the folder."""
    r = policy("test", "packs", "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    one_by_one = 0
    for pack_id in PACK_IDS:
        single = policy("test", f"packs/{pack_id}", "-q")
        assert single.returncode == 0, single.stderr
        one_by_one += _summary(single.stdout)[0]
    assert _summary(r.stdout) == (one_by_one, 0)
    r = policy("check", "packs")
    assert r.returncode == 0 and r.stdout.splitlines()[-1].startswith("5 packs checked: 0 errors")


def test_installed_pack_ids_work_in_check_and_test_as_in_diff():
    r = policy("test", "tyreso", "-q")
    assert r.returncode == 0, r.stderr
    assert _summary(r.stdout) == _summary(policy("test", "packs/tyreso", "-q").stdout)
    r = policy("check", "tyreso")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "1 pack checked: 0 errors, 0 warnings"
    assert "packs/tyreso/tyreso.policy" in r.stdout
    r = policy("check", "tyreso", "vara", "--format", "json")
    assert [p["pack"] for p in json.loads(r.stdout)["packs"]] == ["tyreso", "vara"]
    for command in ("check", "test"):
        r = policy(command, "tyresoo")
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert r.stderr.startswith("error: tyresoo: no such file or folder, nor an installed "
                                   "pack: unknown pack 'tyresoo' (did you mean 'tyreso'?)")


def test_policy_test_of_a_folder_notes_packs_without_cases_and_fails_when_none_has_any(tmp_path):
    header = 'pack {0}\n name "{0}"\n dated undated\n version "1"\n default allow\n'
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "a.policy").write_text(header.format("a"))
    (tmp_path / "a" / "a.tests").write_text(
        'test "t"\n request like_page {page_category: own}\n expect allow\n')
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "b.policy").write_text(header.format("b"))
    r = policy("test", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert f"note: {tmp_path / 'b' / 'b.policy'} ships no test cases" in r.stdout
    assert r.stdout.splitlines()[-1] == "1 passed, 0 failed"
    r = policy("test", str(tmp_path / "b"))
    assert r.returncode == 2 and "no pack there ships test cases" in r.stderr
    r = policy("test", str(tmp_path / "b" / "b.policy"))
    assert r.returncode == 2 and "b.tests: no such file (the partner of" in r.stderr


def test_diff_reads_a_version_from_standard_input(tmp_path):
    source = (ROOT / "packs/vara/vara.policy").read_text(encoding="utf-8")
    r = policy("diff", "-", "packs/vara/vara.policy", stdin=source)
    assert r.returncode == 0 and "no change in behaviour" in r.stdout, r.stdout + r.stderr
    r = policy("diff", "-", "vara", stdin=source.replace("  default allow", "  default deny"))
    assert r.returncode == 1 and "(<stdin>)" in r.stdout
    r = policy("diff", "-")
    assert r.returncode == 2 and r.stderr.startswith("error: '-' (standard input) is one version")


def test_diff_of_an_editable_install_with_itself_says_so(tmp_path):
    """The built-in packs are an editable install here: the one-argument form would
    compare the file with itself and always find no change."""
    r = policy("diff", "packs/tyreso/tyreso.policy")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert ("is the installed pack 'tyreso' itself (an editable install), so it would be "
            "compared with itself") in r.stderr
    assert ("git show HEAD:./packs/tyreso/tyreso.policy | policy diff - "
            "packs/tyreso/tyreso.policy") in r.stderr


def test_the_scaffolds_advice_on_reviewing_a_change_works_as_written(tmp_path):
    """The scaffold's README compares the edited source with its last commit in git."""
    import re
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    r = policy("new", "granskby", "--name", "Granskby kommun", "--dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    root = tmp_path / "policy-pack-granskby"
    readme = (root / "README.md").read_text(encoding="utf-8")
    [command] = re.findall(r"```sh\n(git show .*)\n```", readme)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "first"]):
        subprocess.run([*git, *args], cwd=root, check=True, capture_output=True)
    source = root / "policy_pack_granskby" / "granskby.policy"
    source.write_text(source.read_text(encoding="utf-8").replace("default allow", "default deny"),
                      encoding="utf-8")
    shell = command.replace("policy diff", f"{sys.executable} -m engine diff")
    r = subprocess.run(["sh", "-c", shell], cwd=root, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "allow (by default) → deny (by default)" in r.stdout
