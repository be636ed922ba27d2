"""The vocabulary of the public contract, as data.

Actions, their facts and the facts' types, the roles, and the comparable topics that a
pack can set. The compiler checks every pack against this module, and the request
validator checks every request against it; nothing else in the project hard-codes an
action or fact name.

Changing what is here changes the public API (see ``docs/contract.md``): add, never rename.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Callable, Mapping

import attrs


@attrs.frozen
class Type:
    """A value type. ``kind`` is one of bool, int, date, string, enum, set, record."""

    kind: str
    name: str
    values: tuple[str, ...] = ()          # enum: the allowed values, in contract order
    element: "Type | None" = None         # set: the element type
    fields: tuple[tuple[str, "Type"], ...] = ()  # record: named fields

    def __str__(self) -> str:
        return self.name

    def field(self, name: str) -> "Type | None":
        return dict(self.fields).get(name)

    @property
    def element_type(self) -> "Type":
        """A set's element type; only a set has one, so asking another type is a mistake."""
        if self.element is None:
            raise TypeError(f"'{self.name}' is a {self.kind} type, not a set: it has no "
                            "element type")
        return self.element


BOOL = Type("bool", "bool")
INT = Type("int", "int")
DATE = Type("date", "date")
STRING = Type("string", "string")


def enum(name: str, *values: str) -> Type:
    return Type("enum", name, values=values)


def set_of(element: Type) -> Type:
    return Type("set", f"set of {element.name}", element=element)


ROLE = enum(
    "role", "manager", "department_head", "communicator", "communications_unit",
    "communications_director", "information_officer", "website_owner",
)

#: English and Swedish labels, used where a step text names a role (``{role}``).
ROLE_LABELS: Mapping[str, tuple[str, str]] = {
    "manager": ("manager", "chef"),
    "department_head": ("department head", "förvaltningschef"),
    "communicator": ("communicator", "kommunikatör"),
    "communications_unit": ("communications unit", "kommunikationsenhet"),
    "communications_director": ("communications director", "kommunikationschef"),
    "information_officer": ("information officer", "informationsansvarig"),
    "website_owner": ("person responsible for the website", "webbplatsansvarig"),
}

#: Where login details can be kept: any role, or the central shared store.
CUSTODIAN = enum("custodian", *ROLE.values, "central_storage")

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

INTERVAL = enum("interval", "half_yearly", "yearly")

#: Months in each snapshot interval; the only place the mapping is written.
INTERVAL_MONTHS: Mapping[str, int] = {"half_yearly": 6, "yearly": 12}

BREAK_USE = enum("break_use", "breaks_only", "department_head_decides", "allowed")

#: A time limit, as a whole number of hours.
HOURS = Type("int", "hours")

LIKES = Type("record", "likes", fields=(
    ("allow", set_of(PAGE_CATEGORY)),
    ("deny", set_of(PAGE_CATEGORY)),
))


@attrs.frozen
class Fact:
    """One fact of an action's request.

    ``required`` facts must be present. Absent bool, int and set facts mean false, 0 and
    the empty set ("not done / none"), unless ``absent`` is ``"missing"``: a number that
    has no "none" (how many days a channel has been silent) is then *missing* when left
    out, as other absent optional facts are (``None``). Every comparison with a missing
    value is false; test it with ``is set`` / ``is missing``.
    """

    name: str
    type: Type
    meaning: str
    required: bool = False
    absent: str = "default"      # "default" (false, 0, empty) or "missing"

    @property
    def default(self) -> Any:
        """What the fact is when a request leaves it out (None: missing)."""
        if self.absent == "missing":
            return None
        return {"bool": False, "int": 0, "set": frozenset()}.get(self.type.kind)


@attrs.frozen
class DerivedFact:
    """A fact the engine computes from the request's own facts; packs may test it,
    requests may not send it."""

    name: str
    type: Type
    meaning: str
    compute: Callable[[Mapping[str, Any]], Any] = attrs.field(eq=False, repr=False)
    inputs: tuple[str, ...] = ()          # the request's facts it is computed from


@attrs.frozen
class Action:
    name: str
    meaning: str
    facts: tuple[Fact, ...]
    derived: tuple[DerivedFact, ...] = ()

    def fact(self, name: str) -> Fact | DerivedFact | None:
        for f in self.facts + self.derived:
            if f.name == name:
                return f
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.facts)


def _credential_holders(facts: Mapping[str, Any]) -> frozenset[str]:
    held: frozenset[str] = facts["credentials_held_by"]   # a set fact, validated
    return held | {"central_storage"} if facts["credentials_in_central_storage"] else held


ACTIONS: Mapping[str, Action] = {a.name: a for a in (
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
    Action("close_channel", "shut down a channel", (
        Fact("manager_consulted", BOOL, "the manager has been consulted"),
        Fact("communicator_consulted", BOOL, "the communicator has been consulted"),
        Fact("farewell_post_published", BOOL, "a post telling followers why, and thanking them, is published"),
    )),
)}


@attrs.frozen
class Topic:
    """A comparable setting of a pack, shown side by side by ``policy explain``.

    ``informational`` topics are for comparison only: no action's facts can test them,
    so no rule is expected to refer to them.
    """

    id: str
    title: str
    type: Type
    informational: bool = False


TOPICS: Mapping[str, Topic] = {t.id: t for t in (
    Topic("channel_approver", "Who approves a new channel", set_of(ROLE)),
    Topic("credential_custody", "Who holds the login details", set_of(CUSTODIAN)),
    Topic("snapshot_interval", "How often a snapshot is archived", INTERVAL),
    Topic("allowed_likes", "Which pages the municipality may like", LIKES),
    Topic("break_time_use", "Private use of social media at work", BREAK_USE),
    Topic("response_time", "Time limit for answering questions", HOURS, informational=True),
)}

OUTCOMES = ("allow", "deny", "required_steps")
LEVELS = ("must", "should")


# --- date arithmetic ------------------------------------------------------------------
# Calendar months, to the day: ``months_since(d, at)`` is the largest n with
# ``add_months(d, n) <= at`` (negative when d lies after at), where adding months keeps
# the day of the month and clamps it to the month's last day (31 Aug + 6 months = 28 Feb).

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def parse_date(text: Any) -> _dt.date | None:
    """A "YYYY-MM-DD" string as a date, else None. Stricter than ``date.fromisoformat``,
    which also takes ISO week and ordinal dates ("2025-W01-1") that the contract does not."""
    if type(text) is str and _ISO_DATE.match(text):
        try:
            return _dt.date.fromisoformat(text)
        except ValueError:
            return None
    return None


def add_months(day: _dt.date, months: int) -> _dt.date:
    """``day`` moved by ``months`` calendar months (the day clamped to the month's last).

    Raises ``OverflowError`` when the result lies outside the calendar (before 0001-01-01
    or after 9999-12-31), as ``date + timedelta`` does.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not _dt.MINYEAR <= year <= _dt.MAXYEAR:
        raise OverflowError(f"{day.isoformat()} moved by {months} months is outside the calendar")
    if month == 12:
        last = 31
    else:
        last = (_dt.date(year, month + 1, 1) - _dt.timedelta(days=1)).day
    return _dt.date(year, month, min(day.day, last))


def months_since(day: _dt.date, at: _dt.date) -> int:
    n = (at.year - day.year) * 12 + (at.month - day.month)
    if add_months(day, n) > at:
        n -= 1
    return n


def days_since(day: _dt.date, at: _dt.date) -> int:
    return (at - day).days
