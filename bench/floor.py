"""The floor: the Tyresö and Töreboda packs written by hand as Python if-chains.

This is what a programmer would write who had only these two guidelines to encode and
no engine: one function per pack, one branch per action, the topic settings inlined,
no validation of the request, no reasons, no texts. It returns what the benchmark
compares across engines, ``(outcome, step ids, by_default)``, and takes the request as
a caller sends it (facts as JSON values, absent facts absent, dates as ISO strings).

It must agree with the engine on every request (``python -m bench.peers`` checks it),
so every rule of the two ``.policy`` files is here: deny overrides, unmet requirements
give ``required_steps`` with their step ids in rule order, a rule that spoke gives
``allow``, and otherwise the pack's default (allow for both) with ``by_default``.
"""

from __future__ import annotations

from typing import Any

Result = tuple[str, tuple[str, ...], bool]

ALLOW: Result = ("allow", (), False)
DENY: Result = ("deny", (), False)
DEFAULT: Result = ("allow", (), True)        # both packs: default allow

TYRESO_LIKE = frozenset({"own", "municipality", "authority", "local_association",
                         "cultural_institution", "local_project"})
TYRESO_NO_LIKE = frozenset({"commercial", "political_party"})
WORK_PURPOSES = frozenset({"official_communication", "client_contact", "answer_work_question"})
LICENSED_IMAGES = frozenset({"own_archive", "licensed_agency", "creator_consent"})
TOREBODA_UNLAWFUL = frozenset({"defamation", "hate_speech", "violence", "incitement_to_crime",
                               "copyright_infringement"})
TOREBODA_REMOVABLE = frozenset({"defamation", "personal_attack", "hate_speech", "harassment",
                                "violence", "pornography", "incitement_to_crime", "profanity",
                                "copyright_infringement", "advertising",
                                "confidential_information"})


def _steps(steps: list[str]) -> Result:
    return ("required_steps", tuple(steps), False) if steps else ALLOW


def _snapshot_fresh(last: str | None, at: str, months: int) -> bool:
    """``last is set and months_since(last) < months``, calendar months to the day."""
    if last is None:
        return False
    ay, am, ad = int(at[:4]), int(at[5:7]), int(at[8:10])
    ly, lm, ld = int(last[:4]), int(last[5:7]), int(last[8:10])
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
        category = f["page_category"]
        if category in TYRESO_NO_LIKE:
            return DENY
        return ALLOW if category in TYRESO_LIKE else DEFAULT
    if action == "create_channel":
        steps = []
        if "manager" not in f.get("approved_by", ()):
            steps.append("approve-channel-manager")
        if not f.get("responsible_appointed"):
            steps.append("appoint-responsible")
        if not f.get("purpose_defined"):
            steps.append("define-purpose")
        if not f.get("substitute_appointed"):
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
        if category != "minor_importance" and not f.get("registered"):
            return ("required_steps", ("register-removed",), False)
        return ALLOW      # every category is either removable or needs registering
    if action == "use_private_account":
        return DENY if f["purpose"] in WORK_PURPOSES else DEFAULT
    if action == "private_use_at_work":
        return ALLOW if f.get("department_head_permits") else \
            ("required_steps", ("department-head-decision",), False)
    if action == "publish_post":
        image = f.get("image_source")
        if f.get("contains_confidential") or f.get("contains_offensive_personal_data") \
                or image == "unlicensed":
            return DENY
        return ALLOW if image in LICENSED_IMAGES else DEFAULT
    if action == "audit_channel":
        steps = []
        if not f.get("substitute_appointed"):
            steps.append("appoint-substitute")
        if not f.get("listed_on_website"):
            steps.append("list-on-website")
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
    return DEFAULT


def toreboda(action: str, f: dict[str, Any], at: str) -> Result:
    if action == "create_channel":
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
    if action == "delete_comment":
        category = f["content_category"]
        if category == "criticism":
            return DENY
        if category in TOREBODA_UNLAWFUL:
            steps = []
            if not f.get("content_saved"):
                steps.append("save-comment-content")
            if not f.get("author_saved"):
                steps.append("save-comment-author")
            return _steps(steps)
        if category == "confidential_information" and not f.get("registered"):
            return ("required_steps", ("register-removed",), False)
        return ALLOW if category in TOREBODA_REMOVABLE else DEFAULT
    if action == "use_private_account":
        return DENY if f["purpose"] in WORK_PURPOSES else DEFAULT
    if action == "private_use_at_work":
        return ALLOW if f.get("during_break") else DENY
    if action == "publish_post":
        if f.get("contains_confidential") or f.get("image_source") == "unlicensed":
            return DENY
        return DEFAULT
    if action == "audit_channel":
        steps = []
        if not f.get("listed_on_website"):
            steps.append("list-on-website")
        if not _snapshot_fresh(f.get("last_snapshot_on"), at, 6):
            steps.append("archive-snapshot")
        if f.get("major_change_planned"):
            steps.append("archive-snapshot-before-change")
        return _steps(steps)
    return DEFAULT        # like_page and close_channel: the guideline is silent


PACKS = {"tyreso": tyreso, "toreboda": toreboda}


def decide(pack: str, action: str, facts: dict[str, Any], at: str) -> Result:
    return PACKS[pack](action, facts, at)
