"""The fast path of a decision: generated fact checking, and decisions memoised.

:func:`normalisers` turns each action of a vocabulary into one straight-line Python
function, ``normalise_ACTION(facts, now)``, that checks and completes a request's facts
exactly as :meth:`FactValidator.normalise <engine.validate.FactValidator.normalise>`
does for the common case: a ``dict`` of known fact names with values of the expected
Python types (bools, whole numbers, ASCII or composed strings, enum values, sets as lists
or sets, dates and times as ISO strings or ``datetime`` objects). Anything else (an
unknown or decomposed fact name, a wrong type, a value not in its enum, a duplicate, a
missing required fact, a mapping that is not a dict) goes to the validator itself, which
either normalises it (decomposed accents) or raises its error: every error, message,
code and path comes from the one validator, so the fast path cannot word one
differently. The generated source is kept (``Normaliser.code``) for reading.

:class:`DecisionMemo` keeps the :class:`~engine.model.Decision` built for a pack edition,
an action, a day and the findings the evaluators returned (by identity: the standard
plans return prebuilt findings), so a request whose findings were seen that day gets
the same, immutable decision without combining again. It holds the findings it was keyed
on, so their identities cannot be reused while it remembers them, and it forgets
everything when it is full.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Callable, Mapping

from engine import vocabulary as vocab
from engine.decide import decide as combine
from engine.json_input import nfc
from engine.model import Decision, Finding
from engine.validate import FactValidator

Normalise = Callable[[Any, "dt.datetime | None"], dict[str, Any]]


@functools.lru_cache(maxsize=1024)
def _date(text: str) -> dt.date | None:
    """``vocab.parse_date`` for a string, remembered (requests send the same few days)."""
    return vocab.parse_date(text)


@functools.lru_cache(maxsize=1024)
def _datetime(text: str) -> dt.datetime | None:
    """``vocab.parse_datetime`` for a string, remembered."""
    return vocab.parse_datetime(text)


class Normaliser:
    """The generated normalising function of one action, with its source."""

    def __init__(self, validator: FactValidator) -> None:
        self.validator = validator
        self.code, self.function = _generate(validator)

    def __call__(self, facts: Any, now: dt.datetime | None = None) -> dict[str, Any]:
        return self.function(facts, now)


def _check(kind: str, var: str, slow: str, fact: str) -> list[str]:
    """Lines that check ``var`` (a value of kind ``kind`` the request gave), leaving it
    normalised, or return the slow path's answer."""
    if kind == "bool":
        return [f"if {var} is not True and {var} is not False: {slow}"]
    if kind == "int":
        return [f"if type({var}) is not int or {var} < 0: {slow}"]
    if kind == "string":
        return [f"if type({var}) is not str: {slow}",
                f"if not {var}.isascii(): {var} = _nfc({var})"]
    if kind == "enum":
        return [f"if type({var}) is not str or {var} not in _E_{fact}: {slow}"]
    if kind == "set":
        return [f"_t = type({var})",
                "if _t is list or _t is tuple:",
                f"    _s = frozenset({var})",
                f"    if len(_s) != len({var}) or not _s <= _E_{fact}: {slow}",
                f"    {var} = _s",
                "elif _t is frozenset or _t is set:",
                f"    if not {var} <= _E_{fact}: {slow}",
                f"    {var} = frozenset({var})",
                f"else: {slow}"]
    if kind == "date":
        return [f"_t = type({var})",
                "if _t is str:",
                f"    {var} = _date({var})",
                f"    if {var} is None: {slow}",
                f"elif _t is not _Date: {slow}"]
    if kind == "datetime":
        return [f"_t = type({var})",
                "if _t is str:",
                f"    {var} = _datetime({var})",
                f"    if {var} is None: {slow}",
                f"elif _t is not _DateTime or {var}.tzinfo is not None: {slow}"]
    raise AssertionError(kind)  # pragma: no cover - the vocabulary has no other kinds


