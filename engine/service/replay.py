"""``policy replay``: decide a decision log's requests again, and say what changes.

Every entry of a decision log (``engine.service.decision_log``) holds the request as the
caller gave it, with the date it was decided at, and the decision as answered.
:func:`replay` reads the log's lines one at a time (constant memory, whatever the
log's length), decides each logged request again at its logged ``at`` with an
:class:`~engine.core.Engine` (:func:`replay_engine`: the installed packs, with packs
from files taking the place of installed packs of the same id), and compares:

- a decision **changes** when its outcome, its steps (ids and levels) or the rules that
  decided it (ids, effects and levels) differ; the wording of a reason or a step does
  not count;
- a line is **unusable** when it cannot be decided again as it was; each is counted by
  reason (:data:`REASONS`), never fatal.

Changes are grouped by pack and action (:class:`Group`); each group counts every
changed line and keeps up to ``show`` distinct changes (:class:`Change`: the request,
the old and the new decision, the rules behind the change), so memory stays bounded by
``show`` times the number of packs and actions.

:func:`open_log` reads plain or gzip-compressed logs, told apart by their first bytes.
:func:`render` and :func:`to_json` are the text and JSON views of a :class:`Replay`.
"""

from __future__ import annotations

import collections
import gzip
import io
import json
import os
import zlib
from pathlib import Path
from typing import IO, Any, BinaryIO, Callable, Iterable, Iterator, Mapping, Sequence

import attrs

from engine.core import Engine
from engine.model import Decision
from engine.errors import PackLoadError, PolicyError, RequestError, UnknownPackError
from engine.service.decision_log import BadLine, read_entries

__all__ = ["REASONS", "Change", "Group", "Replay", "replay", "replay_engine", "open_log",
           "render", "to_json", "GZIP_MAGIC"]

#: Why a line of the log cannot be replayed, by the word that names it.
REASONS = {
    "torn": "a partial line (a writer interrupted, or a compressed log cut short)",
    "not-json": "not JSON",
    "foreign": "JSON, but not a decision log entry (or no request and date in it)",
    "cut": "a request value was logged cut short (the entry's \"cut\" names it)",
    "unknown-pack": "the pack is not installed (nor given with --packs)",
    "pack-not-loaded": "the pack is installed but failed to load",
    "unknown-action": "the action is not in the vocabulary",
    "invalid-facts": "the facts do not fit the action's vocabulary now",
    "invalid-request": "the request is not one the engine takes (e.g. a bad date)",
}

GZIP_MAGIC = b"\x1f\x8b"


# ---- the engine ------------------------------------------------------------------------

def replay_engine(pack_paths: Sequence[str | os.PathLike[str]] = ()) -> Engine:
    """The installed packs, with the packs in ``pack_paths`` (``.policy`` files or folders
    of them, loaded as ``policy serve --packs`` loads them) in place of installed packs
    of the same id. Registers no decision-log plugin: replaying records nothing.

    The given packs are read in the words of the installed plugins together with those of
    a ``vocabulary.toml`` beside them, as ``policy serve --packs`` reads them: a sixth
    municipality's pack replays from its folder while its package is installed.

    Raises :class:`~engine.errors.PolicyError` when a pack in ``pack_paths`` does not
    load (its own error: words that cannot join the installed ones among them), or when
    two of them have the same id.
    """
    from engine.plugins import load_packs, load_vocabulary, make_plugin_manager
    from engine.service.reload import PackFile, pack_files
    installed = Engine.load()
    if not pack_paths:
        return installed
    files = [PackFile(p) for p in pack_files(pack_paths)]
    # the words: the installed plugins' and the files'; the packs: the files' alone
    vocabulary, refused = load_vocabulary(make_plugin_manager(plugins=files))
    given, failed = load_packs(make_plugin_manager(entry_points=False, plugins=files),
                               vocabulary, refused)
    if failed:
        raise failed[0].error
    loaded = {**installed.loaded, **given}
    failed_installed = [f for f in installed.failed if f.pack_id not in given]
    return Engine(loaded, installed.plugin_manager, failed_installed, vocabulary)


