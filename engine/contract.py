"""The public contract's vocabulary: the first contribution every engine combines.

Actions, their facts and the facts' types, the roles, and the comparable topics that a
pack can set, as ``docs/contract.md`` names them. Plugins add to these through the
``policy_vocabulary`` hook; nothing here may be renamed (add, never rename), and every
addition is listed in the contract's changelog.

``CONTRACT`` is the contribution; ``contract_vocabulary()`` the vocabulary of an engine
with no plugin words, which tools use for a pack file that no engine loaded.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Mapping

from engine.glossary import CONTRACT_LABELS
from dsl.text import iso
from engine.errors import RequestError
from engine.vocabulary import (BOOL, DATE, DATETIME, HOURS, INT, STRING, Action, Contribution,
                               DerivedFact, Fact, Topic, Type, Vocabulary, enum,
                               set_of)

ROLE = enum(
    "role", "manager", "department_head", "communicator", "communications_unit",
    "communications_director", "information_officer", "website_owner",
)

#: Where login details can be kept: any role (roles added by plugins too), or the
#: central shared store.
CUSTODIAN = enum("custodian", "central_storage", includes=("role",))

PAGE_CATEGORY = enum(
    "page_category", "own", "municipality", "authority", "local_association",
    "cultural_institution", "local_project", "commercial", "political_party", "other",
)

CONTENT_CATEGORY = enum(
    "content_category", "defamation", "personal_attack", "hate_speech", "harassment",
    "violence", "pornography", "incitement_to_crime", "profanity", "copyright_infringement",
    "advertising", "confidential_information", "offensive_personal_data", "off_topic",
    "minor_importance", "criticism", "question",
)

#: Closed: each value has its number of months (``INTERVAL_MONTHS``).
INTERVAL = enum("interval", "half_yearly", "yearly", closed=True)

#: Months in each snapshot interval; the only place the mapping is written.
INTERVAL_MONTHS: Mapping[str, int] = {"half_yearly": 6, "yearly": 12}

BREAK_USE = enum("break_use", "breaks_only", "department_head_decides", "allowed")

LIKES = Type("record", "likes", fields=(
    ("allow", set_of(PAGE_CATEGORY)),
    ("deny", set_of(PAGE_CATEGORY)),
))


def _credential_holders(facts: Mapping[str, Any], now: dt.datetime | None) -> frozenset[str]:
    held: frozenset[str] = facts["credentials_held_by"]   # a set fact, validated
    return held | {"central_storage"} if facts["credentials_in_central_storage"] else held


def _office_hours_to_answer(facts: Mapping[str, Any], now: dt.datetime | None) -> float | None:
    """Office hours from the question to its answer, or to now while it is unanswered;
    missing when it is unanswered and the request's ``at`` has no time of day."""
    asked: dt.datetime = facts["asked_at"]
    end: dt.datetime | None = facts["answered_at"] or now
    if end is None:
        return None
    if facts["answered_at"] is not None and end < asked:
        raise RequestError("fact 'answered_at' of action 'answer_question' is before "
                           f"'asked_at' ({iso(end)} < {iso(asked)}); a question is answered "
                           "after it is asked", path="facts.answered_at", code="bad-fact-value")
    from engine.office_hours import office_hours_between   # the holiday calendar, when needed
    return round(max(0.0, office_hours_between(asked, end)), 2)


