"""Every error a pack author can meet, one case each, with its message pinned.

Each message says what is wrong, where (file, line and column), and what would be right,
with a "did you mean" for a near miss. The code beside each is the stable
``PolicyError.code`` that tools and ``policy check --format json`` report.
"""

from __future__ import annotations

import pytest

from dsl.parser import parse_pack, parse_tests
from engine.compiler import compile_pack
from engine.errors import PackErrors, PolicyError
from engine.authoring.testing import check_cases

HEADER = 'pack demo\n  name "Demo"\n  dated undated\n  version "1"\n  default allow\n'
PACK = compile_pack(parse_pack(
    HEADER + 'rule likes on like_page require look "Look." done when page_category == own\n',
    "demo.policy"))


def first_error(kind: str, source: str) -> PolicyError:
    """The one error of ``source`` read as a pack, a test file, a pack to compile, or
    test cases to check against :data:`PACK`."""
    with pytest.raises(PolicyError) as info:
        if kind == "pack":
            parse_pack(source, "demo.policy")
        elif kind == "tests":
            parse_tests(source, "demo.tests")
        elif kind == "compile":
            compile_pack(parse_pack(source, "demo.policy"))
        else:
            check_cases(PACK, parse_tests(source, "demo.tests"))
    error = info.value
    errors = error.errors if isinstance(error, PackErrors) else (error,)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


