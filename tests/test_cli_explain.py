"""``policy explain``: the real command in a subprocess for the matrix, the JSON and a
trace; the other options and the bad-input messages through click's runner."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.conftest import PROJECT_PACKS
from tests.test_cli import policy
from engine import contract
from engine.contract import contract_vocabulary

WORDS = contract_vocabulary()

PACKS = list(PROJECT_PACKS)
ONLY_THEM = ("--packs", ",".join(PACKS))     # whatever else is installed beside them


@pytest.fixture(autouse=True)
def loaded_once(engine, monkeypatch):
    """Runner tests share the session's engine; the subprocess tests load their own."""
    monkeypatch.setattr("engine.cli.explain.load_engine", lambda: engine)


def run(*args: str, columns: int = 80):
    return CliRunner().invoke(main, ["explain", *args], env={"COLUMNS": str(columns)})


@pytest.mark.parametrize("columns", [80, 40])
def test_matrix_fits_the_terminal(columns):
    r = policy("explain", "--at", "2025-01-01", *ONLY_THEM,
               env=dict(os.environ, COLUMNS=str(columns)))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert "varje halvår" in r.stdout and "half-yearly" not in r.stdout     # Swedish first
    if columns == 80:           # each municipality by its short name
        assert any(line.split() == ["ämne", "Norsjö", "Perstorp", "Töreboda", "Tyresö", "Vara"]
                   for line in lines)


def test_json_has_the_contracts_shape():
    r = policy("explain", "--format", "json", "--at", "2025-01-01", *ONLY_THEM)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    topics = {t["id"]: t for t in data["topics"]}
    assert set(WORDS.topics) <= set(topics)
    for topic in data["topics"]:
        assert isinstance(topic["title"], str) and topic["title"]
        assert set(topic["values"]) == set(PACKS)
        for cell in topic["values"].values():
            assert {"value", "summary", "source"} <= set(cell)
            assert cell["summary"] is None or isinstance(cell["summary"], str)
            assert cell["source"] is None or isinstance(cell["source"], str)
    roles, custodians = set(contract.ROLE.values), set(WORDS.enums["custodian"].values)
    pages = set(contract.PAGE_CATEGORY.values)
    for pack in PACKS:
        def value(topic):
            return topics[topic]["values"][pack]["value"]
        assert value("channel_approver") is None or set(value("channel_approver")) <= roles
        assert value("credential_custody") is None or set(value("credential_custody")) <= custodians
        assert value("snapshot_interval") in ("half_yearly", "yearly", None)
        likes = value("allowed_likes")
        assert likes is None or (set(likes) == {"allow", "deny", "only"}
                                 and set(likes["allow"]) | set(likes["deny"]) <= pages
                                 and type(likes["only"]) is bool)
        assert value("break_time_use") in ("breaks_only", "department_head_decides", "allowed",
                                           None)
        assert value("response_time") is None or type(value("response_time")) is int
    assert topics["snapshot_interval"]["values"]["tyreso"] == {
        **topics["snapshot_interval"]["values"]["tyreso"], "value": "half_yearly",
        "source": "Dokumentera varje halvår"}


def test_trace_end_to_end():
    r = policy("explain", "norsjo", "audit_channel", "--facts", "{}", "--at", "2025-01-01")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.splitlines()[0] == ("Norsjö kommun · follow up a channel (audit_channel) · "
                                   "2025-01-01: REQUIRED STEPS")
    assert "periodic-snapshot · require archive-snapshot · should" in out
    assert "failed: last_snapshot_on is set; months_since(last_snapshot_on) < snapshot_interval" in out
    assert "saw last_snapshot_on = missing" in out
    assert "snapshot-before-major-change · require archive-snapshot-before-change" in out
    assert "→ does not apply" in out
    assert "Combining: step 2 of 4" in out
    # in Swedish the trace's own words are Swedish too: a missing fact, the failed parts
    r = policy("explain", "norsjo", "audit_channel", "--facts", "{}", "--at", "2025-01-01",
               "--lang", "sv")
    out = r.stdout
    assert "såg last_snapshot_on = saknas" in out and "= missing" not in out
    assert ("inte uppfyllt: last_snapshot_on is set; months_since(last_snapshot_on) < "
            "snapshot_interval") in out and "brast" not in out