ACTIONS: tuple[Action, ...] = (
    Action("create_channel", "start a new social media account/channel for a part of the municipality", (
        Fact("account_type", enum("account_type", "organisation", "private"),
             "an organisation/authority account, or a private person's account", required=True),
        Fact("platform", STRING, "e.g. facebook, instagram; informational"),
        Fact("approved_by", set_of(ROLE), "who has approved starting the channel"),
        Fact("informed", set_of(ROLE), "who has been informed / sent the channel's details"),
        Fact("responsible_appointed", BOOL, "a named person responsible for the channel"),
        Fact("substitute_appointed", BOOL, "a named substitute for absence"),
        Fact("purpose_defined", BOOL, "purpose and target audience written down"),
        Fact("admin_count", INT, "number of administrators"),
        Fact("credentials_held_by", set_of(ROLE), "who has been given the login details / admin rights"),
        Fact("credentials_in_central_storage", BOOL, "login details kept in the central shared store"),
        Fact("activity_plan_filed", BOOL, "an activity plan for the account is filed"),
        Fact("applied_via_eservice", BOOL, "the start was applied for through the internal e-service"),
        Fact("listed_on_website", BOOL, "the channel is on the public list of channels on the website"),
        Fact("follows_graphic_profile", BOOL, "name, logo and look follow the graphic profile"),
        Fact("visitor_information_published", BOOL,
             "the channel tells visitors who runs it, what it is for, that posts become public "
             "records, what gets removed, and whom to contact"),
    ), derived=(
        DerivedFact("credential_holders", set_of(CUSTODIAN),
                    "credentials_held_by, plus central_storage when credentials_in_central_storage",
                    _credential_holders,
                    inputs=("credentials_held_by", "credentials_in_central_storage")),
    )),
    Action("like_page", "the municipality's account likes/follows another page", (
        Fact("page_category", PAGE_CATEGORY, "the kind of page", required=True),
    )),
    Action("delete_comment", "remove or unpublish a visitor's comment on an official channel", (
        Fact("content_category", CONTENT_CATEGORY, "what the comment is", required=True),
        Fact("content_saved", BOOL, "the comment's content has been saved"),
        Fact("author_saved", BOOL, "information about who posted it has been saved"),
        Fact("registered", BOOL, "it has been registered in the municipality's records (diarieförd)"),
    )),
    Action("use_private_account", "an employee uses a private account in connection with work", (
        Fact("purpose", enum("purpose", "official_communication", "client_contact",
                             "closed_professional_network", "answer_work_question"),
             "what the private account is used for", required=True),
    )),
    Action("private_use_at_work", "an employee uses social media privately during working hours", (
        Fact("during_break", BOOL, "the use happens during a regular break (coffee/lunch)"),
        Fact("department_head_permits", BOOL, "the department head has decided to allow it"),
    )),
    Action("publish_post", "the municipality publishes a post on an official channel", (
        Fact("contains_confidential", BOOL, "confidential (sekretessbelagd) or sensitive information"),
        Fact("contains_offensive_personal_data", BOOL, "offensive personal data (kränkande personuppgifter)"),
        Fact("image_source", enum("image_source", "none", "own_archive", "licensed_agency",
                                  "creator_consent", "unlicensed"),
             "where the post's images come from"),
        Fact("concerns_individual_case", BOOL, "it discusses the handling of an individual's case"),
        Fact("political_content", BOOL, "it takes a party-political position"),
    )),
    Action("audit_channel", "periodic check of a running channel's documentation duties", (
        Fact("last_snapshot_on", DATE, "when a snapshot of the channel was last archived; missing = never"),
        Fact("major_change_planned", BOOL, "a larger change of the channel is about to happen"),
        # Left out, it is not known, not 0: a channel silent for no days is not the same.
        Fact("days_since_last_post", INT, "how long the channel has been inactive",
             absent="missing"),
        Fact("monitored_daily", BOOL, "comments are looked over every (working) day"),
        Fact("substitute_appointed", BOOL, "a substitute is appointed for the responsible person"),
        Fact("listed_on_website", BOOL, "the channel is on the public list of channels"),
    )),
    # Added in contract 1.1 (docs/contract.md, changelog): Perstorp's 24 office hours,
    # Tyresö's signed answers and political questions referred to the parties.
    Action("answer_question", "the municipality answers a question a visitor asked on one of its channels", (
        Fact("asked_at", DATETIME, "when the visitor asked (Swedish time)", required=True),
        Fact("answered_at", DATETIME, "when it was answered; left out: not answered yet"),
        Fact("acknowledged", BOOL, "the visitor has been told that an answer will come"),
        Fact("needs_other_unit", BOOL,
             "the channel's own staff cannot answer it: another unit or case officer must"),
        Fact("forwarded", BOOL, "it has been passed on to the unit or officer who can answer it"),
        Fact("political", BOOL, "it is a question of party politics"),
        Fact("referred_to_parties", BOOL, "the visitor has been referred to the political parties"),
        Fact("signed", BOOL, "the answer is signed with the writer's first name and title"),
    ), derived=(
        DerivedFact("office_hours_to_answer", HOURS,
                    "office hours (08-17 Monday to Friday, Swedish public holidays and eves "
                    "closed) from asked_at to answered_at, or to the request's time of day "
                    "while unanswered; missing when unanswered and at is a bare date",
                    _office_hours_to_answer, inputs=("asked_at", "answered_at"),
                    may_be_missing=True),
    )),
    Action("close_channel", "shut down a channel", (
        Fact("manager_consulted", BOOL, "the manager has been consulted"),
        Fact("communicator_consulted", BOOL, "the communicator has been consulted"),
        Fact("farewell_post_published", BOOL, "a post telling followers why, and thanking them, is published"),
    )),
)

TOPICS: tuple[Topic, ...] = (
    Topic("channel_approver", "Who approves a new channel", set_of(ROLE)),
    Topic("credential_custody", "Who holds the login details", set_of(CUSTODIAN)),
    Topic("snapshot_interval", "How often a snapshot is archived", INTERVAL),
    Topic("allowed_likes", "Which pages the municipality may like", LIKES),
    Topic("break_time_use", "Private use of social media at work", BREAK_USE),
    Topic("response_time", "Time limit for answering questions", HOURS),
)


CONTRACT = Contribution("contract", actions=ACTIONS, topics=TOPICS, labels=CONTRACT_LABELS)

#: The contract's version: the newest entry of its changelog (docs/contract.md).
CONTRACT_VERSION = "1.1"

OUTCOMES = ("allow", "deny", "required_steps")
LEVELS = ("must", "should")


@functools.lru_cache(maxsize=1)
def contract_vocabulary() -> Vocabulary:
    """The vocabulary of the contract alone (built once; it is immutable)."""
    return Vocabulary.build([CONTRACT])