# ---- reading -----------------------------------------------------------------------------

def open_log(stream: BinaryIO) -> IO[bytes]:
    """The log's lines as bytes: ``stream`` itself, or its gzip-decompressed content
    when it starts with the gzip magic bytes (whatever its name). Reads ahead without
    consuming, so it works on standard input too."""
    buffered: io.BufferedReader
    if isinstance(stream, io.BufferedReader):
        buffered = stream
    else:
        buffered = io.BufferedReader(stream)     # type: ignore[arg-type]
    if buffered.peek(2)[:2] == GZIP_MAGIC:
        return io.BufferedReader(gzip.GzipFile(fileobj=buffered, mode="rb"))
    return buffered


def _lines(log: Iterable[bytes], problems: list[str]) -> Iterator[bytes]:
    """The lines of ``log``; a compressed log cut short or corrupt ends the lines, with
    what was wrong appended to ``problems`` (the caller counts it as a torn line)."""
    try:
        yield from log
    except (EOFError, OSError, zlib.error) as e:
        problems.append(f"the compressed log is cut short or corrupt ({e})")


# ---- comparing ---------------------------------------------------------------------------

Role = str          # what a rule did in a decision: "deny (must)", "step (should)", …


def _did(rule: str, effect: Any, level: Any) -> str:
    """What a reason did, as compared: its effect and level. The pack default's reason
    has no level (logs written before contract 1.1 say "must"), so none is compared."""
    return str(effect) if rule == "default" else f"{effect} ({level})"


def _roles(decision: Mapping[str, Any]) -> dict[str, str]:
    """Rule id -> what it did in ``decision`` (a decision JSON): its effects and levels."""
    roles: dict[str, list[str]] = {}
    for reason in _listed(decision, "reasons"):
        if type(reason) is dict:
            roles.setdefault(str(reason.get("rule")), []).append(
                _did(str(reason.get("rule")), reason.get("effect"), reason.get("level")))
    for step in _listed(decision, "steps"):
        if type(step) is dict:
            roles.setdefault(str(step.get("id")), []).append(f"step ({step.get('level')})")
    return {rule: ", ".join(sorted(done)) for rule, done in roles.items()}


def _listed(decision: Mapping[str, Any], key: str) -> list[Any]:
    value = decision.get(key)
    return value if type(value) is list else []


Answer = tuple[Any, tuple[tuple[str, str], ...]]


def _answer(decision: Mapping[str, Any]) -> Answer:
    """What a change is judged on: the outcome and each rule's role, sorted by rule."""
    return decision.get("outcome"), tuple(sorted(_roles(decision).items()))


def _answer_of(decision: Decision) -> Answer:
    """:func:`_answer` of a :class:`Decision` itself, without encoding it as JSON."""
    roles: dict[str, list[str]] = {}
    for reason in decision.reasons:
        roles.setdefault(reason.rule, []).append(_did(reason.rule, reason.effect, reason.level))
    for step in decision.steps:
        roles.setdefault(step.id, []).append(f"step ({step.level})")
    return decision.outcome, tuple(sorted(
        (rule, ", ".join(sorted(done))) for rule, done in roles.items()))


