"""policy check's analysis: every problem at once, sorted, with stable codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsl.recovery import parse_pack_recovering
from engine.authoring.analysis import check_source
from tests.conftest import PROJECT_PACKS
from tests.test_cli import policy

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "tests/fixtures/broken"


def check_fixture(name: str):
    path = BROKEN / f"{name}.policy"
    tests = path.with_suffix(".tests")
    return check_source(path.read_text(encoding="utf-8"), str(path),
                        tests.read_text(encoding="utf-8"), str(tests))


def test_every_finding_of_the_lint_fixture_in_position_order():
    report = check_fixture("lint")
    found = [(d.span.file.rsplit("/", 1)[-1], d.span.line, d.severity, d.code)
             for d in report.diagnostics]
    assert found == [
        ("lint.policy", 11, "warning", "unused-topic"),
        ("lint.policy", 17, "warning", "unused-topic"),
        ("lint.policy", 20, "warning", "unused-topic"),
        ("lint.policy", 23, "warning", "falls-to-default"),
        ("lint.policy", 32, "warning", "hard-coded-topic"),
        ("lint.policy", 39, "warning", "never-applies"),
        ("lint.policy", 44, "warning", "shadowed-rule"),
        ("lint.policy", 51, "warning", "duplicate-rule"),
        ("lint.policy", 53, "warning", "hard-coded-topic"),
        ("lint.policy", 58, "warning", "falls-to-default"),
        ("lint.policy", 65, "warning", "shadowed-rule"),
        ("lint.policy", 72, "warning", "allow-deny-conflict"),
        ("lint.policy", 79, "warning", "missing-level"),
        ("lint.policy", 85, "warning", "missing-source"),
        ("lint.policy", 85, "warning", "duplicate-rule"),
        ("lint.policy", 87, "error", "step-text-conflict"),
        ("lint.policy", 88, "warning", "hard-coded-topic"),
        ("lint.policy", 94, "warning", "hard-coded-topic"),
        ("lint.policy", 101, "warning", "never-done"),
        ("lint.policy", 109, "warning", "always-done"),
        ("lint.tests", 1, "error", "unknown-rule"),
    ]
    assert (report.errors, report.warnings) == (2, 19)
    messages = {(d.span.line, d.code): d.message for d in report.diagnostics}
    assert messages[(39, "never-applies")].startswith(
        "rule 'never' can never apply to 'like_page': its condition is false for every "
        "request (9 checked)")
    assert messages[(44, "shadowed-rule")] == (
        "rule 'like-companies-too' never decides 'like_page': every request it applies to is "
        "denied by 'no-companies', and a deny wins")
    assert "e.g. delete_comment {content_category: criticism}: the deny wins" in messages[
        (72, "allow-deny-conflict")]
    assert "with a different text and role" in messages[(87, "step-text-conflict")]
    assert "writes out 6 months, which is what topic setting snapshot_interval holds" in (
        messages[(94, "hard-coded-topic")])
    conflict = next(d for d in report.diagnostics if d.code == "allow-deny-conflict")
    assert conflict.example == {"action": "delete_comment",
                                "facts": {"content_category": "criticism"}}


def test_a_list_whose_other_values_fall_to_the_default_is_flagged():
    report = check_fixture("lint")
    [likes] = [d for d in report.diagnostics if d.code == "falls-to-default" and d.span.line == 23]
    assert likes.message.startswith("'like_page' requests with page_category authority, ")
    assert "fall to the pack default (allow)" in likes.message
    assert "write it as one rule 'only when page_category in [...]'" in likes.message
    assert likes.example == {"action": "like_page", "facts": {"page_category": "authority"}}


def test_an_only_rule_leaves_nothing_to_the_default():
    from tests.conftest import HEADER
    body = """
rule grounds
  on delete_comment
  only when content_category in [defamation, hate_speech]
  level must
  because "Only unlawful comments are removed."
  source "S"