def test_bad_input_from_the_real_command():
    r = policy("explain", "--topic", "snapshot_intervall")
    assert r.returncode == 2
    assert r.stderr.startswith("error: unknown topic 'snapshot_intervall' (did you mean "
                               "'snapshot_interval'?)")
    assert "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1


def test_topic_detail():
    five = "toreboda,tyreso,vara,perstorp,norsjo"     # not another installed pack
    r = run("--topic", "allowed_likes", "--at", "2025-01-01", "--lang", "en", "--packs", five)
    assert r.exit_code == 0, r.output
    assert "no-likes-for-companies-or-parties (deny, must · “Gilla andra”)" in r.output
    assert r.output.count("not regulated") == 3        # all but Tyresö and Töreboda
    r = run("--topic", "allowed_likes", "--at", "2025-01-01", "--packs", five)
    assert r.output.splitlines()[0] == "Vilka sidor kommunen får gilla [allowed_likes]"
    assert "no-likes-for-companies-or-parties (inte tillåtet, ska · ”Gilla andra”)" in r.output
    assert r.output.count("inte reglerat") == 3
    assert "Tyresö kommun: Riktlinjer för sociala medier (utdrag), odaterad; version" in r.output


def test_packs_limits_and_orders_the_columns():
    r = run("--packs", "vara,tyreso", "--format", "markdown", "--at", "2025-01-01")
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0] == "| ämne | Vara kommun | Tyresö kommun |"


def test_diff_shows_only_differing_topics():
    r = run("--diff", "tyreso", "toreboda", "--format", "json", "--at", "2025-01-01")
    ids = [t["id"] for t in json.loads(r.output)["topics"]]
    assert "allowed_likes" in ids and "snapshot_interval" not in ids
    r = run("--diff", "vara", "vara")
    assert r.output == "Vara kommun och Vara kommun är överens i alla ämnen.\n"
    r = run("--diff", "vara", "vara", "--lang", "en")
    assert r.output == "Vara kommun and Vara kommun agree on every topic.\n"


def test_html_format():
    r = run("--format", "html", "--packs", "tyreso")
    assert r.exit_code == 0
    assert r.output.startswith("<!DOCTYPE html>") and "</html>" in r.output


def test_trace_for_officials_in_swedish_and_english():
    r = run("tyreso", "create_channel", "--facts", '{"account_type": "organisation"}',
            "--for", "official", "--at", "2025-01-01")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[:3] == ["Tyresö kommun: Starta en ny kanal",          # the glossary's label
                         "Ja, när följande är gjort:",
                         "1. Få kanalen godkänd av chef. (ska; görs av chef)"]
    assert lines[-1].startswith("Stöd: Tyresö kommun, Riktlinjer för sociala medier (utdrag), "
                                "odaterad, avsnitten ”Uppstart av ny kanal”")
    r = run("vara", "use_private_account", "--facts", '{"purpose": "answer_work_question"}',
            "--for", "official", "--lang", "en")
    assert r.output.splitlines()[1] == "No."      # a ban (must), the advice beside it
    assert "“Använda sociala medier i tjänsten”" in r.output and "“Privatperson”" in r.output


def test_all_packs_side_by_side():
    r = run("publish_post", "--all-packs", "--facts", '{"image_source": "creator_consent"}',
            "--at", "2025-01-01", columns=100)
    assert r.exit_code == 0, r.output
    names = ("Perstorp", "Tyresö", "Vara")            # short names: a narrow column
    rows = {line.split()[0]: line for line in r.output.splitlines()
            if line.split() and line.split()[0] in names}
    assert "deny" in rows["Perstorp"] and "no-images-from-other-sources" in rows["Perstorp"]
    assert "allow" in rows["Tyresö"] and "images-only-with-rights" in rows["Tyresö"]
    assert "(by default)" in rows["Vara"]
    r = run("publish_post", "--all-packs", "--packs", "perstorp,tyreso", "--format", "json",
            "--facts", '{"image_source": "creator_consent"}')
    assert [e["decision"]["outcome"] for e in json.loads(r.output)] == ["deny", "allow"]


