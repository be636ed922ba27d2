"""Combine the findings for a request into a decision.

The combining rules of the contract, and nothing else:

1. any deny finding wins: ``deny``, its reasons are the deny rules that matched;
2. otherwise any unmet requirement gives ``required_steps``, listing every unmet step
   once (by step id, first occurrence first) in rule order, with the unmet rules as
   reasons;
3. otherwise, if any rule spoke (an allow matched or a requirement is met): ``allow``,
   with those rules as reasons;
4. otherwise no rule spoke: the pack's default outcome, ``by_default`` true, with a
   reason saying so.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from engine.compiler import CompiledPack
from engine.model import Decision, Finding


def decide(pack: CompiledPack, action: str, findings: Iterable[Finding],
           at: dt.date) -> Decision:
    denies, unmet, spoke = [], [], []
    for f in findings:
        kind = f.kind
        if kind == "deny":
            denies.append(f.reason)
        elif kind == "unmet":
            unmet.append(f)
        else:
            spoke.append(f.reason)
    if denies:
        return Decision(pack.id, action, "deny", (), tuple(denies), False, pack.version, at,
                        pack.in_force_from)
    if unmet:
        steps, seen = [], set()
        for f in unmet:
            step = f.step
            if step is not None and step.id not in seen:
                seen.add(step.id)
                steps.append(step)
        return Decision(pack.id, action, "required_steps", tuple(steps),
                        tuple(f.reason for f in unmet), False, pack.version, at,
                        pack.in_force_from)
    if spoke:
        return Decision(pack.id, action, "allow", (), tuple(spoke), False, pack.version, at,
                        pack.in_force_from)
    return Decision(pack.id, action, pack.default, (), (pack.default_reason,), True,
                    pack.version, at, pack.in_force_from)
