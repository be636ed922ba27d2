"""The engines the benchmark compares, each behind one call: ``decide(pack, action,
facts, at) -> (outcome, step ids, by_default)``.

Every engine gets the request as a Python caller has it (facts as JSON values, dates as
ISO strings) and does, inside the timed call, whatever it needs to answer: our engine
returns its full :class:`~engine.model.Decision` (steps, reasons, sources; the benchmark
reads the outcome off it afterwards, untimed); each peer turns the request into its own
input form, asks its engine as many times as it needs, and reads the outcome off the
answer. The policy files are in ``bench/peers/``; what each peer does in its own
language and what its adapter prepares is said below and in ``docs/performance.md``.

A peer whose package is not installed is reported as :class:`Missing` with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Callable

from bench import floor
from engine.contract import contract_vocabulary

WORDS = contract_vocabulary()

Result = tuple[str, tuple[str, ...], bool]
POLICIES = Path(__file__).parent / "peers"
PACKS = ("tyreso", "toreboda")


def counted(fn: Callable[..., Any], counter: list[int] | None) -> Callable[..., Any]:
    """``fn``, or with ``counter`` given, ``fn`` counting its calls in ``counter[0]``.
    Only the instance built to count calls gets the wrapper; the timed one calls the
    peer directly."""
    if counter is None:
        return fn

    def counting(*args: Any) -> Any:
        counter[0] += 1
        return fn(*args)
    return counting


class Missing:
    """A peer that cannot run here, and why."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason


class Engine:
    """This engine, through its public API: ``Engine.load().decide``."""

    name = "this engine"
    note = "full Decision: steps, reasons, sources"

    def __init__(self, counter: list[int] | None = None) -> None:
        from engine.core import Engine as PolicyEngine
        self.engine = PolicyEngine.load(strict=True)
        self.decide = self.engine.decide       # the timed call

    @staticmethod
    def result(decision: Any) -> Result:
        return decision.outcome, tuple(s.id for s in decision.steps), decision.by_default


class Floor:
    """Hand-written if-chains for the two packs (``bench/floor.py``)."""

    name = "floor (if-chain)"
    note = "hand-written Python, outcome and step ids only"

    def __init__(self, counter: list[int] | None = None) -> None:
        self.decide = floor.decide

    result = staticmethod(lambda r: r)


# ---- request preparation shared by the peers that need it ----------------------------------

def _day(iso: str) -> dict[str, int]:
    """A date as whole months since year 0 and day of month."""
    return {"months": int(iso[:4]) * 12 + int(iso[5:7]), "day": int(iso[8:10])}


def _today(iso: str) -> dict[str, Any]:
    day = dt.date.fromisoformat(iso)
    return {"months": day.year * 12 + day.month, "day": day.day,
            "last_day": (day + dt.timedelta(days=1)).month != day.month}


def _holders(facts: dict[str, Any]) -> list[str]:
    """The contract's derived fact ``credential_holders``."""
    held = list(facts.get("credentials_held_by", ()))
    if facts.get("credentials_in_central_storage"):
        held.append("central_storage")
    return held


def prepared(action: str, facts: dict[str, Any], at: str) -> dict[str, Any]:
    """Facts for a peer without set union or calendar arithmetic: plus the derived fact
    of create_channel, and for audit_channel the snapshot date and ``at`` as records."""
    if action == "create_channel":
        out = dict(facts)
        out["credential_holders"] = _holders(facts)
        return out
    if action == "audit_channel":
        out = dict(facts)
        if "last_snapshot_on" in out:
            out["last_snapshot_on"] = _day(out["last_snapshot_on"])
        out["at"] = _today(at)
        return out
    return facts


# ---- Rego -------------------------------------------------------------------------------------

class Rego:
    """Rego through ``opa-eval`` (the regorus interpreter): one evaluation per request of
    ``data.policy.decision``, which combines the rules itself. Everything is in Rego,
    the derived fact and calendar months included; the adapter only encodes the input
    as JSON, as the binding requires."""

    name = "Rego (opa-eval)"
    package = "opa_eval"
    note = "1 evaluation; all in Rego"

    def __init__(self, counter: list[int] | None = None) -> None:
        import opa_eval
        call = counted(opa_eval.OpaEval(str(POLICIES / "tyreso_toreboda.rego"),
                                        query="data.policy.decision").evaluate_parsed, counter)
        dumps = json.dumps

        def decide(pack: str, action: str, facts: dict[str, Any], at: str) -> Result:
            answer = call(dumps({"pack": pack, "action": action, "facts": facts, "at": at}))
            return answer["outcome"], tuple(answer["steps"]), answer["by_default"]
        self.decide = decide

    result = staticmethod(lambda r: r)


