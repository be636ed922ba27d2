"""The compiler: checks against the vocabulary, collected and positioned errors."""

from __future__ import annotations

import pytest

from engine.errors import PackErrors
from tests.conftest import compile_source


def errors_of(body: str, header: str | None = None) -> list[str]:
    with pytest.raises(PackErrors) as info:
        compile_source(body, header) if header is not None else compile_source(body)
    return [f"{e.span.line}:{e.span.column}: {e.message}" if e.span else e.message
            for e in info.value.errors]


def test_a_valid_pack_compiles_with_its_topics_and_rules():
    pack = compile_source('''
        topic channel_approver = [manager, communications_unit]
        topic snapshot_interval = yearly
        rule approve
          on create_channel
          for each approver in channel_approver
          require approve-channel by approver "Approval from the {approver}."
          done when approver in approved_by
          source "S"
        ''')
    assert pack.topics["channel_approver"].value == ["manager", "communications_unit"]
    assert pack.topics["snapshot_interval"].value == "yearly"
    assert pack.topics["allowed_likes"].value is None
    assert pack.topics["allowed_likes"].declared is False
    steps = [(r.step.id, r.step.by, r.step.text) for r in pack.rules]
    assert steps == [("approve-channel-manager", "manager", "Approval from the manager."),
                     ("approve-channel-communications_unit", "communications_unit",
                      "Approval from the communications unit.")]


def test_unknown_fact_has_did_you_mean():
    [message] = errors_of('rule r on like_page deny when page_categry == own because "x"\n')
    assert message.startswith("7:31: unknown name 'page_categry': not a fact of action "
                              "'like_page' nor a topic (did you mean 'page_category'?)")


def test_unknown_enum_value_has_did_you_mean():
    [message] = errors_of('rule r on like_page deny when page_category == comercial because "x"\n')
    assert "'comercial' is not a page_category value (did you mean 'commercial'?)" in message


def test_bool_compared_with_string_is_a_type_error():
    [message] = errors_of('rule r on publish_post deny when contains_confidential == "yes" '
                          'because "x"\n')
    assert message.endswith("cannot compare a bool with a string; a true/false value is a "
                            "condition by itself: write 'contains_confidential' or "
                            "'not contains_confidential'")


def test_order_comparison_needs_numbers_or_dates():
    [message] = errors_of('rule r on like_page deny when page_category < own because "x"\n')
    assert "'<' compares numbers or dates" in message


def test_condition_must_be_boolean():
    [message] = errors_of('rule r on create_channel deny when admin_count because "x"\n')
    assert message.endswith("a condition must be true or false, but this is an int; compare it "
                            "with a number, e.g. 'admin_count >= 2'")


def test_unknown_action_role_and_topic():
    messages = errors_of('''
        topic snapshot_intervall = yearly
        rule r on like_pages deny when true because "x"
        rule s on close_channel require consult by manger "T" done when manager_consulted
        ''')
    assert messages[0].startswith("8:1: unknown topic 'snapshot_intervall' (did you mean "
                                  "'snapshot_interval'?)")
    assert "unknown action 'like_pages' (did you mean 'like_page'?)" in messages[1]
    assert "unknown role 'manger' (did you mean 'manager'?)" in messages[2]


def test_errors_are_all_reported_in_position_order():
    messages = errors_of('''
        rule b on like_page deny when page_category == x because "x"
        rule a on like_page deny when nope because "x"
        rule b on like_page allow because "dup"
        ''')
    lines = [int(m.split(":")[0]) for m in messages]
    assert lines == sorted(lines) and len(messages) == 3
    assert "rule id 'b' is used twice" in messages[2]


def test_rule_needs_action_effect_and_because():
    messages = errors_of('''
        rule a deny when true because "x"
        rule b on like_page
        rule c on like_page deny when true
        rule d on like_page allow done when true because "x"
        ''')
    assert "does not say which action" in messages[0]
    assert "has no effect" in messages[1]
    assert "needs a 'because" in messages[2]
    assert "'done when' belongs to a require rule" in messages[3]


def test_unregulated_topic_cannot_be_used():
    [message] = errors_of('''
        topic allowed_likes = not regulated
        rule r on like_page deny when page_category in allowed_likes.deny because "x"
        ''')
    assert "topic 'allowed_likes' is not regulated in this pack" in message


