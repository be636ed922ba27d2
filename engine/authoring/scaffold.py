"""Scaffold a new pack as a distribution of its own: the engine behind ``policy new``.

``scaffold(pack_id, into, …)`` writes a folder ``policy-pack-ID`` that ``pip install -e``
turns into an installed pack, visible to ``policy packs`` at once through the
``policy.packs`` entry point, exactly as a municipality ships its pack:

    policy-pack-ID/
      pyproject.toml            the distribution, its entry point and package data
      README.md                 what to do next, for the pack's authors
      policy_pack_ID/
        __init__.py             the policy_packs hook: three lines
        ID.policy               the header and every topic, not regulated yet
        ID.tests                a first case: a request no rule speaks to

The pack source is checked before it is written: it parses, compiles, is laid out as
``policy fmt`` would, and its test case passes.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import re
import unicodedata
from pathlib import Path

import attrs

from dsl.formatter import format_source, quote
from dsl.parser import parse_pack, parse_tests
from engine import vocabulary as vocab
from engine.contract import contract_vocabulary
from engine.compiler import PACK_ID, compile_pack
from engine.errors import PolicyError
from engine.authoring.testing import check_cases, run_case


class ScaffoldError(PolicyError):
    """A pack cannot be scaffolded as asked (bad id, folder in the way, id taken)."""

    code = "scaffold"


@attrs.frozen
class Scaffold:
    """What ``scaffold`` wrote."""

    pack_id: str
    root: Path
    files: tuple[Path, ...]

    @property
    def package(self) -> str:
        return f"policy_pack_{self.pack_id}"


def suggest_id(text: str) -> str:
    """A valid pack id close to ``text``: ASCII (å, ä as a, ö as o, é as e), lower case,
    '_' for other characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    candidate = re.sub(r"[^a-z0-9_]+", "_", ascii_text.lower()).strip("_")
    if not candidate or not candidate[0].isalpha():
        candidate = "pack_" + candidate
    return candidate


def id_from_name(name: str) -> str:
    """The pack id a municipality's name makes: the name without 'kommun' or 'stad' at the
    end, in ASCII and lower case, '_' between words ("Götene kommun" → ``gotene``,
    "Upplands Väsby kommun" → ``upplands_vasby``). A genitive s stays ("Perstorps kommun"
    → ``perstorps``): it cannot be told from a name's own s (Vännäs, Borås), so give the
    id to choose another."""
    return suggest_id(re.sub(r"\s+(kommun|stad)\s*$", "", name.strip(), flags=re.IGNORECASE))


def check_name(name: str) -> str:
    """The municipality's name, trimmed, as the pack header will hold it; raises
    :class:`ScaffoldError` for a name that is empty, on several lines, or without a letter."""
    trimmed = name.strip()
    if not trimmed or "\n" in trimmed or not any(c.isalpha() for c in trimmed):
        raise ScaffoldError(f"--name {name!r} is not a municipality's name: give it on one "
                            'line as the municipality writes it, e.g. --name "Götene kommun"')
    return trimmed


def scaffold(pack_id: str, into: Path, *, name: str,
             document: str = "Riktlinjer för sociala medier", dated: dt.date | None = None,
             taken: dict[str, str] | None = None) -> Scaffold:
    """Write the new pack's distribution under ``into`` and return what was written.

    ``name`` is the municipality's name as it writes itself ("Götene kommun"), Swedish
    letters and all; it is never made up from the id, which is ASCII and so has lost them.
    ``taken`` maps the ids of installed packs to where they come from; an id among them
    is refused, since two packs with one id cannot both load.
    """
    if not PACK_ID.match(pack_id):
        raise ScaffoldError(f"pack id '{pack_id}' must be lower-case ASCII letters, digits and "
                            f"'_', starting with a letter; for example '{suggest_id(pack_id)}' "
                            "(the municipality's name, with its own letters, goes in --name)")
    title = check_name(name)
    if taken and pack_id in taken:
        raise ScaffoldError(f"pack id '{pack_id}' is already installed (from {taken[pack_id]}); "
                            "choose another id, or change the installed pack's source instead")
    root = into / f"policy-pack-{pack_id.replace('_', '-')}"
    if root.exists():
        raise ScaffoldError(f"{root} already exists; remove it or scaffold into another folder "
                            "(--dir)")
    package = f"policy_pack_{pack_id}"
    sources = {
        Path("pyproject.toml"): _pyproject(pack_id, package, title),
        Path("README.md"): _readme(pack_id, package, title, root.name),
        Path(package, "__init__.py"): _init(pack_id, title),
        Path(package, f"{pack_id}.policy"): pack_source(pack_id, title, document, dated),
        Path(package, f"{pack_id}.tests"): tests_source(title),
    }
    _verify(pack_id, sources[Path(package, f"{pack_id}.policy")],
            sources[Path(package, f"{pack_id}.tests")])
    written = []
    for relative, text in sources.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return Scaffold(pack_id, root, tuple(written))


