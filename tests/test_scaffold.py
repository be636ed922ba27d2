"""policy new: a new pack as a distribution of its own, installable at once."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.authoring.analysis import check_source
from engine.errors import PolicyError
from engine.authoring.scaffold import scaffold
from tests.test_cli import policy

ROOT = Path(__file__).resolve().parent.parent


def test_the_scaffold_is_a_pack_that_checks_clean_and_whose_case_passes(tmp_path):
    made = scaffold("exempelby", tmp_path, name="Exempelby kommun", dated=dt.date(2024, 5, 1))
    root = tmp_path / "policy-pack-exempelby"
    assert made.root == root
    assert sorted(p.relative_to(root).as_posix() for p in made.files) == [
        "README.md", "policy_pack_exempelby/__init__.py", "policy_pack_exempelby/exempelby.policy",
        "policy_pack_exempelby/exempelby.tests", "pyproject.toml"]
    source = (root / "policy_pack_exempelby/exempelby.policy").read_text(encoding="utf-8")
    assert 'pack exempelby\n  name "Exempelby kommun"\n' in source
    assert "  dated 2024-05-01\n" in source
    assert "topic break_time_use = not regulated" in source
    tests = (root / "policy_pack_exempelby/exempelby.tests").read_text(encoding="utf-8")
    report = check_source(source, "exempelby.policy", tests, "exempelby.tests")
    assert report.diagnostics == ()
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."policy.packs"]\nexempelby = "policy_pack_exempelby"' in pyproject
    r = policy("test", str(root / "policy_pack_exempelby"))
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == "1 passed, 0 failed"


def test_the_scaffold_refuses_what_could_not_work(tmp_path):
    with pytest.raises(PolicyError, match=r"pack id 'Tyresö' must be lower-case ASCII .*"
                                          r"for example 'tyreso' \(the municipality's name, "
                                          r"with its own letters, goes in --name\)"):
        scaffold("Tyresö", tmp_path, name="Tyresö kommun")
    with pytest.raises(PolicyError, match=r"pack id 'tyreso' is already installed \(from x\)"):
        scaffold("tyreso", tmp_path, name="Tyresö kommun", taken={"tyreso": "x"})
    scaffold("exempelby", tmp_path, name="Exempelby kommun")
    with pytest.raises(PolicyError, match="policy-pack-exempelby already exists"):
        scaffold("exempelby", tmp_path, name="Exempelby kommun")
    for bad in ("", "  ", "Två\nrader", "1234"):
        with pytest.raises(PolicyError, match="is not a municipality's name"):
            scaffold("annanby", tmp_path, name=bad)


def test_new_command(tmp_path):
    r = policy("new", "exempel_by", "--name", "Exempelby kommun", "--dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == f"created {tmp_path / 'policy-pack-exempel-by'}:"
    assert f"  pip install -e {tmp_path / 'policy-pack-exempel-by'}" in r.stdout
    r = policy("new", "tyreso", "--name", "Tyresö kommun", "--dir", str(tmp_path))
    assert r.returncode == 2 and "error: pack id 'tyreso' is already installed" in r.stderr
    r = policy("new", "x", "--dated", "2024-02-30", "--dir", str(tmp_path))
    assert (r.returncode, r.stderr) == (
        2, "error: --dated must be a date as YYYY-MM-DD or 'undated', got '2024-02-30' "
           "(February 2024 has 29 days; write YYYY-MM-DD with a real day)\n")


@pytest.mark.parametrize("name, pack_id", [
    ("Götene kommun", "gotene"), ("Töreboda", "toreboda"), ("Åre kommun", "are"),
    ("Upplands Väsby kommun", "upplands_vasby"), ("Malmö stad", "malmo"),
    ("Perstorps kommun", "perstorps"),      # a genitive s stays: give the id to drop it
])
def test_a_name_with_swedish_letters_makes_an_ascii_id(name, pack_id):
    from engine.authoring.scaffold import id_from_name
    assert id_from_name(name) == pack_id


def test_new_keeps_the_name_as_written_and_never_makes_one_up(tmp_path):
    # not Götene, the walk-through's pack: one may be installed beside the project's
    r = policy("new", "--name", "Östra Göinge kommun", "--dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == ("pack id 'ostra_goinge', made from the name "
                                        "(give PACK_ID to choose another)")
    root = tmp_path / "policy-pack-ostra-goinge"
    source = (root / "policy_pack_ostra_goinge" / "ostra_goinge.policy").read_text(
        encoding="utf-8")
    assert source.startswith("# Östra Göinge kommun: ")
    assert '  name "Östra Göinge kommun"\n' in source
    assert "# Östra Göinge kommun: rule pack `ostra_goinge`" in (root / "README.md").read_text(
        encoding="utf-8")
    assert "Östra Göinge kommun: the social-media guideline" in (root / "pyproject.toml").read_text(
        encoding="utf-8")
    # an id alone: the name is not made up from it (it would lose the ö), it is asked for
    r = policy("new", "ostra_goinge", "--dir", str(tmp_path / "other"))
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == ("error: policy new ostra_goinge: give the municipality's name as it "
                        "writes itself, with its å, ä and ö, in --name: an id is ASCII, so the name "
                        "cannot be read off it (policy new ostra_goinge --name \"…\")\n")
    assert not (tmp_path / "other").exists()
    r = policy("new")
    assert r.returncode == 2 and r.stderr.startswith("error: policy new: give the municipality's")
    # the name where the id goes: it goes in --name, and the id comes of it
    r = policy("new", "Östra Göinge kommun", "--dir", str(tmp_path / "other"))
    assert (r.returncode, r.stderr) == (2, (
        "error: policy new: 'Östra Göinge kommun' is a name, not a pack id (lower-case ASCII "
        "letters, digits and '_'): give it in --name, and the id is made from it (policy new "
        "--name \"Östra Göinge kommun\" makes the id ostra_goinge)\n"))
    # both given: the id as given, the name as given
    r = policy("new", "perstorp2", "--name", "Perstorps kommun", "--dir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert '  name "Perstorps kommun"' in (tmp_path / "policy-pack-perstorp2" / "policy_pack_perstorp2"
                                           / "perstorp2.policy").read_text(encoding="utf-8")


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


@pytest.mark.slow
def test_a_new_pack_installs_and_decides_in_a_fresh_virtual_environment(tmp_path):
    made = scaffold("exempelby", tmp_path, name="Exempelby kommun")
    venv = tmp_path / "venv"
    env = _clean_env()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, env=env)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-e", str(ROOT), "-e", f"{made.root}[test]"],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert install.returncode == 0, install.stdout + install.stderr

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(bin_dir / "policy"), *args], capture_output=True, text=True,
                              timeout=120, env=env, cwd=tmp_path)

    r = run("packs", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in json.loads(r.stdout)}
    assert rows["exempelby"]["status"] == "ok"
    assert rows["exempelby"]["distribution"] == "policy-pack-exempelby 0.1.0"
    assert {"tyreso", "vara"} <= set(rows)
    r = run("decide", "exempelby", "like_page", "--facts", '{"page_category": "commercial"}',
            "--at", "2025-01-01", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert (json.loads(r.stdout)["outcome"], json.loads(r.stdout)["by_default"]) == ("allow", True)

    # an editable install: a rule written into the source decides at once
    source = made.root / "policy_pack_exempelby" / "exempelby.policy"
    source.write_text(source.read_text(encoding="utf-8") + (
        "\nrule no-likes-for-companies\n  on like_page\n  deny when page_category == commercial\n"
        '  level must\n  because "Not companies."\n  source "Gilla andra"\n'), encoding="utf-8")
    r = run("decide", "exempelby", "like_page", "--facts", '{"page_category": "commercial"}',
            "--at", "2025-01-01")
    assert r.returncode == 0 and r.stdout.splitlines()[0].endswith(": DENY"), r.stdout + r.stderr
    r = run("test")
    assert r.returncode == 0 and "PASS exempelby:" in r.stdout, r.stdout + r.stderr
    # the README's advice works as written in the fresh environment: pytest comes with [test]
    r = subprocess.run([str(bin_dir / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(made.root)], capture_output=True, text=True, timeout=120, env=env,
                       cwd=tmp_path)
    assert r.returncode == 0 and " passed" in r.stdout, r.stdout + r.stderr
