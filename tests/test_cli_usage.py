"""Click's own usage errors, for every command: one ``error:`` line that names the command,
what is wrong and what is valid, and exit status 2 (the contract's "Bad input").

The commands and their parameters are walked from the ``policy`` group itself, so a new
command or option is covered without a line here. Usage errors come before a command
runs, so the walk runs in process; the last test runs the real command.
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from engine.cli import main
from tests.test_cli import policy

COMMANDS = sorted(main.commands)


def usage_error(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), prog_name="policy")
    assert result.exit_code == 2, (args, result.output)
    assert result.stdout == "", (args, result.stdout)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, result.stderr)
    return lines[0]


def _options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option) and not p.hidden]


@pytest.mark.parametrize("name", COMMANDS)
def test_an_unknown_option_names_the_options_there_are(name):
    line = usage_error(name, "--no-such-option")
    assert line.startswith(f"error: policy {name}: no such option '--no-such-option'; its "
                           "options are "), line
    for option in _options(main.commands[name]):
        assert f"'{option.opts[0]}'" in line, (option.opts[0], line)


@pytest.mark.parametrize("name", COMMANDS)
def test_a_near_miss_of_an_option_gets_did_you_mean(name):
    option = max((o.opts[0] for o in _options(main.commands[name]) if o.opts[0].startswith("--")),
                 key=len)
    line = usage_error(name, option.upper())
    assert f"(did you mean '{option}'?)" in line, line


@pytest.mark.parametrize("name", [n for n in COMMANDS if any(
    isinstance(p, click.Argument) and p.required for p in main.commands[n].params)])
def test_a_missing_argument_names_it_and_shows_the_usage(name):
    command = main.commands[name]
    first = next(p for p in command.params if isinstance(p, click.Argument) and p.required)
    line = usage_error(name)
    assert line.startswith(f"error: policy {name}: missing argument {first.human_readable_name}; "
                           f"usage: policy {name} "), line


CHOICES = [(name, option) for name in COMMANDS for option in _options(main.commands[name])
           if isinstance(option.type, click.Choice)]


@pytest.mark.parametrize("name, option", CHOICES,
                         ids=[f"{n}-{o.opts[0]}" for n, o in CHOICES])
def test_a_bad_choice_names_the_choices_and_a_near_one(name, option):
    valid = [str(c) for c in option.type.choices]
    line = usage_error(name, option.opts[0], "nonsense")
    assert line.startswith(f"error: policy {name}: {option.opts[0]} must be one of "), line
    assert all(f"'{c}'" in line for c in valid) and "not 'nonsense'" in line, line
    line = usage_error(name, option.opts[0], valid[-1].upper())
    assert f"(did you mean '{valid[-1]}'?)" in line, line


VALUED = [(name, option) for name in COMMANDS for option in _options(main.commands[name])
          if not option.is_flag and not option.count]


@pytest.mark.parametrize("name, option", VALUED, ids=[f"{n}-{o.opts[0]}" for n, o in VALUED])
def test_an_option_without_its_value_says_so(name, option):
    line = usage_error(name, option.opts[0])
    assert line.startswith(f"error: policy {name}: option '{option.opts[0]}' requires "), line
    assert f"; usage: policy {name} " in line, line


def test_the_group_itself():
    line = usage_error("decid")
    assert line.startswith("error: no such command 'decid' (did you mean 'decide'?); the "
                           "commands are 'check', 'decide', "), line
    assert "(did you mean 'decide'?)" in usage_error("DECIDE")
    assert usage_error("--bogus").startswith("error: policy: no such option '--bogus'")
    result = CliRunner().invoke(main, [], prog_name="policy")   # 'policy' alone: the help, as asked
    assert result.exit_code == 0 and result.stdout.startswith("Usage: policy ")


def test_an_extra_argument_is_one_line():
    line = usage_error("decide", "tyreso", "like_page", "extra")
    assert line == ("error: policy decide: got unexpected extra argument (extra); usage: "
                    "policy decide [OPTIONS] [PACK] [ACTION]")


def test_the_real_command_prints_one_line_and_exits_2():
    r = policy("decide", "--fact", "{}")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == ("error: policy decide: no such option '--fact' (did you mean "
                        "'--facts'?); its options are '--at', '--decision-log', '--facts', "
                        "'--format', '--help', '--input', '--on-error' or '-h'\n")
    r = policy("explain", "--format", "JSON")
    assert (r.returncode, r.stderr) == (2, "error: policy explain: --format must be one of "
                                           "'html', 'json', 'markdown' or 'text', not 'JSON' "
                                           "(did you mean 'json'?)\n")