CASES = [
    pytest.param(
        "pack", "syntax",
        HEADER + "rule r\n  on like_page\n  allow when page_category == own\n  levle must\n",
        ("demo.policy:9:3: unexpected 'levle' (did you mean 'level'?); expected '(', '.', "
         "'allow', 'and', 'because', 'deny', 'done', 'for' or …"),
        id="syntax-keyword-typo"),
    pytest.param(
        "pack", "syntax",
        HEADER + 'rule r\n  on like_page\n  deny when page_category ==\n  because "x"\n',
        ('demo.policy:9:11: unexpected string "x"; expected \'(\', \'.\', \'allow\', '
         "'and', 'because', 'deny', 'done', 'for' or …; 'because' before it was read as a "
         "value, not as a keyword, so something is missing before 'because'"),
        id="syntax-keyword-read-as-value"),
    pytest.param(
        "pack", "syntax",
        HEADER + 'rule r on like_page deny when page_category = own because "x"\n',
        ("demo.policy:6:45: unexpected '=' (did you mean '=='?); expected a comparison "
         "(==, !=, <, <=, >, >=), '(', '.', 'allow', 'and', 'because', 'contains', 'deny' "
         "or …"),
        id="syntax-single-equals"),
    pytest.param(
        "pack", "syntax",
        "pack demo\n  name 'Demo'\n",
        ('demo.policy:2:8: unexpected character "\'": strings are written in double '
         'quotes, "like this"'),
        id="syntax-single-quotes"),
    pytest.param(
        "pack", "syntax",
        HEADER + ("rule r on publish_post deny when contains_confidential && "
                  "political_content\n"),
        "demo.policy:6:56: unexpected character '&': combine conditions with 'and'",
        id="syntax-ampersands"),
    pytest.param(
        "pack", "syntax",
        'pack demo\n  name "Demo\n',
        'demo.policy:2:8: unterminated string: a string must close with \'"\' on the same line',
        id="syntax-unterminated-string"),
    pytest.param(
        "pack", "syntax",
        "rule r on like_page allow\n",
        "demo.policy:1:1: a pack file must start with 'pack ID'",
        id="syntax-no-pack-header"),
    pytest.param(
        "pack", "syntax",
        HEADER + "rule r on like_page deny when (page_category == own\n",
        "demo.policy:6:52: unexpected end of file; expected ')'",
        id="syntax-end-of-file"),
    pytest.param(
        "pack", "syntax",
        'pack demo\n  name "a\\qb"\n',
        ('demo.policy:2:8: unknown escape \'\\q\' in string; valid escapes are \\" \\\\ '
         "\\n \\t and \\u{hex}"),
        id="syntax-unknown-escape"),
    pytest.param(
        "pack", "syntax",
        HEADER + "rule r\n  on like_page\n  level must\n  level should\n",
        ("demo.policy:9:3: rule 'r' gives 'level' twice (first at line 8); a rule has one "
         "of each clause"),
        id="syntax-rule-clause-twice"),
    pytest.param(
        "pack", "syntax",
        'pack demo\n  name "A"\n  name "B"\n',
        "demo.policy:3:3: the header gives 'name' twice (first at line 2); keep one",
        id="syntax-header-field-twice"),
    pytest.param(
        "pack", "syntax",
        'pack demo\ntopic snapshot_interval = yearly\n  source "A"\n  source "B"\n',
        ("demo.policy:4:3: topic 'snapshot_interval' gives 'source' twice (first at line "
         "3); keep one"),
        id="syntax-topic-clause-twice"),
    pytest.param(
        "tests", "syntax",
        'test "t"\n  expect allow\n  expect deny\n',
        'demo.tests:3:3: test "t" gives \'expect\' twice (first at line 2); keep one',
        id="syntax-test-clause-twice"),
    pytest.param(
        "pack", "syntax",
        "pack demo\ntopic allowed_likes = {allow: [own], allow: []}\n",
        "demo.policy:2:38: field 'allow' is given twice; give each field once",
        id="syntax-record-field-twice"),
    pytest.param(
        "pack", "bad-date",
        "pack demo\n  dated 2023-02-29\n",
        ("demo.policy:2:9: '2023-02-29' is not a valid date: February 2023 has 28 days; "
         "write YYYY-MM-DD with a real day"),
        id="bad-date-day"),
    pytest.param(
        "pack", "bad-date",
        "pack demo\n  dated 2023-13-01\n",
        ("demo.policy:2:9: '2023-13-01' is not a valid date: there is no month 13; months "
         "run from 01 to 12"),
        id="bad-date-month"),
    pytest.param(
        "pack", "bad-default",
        "pack demo\n  default permit\n",
        "demo.policy:2:11: a pack's default outcome is 'allow' or 'deny', not 'permit'",
        id="bad-default"),
    pytest.param(
        "tests", "bad-expect",
        'test "t"\n  expect allowed\n',
        ("demo.tests:2:10: a test expects 'allow', 'deny' or 'required_steps', not "
         "'allowed' (did you mean 'allow'?)"),
        id="bad-expect"),
    pytest.param(
        "tests", "bad-expect",
        'test "t"\n  by_default yes\n',
        "demo.tests:2:3: 'by_default' takes true or false",
        id="bad-by-default"),
    pytest.param(
        "compile", "bad-pack-id",
        'pack Demo\n  name "Demo"\n  dated undated\n  version "1"\n  default allow\n',
        ("demo.policy:1:1: pack id 'Demo' must be lower-case ASCII letters, digits and "
         "'_', starting with a letter (e.g. 'tyreso')"),
        id="bad-pack-id"),
    pytest.param(
        "compile", "missing-header-field",
        'pack demo\n  name "Demo"\n  dated undated\n  default allow\n',
        ("demo.policy:1:1: the pack header has no 'version'; add a line such as version "
         '"1.0.0"'),
        id="missing-header-field"),
    pytest.param(
        "compile", "unknown-section",
        HEADER + ('  sections "Gilla andra"\nrule r on like_page deny when page_category '
                  '== commercial because "x" source "Gila andra"\n'),
        ('demo.policy:7:71: section "Gila andra" is not among the document\'s sections '
         "listed in the header (did you mean 'Gilla andra'?)"),
        id="unknown-section"),
    pytest.param(
        "compile", "unknown-topic",
        HEADER + "topic snapshot_intervall = yearly\n",
        ("demo.policy:6:1: unknown topic 'snapshot_intervall' (did you mean "
         "'snapshot_interval'?); topics are 'allowed_likes', 'break_time_use', "
         "'channel_approver', 'credential_custody', 'response_time' or 'snapshot_interval'"),
        id="unknown-topic"),
    pytest.param(
        "compile", "duplicate-topic",
        HEADER + "topic snapshot_interval = yearly\ntopic snapshot_interval = half_yearly\n",
        ("demo.policy:7:1: topic 'snapshot_interval' is set twice (first at line 6); set "
         "each topic once"),
        id="duplicate-topic"),
    pytest.param(
        "compile", "bad-topic-value",
        HEADER + "topic allowed_likes = {allow: [own]}\n",
        ("demo.policy:6:23: topic 'allowed_likes' needs its field 'deny' (write deny: [] "
         "for none)"),
        id="bad-topic-value"),
    pytest.param(
        "compile", "unknown-value",
        HEADER + "topic channel_approver = [manger]\n",
        ("demo.policy:6:27: 'manger' is not a role value (did you mean 'manager'?); valid "
         "values are 'communications_director', 'communications_unit', 'communicator', "
         "'department_head', 'information_officer', 'manager' or 'website_owner'"),
        id="unknown-value-topic"),
    pytest.param(
        "compile", "type",
        HEADER + "topic channel_approver = [manager, manager]\n",
        "demo.policy:6:26: the list names 'manager' twice; name each value once",
        id="list-value-twice"),
    pytest.param(
        "compile", "unknown-action",
        HEADER + 'rule r on like_pages deny when true because "x"\n',
        ("demo.policy:6:8: unknown action 'like_pages' (did you mean 'like_page'?); "
         "actions are 'answer_question', 'audit_channel', 'close_channel', 'create_channel', "
         "'delete_comment', 'like_page', 'private_use_at_work', 'publish_post' or "
         "'use_private_account'"),
        id="unknown-action"),
    pytest.param(
        "compile", "missing-action",
        HEADER + 'rule r deny when true because "x"\n',
        ("demo.policy:6:1: rule 'r' does not say which action it is about; add 'on ACTION' "
         "(one of 'answer_question', 'audit_channel', 'close_channel', 'create_channel', 'delete_comment', "
         "'like_page', 'private_use_at_work', 'publish_post' or 'use_private_account')"),
        id="missing-action"),
    pytest.param(
        "compile", "missing-effect",
        HEADER + "rule r on like_page when true\n",
        ("demo.policy:6:1: rule 'r' has no effect; add 'allow', 'deny' or 'require STEP-ID "
         'by ROLE "text"\''),
        id="missing-effect"),
    pytest.param(
        "compile", "misplaced-clause",
        HEADER + 'rule r on like_page allow done when true because "x"\n',
        ("demo.policy:6:37: 'done when' belongs to a require rule: it says when the step "
         "is done"),
        id="misplaced-clause"),
    pytest.param(
        "compile", "missing-because",
        HEADER + "rule r on like_page deny when page_category == commercial\n",
        'demo.policy:6:1: rule \'r\' needs a \'because "…"\' text saying why it denies',
        id="missing-because"),
    pytest.param(
        "compile", "unknown-role",
        HEADER + ('rule r on close_channel require consult by manger "Consult." done when '
                  "manager_consulted\n"),
        ("demo.policy:6:25: unknown role 'manger' (did you mean 'manager'?); roles are "
         "'communications_director', 'communications_unit', 'communicator', "
         "'department_head', 'information_officer', 'manager' or 'website_owner'"),
        id="unknown-role"),
    pytest.param(
        "compile", "unregulated-topic",
        HEADER + ("topic allowed_likes = not regulated\nrule r on like_page deny when "
                  'page_category in allowed_likes.deny because "x"\n'),
        ("demo.policy:7:48: topic 'allowed_likes' is not regulated in this pack, so a rule "
         "cannot depend on it; set it with 'topic allowed_likes = …'"),
        id="unregulated-topic"),
    pytest.param(
        "compile", "shadowed-fact",
        HEADER + ("topic channel_approver = [manager]\nrule r on create_channel for each "
                  'approved_by in channel_approver require s by approved_by "S." done when '
                  "true\n"),
        ("demo.policy:7:26: the loop name 'approved_by' hides the fact of the same name; "
         "choose another"),
        id="shadowed-fact"),
    pytest.param(
        "compile", "unknown-name",
        HEADER + 'rule r on like_page deny when page_categry == own because "x"\n',
        ("demo.policy:6:31: unknown name 'page_categry': not a fact of action 'like_page' "
         "nor a topic (did you mean 'page_category'?); facts of 'like_page' are "
         "'page_category'"),
        id="unknown-name"),
    pytest.param(
        "compile", "unknown-value",
        HEADER + 'rule r on like_page deny when page_category == comercial because "x"\n',
        ("demo.policy:6:48: 'comercial' is not a page_category value (did you mean "
         "'commercial'?); valid values are 'authority', 'commercial', "
         "'cultural_institution', 'local_association', 'local_project', 'municipality', "
         "'other', 'own' or 'political_party'"),
        id="unknown-value"),
    pytest.param(
        "compile", "type",
        HEADER + ('rule r on publish_post deny when contains_confidential == "yes" because '
                  '"x"\n'),
        ("demo.policy:6:34: cannot compare a bool with a string; a true/false value is a "
         "condition by itself: write 'contains_confidential' or 'not contains_confidential'"),
        id="type-compare"),
    pytest.param(
        "compile", "type",
        HEADER + 'rule r on like_page deny when page_category < own because "x"\n',
        ("demo.policy:6:31: '<' compares numbers or dates, not page_category values; use "
         "== or !="),
        id="type-order"),
    pytest.param(
        "compile", "type",
        HEADER + 'rule r on create_channel require s "S." done when admin_count\n',
        ("demo.policy:6:51: a condition must be true or false, but this is an int; compare "
         "it with a number, e.g. 'admin_count >= 2'"),
        id="type-condition"),
    pytest.param(
        "compile", "type",
        HEADER + 'rule r on audit_channel require s "S." done when monitored_daily is set\n',
        ("demo.policy:6:50: 'is set' / 'is missing' apply to optional date, text and "
         "choice facts; this always has a value (an absent bool, number or set means "
         "false, 0 or empty)"),
        id="type-is-set"),
    pytest.param(
        "compile", "type",
        HEADER + ('rule r on audit_channel require s "S." done when '
                  "months_since(monitored_daily) < 6\n"),
        "demo.policy:6:63: months_since() takes a date, not a bool",
        id="type-function-argument"),
    pytest.param(
        "compile", "unknown-function",
        HEADER + ('rule r on audit_channel require s "S." done when '
                  "month_since(last_snapshot_on) < 6\n"),
        ("demo.policy:6:50: unknown function 'month_since' (did you mean 'months_since'?); "
         "functions are 'days_since' or 'months_since'"),
        id="unknown-function"),
    pytest.param(
        "compile", "duplicate-rule",
        HEADER + ('rule r on like_page allow because "x"\nrule r on like_page deny because '
                  '"y"\n'),
        ("demo.policy:7:1: rule id 'r' is used twice (first at line 6); rule ids must be "
         "unique in a pack"),
        id="duplicate-rule-id"),
    pytest.param(
        "compile", "type",
        HEADER + ("topic snapshot_interval = yearly\nrule r on create_channel for each x "
                  'in snapshot_interval require s "S."\n'),
        ("demo.policy:7:26: 'for each' needs a topic holding a list; 'snapshot_interval' "
         "holds an interval"),
        id="type-for-each"),
    pytest.param(
        "compile", "type",
        HEADER + 'rule r on like_page deny when page_category in own because "x"\n',
        "demo.policy:6:48: 'in' needs a list or a set on its right, not a page_category",
        id="type-in"),
    pytest.param(
        "compile", "type",
        HEADER + ('rule r on create_channel require s "S." done when responsible_appointed '
                  "and admin_count\n"),
        "demo.policy:6:77: 'and', 'or' and 'not' combine true/false conditions; this is an int",
        id="type-and"),
    pytest.param(
        "cases", "duplicate-test",
        ('test "t"\n  request like_page {page_category: own}\n  expect allow\ntest "t"\n  '
         "request like_page {page_category: own}\n  expect allow\n"),
        'demo.tests:4:1: two tests are named "t"; give each a name of its own',
        id="duplicate-test"),
    pytest.param(
        "cases", "bad-test",
        'test "t"\n  expect allow\n',
        'demo.tests:1:1: test "t" has no \'request ACTION {facts}\'',
        id="test-without-request"),
    pytest.param(
        "cases", "bad-test",
        'test "t"\n  request like_page {page_category: own}\n',
        'demo.tests:1:1: test "t" has no \'expect allow|deny|required_steps\'',
        id="test-without-expect"),
    pytest.param(
        "cases", "unknown-action",
        'test "t"\n  request like_pages {page_category: own}\n  expect allow\n',
        ('demo.tests:1:1: test "t": unknown action \'like_pages\' (did you mean '
         "'like_page'?); actions are 'answer_question', 'audit_channel', 'close_channel', 'create_channel', "
         "'delete_comment', 'like_page', 'private_use_at_work', 'publish_post' or "
         "'use_private_account'"),
        id="test-unknown-action"),
    pytest.param(
        "cases", "unknown-fact",
        'test "t"\n  request like_page {page_categry: own}\n  expect allow\n',
        ('demo.tests:2:22: test "t": unknown fact "page_categry" for action \'like_page\' '
         "(did you mean 'page_category'?); its facts are 'page_category'"),
        id="test-unknown-fact"),
    pytest.param(
        "cases", "unknown-value",
        'test "t"\n  request like_page {page_category: comercial}\n  expect allow\n',
        ('demo.tests:2:22: test "t": fact \'page_category\' of action \'like_page\' has no '
         'value "comercial" (did you mean \'commercial\'?); valid values are '
         "'authority', 'commercial', 'cultural_institution', 'local_association', "
         "'local_project', 'municipality', 'other', 'own' or 'political_party'"),
        id="test-unknown-value"),
    pytest.param(
        "cases", "missing-fact",
        'test "t"\n  request like_page\n  expect allow\n',
        ('demo.tests:1:1: test "t": fact \'page_category\' is required for action '
         "'like_page'; valid values are 'authority', 'commercial', 'cultural_institution', "
         "'local_association', 'local_project', 'municipality', 'other', 'own' or "
         "'political_party'"),
        id="test-missing-fact"),
    pytest.param(
        "cases", "bad-fact-value",
        ('test "t"\n  request create_channel {account_type: organisation, admin_count: '
         "true}\n  expect allow\n"),
        ('demo.tests:2:55: test "t": fact \'admin_count\' of action \'create_channel\' '
         "must be a whole number ≥ 0, got true"),
        id="test-bad-fact-value"),
    pytest.param(
        "cases", "unknown-rule",
        'test "t"\n  request like_page {page_category: own}\n  expect allow\n  rules [like]\n',
        ('demo.tests:1:1: test "t" names rule \'like\', which pack \'demo\' does not have '
         "(did you mean 'likes'?)"),
        id="test-unknown-rule"),
    pytest.param(
        "cases", "unknown-step",
        'test "t"\n  request like_page {page_category: own}\n  expect allow\n  steps [lok]\n',
        ('demo.tests:1:1: test "t" names step \'lok\', which pack \'demo\' does not have '
         "(did you mean 'look'?)"),
        id="test-unknown-step"),
]