def pack_source(pack_id: str, title: str, document: str, dated: dt.date | None,
                vocabulary: vocab.Vocabulary | None = None) -> str:
    words = vocabulary or contract_vocabulary()
    topics = "\n\n".join(f"topic {t} = not regulated" for t in words.topics)
    return f"""\
# {title}: {document.lower() if document[:1].isupper() else document}.
#
# Encode what the guideline says and no more, in the document's order: every rule cites
# its section heading ('source'), says how binding it is ('level must' for ska/måste or a
# legal duty, 'level should' for bör), and a comment beside it explains any reading of the
# text that needed judgement. The language is described in docs/language.md.
#
# Add 'sections "…", "…"' to the header with the document's headings, and policy check
# will catch a misspelt source.

pack {pack_id}
  name {quote(title)}
  document {quote(document)}
  dated {dated.isoformat() if dated else "undated"}
  version "0.1.0"
  default allow

# ---- Topics: the settings policy explain compares -----------------------------------
# Set each one the guideline speaks to, with a summary and the section it comes from,
# for example:
#
#   topic channel_approver = [manager]
#     summary "The nearest manager approves a new channel."
#       sv "Närmaste chef godkänner en ny kanal."
#     source "Uppstart av ny kanal"

{topics}

# ---- Rules, in the order of the guideline -------------------------------------------
# A rule deciding what a topic sums up refers to the topic's setting, so that policy
# explain shows what the pack decides (policy check warns otherwise: unset-topic). For
# example, with 'topic allowed_likes = {{allow: [], deny: [commercial, political_party]}}':
#
#   rule no-likes-for-companies
#     on like_page
#     deny when page_category in allowed_likes.deny
#     level must
#     because "The municipality does not like commercial companies or political parties."
#       sv "Kommunen gillar inte företag eller politiska partier."
#     source "Gilla andra"
"""


def tests_source(title: str) -> str:
    return f"""\
# Test cases for the {title} pack: one or more for every rule, for each outcome it can
# produce. Cases without 'at' are decided at 2025-01-01. Run them with policy test.

test "a request no rule speaks to is decided by the pack's default"
  request like_page {{page_category: own}}
  expect allow
  by_default true
"""


def _init(pack_id: str, title: str) -> str:
    return f'''\
"""The {title} rule pack for the policy engine.

Installed, it is found through the ``policy.packs`` entry point of this distribution.
"""

from engine.hookspecs import hookimpl
from engine.plugins import pack_resource


@hookimpl
def policy_packs():
    return [pack_resource(__name__, "{pack_id}.policy", tests="{pack_id}.tests")]
'''


def _pyproject(pack_id: str, package: str, title: str) -> str:
    try:
        engine = f"policy-engine>={importlib.metadata.version('policy-engine')}"
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout
        engine = "policy-engine"
    return f"""\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "policy-pack-{pack_id.replace('_', '-')}"
version = "0.1.0"
description = "{title}: the social-media guideline as a rule pack for the policy engine"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["{engine}"]

[project.optional-dependencies]
# pytest collects the pack's test cases through the engine's pytest plugin
test = ["pytest>=8"]

[project.entry-points."policy.packs"]
{pack_id} = "{package}"

[tool.setuptools]
packages = ["{package}"]

[tool.setuptools.package-data]
{package} = ["*.policy", "*.tests"]

[tool.pytest.ini_options]
testpaths = ["{package}"]
"""


def _readme(pack_id: str, package: str, title: str, folder: str) -> str:
    source = f"{package}/{pack_id}.policy"
    return f"""\
# {title}: rule pack `{pack_id}`

The social-media guideline of {title} as a rule pack for the policy engine. The pack
is `{source}`; its test cases are `{package}/{pack_id}.tests`.

## Working on the pack

From the folder that holds `{folder}`:

```sh
pip install -e '{folder}[test]'       # policy packs now lists '{pack_id}'; [test] adds pytest
policy check {pack_id}                # errors, rules that never apply, conflicts, …
policy test {pack_id}                 # the test cases
python -m pytest {folder}             # the same cases, one pytest item each
policy fmt {folder}                   # the canonical layout, comments kept
policy decide {pack_id} like_page --facts '{{"page_category": "own"}}'
```

## Reviewing a change

`policy diff OLD NEW` lists every decision an edit changes. The editable install *is*
the source you edit, so compare it with a version kept elsewhere: the last commit, in
git (from the folder `{folder}`, once it is a repository),

```sh
git show HEAD:./{source} | policy diff - {source}
```

or the released version, saved as a file (`policy diff {pack_id}-0.1.0.policy {source}`).

## What the pack covers

Fill in, as the built-in packs do: the document encoded (title, date, where it came
from), what each topic is set to and why, and what the guideline says that the pack
leaves out.
"""


def _verify(pack_id: str, source: str, tests: str) -> None:
    """The scaffold is a valid, formatted pack whose case passes; anything else is a bug."""
    name = f"{pack_id}.policy"
    pack = compile_pack(parse_pack(source, name))
    cases = parse_tests(tests, f"{pack_id}.tests")
    check_cases(pack, cases)
    if format_source(source, name) != source or not all(
            run_case(pack, case).passed for case in cases.cases):
        raise AssertionError("the scaffold of a new pack is not formatted or its case fails")