def test_topic_values_are_checked():
    messages = errors_of('''
        topic channel_approver = [manager, boss]
        topic snapshot_interval = monthly
        topic allowed_likes = {allow: [own, commercial], deny: [commercial]}
        topic break_time_use = {allow: []}
        ''')
    assert "'boss' is not a role value" in messages[0]
    assert "'monthly' is not an interval value" in messages[1]
    assert "both allows and denies 'commercial'" in messages[2]
    assert "expected a break_use value" in messages[3] or "break_use" in messages[3]


def test_response_time_is_a_number_of_hours():
    pack = compile_source("topic response_time = 24\n")
    assert pack.topics["response_time"].value == 24
    assert compile_source("topic response_time = not regulated\n").topics["response_time"].value is None
    for wrong in ("quickly", "true", '"24"', "[24]"):
        [message] = errors_of(f"topic response_time = {wrong}\n")
        assert "expected a whole number of hours, e.g. 24" in message, wrong


def test_is_set_only_for_optional_facts():
    [message] = errors_of('rule r on audit_channel deny when monitored_daily is set because "x"\n')
    assert "'is set' / 'is missing' apply to optional" in message


def test_months_since_needs_a_date():
    [message] = errors_of('rule r on audit_channel deny when months_since(monitored_daily) > 1 '
                          'because "x"\n')
    assert "months_since() takes a date, not a bool" in message


def test_sections_listed_in_header_are_enforced():
    header = 'pack demo\n name "D"\n dated undated\n version "1"\n default allow\n sections "Gilla andra"\n'
    [message] = errors_of('rule r on like_page deny when true because "x" source "Gila andra"\n',
                          header)
    assert "section \"Gila andra\" is not among the document's sections" in message
    assert "(did you mean 'Gilla andra'?)" in message


def test_header_needs_name_version_default_and_date():
    messages = errors_of("", header="pack Demo\n")
    assert any("pack id 'Demo' must be lower-case" in m for m in messages)
    for word in ("name", "version", "default"):
        assert any(f"the pack header has no '{word}'" in m for m in messages)
    assert any("does not say when its document is dated" in m for m in messages)


def test_for_each_needs_a_regulated_list_topic():
    messages = errors_of('''
        topic snapshot_interval = yearly
        rule r on create_channel for each x in snapshot_interval require s "t"
        rule q on create_channel for each x in channel_approver require s "t"
        ''')
    assert "'for each' needs a topic holding a list" in messages[0]
    assert "topic 'channel_approver' is not regulated" in messages[1]


def test_missing_values_make_comparisons_false_in_generated_code():
    pack = compile_source('''
        rule r on publish_post deny when image_source != unlicensed because "x"
        ''')
    plan = pack.plans["publish_post"]
    assert plan({"image_source": None}, None) == []
    assert len(plan({"image_source": "own_archive"}, None)) == 1


def test_interval_topic_compares_as_months_on_either_side():
    for condition in ("months_since(last_snapshot_on) < snapshot_interval",
                      "snapshot_interval > months_since(last_snapshot_on)"):
        pack = compile_source(f"""
            topic snapshot_interval = yearly
            rule r on audit_channel require s "S" done when {condition}
            """)
        plan = pack.plans["audit_channel"]
        import datetime as dt
        at = dt.date(2025, 6, 1)
        assert plan({"last_snapshot_on": dt.date(2024, 6, 2)}, at)[0].kind == "met"
        assert plan({"last_snapshot_on": dt.date(2024, 6, 1)}, at)[0].kind == "unmet"


def test_only_needs_a_condition_and_a_because():
    assert errors_of('rule r on delete_comment only source "S"\n') == [
        "7:1: rule 'r' needs a 'because \"…\"' text saying why it permits only this",
        "7:26: rule 'r' says 'only' but not what is permitted; write 'only when CONDITION' "
        "(e.g. 'only when content_category in [defamation, hate_speech]'): what the condition "
        "does not cover is denied"]


def test_source_names_sentences_of_its_section():
    pack = compile_source('rule r on like_page deny when page_category == commercial '
                          'because "No." source "S" sentence 2, 5\n')
    assert [(r.source, r.sentences) for r in pack.rules] == [("S", (2, 5))]