def rules_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rules whose role differs: ``[{"rule", "was", "now"}]`` (``None``: no role)."""
    before, after = _roles(old), _roles(new)
    return [{"rule": r, "was": before.get(r), "now": after.get(r)}
            for r in sorted(before.keys() | after.keys()) if before.get(r) != after.get(r)]


@attrs.define
class Change:
    """One distinct changed decision: the request (pack, action, facts, at), the decision
    JSON as logged (``old``) and as decided now (``new``), the rules behind the change,
    how many lines of the log made this same request with this same change (``lines``)
    and the first of them (``first_line``, counting from 1)."""

    request: Mapping[str, Any]
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    rules: list[dict[str, Any]]
    first_line: int
    lines: int = 1


@attrs.define
class Group:
    """The changes of one pack and action: every changed line counted (``changed``), up
    to ``show`` distinct changes kept (``shown``)."""

    pack: str
    action: str
    changed: int = 0
    shown: dict[str, Change] = attrs.field(factory=dict)   # by a key of request and answers

    @property
    def not_shown(self) -> int:
        return self.changed - sum(c.lines for c in self.shown.values())


@attrs.define
class Replay:
    """What replaying a log found. ``lines`` = ``changed`` + ``unchanged`` + ``unusable``."""

    lines: int = 0
    changed: int = 0
    unchanged: int = 0
    unusable: collections.Counter[str] = attrs.field(factory=collections.Counter)
    first_unusable: dict[str, tuple[int, str]] = attrs.field(factory=dict)  # line, message
    groups: dict[tuple[str, str], Group] = attrs.field(factory=dict)

    def skip(self, number: int, reason: str, message: str) -> None:
        self.unusable[reason] += 1
        self.first_unusable.setdefault(reason, (number, message))


def _reason(error: PolicyError) -> str:
    if isinstance(error, UnknownPackError):
        return "unknown-pack"
    if isinstance(error, PackLoadError) or not isinstance(error, RequestError):
        return "pack-not-loaded"
    if error.code == "unknown-action":
        return "unknown-action"
    return "invalid-facts" if (error.path or "").startswith("facts") else "invalid-request"


def _request_of(entry: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]] | str:
    """The entry's request and logged decision, or the reason it cannot be replayed."""
    request, decision = entry.get("request"), entry.get("decision")
    if type(request) is not dict or type(decision) is not dict \
            or type(request.get("at")) is not str or "outcome" not in decision:
        return "foreign"
    cut = entry.get("cut")
    if cut and type(cut) is dict and any(str(p).startswith("request") for p in cut):
        return "cut"
    return request, decision


def replay(engine: Engine, lines: Iterable[bytes], *, show: int = 10,
           progress: Callable[[int], None] | None = None, every: int = 4096) -> Replay:
    """Decide every entry of ``lines`` (a log's lines, as bytes) again with ``engine``.

    ``show``: distinct changes kept per pack and action (0: all, memory then grows with
    the number of distinct changes). ``progress`` is called with the number of lines
    read every ``every`` lines and at the end.
    """
    result = Replay()
    problems: list[str] = []
    decide = engine.decide
    from engine.serialization import to_json as decision_json
    for number, entry in read_entries(_lines(lines, problems)):
        result.lines = number
        if progress is not None and number % every == 0:
            progress(number)
        if isinstance(entry, BadLine):
            result.skip(number, entry.kind, entry.problem)
            continue
        found = _request_of(entry)
        if isinstance(found, str):
            result.skip(number, found, REASONS[found])
            continue
        request, old = found
        try:
            decided = decide(request.get("pack"), request.get("action"),  # type: ignore[arg-type]
                             request.get("facts"), request["at"])
        except PolicyError as e:
            result.skip(number, _reason(e), str(e))
            continue
        was, now = _answer(old), _answer_of(decided)
        if was == now:
            result.unchanged += 1
            continue
        new = decision_json(decided)
        result.changed += 1
        pack, action = str(request.get("pack")), str(request.get("action"))
        group = result.groups.get((pack, action))
        if group is None:
            group = result.groups[(pack, action)] = Group(pack, action)
        group.changed += 1
        key = json.dumps([request.get("facts"), request["at"], was, now],
                         sort_keys=True, default=str)
        shown = group.shown.get(key)
        if shown is not None:
            shown.lines += 1
        elif show == 0 or len(group.shown) < show:
            group.shown[key] = Change(
                {"pack": pack, "action": action, "facts": request.get("facts"),
                 "at": request["at"]}, old, new, rules_changed(old, new), number)
    if problems:
        result.lines += 1
        result.skip(result.lines, "torn", problems[0])
    if progress is not None:
        progress(result.lines)
    return result