def test_trace_json():
    r = run("tyreso", "like_page", "--facts", '{"page_category": "own"}', "--format", "json",
            "--at", "2025-01-01")
    data = json.loads(r.output)
    assert data["decision"]["outcome"] == "allow"
    assert data["combining"]["step"] == 3 and data["combining"]["outcome"] == "allow"
    assert data["facts"] == {"page_category": "own"}
    first = data["trace"]["rules"][0]
    assert first["rule"] == "likes-only-listed-pages" and first["when"]["held"] is True
    assert first["when"]["seen"][0] == {"name": "page_category", "value": "own"}
    assert first["finding"]["kind"] == "allow"
    assert data["other_evaluators"] is False


@pytest.mark.parametrize("args, message", [
    (["--topic", "likes"], "error: unknown topic 'likes'"),
    (["--packs", "tyreso,varra"], "error: unknown pack 'varra' (did you mean 'vara'?)"),
    (["--diff", "tyreso", "toreb"], "error: unknown pack 'toreb' (did you mean 'toreboda'?)"),
    (["--diff", "tyreso", "vara", "--packs", "vara"], "error: give either --diff A B or --packs"),
    (["--at", "2025-13-01"], "error: --at must be a date as YYYY-MM-DD"),
    (["--facts", "{}"], "error: --facts belongs to a decision trace"),
    (["tyreso"], "error: name an ACTION after the pack"),
    (["tyreso", "like"], "error: unknown action 'like' (did you mean 'like_page'?)"),
    (["tyresoo", "like_page"], "error: unknown pack 'tyresoo' (did you mean 'tyreso'?)"),
    (["tyreso", "like_page", "--facts", '{"page_category": "own"'], "error: --facts is not valid JSON"),
    (["tyreso", "like_page", "--facts", '{"page_categry": "own"}'],
     "error: unknown fact \"page_categry\" for action 'like_page' (did you mean 'page_category'?)"),
    (["tyreso", "like_page", "--facts", "[]"], "error: --facts must be a JSON object"),
    (["tyreso", "like_page", "--format", "html"], "error: --format html is for the comparison"),
    (["tyreso", "like_page", "--topic", "allowed_likes"], "error: --topic belongs to the comparison"),
    (["--all-packs"], "error: --all-packs needs an ACTION"),
    (["tyreso", "like_page", "--all-packs"], "error: --all-packs runs the request through every pack"),
    (["like_page", "--all-packs", "--packs", "nope"], "error: unknown pack 'nope'"),
    (["tyreso", "like_page", "--packs", "vara"], "error: --packs goes with --all-packs"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    r = CliRunner().invoke(main, ["explain", *args])
    assert r.exit_code == 2, r.output
    assert r.output.startswith(message), r.output
    assert len(r.output.splitlines()) == 1
    assert isinstance(r.exception, SystemExit)


@pytest.mark.parametrize("given, meant", [
    ("gilla", "allowed_likes"), ("Vilka sidor kommunen får gilla", "allowed_likes"),
    ("which pages the municipality may like", "allowed_likes"), ("bilder", "image_rights"),
    ("ögonblicksbild", "snapshot_interval"),   # a word of its title, not "bild" of another
])
def test_a_topic_named_by_its_title_or_a_word_of_it_is_suggested(given, meant):
    r = run("--topic", given)
    assert r.exit_code == 2
    assert f"unknown topic '{given}' (did you mean '{meant}'?)" in r.output


def test_all_packs_leaves_out_a_pack_not_in_force_as_the_comparison_does():
    r = policy("explain", "like_page", "--all-packs", "--facts",
               '{"page_category": "commercial"}', "--at", "2023-01-01")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "like a page (like_page) in 4 municipalities (2023-01-01)"
    assert r.stderr.startswith("note: pack 'vara' is not in force on 2023-01-01")
    assert r.stderr.rstrip().endswith("; left out")
    named = policy("explain", "like_page", "--all-packs", "--packs", "vara,tyreso",
                   "--facts", '{"page_category": "own"}', "--at", "2023-01-01")
    assert named.returncode == 2 and "pack 'vara' is not in force" in named.stderr