# ---- Cedar ------------------------------------------------------------------------------------

class Cedar:
    """Cedar through ``cedarpy``: one authorization per request, with the schema (so
    Cedar validates the request, as our engine does). Deny rules and unmet requirements
    are forbid policies, allow rules and met requirements permit policies; the adapter
    reads the outcome and the steps off the determining policies' ids. The adapter
    prepares the derived fact and the dates (:func:`prepared`)."""

    name = "Cedar (cedarpy)"
    package = "cedarpy"
    note = "1 authorization; dates and derived fact prepared"

    def __init__(self, counter: list[int] | None = None) -> None:
        import cedarpy
        text = (POLICIES / "tyreso_toreboda.cedar").read_text(encoding="utf-8")
        schema_text = (POLICIES / "tyreso_toreboda.cedarschema").read_text(encoding="utf-8")
        entities_text = (POLICIES / "tyreso_toreboda.entities.json").read_text(encoding="utf-8")
        check = cedarpy.validate_policies(text, schema_text)
        if not check.validation_passed:
            raise ValueError("the Cedar policies do not validate against their schema: "
                             + "; ".join(str(e) for e in check.errors))
        policies = cedarpy.PolicySet.from_str(text)
        schema = cedarpy.Schema.from_str(schema_text)
        entities = cedarpy.Entities.from_json_str(entities_text, schema)
        defaults = {e["uid"]["id"]: e["attrs"]["default"] for e in json.loads(entities_text)
                    if e["uid"]["type"] == "Pack"}
        is_authorized = cedarpy.is_authorized
        allow = cedarpy.Decision.Allow
        call = counted(lambda request: is_authorized(request, policies, entities, schema), counter)
        actions = {a: f'Action::"{a}"' for a in _actions()}
        resources = {p: f'Pack::"{p}"' for p in defaults}

        def decide(pack: str, action: str, facts: dict[str, Any], at: str) -> Result:
            answer = call({"principal": 'Caller::"caller"', "action": actions[action],
                                "resource": resources[pack],
                                "context": prepared(action, facts, at)})
            if answer.diagnostics.errors:
                raise RuntimeError(f"Cedar: {answer.diagnostics.errors}")
            if answer.decision == allow:
                return ("allow", (), False)
            ids = answer.diagnostics.id_annotations_by_reason.values()
            if not ids:
                return (defaults[pack], (), True)
            if any(i.startswith("deny:") for i in ids):
                return ("deny", (), False)
            return ("required_steps", tuple(i.split(":", 2)[2] for i in sorted(ids)), False)
        self.decide = decide

    result = staticmethod(lambda r: r)


# ---- rule-engine -------------------------------------------------------------------------------

class RuleEngine:
    """``rule-engine``: one expression per rule condition, evaluated against the request
    object; the adapter walks the action's rules in order and combines them (stopping at
    the first deny; an ``only`` rule's one expression denies when it does not hold).
    Dates and ``at`` are passed as datetimes and the derived fact as a set; the
    calendar-month arithmetic is in the expressions."""

    name = "rule-engine"
    package = "rule_engine"
    note = "1 expression per rule condition"

    def __init__(self, counter: list[int] | None = None) -> None:
        import rule_engine
        spec = json.loads((POLICIES / "tyreso_toreboda.rule-engine.json").read_text(encoding="utf-8"))
        context = rule_engine.Context(default_value=None)
        defaults = {pack: value["default"] for pack, value in spec["packs"].items()}
        plans: dict[tuple[str, str], list[tuple[str, str, Any, Any]]] = {}
        for rule in spec["rules"]:
            when = (counted(rule_engine.Rule(rule["when"], context=context).matches, counter)
                    if "when" in rule else None)
            done = (counted(rule_engine.Rule(rule["done"], context=context).matches, counter)
                    if "done" in rule else None)
            for action in rule["on"]:
                plans.setdefault((rule["pack"], action), []).append(
                    (rule["effect"], rule.get("step", rule["rule"]), when, done))

        def decide(pack: str, action: str, facts: dict[str, Any], at: str) -> Result:
            plan = plans.get((pack, action))
            if plan is None:
                return (defaults[pack], (), True)
            thing = dict(facts)
            if action == "create_channel":
                thing["credential_holders"] = set(_holders(facts))
            elif action == "audit_channel":
                thing["at"] = dt.datetime.fromisoformat(at)
                if "last_snapshot_on" in facts:
                    thing["last_snapshot_on"] = dt.datetime.fromisoformat(facts["last_snapshot_on"])
            steps, spoke = [], False
            for effect, name, when, done in plan:
                if effect == "only":           # allow when `when` holds, deny otherwise
                    if not when(thing):
                        return ("deny", (), False)
                    spoke = True
                    continue
                if when is not None and not when(thing):
                    continue
                if effect == "deny":
                    return ("deny", (), False)
                if effect == "allow" or (done is not None and done(thing)):
                    spoke = True
                else:
                    steps.append(name)
            if steps:
                return ("required_steps", tuple(steps), False)
            return ("allow", (), False) if spoke else (defaults[pack], (), True)
        self.decide = decide

    result = staticmethod(lambda r: r)


