"""The authoring commands (fmt, check, diff, new), run for real in a subprocess."""

from __future__ import annotations

from pathlib import Path

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