@pytest.mark.parametrize("kind, code, source, message", CASES)
def test_each_error_says_what_where_and_what_would_be_right(kind, code, source, message):
    error = first_error(kind, source)
    assert (error.code, str(error).splitlines()[0]) == (code, message)


def test_files_that_cannot_be_read_or_paired(tmp_path):
    from engine.errors import PackLoadError
    from engine.authoring.testing import suite_from_path

    with pytest.raises(PackLoadError) as info:
        suite_from_path(tmp_path / "missing.policy")
    assert (info.value.code, str(info.value)) == (
        "unreadable-pack", f"{tmp_path / 'missing.policy'}: no such file")
    with pytest.raises(PackLoadError) as info:
        suite_from_path(tmp_path / "notes.txt")
    assert (info.value.code, str(info.value)) == (
        "bad-path", f"{tmp_path / 'notes.txt'}: expected a pack folder, a .policy file or a "
                    ".tests file")


# ---- "did you mean": whatever the case, the accents, or the word people use ---------------

@pytest.mark.parametrize("word, choices, names, meant", [
    ("TYRESO", ["tyreso", "vara"], None, "tyreso"),
    ("Töreboda", ["toreboda", "tyreso"], None, "toreboda"),
    ("LIKE_PAGE", ["like_page", "publish_post"], None, "like_page"),
    ("like-page", ["like_page", "publish_post"], None, "like_page"),
    ("Tyresö kommun", ["tyreso", "toreboda"], {"Tyresö kommun": "tyreso"}, "tyreso"),
    ("Perstorp kommun", ["perstorp", "vara"], {"Perstorps kommun": "perstorp"}, "perstorp"),
    ("chef", ["manager", "department_head", "communicator"], None, "manager"),
    ("närmaste chef", ["manager", "department_head"], None, "manager"),
    ("förvaltningschef", ["manager", "department_head"], None, "department_head"),
    ("kommunikatör", ["communicator", "communications_unit"], None, "communicator"),
    ("Kommunikationschef", ["communicator", "communications_director"], None,
     "communications_director"),
    ("comercial", ["commercial", "political_party"], None, "commercial"),
])
def test_did_you_mean_finds_what_was_meant(word, choices, names, meant):
    from engine.errors import did_you_mean
    assert did_you_mean(word, choices, names) == f" (did you mean '{meant}'?)"