# ---- views -------------------------------------------------------------------------------

_WORDS = {"allow": "ALLOW", "deny": "DENY", "required_steps": "REQUIRED STEPS"}


def summary(result: Replay) -> str:
    """``replayed N decisions: M changed, K unchanged, U unusable (torn 1, cut 2)``."""
    unusable = sum(result.unusable.values())
    named = ", ".join(f"{r} {n}" for r, n in sorted(result.unusable.items()))
    noun = "decision" if result.lines == 1 else "decisions"
    return (f"replayed {result.lines} {noun}: {result.changed} changed, "
            f"{result.unchanged} unchanged, {unusable} unusable"
            + (f" ({named})" if named else ""))


def _said(decision: Mapping[str, Any]) -> str:
    outcome = str(decision.get("outcome"))
    steps = [str(s.get("id")) for s in _listed(decision, "steps") if type(s) is dict]
    reasons = [str(r.get("rule")) for r in _listed(decision, "reasons") if type(r) is dict]
    listed = steps or reasons
    return (_WORDS.get(outcome, outcome) + (f" ({', '.join(listed)})" if listed else "")
            + (" by default" if decision.get("by_default") else "")
            + f"  [version {decision.get('pack_version')}]")


def render(result: Replay, source: str = "the log") -> str:
    """The text report: each pack and action's changes, the unusable lines, the summary."""
    from engine.service.http_io import printable      # a line shows only what it says
    out: list[str] = []
    for (pack, action), group in sorted(result.groups.items()):
        out.append(f"{pack} {action}: {group.changed} changed")
        for change in group.shown.values():
            facts = json.dumps(change.request.get("facts"), ensure_ascii=False, sort_keys=True)
            times = f"{change.lines} lines, first" if change.lines > 1 else "line"
            out.append(printable(f"  {facts} at {change.request.get('at')} "
                                 f"({times} {change.first_line})"))
            out.append(printable(f"    was: {_said(change.old)}"))
            out.append(printable(f"    now: {_said(change.new)}"))
            for rule in change.rules:
                out.append(printable(f"    rule {rule['rule']}: {rule['was'] or '-'} -> "
                                     f"{rule['now'] or '-'}"))
        if group.not_shown:
            out.append(f"  … and {group.not_shown} more changed lines")
        out.append("")
    for reason, count in sorted(result.unusable.items()):
        number, message = result.first_unusable[reason]
        out.append(printable(f"unusable: {count} {reason} (first: {source}:{number}: {message})"))
    out.append(summary(result))
    return "\n".join(out)


def to_json(result: Replay) -> dict[str, Any]:
    """The JSON report (see docs/service.md, "Replaying a log")."""
    return {
        "summary": {"lines": result.lines, "changed": result.changed,
                    "unchanged": result.unchanged,
                    "unusable": sum(result.unusable.values()),
                    "unusable_by_reason": dict(sorted(result.unusable.items()))},
        "changes": [
            {"pack": pack, "action": action, "changed": group.changed,
             "not_shown": group.not_shown,
             "shown": [{"request": c.request, "lines": c.lines, "first_line": c.first_line,
                        "old": c.old, "new": c.new, "rules": c.rules}
                       for c in group.shown.values()]}
            for (pack, action), group in sorted(result.groups.items())],
        "unusable": [{"reason": reason, "count": count,
                      "first_line": result.first_unusable[reason][0],
                      "message": result.first_unusable[reason][1]}
                     for reason, count in sorted(result.unusable.items())],
    }


def log_size(path: str | os.PathLike[str]) -> int | None:
    """The size in bytes of a regular file, for a progress bar; None otherwise."""
    try:
        return Path(path).stat().st_size if Path(path).is_file() else None
    except OSError:
        return None
