"""Click's own usage errors as the contract has every error: one ``error: …`` line, exit 2.

Click reports a missing argument, an unknown option, a bad choice or an unknown command
in four lines (usage, a hint, a blank line, the error). :class:`PolicyGroup`, the class
of the ``policy`` group, runs every command and turns such an error into one line that
names the command, what is wrong and what is valid, with a "did you mean" for a near
miss (``engine.errors.did_you_mean``: case-insensitive):

    error: policy decide: no such option '--fact' (did you mean '--facts'?); its options are …
    error: policy decide: '--format' must be one of 'json' or 'text', not 'JSON' (did you mean 'json'?)
    error: policy diff: missing argument OLD; usage: policy diff [OPTIONS] OLD [NEW]

``policy`` alone prints its help, as asked for.
"""

from __future__ import annotations

import re
import sys
from typing import Any, NoReturn, Sequence

import click


class PolicyGroup(click.Group):
    """A click group whose usage errors, in any of its commands, are one line."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        given = sys.argv[1:] if args is None else list(args)
        if not given:
            given = ["--help"]            # 'policy' alone asks what there is
        try:
            result = super().main(given, prog_name, complete_var, False, **extra)
        except click.UsageError as e:
            if e.ctx is None:             # raised while parsing: the command it was for
                e.ctx = self._context_for(given, prog_name or "policy")
            _fail(one_line(e))
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


    def _context_for(self, args: Sequence[str], prog_name: str) -> click.Context:
        """A context naming the command ``args`` call (the group when none), for an
        error raised before click made one."""
        top = click.Context(self, info_name=prog_name)
        name = next((a for a in args if not a.startswith("-")), None)
        command = self.commands.get(name) if name is not None else None
        return click.Context(command, info_name=name, parent=top) if command else top


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def one_line(e: click.UsageError) -> str:
    """The usage error ``e`` as one line: the command, what is wrong, what is valid."""
    from engine.errors import did_you_mean, one_of

    ctx = e.ctx
    where = f"{ctx.command_path}: " if ctx is not None else ""
    message = " ".join(e.format_message().split())
    if isinstance(e, click.NoSuchOption) and ctx is not None:
        options = _options(ctx.command)
        return (f"{where}no such option '{e.option_name}'{did_you_mean(e.option_name, options)}; "
                f"its options are {one_of(options, limit=30)}")
    if isinstance(e, click.MissingParameter) and e.param is not None and ctx is not None:
        kind = "argument" if isinstance(e.param, click.Argument) else "option"
        name = (e.param.human_readable_name if kind == "argument"
                else (e.param.opts or [e.param.human_readable_name])[0])
        return f"{where}missing {kind} {name}; usage: {_usage(ctx)}"
    if isinstance(e, click.BadParameter) and e.param is not None and ctx is not None:
        name = _param_name(e.param)
        choices = getattr(e.param.type, "choices", None)
        if choices is not None:
            valid = [str(c) for c in choices]
            given = _quoted_value(message)
            hint = did_you_mean(given, valid) if given is not None else ""
            shown = f", not '{given}'" if given is not None else ""
            return f"{where}{name} must be one of {one_of(valid)}{shown}{hint}"
        text = " ".join(e.message.split()).rstrip(".")
        return f"{where}{name}: {text}"
    command = re.match(r"No such command '([^']*)'", message)
    if command and ctx is not None and isinstance(ctx.command, click.Group):
        names = ctx.command.list_commands(ctx)
        return (f"no such command '{command.group(1)}'{did_you_mean(command.group(1), names)}; "
                f"the commands are {one_of(names, limit=30)}")
    text = message.rstrip(".")
    text = text[:1].lower() + text[1:]
    return f"{where}{text}" + (f"; usage: {_usage(ctx)}" if ctx is not None else "")


def _options(command: click.Command) -> list[str]:
    return sorted({opt for p in command.params if isinstance(p, click.Option)
                   for opt in (*p.opts, *p.secondary_opts) if not p.hidden}
                  | {"--help", "-h"})


def _param_name(param: click.Parameter) -> str:
    if isinstance(param, click.Argument):
        return param.human_readable_name
    return (param.opts or [param.human_readable_name])[0]


def _quoted_value(message: str) -> str | None:
    """The value click quotes first in a bad-choice message (``'xml' is not one of …``)."""
    found = re.search(r"'((?:[^'\\]|\\.)*)' is not", message)
    return found.group(1) if found else None


def _usage(ctx: click.Context) -> str:
    return " ".join(ctx.command.get_usage(ctx).split()).removeprefix("Usage: ")
