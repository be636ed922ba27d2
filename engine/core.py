"""The :class:`Engine`: installed packs plus the pipeline that decides requests.

    engine = Engine.load()
    engine.decide("tyreso", "like_page", {"page_category": "commercial"}, at=None)

``decide`` runs validate (``engine.validate``) → evaluate (every ``policy_evaluate``
implementation, the standard one first) → combine (``engine.decide``) → notify
(``policy_decision`` observers). An engine's packs and plugin list are replaced whole,
never mutated in place, so ``decide`` is safe from many threads at once and never sees
a half-loaded pack.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, Sequence, overload
from zoneinfo import ZoneInfo

import pluggy

from dsl.dates import date_hint
from engine import vocabulary as vocab
from engine.contract import contract_vocabulary
from engine.vocabulary import local_time
from engine.vocabulary import Vocabulary
from engine.collector import collection_paused
from engine.compiler import CompiledPack
from engine.evaluator import DslEvaluator
from engine.errors import (PolicyError, RequestError, UnknownPackError, did_you_mean, one_of,
                           show)
from engine.model import Decision, Finding, Request
from engine.plugins import (FailedPack, LoadedPack, load_packs, load_vocabulary,
                            make_plugin_manager)
from engine.fastpath import DecisionMemo, Normalise, Normaliser
from engine.validate import FactValidator, validators

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def request_from_json(data: Any) -> Request:
    """``engine.serialization.request_from_json``, imported when a request first needs
    the converter (cattrs takes a tenth of ``policy decide``'s start)."""
    from engine.serialization import request_from_json as structure
    return structure(data)


def today() -> dt.date:
    """Today's date in Sweden: the default "now" of a request."""
    return dt.datetime.now(STOCKHOLM).date()


class Engine:
    """A decision point over a set of compiled packs."""

    def __init__(self, loaded: Mapping[str, LoadedPack], pm: pluggy.PluginManager,
                 failed: Sequence[FailedPack] = (),
                 vocabulary: Vocabulary | None = None) -> None:
        self._loaded = dict(loaded)
        self._packs: dict[str, CompiledPack] = {k: v.pack for k, v in loaded.items()}
        # Packs whose edition depends on the day (several editions, or a dated one).
        self._dated = {k: v for k, v in loaded.items()
                       if v.editions or v.pack.in_force_from is not None}
        self._failed = tuple(failed)
        self._pm = pm
        self._vocabulary = vocabulary or contract_vocabulary()
        self._validators: dict[str, FactValidator] = validators(self._vocabulary)
        # the same checks, generated straight-line per action (engine.fastpath) when the
        # action is first asked for: a command deciding one request builds one of them
        self._normalisers: dict[str, Normalise] = {}
        self._memo = DecisionMemo()
        self._remembered = self._memo.get
        self._refresh_hooks()

    @classmethod
    def load(cls, *, plugins: Iterable[Any] = (), entry_points: bool = True,
             strict: bool = False, only: str | None = None) -> "Engine":
        """Load every installed pack through the ``policy.packs`` entry points.

        ``plugins`` are registered after the installed ones. With ``strict``, a pack that
        fails to load raises its error; otherwise it is left out and reported by
        :attr:`failed` (and by ``decide`` when a request names it). With ``only``, a pack
        id, the engine may leave out the packs of other ids (for a command about one
        pack; see :func:`engine.plugins.load_packs`).
        """
        pm = make_plugin_manager(entry_points=entry_points, plugins=plugins)
        vocabulary, refused = load_vocabulary(pm)
        loaded, failed = load_packs(pm, vocabulary, refused, only=only)
        if strict and failed:
            raise failed[0].error
        return cls(loaded, pm, failed, vocabulary)

    # ---- plugins -----------------------------------------------------------------
    def _refresh_hooks(self) -> None:
        hook = self._pm.hook
        impls = hook.policy_evaluate.get_hookimpls()
        standard = [i for i in impls if isinstance(i.plugin, DslEvaluator)]
        # The standard evaluator comes first (it is registered first); calling the plan
        # directly is what its hook implementation does, minus two calls.
        self._standard = bool(standard) and impls[0] is standard[0]
        if self._standard:
            impls = impls[1:]
        if any(i.hookwrapper or i.wrapper for i in impls):
            self._standard = False
            impls = hook.policy_evaluate.get_hookimpls()
            call = hook.policy_evaluate

            def evaluators(pack: CompiledPack, action: str, facts: Mapping[str, Any],
                           at: dt.date) -> list[Any]:
                return list(reversed(call(pack=pack, action=action, facts=facts, at=at)))
            self._evaluate_all: Callable[[CompiledPack, str, Mapping[str, Any], dt.date],
                                         list[Any]] | None = evaluators
            self._evaluators: tuple[Any, ...] = ()
        else:
            # Plain implementations: call them directly, in registration order (the
            # standard evaluator first). Same results as the hook call, less overhead.
            self._evaluators = tuple(i.function for i in impls)
            self._evaluate_all = None
        observers = hook.policy_decision.get_hookimpls()
        self._notify = None
        self._observers: tuple[Callable[[Request, Decision], None], ...] = ()
        if any(i.hookwrapper or i.wrapper for i in reversed(observers)):
            self._notify = hook.policy_decision
        else:
            # Plain observers: called directly, in the order pluggy calls them (the last
            # registered first), each with the arguments it names. Same calls, less
            # overhead than the hook's (about 2 µs a decision).
            self._observers = tuple(_observer(i.function, i.argnames)
                                    for i in reversed(observers))

    def register(self, plugin: Any, name: str | None = None) -> None:
        """Register a plugin (an observer or evaluator) on a loaded engine."""
        self._pm.register(plugin, name=name)
        self._pm.check_pending()
        self._refresh_hooks()

    def unregister(self, plugin: Any) -> None:
        self._pm.unregister(plugin)
        self._refresh_hooks()

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        return self._pm

    # ---- packs -------------------------------------------------------------------
    @property
    def vocabulary(self) -> Vocabulary:
        """The engine's words: the contract's and those its plugins contribute."""
        return self._vocabulary

    @property
    def packs(self) -> Mapping[str, CompiledPack]:
        return self._packs

    @property
    def loaded(self) -> Mapping[str, LoadedPack]:
        return self._loaded

    @property
    def failed(self) -> tuple[FailedPack, ...]:
        return self._failed

    def edition(self, pack_id: str, at: dt.date | str | None = None) -> CompiledPack:
        """The edition of pack ``pack_id`` in force on ``at`` (default today).

        Raises :class:`UnknownPackError` for an unknown pack, :class:`RequestError` with
        code ``not-in-force`` when no edition is in force that day.
        """
        self.pack(pack_id)
        return self._loaded[pack_id].edition_on(_date(at))

    def _action_hint(self, action: object) -> str:
        """A suggestion for an unknown action, by name or by label ("gilla en sida")."""
        if not isinstance(action, str):
            return ""
        actions = self._vocabulary.actions
        return did_you_mean(action, actions,
                            self._vocabulary.names_of({f"action:{a}": a for a in actions}))

    def pack(self, pack_id: str) -> CompiledPack:
        if not isinstance(pack_id, str):
            raise RequestError(f"\"pack\" must be a pack id (a string), got {show(pack_id)}",
                               path="pack", code="bad-request")
        pack = self._packs.get(pack_id)
        if pack is not None:
            return pack
        for failure in self._failed:
            if failure.pack_id == pack_id:
                raise failure.error
        names = {p.name: i for i, p in self._packs.items()}     # "Tyresö kommun"
        raise UnknownPackError(
            f"unknown pack '{pack_id}'{did_you_mean(pack_id, self._packs, names)}; installed packs "
            f"are {one_of(self._packs) if self._packs else 'none'}", path="pack")

    # ---- deciding ----------------------------------------------------------------
    def decide(self, pack: str, action: str, facts: Mapping[str, Any] | None = None,
               at: dt.date | str | None = None) -> Decision:
        """Decide one request; bad input raises :class:`~engine.errors.RequestError`.

        The facts are checked by the action's generated normaliser (the validator's
        checks, ``engine.fastpath``), and the decision for findings already seen that day
        is the one combined then (:class:`~engine.fastpath.DecisionMemo`).
        """
        compiled = self._packs.get(pack) if type(pack) is str else None
        if compiled is None:
            compiled = self.pack(pack)
        normalise = self._normalisers.get(action) if isinstance(action, str) else None
        if normalise is None and isinstance(action, str) and action in self._validators:
            normalise = self._normalisers[action] = Normaliser(self._validators[action]).function
        if normalise is None:
            raise RequestError(
                f"unknown action {_quoted(action)}{self._action_hint(action)}; "
                f"actions are {one_of(self._vocabulary.actions)}", path="action", code="unknown-action")
        now: dt.datetime | None = None
        if type(at) is dt.date:
            when = at
        else:
            parsed = _iso_at(at) if type(at) is str else None
            if type(parsed) is dt.date:
                when = parsed
            else:
                when, now = moment(at)
        normalised = normalise(facts if facts is not None else {}, now)
        if self._dated and pack in self._dated:
            compiled = self._dated[pack].edition_on(when)
        if self._evaluate_all is None:
            if self._standard:
                plan = compiled.plans.get(action)
                findings: list[Finding] = plan(normalised, when) if plan is not None else []
            else:
                findings = []
            for evaluate in self._evaluators:
                result = evaluate(compiled, action, normalised, when)
                if result:
                    findings.extend(result)
        else:
            findings = [f for r in self._evaluate_all(compiled, action, normalised, when)
                        if r for f in r]
        # the memo's key (fastpath.DecisionMemo.key); one finding is the common case
        key = (id(compiled), action, when, id(findings[0])) if len(findings) == 1 else \
            (id(compiled), action, when, *map(id, findings))
        hit = self._remembered(key)
        decision = hit[0] if hit is not None else self._memo.decide(
            compiled, action, findings, when, key)
        if self._observers or self._notify is not None:
            # the request as decided: its day, and its time of day when the caller gave one
            # (a derived fact may count hours from it; a replay needs it again)
            request = Request(pack, action, dict(facts or {}),
                              now if now is not None and at is not None else when)
            for observe in self._observers:
                observe(request, decision)
            if self._notify is not None:
                self._notify(request=request, decision=decision)
        return decision

    def decide_request(self, request: Request | Mapping[str, Any]) -> Decision:
        """Decide a :class:`Request`, or a request object as parsed from JSON."""
        if type(request) is dict and _PLAIN_KEYS >= request.keys() >= _REQUIRED_KEYS \
                and type(request["pack"]) is str and type(request["action"]) is str \
                and type(request["facts"]) is dict:
            # A well-formed request object: decide checks every value itself, so the
            # converter's copy is not needed (it is still what reports malformed ones).
            at = _at_from_json(request.get("at"))
            if at is not _BAD:
                return self.decide(request["pack"], request["action"], request["facts"], at)
        if not isinstance(request, Request):
            request = request_from_json(request)
        return self.decide(request.pack, request.action, request.facts, request.at)

    def decide_many(self, requests: Iterable[Request | Mapping[str, Any]]) -> list[Decision]:
        """Decide several requests, in order. A bad one raises, naming its index.

        Automatic garbage collection is paused while the batch runs (and resumed after,
        when it was on): the decisions kept for the list would otherwise make the cyclic
        collector walk an ever larger heap, and a decision costs more the larger the
        batch. Deciding makes no reference cycles, so nothing waits for the collector.
        """
        with collection_paused():
            return list(self.decide_stream(requests))

    @overload
    def decide_stream(self, requests: Iterable[Request | Mapping[str, Any]], *,
                      on_error: Literal["raise"] = "raise") -> Iterator[Decision]: ...

    @overload
    def decide_stream(self, requests: Iterable[Request | Mapping[str, Any]], *,
                      on_error: Literal["yield"]) -> Iterator[Decision | RequestError]: ...

    def decide_stream(self, requests: Iterable[Request | Mapping[str, Any]], *,
                      on_error: str = "raise") -> Iterator[Decision | RequestError]:
        """Decide requests one at a time, as they are taken from ``requests``.

        Lazy: a request is read only when the next decision is asked for, and nothing is
        kept between two, so an endless or very large iterable (lines of a file, rows of a
        cursor) is decided in constant memory. Each request is decided as
        :meth:`decide_request` decides it, and a bad one is a :class:`RequestError` whose
        message starts ``request N:`` and whose ``path`` starts ``[N]``, N counting from 0,
        as in :meth:`decide_many`. With ``on_error="raise"`` (the default) that error is
        raised once the decisions before it have been yielded, and the stream ends; with
        ``on_error="yield"`` it is yielded in the request's place and the stream goes on.
        Other errors (a pack that failed to load) are raised either way.

        The garbage collector is left as it is: the caller's code runs between two
        decisions. A caller who keeps every decision can pause it as
        :meth:`decide_many` does.
        """
        if on_error not in ("raise", "yield"):
            raise ValueError(f"on_error must be 'raise' or 'yield', got {on_error!r}")
        decide = self.decide_request
        for index, request in enumerate(requests):
            try:
                decision = decide(request)
            except RequestError as e:
                error = indexed(e, index)
                if on_error == "raise":
                    raise error from None
                yield error
                continue
            yield decision


def indexed(error: RequestError, index: int) -> RequestError:
    """``error`` of the request at ``index`` of a batch: ``request 2: …``, path ``[2]…``."""
    path = f"[{index}]" + (f".{error.path}" if error.path and not error.path.startswith("$")
                           else (error.path or "")[1:])
    return type(error)(f"request {index}: {error.message}", code=error.code, path=path)


def _observer(function: Callable[..., Any],
              argnames: Sequence[str]) -> Callable[[Request, Decision], None]:
    """A ``policy_decision`` implementation as a call of (request, decision), passing
    only the arguments it names, as pluggy does."""
    names = tuple(argnames)
    if names == ("request", "decision"):
        return function
    if names == ("decision",):
        return lambda request, decision: function(decision)
    if names == ("request",):
        return lambda request, decision: function(request)
    if not names:
        return lambda request, decision: function()
    return lambda request, decision: function(decision, request)   # ("decision", "request")


def _date(at: dt.date | str | None) -> dt.date:
    return moment(at)[0]


def moment(at: dt.date | str | None) -> tuple[dt.date, dt.datetime | None]:
    """The day a request is decided on and, when ``at`` has one, its time of day (Swedish
    local time). No ``at``: now in Sweden."""
    if at is None:
        now = dt.datetime.now(STOCKHOLM).replace(tzinfo=None)
        return now.date(), now
    if isinstance(at, dt.datetime):
        local = at if at.tzinfo is None else local_time(at)
        return local.date(), local
    if isinstance(at, dt.date):
        return at, None
    if isinstance(at, str):
        parsed = _iso_at(at)
        if isinstance(parsed, dt.datetime):
            return parsed.date(), parsed
        if parsed is not None:
            return parsed, None
    raise RequestError(f"\"at\" must be a date as \"YYYY-MM-DD\" or a time as "
                       f"\"YYYY-MM-DDTHH:MM\", got {show(at)}{date_hint(at)}", path="at",
                       code="bad-date")


def _quoted(value: Any) -> str:
    """A name as messages quote it: 'like_page', or the JSON of something that is not one."""
    return f"'{value}'" if isinstance(value, str) else show(value)


_PLAIN_KEYS = frozenset(("pack", "action", "facts", "at"))
_REQUIRED_KEYS = frozenset(("pack", "action", "facts"))


_BAD = object()


def _at_from_json(at: Any) -> Any:
    """``at`` of a JSON request (absent or null: today), or ``_BAD`` when it is not a
    "YYYY-MM-DD" string (the converter then reports it)."""
    if at is None:
        return None
    if type(at) is str:
        parsed = _iso_at(at)
        if parsed is not None:
            return parsed
    return _BAD


@functools.lru_cache(maxsize=256)
def _iso_at(text: str) -> dt.date | dt.datetime | None:
    """Parse "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM…" (None if neither); callers send the
    same few."""
    return vocab.parse_at(text)


__all__ = ["Engine", "today", "PolicyError"]