"""
    report = check_source(HEADER.strip() + "\n" + body, "demo.policy")
    assert [d.code for d in report.diagnostics] == []


def test_syntax_and_compile_errors_of_every_item_come_together():
    report = check_fixture("syntax")
    assert [(d.span.line, d.code) for d in report.diagnostics] == [
        (5, "bad-date"), (11, "unknown-value"), (16, "syntax"), (20, "type"), (26, "syntax"),
        (2, "unknown-value")]      # the last one is in syntax.tests
    assert report.diagnostics[-1].span.file.endswith("syntax.tests")
    assert all(d.severity == "error" for d in report.diagnostics)


def test_without_checks_only_the_errors_are_reported():
    path = BROKEN / "lint.policy"
    tests = path.with_suffix(".tests")
    full = check_fixture("lint")
    errors = check_source(path.read_text(encoding="utf-8"), str(path),
                          tests.read_text(encoding="utf-8"), str(tests), checks=False)
    assert full.warnings and not errors.warnings and not errors.enumerated
    # the test file's error, not the checks' step-text-conflict
    assert [d.code for d in errors.diagnostics] == ["unknown-rule"]
    assert errors.diagnostics[0] in full.diagnostics
    syntax = check_fixture("syntax")
    assert check_source(*_sources("syntax"), checks=False).diagnostics == syntax.diagnostics


def _sources(name: str) -> tuple[str, str, str, str]:
    path = BROKEN / f"{name}.policy"
    tests = path.with_suffix(".tests")
    return (path.read_text(encoding="utf-8"), str(path), tests.read_text(encoding="utf-8"),
            str(tests))


def test_recovery_leaves_out_only_the_broken_items():
    recovered = parse_pack_recovering(
        'pack p\n  name "P"\n'
        'topic snapshot_interval = \n'
        'rule a on like_page deny when page_category == because "x"\n'
        'rule b on like_page allow because "y"\n'
        'rule c on like_page allow when ( because "z"\n', "p.policy")
    # the topic's missing value swallows the next 'rule' keyword: the error shows there
    assert [(e.span.line, e.span.column) for e in recovered.errors] == [(4, 6), (4, 56), (6, 42)]
    assert [r.id for r in recovered.pack.rules] == ["b"]
    assert recovered.broken_rules == {"a", "c"}
    assert recovered.broken_topics == {"snapshot_interval"}


def test_a_broken_header_still_reports_the_items_errors():
    recovered = parse_pack_recovering('pack p name\nrule a on x deny when ( because "x"\n')
    assert recovered.pack is None
    assert [(e.span.line, e.span.column) for e in recovered.errors] == [(2, 1), (2, 33)]
    assert recovered.errors[0].message.startswith("unexpected 'rule'; expected a string")


@pytest.mark.parametrize("pack_id", PROJECT_PACKS)
def test_builtin_packs_have_no_errors(pack_id):
    path = ROOT / "packs" / pack_id / f"{pack_id}.policy"
    tests = path.with_suffix(".tests")
    report = check_source(path.read_text(encoding="utf-8"), str(path),
                          tests.read_text(encoding="utf-8"), str(tests))
    assert report.errors == 0, [d.render() for d in report.diagnostics]
    # every warning is either fixed or judged and acknowledged in the pack, with a reason
    assert report.warnings == 0, [d.render() for d in report.diagnostics if not d.acknowledged]
    assert all(d.acknowledged for d in report.diagnostics)
    assert report.enumerated and not any(e.capped for e in report.enumerated)


def test_check_command_exit_status_and_text():
    r = policy("check", *PROJECT_PACKS)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "5 packs checked: 0 errors, 0 warnings"
    r = policy("check")                      # every installed pack: these five among them
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert all(any(line.startswith(f"{p}: 0 errors, 0 warnings") for line in lines)
               for p in PROJECT_PACKS), r.stdout
    r = policy("check", str(BROKEN / "lint.policy"))
    assert r.returncode == 1
    assert f"{BROKEN / 'lint.policy'}:39:13: warning[never-applies]: rule 'never'" in r.stdout
    assert r.stdout.splitlines()[-1] == "1 pack checked: 2 errors, 19 warnings"


def test_check_command_json():
    r = policy("check", str(BROKEN), "--format", "json")
    assert r.returncode == 1
    data = json.loads(r.stdout)
    assert [p["pack"] for p in data["packs"]] == ["lint", "syntax"]
    assert data["errors"] == 8 and data["warnings"] == 19
    first = data["diagnostics"][0]
    assert {k: first[k] for k in ("severity", "code", "line", "column")} == {
        "severity": "warning", "code": "unused-topic", "line": 11, "column": 1}
    assert data["packs"][0]["enumerated"]["like_page"] == {"requests": 9, "space": 9,
                                                           "capped": False}


def test_check_command_bad_usage_is_exit_2(tmp_path):
    r = policy("check", str(tmp_path / "missing.policy"))
    assert r.returncode == 2 and "no such file or folder" in r.stderr
    (tmp_path / "lone.tests").write_text("")
    r = policy("check", str(tmp_path / "lone.tests"))
    assert r.returncode == 2
    assert "there is no pack file lone.policy beside this test file" in r.stderr


ACK_BODY = """
# check: ignore falls-to-default: the guideline names only the pages that may not be liked
rule no-companies
  on like_page
  deny when page_category == commercial
  level must
  because "No companies."
  source "S"