# ---- Casbin ------------------------------------------------------------------------------------

class Casbin:
    """Casbin (pycasbin) with ``eval()`` conditions in the policy lines. An enforce call
    answers one yes/no question, so the adapter asks: any deny? then, step by step in
    policy order, is this requirement unmet? then did any rule speak? It stops as soon
    as the outcome is known; every call is timed. The adapter prepares the derived fact
    and the dates (:func:`prepared`)."""

    name = "Casbin (pycasbin)"
    package = "casbin"
    note = "1 enforce per question: deny?, each step, spoke?"

    def __init__(self, counter: list[int] | None = None) -> None:
        import logging

        import casbin
        logging.getLogger("casbin").setLevel(logging.ERROR)
        model = str(POLICIES / "tyreso_toreboda.casbin.conf")
        lines = casbin.Enforcer(model, str(POLICIES / "tyreso_toreboda.casbin.csv")).get_policy()
        # One enforcer per pack and action (as per-domain enforcers would be), so that a
        # question reads only that action's lines: with eval() in the matcher Casbin
        # parses every line it tries, on every call.
        by_action: dict[tuple[str, str], list[list[str]]] = {}
        defaults: dict[str, str] = {}
        for line in lines:
            if line[2] == "default":
                defaults[line[0]] = line[3]
            else:
                by_action.setdefault((line[0], line[1]), []).append(line)
        plans: dict[tuple[str, str], tuple[Callable[..., bool], bool, list[str], bool]] = {}
        for key, group in by_action.items():
            enforcer = casbin.Enforcer(model)
            enforcer.add_policies(group)
            steps = []
            for line in group:
                if line[2] == "unmet" and line[3] not in steps:
                    steps.append(line[3])
            plans[key] = (counted(enforcer.enforce, counter), any(line[2] == "deny" for line in group),
                          steps, any(line[2] == "spoke" for line in group))

        def decide(pack: str, action: str, facts: dict[str, Any], at: str) -> Result:
            plan = plans.get((pack, action))
            if plan is None:
                return (defaults[pack], (), True)
            enforce, has_deny, all_steps, has_spoke = plan
            f = prepared(action, facts, at)
            if action == "create_channel":
                f["credential_holders"] = frozenset(f["credential_holders"])
            if has_deny and enforce(pack, action, "deny", "*", f):
                return ("deny", (), False)
            steps = tuple(s for s in all_steps if enforce(pack, action, "unmet", s, f))
            if steps:
                return ("required_steps", steps, False)
            if has_spoke and enforce(pack, action, "spoke", "*", f):
                return ("allow", (), False)
            return (defaults[pack], (), True)
        self.decide = decide

    result = staticmethod(lambda r: r)


def _actions() -> list[str]:
    return list(PEER_ACTIONS)


#: The actions the peers' policies cover: every action of contract 1.0. answer_question
#: (contract 1.1) counts office hours with the Swedish holiday calendar, which the peers'
#: languages do not have; the engine's own benchmarks include it.
PEER_ACTIONS = tuple(a for a in WORDS.actions if a != "answer_question")


PEERS = (Rego, Cedar, RuleEngine, Casbin)


def load_peers(counters: dict[str, list[int]] | None = None) -> list[Any]:
    """Every peer, loaded, or :class:`Missing` when its package is not installed. With
    ``counters`` (peer name → ``[0]``), the peers count their calls into it."""
    out: list[Any] = []
    for peer in PEERS:
        try:
            __import__(peer.package)
        except ImportError as e:
            out.append(Missing(peer.name, f"not installed ({e.name}); pip install -e '.[bench]'"))
            continue
        out.append(peer(counters.setdefault(peer.name, [0]) if counters is not None else None))
    return out
