"""What every command of the ``policy`` command line shares.

Bad input of any kind ends with one line on stderr (``error: …``) naming what is wrong
and what is valid, and exit status 2; never a traceback. The commands' modules import
from here, never from the package that registers them.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from typing import Any, Callable, NoReturn, ParamSpec, TypeVar

import click

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the project's errors into ``error: …`` and exit status 2."""
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from engine.errors import PolicyError
        try:
            return func(*args, **kwargs)
        except PolicyError as e:
            fail(str(e))
    return wrapper


def records_decisions(func: Callable[..., R]) -> Callable[..., R]:
    """With ``--decision-log PATH`` (or ``POLICY_DECISION_LOG``), log the decisions made.

    They are written when the command succeeds; a command that fails writes none. The
    command gets a ``decision_log`` keyword (its option) that ``func`` does not take.
    """
    @functools.wraps(func)
    def wrapper(*args: Any, decision_log: str | None = None, **kwargs: Any) -> R:
        if not decision_log:
            return func(*args, **kwargs)
        from engine.service.decision_log import recording
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(recording(decision_log, "cli"))
            except OSError as e:
                fail(f"cannot append to the decision log {decision_log}: {e.strerror or e}")
            result = func(*args, **kwargs)
            try:
                stack.close()          # writes the entries
            except OSError as e:
                fail(f"cannot append to the decision log {decision_log}: {e.strerror or e}")
            return result
    return wrapper


def load_engine(only: str | None = None) -> Any:
    """The engine of every installed pack, with the decision log's plugin when the
    command records decisions. With ``only``, a pack id, the engine may leave out the
    packs of other ids (see :func:`engine.plugins.load_packs`)."""
    from engine.core import Engine
    plugins: tuple[Any, ...] = ()
    if _LOG_MODULE in sys.modules:          # only a recording command has imported it
        from engine.service.decision_log import scope_plugins
        plugins = scope_plugins()
    return Engine.load(plugins=plugins, only=only)


def commit_decisions() -> None:
    """Hand the log entries of the decisions made so far to the decision log, when the
    command records decisions (for a command that delivers its decisions as it goes)."""
    if _LOG_MODULE in sys.modules:
        from engine.service.decision_log import current_scope
        unit = current_scope()
        if unit is not None:
            unit.commit()


_LOG_MODULE = "engine.service.decision_log"


def parse_json(text: str | bytes, what: str) -> Any:
    """JSON text given on the command line, read as every surface reads it
    (``engine.json_input``); bad text ends with ``error: …`` and exit status 2."""
    from engine.errors import RequestError
    from engine.json_input import parse_json as read
    try:
        return read(text, what)
    except RequestError as e:
        fail(e.message)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))




def counted(n: int, word: str) -> str:
    """``1 error``, ``2 errors``: a number with its noun."""
    return f"{n} {word}{'' if n == 1 else 's'}"


class _Range:
    """A range described in words ("from 0 to 65535", "1 or more") in errors and help,
    rather than click's ``0<=x<=65535``."""

    min: Any
    max: Any
    name: str

    def fail(self, message: str, param: click.Parameter | None = None,
             ctx: click.Context | None = None) -> NoReturn:
        if " is not in the range " in message:
            given = message.split(" is not in the range ", 1)[0]
            message = (f"{given} is out of range: give a {self.name} "
                       f"{self._describe_range()}")
        super().fail(message, param, ctx)                    # type: ignore[misc]
        raise AssertionError("unreachable: click's fail raises")  # pragma: no cover

    def _describe_range(self) -> str:
        if self.min is None:
            return f"{self.max} or less"
        if self.max is None:
            return f"{self.min} or more"
        return f"from {self.min} to {self.max}"


class WholeRange(_Range, click.IntRange):
    """A whole number within a range: ``--port abc`` is "'abc' is not a valid whole
    number", ``--port 70000`` "70000 is out of range: give a whole number from 0 to
    65535"."""

    name = "whole number"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return "N"


class NumberRange(_Range, click.FloatRange):
    """A number (a fraction allowed, as of seconds) within a range, as WholeRange."""

    name = "number"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return "NUMBER"