def test_did_you_mean_stays_quiet_without_a_near_miss():
    from engine.errors import did_you_mean
    assert did_you_mean("xyz", ["manager", "communicator"]) == ""
    assert did_you_mean("manager", ["manager"]) == ""          # nothing to correct
    assert did_you_mean("chef", ["commercial", "own"]) == ""    # no roles among the choices


def test_a_municipalitys_name_or_a_swedish_role_leads_to_the_id_everywhere(engine, tmp_path):
    from engine.errors import RequestError
    from tests.test_cli import policy
    for pack, meant in (("Tyresö kommun", "tyreso"), ("Perstorps kommun", "perstorp"),
                        ("Töreboda", "toreboda"), ("TYRESO", "tyreso")):
        with pytest.raises(RequestError, match=rf"unknown pack '{pack}' \(did you mean "
                                               rf"'{meant}'\?\)"):
            engine.decide(pack, "like_page", {"page_category": "own"})
    with pytest.raises(RequestError, match=r"has no role \"chef\" \(did you mean 'manager'\?\)"):
        engine.decide("tyreso", "create_channel", {"account_type": "organisation",
                                                   "approved_by": ["chef"]})
    r = policy("decide", "tyreso", "create_channel", "--facts",
               '{"account_type": "organisation", "informed": ["förvaltningschef"]}')
    assert r.returncode == 2 and "(did you mean 'department_head'?)" in r.stderr
    # in a pack's source too: a role named in Swedish
    source = ('pack p\n  name "P"\n  dated undated\n  version "1"\n  default allow\n'
              'topic channel_approver = [chef]\n')
    with pytest.raises(PackErrors, match=r"\(did you mean 'manager'\?\)"):
        compile_pack(parse_pack(source, "p.policy"))