rule no-parties  # check: ignore falls-to-default
  on like_page
  deny when page_category == political_party
  level must
  because "No parties."
  source "S"

# check: ignore never-applies, falls-to-defualt: stale
rule close
  on close_channel
  require farewell "Publish a farewell post."
  done when farewell_post_published
  level should
  source "S"
"""


def test_a_pack_acknowledges_a_warning_with_its_reason():
    from tests.conftest import HEADER
    report = check_source(HEADER.strip() + "\n" + ACK_BODY, "demo.policy")
    found = [(d.span.line, d.code, d.acknowledged) for d in report.diagnostics]
    assert found == [
        (8, "unset-topic", None),        # the demo pack has no topic allowed_likes
        (8, "falls-to-default",
         "the guideline names only the pages that may not be liked"),
        (15, "bad-ignore", None),
        (22, "unused-ignore", None),
        (22, "bad-ignore", None),
    ]
    messages = {d.code: d.message for d in report.diagnostics if d.span.line in (15, 22)}
    assert "a reason is required" in [d.message for d in report.diagnostics
                                      if d.span.line == 15][0]
    assert messages["unused-ignore"] == ("nothing here raises 'never-applies' any more; "
                                         "remove it from the directive")
    assert "'falls-to-defualt' is not a warning code (did you mean 'falls-to-default'?)" in \
        [d.message for d in report.diagnostics if d.code == "bad-ignore" and d.span.line == 22][0]
    assert (report.warnings, report.acknowledged) == (4, 1)
    [acked] = [d for d in report.diagnostics if d.acknowledged]
    assert acked.to_json()["acknowledged"].startswith("the guideline names only")


def test_a_directive_away_from_an_item_is_reported():
    from tests.conftest import HEADER
    source = HEADER.strip() + "\n# check: ignore falls-to-default: why\n"
    report = check_source(source, "demo.policy")
    assert [(d.code, d.message[:40]) for d in report.diagnostics] == [
        ("bad-ignore", "a '# check: ignore' directive belongs di")]


def test_check_command_counts_acknowledged_warnings_apart(tmp_path):
    from tests.conftest import HEADER
    path = tmp_path / "demo.policy"
    path.write_text(HEADER.strip() + "\n" + ACK_BODY.split("# check: ignore never-applies")[0],
                    encoding="utf-8")
    r = policy("check", str(path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "(acknowledged:" not in r.stdout
    # no-parties' falls-to-default and the pack's unset-topic count; no-companies' does not
    assert "demo: 0 errors, 2 warnings (and 1 acknowledged)" in r.stdout
    r = policy("check", str(path), "--acknowledged")
    assert ("warning[falls-to-default] (acknowledged: the guideline names only the pages that "
            "may not be liked)") in r.stdout
    data = json.loads(policy("check", str(path), "--format", "json").stdout)
    assert (data["packs"][0]["warnings"], data["packs"][0]["acknowledged"]) == (2, 1)
    assert [d["acknowledged"] for d in data["diagnostics"] if "acknowledged" in d] == [
        "the guideline names only the pages that may not be liked"]


def test_an_only_rule_on_an_optional_fact_warns_that_it_denies_requests_without_it():
    from tests.conftest import HEADER
    body = """
rule images
  on publish_post
  only when image_source in [own_archive, licensed_agency]
  level must
  because "Only images with rights."
  source "S"
