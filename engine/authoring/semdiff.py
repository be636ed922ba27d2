"""The semantic difference between two versions of a pack: the engine behind ``policy diff``.

``diff_packs(old, new)`` decides, with both versions, every request that matters to
either (``engine.authoring.enumeration``: the facts the rules of either version mention, over
their representative values) and reports each request whose decision changes: its
outcome, whether the default decided, the level, or the steps (their ids, roles and
levels). Requests that change the same way are grouped, per action, with a count and
the simplest examples. Texts, rule ids and sources are not behaviour and are not
compared; topic settings and rules added or removed are listed beside the changes.

An empty :attr:`PackDiff.changes` is the answer "no change in behaviour": within the
enumerated domains, at the date ``at``, every decision is the same.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

import attrs

from engine.authoring import enumeration as en
from engine.authoring.example_requests import request_json, request_text
from engine import vocabulary as vocab
from engine.compiler import CompiledPack
from engine.model import Decision

#: Examples shown for each kind of change.
EXAMPLES = 3


@attrs.frozen
class Verdict:
    """What a decision is, as far as behaviour goes."""

    outcome: str
    by_default: bool
    level: str | None                         # allow/deny: must if any reason is must
    steps: tuple[tuple[str, str | None, str], ...] = ()   # (id, by, level)

    @classmethod
    def of(cls, decision: Decision) -> "Verdict":
        if decision.outcome == "required_steps":
            return cls(decision.outcome, False, None,
                       tuple((s.id, s.by, s.level) for s in decision.steps))
        level = None if decision.by_default else (
            "must" if any(r.level == "must" for r in decision.reasons) else "should")
        return cls(decision.outcome, decision.by_default, level)

    def headline(self) -> str:
        """The outcome, with "by default" or a should level; steps left out."""
        if self.by_default:
            return f"{self.outcome} (by default)"
        return self.outcome + (" (should)" if self.level == "should" else "")

    def __str__(self) -> str:
        if self.outcome == "required_steps":
            return f"required_steps [{', '.join(_step(*s) for s in self.steps)}]"
        return self.headline()

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "by_default": self.by_default, "level": self.level,
                "steps": [{"id": i, "by": b, "level": lv} for i, b, lv in self.steps]}


def change_of(before: Verdict, after: Verdict) -> str:
    """What changes between two verdicts, in words; the key that groups requests.

    When both ask for steps, only the steps that come, go or change are named (the other
    steps depend on the rest of the request); otherwise the two outcomes are.
    """
    if before.outcome == after.outcome == "required_steps":
        old = {step: (by, level) for step, by, level in before.steps}
        new = {step: (by, level) for step, by, level in after.steps}
        parts = []
        added = [_step(s, *new[s]) for s in new if s not in old]
        removed = [_step(s, *old[s]) for s in old if s not in new]
        changed = [f"{s} ({_who(*old[s])} → {_who(*new[s])})" for s in new
                   if s in old and old[s] != new[s]]
        if added:
            parts.append("step" + ("s" if len(added) > 1 else "") + " added: " + ", ".join(added))
        if removed:
            parts.append("step" + ("s" if len(removed) > 1 else "") + " no longer required: "
                         + ", ".join(removed))
        if changed:
            parts.append("changed: " + ", ".join(changed))
        return "; ".join(parts) or "steps in another order"
    return f"{before.headline()} → {after.headline()}"


def _step(step: str, by: str | None, level: str) -> str:
    return step + (f" (by {by}, should)" if by and level == "should" else f" (by {by})" if by
                   else " (should)" if level == "should" else "")


def _who(by: str | None, level: str) -> str:
    return f"by {by or 'nobody named'}, {level}"


@attrs.frozen
class Change:
    """Requests of one action whose decision changes the same way."""

    action: str
    what: str
    count: int
    examples: tuple[tuple[Mapping[str, Any], Verdict, Verdict], ...]   # simplest first
    whatever: tuple[str, ...] = ()     # facts whose value does not matter to this change
    spec: vocab.Action | None = attrs.field(default=None, eq=False, repr=False)

    def example_texts(self) -> list[str]:
        assert self.spec is not None, "a change is made by diff_packs, with its action"
        return [request_text(self.spec, facts) for facts, _, _ in self.examples]


@attrs.frozen
class ActionSpace:
    """How one action's requests were covered: ``requests`` in the full space, decided as
    ``combinations`` of distinct cases (``capped``: a sample of them)."""

    action: str
    requests: int
    combinations: int
    capped: bool


@attrs.frozen
class PackDiff:
    old: CompiledPack
    new: CompiledPack
    at: dt.date
    changes: tuple[Change, ...]
    spaces: tuple[ActionSpace, ...]
    topics: tuple[tuple[str, Any, Any], ...]      # (topic id, old value, new value)
    rules_added: tuple[str, ...]
    rules_removed: tuple[str, ...]

    @property
    def capped(self) -> bool:
        return any(s.capped for s in self.spaces)


def diff_packs(old: CompiledPack, new: CompiledPack, at: dt.date = en.DEFAULT_AT,
               cap: int = en.CAP) -> PackDiff:
    changes: list[Change] = []
    spaces: list[ActionSpace] = []
    for action in new.vocabulary.actions.values():
        found = en.action_mentions([old, new], action)
        space = en.blocks(action, [old, new], found, at, cap)
        spaces.append(ActionSpace(action.name, space.size, space.combinations, space.capped))
        groups: dict[str, list[tuple[Mapping[str, Any], int, tuple[int, ...], Verdict,
                                     Verdict]]] = {}
        for facts, weight, chosen in space.requests():
            before = Verdict.of(en.decide(old, action.name, facts, at))
            after = Verdict.of(en.decide(new, action.name, facts, at))
            if before != after:
                groups.setdefault(change_of(before, after), []).append(
                    (facts, weight, chosen, before, after))
        base = en.defaults(action)
        for what, requests in groups.items():
            free = [] if space.capped else _free_facts(space, [r[2] for r in requests])
            requests.sort(key=lambda r: sum(1 for k in base if r[0].get(k) != base[k]))
            examples, seen = [], set()
            for example, _, _, before, after in requests:   # one per value of what matters
                key = tuple(repr(v) for k, v in example.items() if k not in free)
                if key not in seen:
                    seen.add(key)
                    examples.append((example, before, after))
            changes.append(Change(action.name, what, sum(r[1] for r in requests),
                                  tuple(examples[:EXAMPLES]), tuple(free), action))
    topics = tuple((t, _value_of(old, t), _value_of(new, t))
                   for t in dict.fromkeys([*old.topics, *new.topics])
                   if _value_of(old, t) != _value_of(new, t))
    old_ids = list(dict.fromkeys(r.id for r in old.rules))
    new_ids = list(dict.fromkeys(r.id for r in new.rules))
    return PackDiff(old, new, at, tuple(changes), tuple(spaces), topics,
                    tuple(i for i in new_ids if i not in old_ids),
                    tuple(i for i in old_ids if i not in new_ids))


def _value_of(pack: CompiledPack, topic_id: str) -> Any:
    setting = pack.topics.get(topic_id)
    return setting.value if setting is not None else None


def _free_facts(space: en.Blocks, chosen: list[tuple[int, ...]]) -> list[str]:
    """The facts a group of changed requests takes every value of, whatever the other
    facts are: the change does not depend on them.

    Blocks are independent, so it is enough to look inside each block: for every choice
    of the other blocks' cases, the block's assignments in the group (the members of its
    cases in the group) must take every value of the fact, whatever its other facts."""
    free = []
    for b, block in enumerate(space.blocks):
        present: dict[tuple[int, ...], set[int]] = {}
        for row in chosen:
            present.setdefault(row[:b] + row[b + 1:], set()).add(row[b])
        groups = [[m for i in cases for m in block.members[i]] for cases in present.values()]
        for f, (fact, values) in enumerate(zip(block.facts, block.domains)):
            if all(_takes_every_value(members, f, len(values)) for members in groups):
                free.append(fact)
    return free


def _takes_every_value(members: list[tuple[Any, ...]], f: int, values: int) -> bool:
    rest: dict[tuple[Any, ...], int] = {}
    for m in members:
        key = m[:f] + m[f + 1:]
        rest[key] = rest.get(key, 0) + 1
    return all(n == values for n in rest.values())


def render(diff: PackDiff) -> str:
    """The diff for people: changes grouped by action, then what else differs."""
    lines = [f"{diff.old.id} {diff.old.version} ({diff.old.origin}) → "
             f"{diff.new.id} {diff.new.version} ({diff.new.origin}), decided at "
             f"{diff.at.isoformat()}"]
    if not diff.changes:
        lines.append("no change in behaviour: every decision is the same")
    by_action: dict[str, list[Change]] = {}
    for change in diff.changes:
        by_action.setdefault(change.action, []).append(change)
    for action, changes in by_action.items():
        total = sum(c.count for c in changes)
        space = next(s for s in diff.spaces if s.action == action)
        lines.append("")
        lines.append(f"{action}: {total:,} of {space.requests:,} requests decided differently"
                     + (" (from a sample: there were too many to decide all)" if space.capped
                        else ""))
        for change in changes:
            whatever = (f", whatever {', '.join(change.whatever)}" if change.whatever else "")
            plural = "s" if change.count != 1 else ""
            lines.append(f"  {change.what}: {change.count:,} request{plural}" + whatever
                         + (", for example:" if len(change.examples) > 1 else ":"))
            for (_, before, after), text in zip(change.examples, change.example_texts()):
                lines.append(f"    {text}")
                if before.outcome != after.outcome and "required_steps" in (before.outcome,
                                                                              after.outcome):
                    lines.append(f"      {before} → {after}")
    if diff.topics or diff.rules_added or diff.rules_removed:
        lines.append("")
    for topic, before, after in diff.topics:
        lines.append(f"topic {topic}: {_value(before)} → {_value(after)}")
    if diff.rules_added:
        lines.append("rules added: " + ", ".join(diff.rules_added))
    if diff.rules_removed:
        lines.append("rules removed: " + ", ".join(diff.rules_removed))
    return "\n".join(lines)


def to_json(diff: PackDiff) -> dict[str, Any]:
    changes = []
    for change in diff.changes:
        action = change.spec
        assert action is not None, "a change is made by diff_packs, with its action"
        changes.append({
            "action": change.action, "change": change.what, "count": change.count,
            "whatever": list(change.whatever),
            "examples": [{"facts": request_json(action, facts), "before": before.to_json(),
                          "after": after.to_json()} for facts, before, after in change.examples],
        })
    return {
        "old": {"pack": diff.old.id, "version": diff.old.version, "origin": diff.old.origin},
        "new": {"pack": diff.new.id, "version": diff.new.version, "origin": diff.new.origin},
        "at": diff.at.isoformat(),
        "changed": bool(diff.changes),
        "changes": changes,
        "requests": {s.action: {"requests": s.requests, "decided": s.combinations,
                                "capped": s.capped} for s in diff.spaces},
        "topics": [{"id": t, "old": a, "new": b} for t, a, b in diff.topics],
        "rules_added": list(diff.rules_added), "rules_removed": list(diff.rules_removed),
    }


def _value(value: Any) -> str:
    if value is None:
        return "not regulated"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return str(value)
