"""The floor: the Tyresö and Töreboda packs written by hand as Python if-chains.

This is what a programmer would write who had only these two guidelines to encode and
no engine: one function per pack, one branch per action, the topic settings inlined,
no validation of the request, no reasons, no texts. It returns what the benchmark
compares across engines, ``(outcome, step ids, by_default)``, and takes the request as
a caller sends it (facts as JSON values, absent facts absent, dates as ISO strings).

It must agree with the engine on every request (``python -m bench.peers`` checks it),
so every rule of the two ``.policy`` files is here: deny overrides (an ``only`` rule
denies what its list leaves out), unmet requirements give ``required_steps`` with their
step ids in rule order, a rule that spoke gives ``allow`` (an ``only`` rule speaks for
what its list covers), and otherwise the pack's default (allow for both) with
``by_default``.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

Result = tuple[str, tuple[str, ...], bool]

ALLOW: Result = ("allow", (), False)
DENY: Result = ("deny", (), False)
DEFAULT: Result = ("allow", (), True)        # both packs: default allow

# Tyresö "Gilla andra": the pages that may be liked (a closed list, likes-only-listed-pages).
TYRESO_LIKE = frozenset({"own", "municipality", "authority", "local_association",
                         "cultural_institution", "local_project"})
# Tyresö "Information till besökarna": the removal grounds (a closed list, removal-grounds).
TYRESO_REMOVABLE = frozenset({"defamation", "personal_attack", "hate_speech", "harassment",
                              "violence", "pornography", "incitement_to_crime", "profanity",
                              "copyright_infringement", "advertising",
                              "confidential_information", "offensive_personal_data",
                              "off_topic", "minor_importance"})
# Töreboda "Otillåtet material": companies' and parties' pages are not liked.
TOREBODA_NO_LIKE = frozenset({"commercial", "political_party"})
LICENSED_IMAGES = frozenset({"own_archive", "licensed_agency", "creator_consent"})
# Töreboda "Allmän handling": the kinds unlawful by definition, saved before removal.
TOREBODA_UNLAWFUL = frozenset({"defamation", "hate_speech", "violence", "incitement_to_crime",
                               "copyright_infringement", "confidential_information",
                               "offensive_personal_data"})
# Töreboda "Otillåtet material": the removal grounds (a closed list, removal-grounds).
TOREBODA_REMOVABLE = frozenset({"defamation", "personal_attack", "hate_speech", "harassment",
                                "violence", "pornography", "incitement_to_crime", "profanity",
                                "copyright_infringement", "advertising",
                                "confidential_information", "offensive_personal_data"})


def _steps(steps: list[str]) -> Result:
    return ("required_steps", tuple(steps), False) if steps else ALLOW


def _snapshot_fresh(last: Any, at: Any, months: int) -> bool:
    """``last is set and months_since(last) < months``, calendar months to the day."""
    if last is None:
        return False
    if type(at) is str:
        ay, am, ad = int(at[:4]), int(at[5:7]), int(at[8:10])
    else:                               # the validating floor passes dates
        ay, am, ad = at.year, at.month, at.day
    if type(last) is str:
        ly, lm, ld = int(last[:4]), int(last[5:7]), int(last[8:10])
    else:
        ly, lm, ld = last.year, last.month, last.day
    n = (ay - ly) * 12 + am - lm
    if ld > ad:
        # Adding n months to ``last`` clamps to the month's end: it passes ``at`` only
        # when ``at`` is not the last day of its month.
        if am == 2:
            last_day = 29 if ay % 4 == 0 and (ay % 100 != 0 or ay % 400 == 0) else 28
        else:
            last_day = 30 if am in (4, 6, 9, 11) else 31
        if ad < last_day:
            n -= 1
    return n < months


def tyreso(action: str, f: dict[str, Any], at: str) -> Result:
    if action == "like_page":
        # likes-only-listed-pages (only) and no-likes-for-companies-or-parties (deny):
        # a page off the list, `other` included, is denied; none falls to the default.
        return ALLOW if f["page_category"] in TYRESO_LIKE else DENY
    if action == "create_channel":
        if f["account_type"] == "private":          # no-private-account-channels
            return DENY
        steps = []
        approved = f.get("approved_by", ())         # new-channel-approved, for each approver
        if "manager" not in approved:
            steps.append("approve-channel-manager")
        if "communications_director" not in approved:
            steps.append("approve-channel-communications_director")
        if not f.get("responsible_appointed"):
            steps.append("appoint-responsible")
        if not f.get("purpose_defined"):
            steps.append("define-purpose")
        if not f.get("substitute_appointed"):       # new-channel-has-substitute
            steps.append("appoint-substitute")
        if "communicator" not in f.get("informed", ()):
            steps.append("inform-communicator")
        held = f.get("credentials_held_by", ())
        if "communicator" not in held and "communications_unit" not in held:
            steps.append("share-credentials")
        if not f.get("listed_on_website"):
            steps.append("list-on-website")
        if not f.get("follows_graphic_profile"):
            steps.append("follow-graphic-profile")
        if not f.get("visitor_information_published"):
            steps.append("publish-visitor-information")
        return _steps(steps)
    if action == "delete_comment":
        category = f["content_category"]
        if category not in TYRESO_REMOVABLE:        # removal-grounds (only): criticism, question
            return DENY
        if category != "minor_importance" and not f.get("registered"):
            return ("required_steps", ("register-removed",), False)
        return ALLOW      # removal-grounds speaks for every category on its list
    if action == "use_private_account":
        return DENY       # no-private-accounts-for-work: every purpose
    if action == "private_use_at_work":
        return ALLOW if f.get("department_head_permits") else \
            ("required_steps", ("department-head-decision",), False)
    if action == "publish_post":
        # images-only-with-rights (only) allows every image source but `unlicensed`, a
        # post without images included, so no post falls to the default.
        if f.get("contains_confidential") or f.get("contains_offensive_personal_data") \
                or f.get("image_source") == "unlicensed":
            return DENY
        return ALLOW
    if action == "audit_channel":
        steps = []
        if not f.get("listed_on_website"):
            steps.append("list-on-website")
        if not f.get("substitute_appointed"):       # running-channel-has-substitute
            steps.append("appoint-substitute")
        if not f.get("monitored_daily"):
            steps.append("monitor-comments-daily")
        if not _snapshot_fresh(f.get("last_snapshot_on"), at, 6):
            steps.append("archive-snapshot")
        if f.get("major_change_planned"):
            steps.append("archive-snapshot-before-change")
        return _steps(steps)
    if action == "close_channel":
        steps = []
        if not f.get("manager_consulted"):
            steps.append("consult-manager")
        if not f.get("communicator_consulted"):
            steps.append("consult-communicator")
        if not f.get("farewell_post_published"):
            steps.append("publish-farewell-post")
        return _steps(steps)
    if action == "answer_question":
        # answer-visitors, answer-or-promise-an-answer, sign-answers,
        # refer-political-questions; no time limit, so office hours are not counted.
        answered = f.get("answered_at") is not None
        steps = []
        if not answered:
            steps.append("answer-question")
        if not (answered or f.get("acknowledged")):
            steps.append("answer-or-acknowledge")
        if answered and not f.get("signed"):
            steps.append("sign-answer")
        if f.get("political") and not f.get("referred_to_parties"):
            steps.append("refer-to-parties")
        return _steps(steps)
    return DEFAULT


def toreboda(action: str, f: dict[str, Any], at: str) -> Result:
    if action == "create_channel":
        if f["account_type"] == "private":          # no-private-profile-channel
            return DENY
        steps = []
        if "manager" not in f.get("approved_by", ()):
            steps.append("approve-channel-manager")
        if not f.get("responsible_appointed"):
            steps.append("appoint-responsible")
        if "information_officer" not in f.get("informed", ()):
            steps.append("inform-information-officer")
        if not f.get("follows_graphic_profile"):
            steps.append("follow-graphic-profile")
        if not f.get("listed_on_website"):
            steps.append("list-on-website")
        if not f.get("activity_plan_filed"):
            steps.append("file-activity-plan")
        if not f.get("purpose_defined"):
            steps.append("define-purpose")
        if f.get("admin_count", 0) < 2:
            steps.append("appoint-two-administrators")
        if not (f.get("credentials_in_central_storage")
                and "information_officer" in f.get("credentials_held_by", ())):
            steps.append("share-credentials")
        return _steps(steps)
    if action == "like_page":
        # no-likes-for-advertising-or-propaganda; the other pages: the text is silent.
        return DENY if f["page_category"] in TOREBODA_NO_LIKE else DEFAULT
    if action == "delete_comment":
        category = f["content_category"]
        # removal-grounds (only): criticism (also keep-criticism), questions, off-topic
        # comments and comments of minor importance stay up.
        if category not in TOREBODA_REMOVABLE:
            return DENY
        steps = []
        if category in TOREBODA_UNLAWFUL:           # the Allmän handling saving steps
            if not f.get("content_saved"):
                steps.append("save-comment-content")
            if not f.get("author_saved"):
                steps.append("save-comment-author")
        if category == "confidential_information" and not f.get("registered"):
            steps.append("register-removed")        # register-removed-confidential
        return _steps(steps)
    if action == "use_private_account":
        return DENY       # no-private-accounts-for-work: every purpose
    if action == "private_use_at_work":
        return ALLOW if f.get("during_break") else DENY    # private-use-only-in-breaks (only)
    if action == "publish_post":
        image = f.get("image_source")
        if f.get("contains_offensive_personal_data") or f.get("contains_confidential") \
                or image == "unlicensed":
            return DENY
        return ALLOW if image in LICENSED_IMAGES else DEFAULT   # cleared-images
    if action == "audit_channel":
        steps = []
        if not f.get("listed_on_website"):
            steps.append("list-on-website")
        if not _snapshot_fresh(f.get("last_snapshot_on"), at, 6):
            steps.append("archive-snapshot")
        if f.get("major_change_planned"):
            steps.append("archive-snapshot-before-change")
        return _steps(steps)
    if action == "answer_question":
        # introduce-yourself-in-answers, on an answer given; an unanswered question: silent.
        if f.get("answered_at") is None:
            return DEFAULT
        return ALLOW if f.get("signed") else ("required_steps", ("sign-answer",), False)
    return DEFAULT        # close_channel: the guideline is silent


PACKS = {"tyreso": tyreso, "toreboda": toreboda}


def decide(pack: str, action: str, facts: dict[str, Any], at: str) -> Result:
    return PACKS[pack](action, facts, at)


# ---- the validating floor ------------------------------------------------------------------
#
# The same if-chains behind a hand-written check of the request as the contract requires:
# a known pack and action, no unknown facts, required facts present, bools, whole numbers
# ≥ 0, strings (in Unicode NFC), enum values, sets of role values given as lists or sets
# (each value once), dates and times parsed from ISO strings (or given as objects), and
# "at" parsed. Bad input raises :class:`BadRequest`, as the engine raises RequestError
# (the messages are short: no suggestions, no list of valid values). The value lists are
# the contract's, copied from its vocabulary once at import.


class BadRequest(ValueError):
    """A request the validating floor refuses."""


def _contract_values() -> dict[str, frozenset[str]]:
    from engine.contract import contract_vocabulary
    words = contract_vocabulary()
    return {name: frozenset(t.values) for name, t in words.enums.items()}


_VALUES = _contract_values()
ROLES = _VALUES["role"]
PAGE_CATEGORIES = _VALUES["page_category"]
ACCOUNT_TYPES = _VALUES["account_type"]
CONTENT_CATEGORIES = _VALUES["content_category"]
PURPOSES = _VALUES["purpose"]
IMAGE_SOURCES = _VALUES["image_source"]


def _enum(f: dict[str, Any], name: str, values: frozenset[str], required: bool) -> Any:
    v = f.get(name)
    if type(v) is str:
        if v in values:
            return v
        composed = unicodedata.normalize("NFC", v)
        if composed in values:
            return composed
    elif v is None and name not in f:
        if required:
            raise BadRequest(f"fact '{name}' is required")
        return None
    raise BadRequest(f"fact '{name}' has no value {v!r}")


def _roles(f: dict[str, Any], name: str) -> frozenset[str]:
    v = f.get(name)
    if v is None and name not in f:
        return frozenset()
    t = type(v)
    if t is not list and t is not tuple and t is not set and t is not frozenset:
        raise BadRequest(f"fact '{name}' must be a list of roles")
    try:
        out = frozenset(v)
    except TypeError:
        raise BadRequest(f"fact '{name}' has a value that is not a role") from None
    if not out <= ROLES:
        out = frozenset(unicodedata.normalize("NFC", r) if type(r) is str else r for r in v)
        if not out <= ROLES:
            raise BadRequest(f"fact '{name}' has a value that is not a role")
    if len(out) != len(v):
        raise BadRequest(f"fact '{name}' lists a value twice")
    return out


def _bools(f: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        v = f.get(name, False)
        if v is not True and v is not False:
            raise BadRequest(f"fact '{name}' must be true or false")


def _count(f: dict[str, Any], name: str, missing: Any) -> Any:
    v = f.get(name, missing)
    if v is missing and name not in f:
        return v
    if type(v) is not int or v < 0:
        raise BadRequest(f"fact '{name}' must be a whole number ≥ 0")
    return v


def _day(f: dict[str, Any], name: str) -> dt.date | None:
    v = f.get(name)
    if v is None and name not in f:
        return None
    if type(v) is dt.date:
        return v
    if type(v) is str and len(v) == 10 and v[4] == "-" == v[7]:
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            pass
    raise BadRequest(f"fact '{name}' must be a date as \"YYYY-MM-DD\"")


def _moment(f: dict[str, Any], name: str, required: bool) -> dt.datetime | None:
    v = f.get(name)
    if v is None and name not in f:
        if required:
            raise BadRequest(f"fact '{name}' is required")
        return None
    if type(v) is dt.datetime:
        return v
    if type(v) is str and len(v) >= 16 and v[10] in "T " and "." not in v:
        try:
            return dt.datetime.fromisoformat(v)
        except ValueError:
            pass
    raise BadRequest(f"fact '{name}' must be a time as \"YYYY-MM-DDTHH:MM\"")


def _known(f: Any, names: frozenset[str]) -> None:
    if type(f) is not dict:
        raise BadRequest("facts must be an object")
    if not f.keys() <= names:
        raise BadRequest(f"unknown facts {sorted(map(str, f.keys() - names))}")


CREATE_CHANNEL = frozenset({
    "account_type", "platform", "approved_by", "informed", "responsible_appointed",
    "substitute_appointed", "purpose_defined", "admin_count", "credentials_held_by",
    "credentials_in_central_storage", "activity_plan_filed", "applied_via_eservice",
    "listed_on_website", "follows_graphic_profile", "visitor_information_published"})
CREATE_CHANNEL_BOOLS = ("responsible_appointed", "substitute_appointed", "purpose_defined",
                        "credentials_in_central_storage", "activity_plan_filed",
                        "applied_via_eservice", "listed_on_website",
                        "follows_graphic_profile", "visitor_information_published")
DELETE_COMMENT_BOOLS = ("content_saved", "author_saved", "registered")
PRIVATE_USE_BOOLS = ("during_break", "department_head_permits")
PUBLISH_POST_BOOLS = ("contains_confidential", "contains_offensive_personal_data",
                      "concerns_individual_case", "political_content")
AUDIT_CHANNEL_BOOLS = ("major_change_planned", "monitored_daily", "substitute_appointed",
                       "listed_on_website")
ANSWER_QUESTION_BOOLS = ("acknowledged", "needs_other_unit", "forwarded", "political",
                         "referred_to_parties", "signed")
CLOSE_CHANNEL_BOOLS = ("manager_consulted", "communicator_consulted",
                       "farewell_post_published")


def checked(action: str, f: Any) -> dict[str, Any]:
    """The facts of ``action`` checked, with sets as frozensets and dates parsed (the
    if-chains read absent facts with their defaults)."""
    if action == "create_channel":
        _known(f, CREATE_CHANNEL)
        out = dict(f)
        out["account_type"] = _enum(f, "account_type", ACCOUNT_TYPES, True)
        platform = f.get("platform")
        if platform is not None or "platform" in f:
            if type(platform) is not str:
                raise BadRequest("fact 'platform' must be a string")
            out["platform"] = unicodedata.normalize("NFC", platform)
        out["approved_by"] = _roles(f, "approved_by")
        out["informed"] = _roles(f, "informed")
        out["credentials_held_by"] = _roles(f, "credentials_held_by")
        out["admin_count"] = _count(f, "admin_count", 0)
        _bools(f, CREATE_CHANNEL_BOOLS)
        return out
    if action == "like_page":
        _known(f, LIKE_PAGE)
        return {"page_category": _enum(f, "page_category", PAGE_CATEGORIES, True)}
    if action == "delete_comment":
        _known(f, DELETE_COMMENT)
        out = dict(f)
        out["content_category"] = _enum(f, "content_category", CONTENT_CATEGORIES, True)
        _bools(f, DELETE_COMMENT_BOOLS)
        return out
    if action == "use_private_account":
        _known(f, USE_PRIVATE_ACCOUNT)
        return {"purpose": _enum(f, "purpose", PURPOSES, True)}
    if action == "private_use_at_work":
        _known(f, PRIVATE_USE_AT_WORK)
        _bools(f, PRIVATE_USE_BOOLS)
        return f
    if action == "publish_post":
        _known(f, PUBLISH_POST)
        out = dict(f)
        out["image_source"] = _enum(f, "image_source", IMAGE_SOURCES, False)
        _bools(f, PUBLISH_POST_BOOLS)
        return out
    if action == "audit_channel":
        _known(f, AUDIT_CHANNEL)
        out = dict(f)
        out["last_snapshot_on"] = _day(f, "last_snapshot_on")
        out["days_since_last_post"] = _count(f, "days_since_last_post", None)
        _bools(f, AUDIT_CHANNEL_BOOLS)
        return out
    if action == "answer_question":
        _known(f, ANSWER_QUESTION)
        out = dict(f)
        out["asked_at"] = _moment(f, "asked_at", True)
        out["answered_at"] = _moment(f, "answered_at", False)
        _bools(f, ANSWER_QUESTION_BOOLS)
        return out
    if action == "close_channel":
        _known(f, CLOSE_CHANNEL)
        _bools(f, CLOSE_CHANNEL_BOOLS)
        return f
    raise BadRequest(f"unknown action {action!r}")


LIKE_PAGE = frozenset({"page_category"})
DELETE_COMMENT = frozenset({"content_category", *DELETE_COMMENT_BOOLS})
USE_PRIVATE_ACCOUNT = frozenset({"purpose"})
PRIVATE_USE_AT_WORK = frozenset(PRIVATE_USE_BOOLS)
PUBLISH_POST = frozenset({"image_source", *PUBLISH_POST_BOOLS})
AUDIT_CHANNEL = frozenset({"last_snapshot_on", "days_since_last_post", *AUDIT_CHANNEL_BOOLS})
ANSWER_QUESTION = frozenset({"asked_at", "answered_at", *ANSWER_QUESTION_BOOLS})
CLOSE_CHANNEL = frozenset(CLOSE_CHANNEL_BOOLS)


def _at(at: Any) -> dt.date:
    if type(at) is dt.date:
        return at
    if type(at) is str and len(at) == 10 and at[4] == "-" == at[7]:
        try:
            return dt.date.fromisoformat(at)
        except ValueError:
            pass
    raise BadRequest(f"\"at\" must be a date as \"YYYY-MM-DD\", got {at!r}")


def decide_validating(pack: str, action: str, facts: Any, at: Any) -> Result:
    """:func:`decide` behind the contract's checks of the request; raises
    :class:`BadRequest` on bad input."""
    chain = PACKS.get(pack) if type(pack) is str else None
    if chain is None:
        raise BadRequest(f"unknown pack {pack!r}")
    return chain(action, checked(action, facts if facts is not None else {}), _at(at))