def _generate(validator: FactValidator) -> tuple[str, Normalise]:
    action = validator.action
    namespace: dict[str, Any] = {
        "_slow": validator.normalise, "_nfc": nfc, "_date": _date, "_datetime": _datetime,
        "_Date": dt.date, "_DateTime": dt.datetime, "_M": _MISSING,
        # the set's own method: faster than facts.keys() <= known
        "_known": frozenset(f.name for f in action.facts).issuperset,
    }
    slow = "return _slow(facts, now)"
    body = ["if type(facts) is not dict or not _known(facts):", f"    {slow}",
            "_g = facts.get", "try:"]
    out = []
    for i, fact in enumerate(action.facts):
        var, kind, default = f"v{i}", fact.type.kind, fact.default
        if kind == "enum":
            namespace[f"_E_{i}"] = frozenset(fact.type.values)
        elif kind == "set":
            namespace[f"_E_{i}"] = frozenset(fact.type.element_type.values)
        check = _check(kind, var, slow, str(i))
        if default is not None:
            # a default the check takes (false, 0, the empty set) needs no test of its own
            namespace[f"_D_{i}"] = default
            literal = repr(default) if kind in ("bool", "int") else f"_D_{i}"
            body.append(f"    {var} = _g({fact.name!r}, {literal})")
            body += [f"    {line}" for line in check]
        else:
            body.append(f"    {var} = _g({fact.name!r}, _M)")
            body.append(f"    if {var} is _M:")
            body.append(f"        {slow}" if fact.required else f"        {var} = None")
            body.append("    else:")
            body += [f"        {line}" for line in check]
        out.append(f"{fact.name!r}: {var}")
    # an unhashable value (a list where a name belongs): the validator says what is wrong
    body += ["except TypeError:", f"    {slow}", f"out = {{{', '.join(out)}}}"]
    for i, derived in enumerate(action.derived):
        namespace[f"_C_{i}"] = derived.compute
        body.append(f"out[{derived.name!r}] = _C_{i}(out, now)")
    body.append("return out")
    fname = f"normalise_{action.name}"
    code = (f"# generated from the vocabulary's action '{action.name}'\n"
            f"def {fname}(facts, now):\n" + "".join(f"    {line}\n" for line in body))
    exec(compile(code, f"<normalise {action.name}>", "exec"), namespace)  # noqa: S102
    return code, namespace[fname]


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def normalisers(validators: Mapping[str, FactValidator]) -> dict[str, Normalise]:
    """One generated normalising function per action, from its validator."""
    return {name: Normaliser(v).function for name, v in validators.items()}


class DecisionMemo:
    """Decisions by (pack edition, action, day, findings by identity); see the module.

    ``get(key(...))`` is the remembered decision's entry (its ``[0]``) or None; on a
    miss, :meth:`decide` combines and remembers. The engine calls ``get`` itself, so that
    a hit costs one tuple and one lookup.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._memo: dict[tuple[Any, ...], tuple[Decision, Any, Any]] = {}
        self.get = self._memo.get

    @staticmethod
    def key(pack: Any, action: str, findings: list[Finding], at: dt.date) -> tuple[Any, ...]:
        if len(findings) == 1:
            return (id(pack), action, at, id(findings[0]))
        return (id(pack), action, at, *map(id, findings))

    def decide(self, pack: Any, action: str, findings: list[Finding], at: dt.date,
               key: tuple[Any, ...] | None = None) -> Decision:
        """The decision ``engine.decide.decide`` gives for these arguments."""
        if key is None:
            key = self.key(pack, action, findings, at)
        hit = self._memo.get(key)
        if hit is not None:
            return hit[0]
        decision = combine(pack, action, findings, at)
        memo = self._memo
        if len(memo) >= self.size:
            memo.clear()
        # the pack and findings are kept so that their identities stay theirs
        memo[key] = (decision, pack, tuple(findings))
        return decision

    def __len__(self) -> int:
        return len(self._memo)

    def clear(self) -> None:
        self._memo.clear()
