"""The VS Code extension (editors/vscode/) fits the grammar and the server it starts.

Packaging it needs npm (``npx @vscode/vsce package``, docs/authoring.md); these checks
need nothing but its files.
"""

from __future__ import annotations

import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "editors/vscode"


def manifest() -> dict:
    return json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))


def test_the_extension_highlights_with_the_projects_grammar():
    grammar = json.loads((ROOT / "editors/policy.tmLanguage.json").read_text(encoding="utf-8"))
    [language] = manifest()["contributes"]["languages"]
    [contributed] = manifest()["contributes"]["grammars"]
    assert contributed["scopeName"] == grammar["scopeName"]
    assert contributed["language"] == language["id"]
    assert sorted(language["extensions"]) == sorted(f".{t}" for t in grammar["fileTypes"])
    copy = (EXTENSION / "copy-grammar.js").read_text(encoding="utf-8")
    assert contributed["path"] == "./syntaxes/policy.tmLanguage.json"
    assert '"policy.tmLanguage.json"' in copy and "syntaxes" in copy
    assert manifest()["scripts"]["vscode:prepublish"] == "node copy-grammar.js"


def test_the_extension_starts_policy_lsp():
    setting = manifest()["contributes"]["configuration"]["properties"]["policy.server.command"]
    assert setting["default"] == ["policy", "lsp"]
    script = (EXTENSION / "extension.js").read_text(encoding="utf-8")
    assert "vscode-languageclient/node" in script and 'language: "policy"' in script
    assert manifest()["main"] == "./extension.js"


def test_what_npm_builds_is_not_kept():
    ignored = (EXTENSION / ".gitignore").read_text(encoding="utf-8").split()
    assert {"node_modules/", "syntaxes/", "*.vsix"} <= set(ignored)