"""
    report = check_source(HEADER.strip() + "\n" + body, "demo.policy")
    assert [(d.code, d.span.line) for d in report.diagnostics] == [("only-denies-missing", 7)]
    assert "write 'only when image_source is missing or image_source in [...]'" in \
        report.diagnostics[0].message
    guarded = body.replace("only when image_source in", "only when image_source is missing or "
                                                        "image_source in")
    assert check_source(HEADER.strip() + "\n" + guarded, "demo.policy").diagnostics == ()


UNSET_LIKES = """
topic allowed_likes = not regulated

rule no-likes-for-companies
  on like_page
  deny when page_category in [commercial, political_party]
  level must
  because "No companies or parties."
  source "S"

rule no-likes-for-other-pages
  on like_page
  deny when page_category == other
  level must
  because "No other pages."
  source "S"
"""


def test_rules_deciding_what_a_topic_sums_up_while_it_is_not_regulated_are_flagged():
    """The README's first draft: the list written into a rule, allowed_likes left not
    regulated, so policy explain would say 'not regulated' for likes the pack denies."""
    from tests.conftest import HEADER
    source = HEADER.strip() + "\n" + UNSET_LIKES
    report = check_source(source, "demo.policy")
    unset = [d for d in report.diagnostics if d.code == "unset-topic"]
    assert [(d.span.line, d.severity) for d in unset] == [(7, "warning")]   # the topic's line
    assert unset[0].source_line == "topic allowed_likes = not regulated"
    assert unset[0].message.startswith(
        "rule 'no-likes-for-companies' (and 1 more rule) decides 'like_page' by page_category, "
        "which topic 'allowed_likes' sums up, but the pack leaves the topic not regulated")
    assert "refer to it in the rule ('page_category in allowed_likes.deny')" in unset[0].message
    # acknowledged above the topic, with a reason, it no longer counts
    judged = source.replace("topic allowed_likes = not regulated",
                            "# check: ignore unset-topic: the list is the rules' alone\n"
                            "topic allowed_likes = not regulated")
    [acked] = [d for d in check_source(judged, "demo.policy").diagnostics
               if d.code == "unset-topic"]
    assert acked.acknowledged == "the list is the rules' alone"
    # set, and referred to by the rule, there is nothing to say about the topic
    fixed = (HEADER.strip() + "\n" + UNSET_LIKES.split("rule no-likes-for-other")[0]).replace(
        "topic allowed_likes = not regulated",
        "topic allowed_likes = {allow: [], deny: [commercial, political_party]}").replace(
        "[commercial, political_party]\n  level", "allowed_likes.deny\n  level")
    codes = [d.code for d in check_source(fixed, "demo.policy").diagnostics]
    assert "unset-topic" not in codes and "unused-topic" not in codes, codes


@pytest.mark.parametrize("topic, body", [
    ("channel_approver", "on create_channel\n  require ok \"Approved.\"\n"
                         "  done when approved_by contains manager"),
    ("credential_custody", "on create_channel\n  require held \"Held.\"\n"
                           "  done when credentials_in_central_storage"),
    ("snapshot_interval", "on audit_channel\n  require snap \"Snapshot.\"\n"
                          "  done when months_since(last_snapshot_on) < 6"),
    ("allowed_likes", "on like_page\n  deny when page_category == commercial"),
    ("break_time_use", "on private_use_at_work\n  deny when not during_break"),
    ("response_time", "on answer_question\n  require answer \"Answer.\"\n"
                      "  done when office_hours_to_answer <= 8"),
])
def test_each_topic_is_flagged_when_rules_decide_what_it_sums_up(topic, body):
    from tests.conftest import HEADER
    source = HEADER.strip() + f"\n\nrule r\n  {body}\n  level must\n  because \"x\"\n  source \"S\"\n"
    report = check_source(source, "demo.policy")
    assert [d.message.split("which topic ")[1].split(" ")[0] for d in report.diagnostics
            if d.code == "unset-topic"] == [f"'{topic}'"], [d.render() for d in report.diagnostics]


def test_every_topic_that_rules_can_decide_says_what_it_sums_up():
    from engine.authoring.topic_checks import SUMMARISES
    from engine.contract import contract_vocabulary
    assert set(SUMMARISES) == {t.id for t in contract_vocabulary().topics.values()
                               if not t.informational}
    for summary in SUMMARISES.values():
        action = contract_vocabulary().actions[summary.action]
        assert all(action.fact(f) is not None for f in summary.facts), summary
