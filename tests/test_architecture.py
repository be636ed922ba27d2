"""The layout in docs/architecture.md holds: no import cycle, imports point one way,
no module over 600 lines, and the document names every module of the tree."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_LINES = 600
OUTER = ("engine.cli", "engine.service", "engine.desk", "engine.explain", "engine.authoring",
         "engine.editor")


def _modules() -> dict[str, pathlib.Path]:
    found = {}
    for top in ("engine", "dsl"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: pathlib.Path) -> set[str]:
    """Every project module ``path`` imports, at the top or inside a function."""
    deps = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from pkg import module`` imports the module; ``from module import name``
            # imports the module itself
            names = [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target is not None:
                deps.add(target)
    return deps


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert _cycles(GRAPH) == []


def _layer(module: str) -> str:
    if module == "engine.__main__":
        return "engine.cli"
    for outer in OUTER:
        if module == outer or module.startswith(outer + "."):
            return outer
    return "dsl" if module.split(".")[0] == "dsl" else "pipeline"


# which layers each layer may import
ALLOWED = {
    "dsl": {"dsl", "pipeline"},
    "pipeline": {"dsl", "pipeline"},
    "engine.authoring": {"dsl", "pipeline", "engine.authoring"},
    "engine.explain": {"dsl", "pipeline", "engine.explain"},
    "engine.service": {"dsl", "pipeline", "engine.explain", "engine.authoring",
                       "engine.desk", "engine.service"},
    "engine.desk": {"dsl", "pipeline", "engine.explain", "engine.authoring", "engine.desk"},
    "engine.editor": {"dsl", "pipeline", "engine.authoring", "engine.editor"},
    "engine.cli": {"dsl", "pipeline", *OUTER},
}


def test_imports_point_one_way():
    wrong = [f"{m} imports {d}" for m, deps in sorted(GRAPH.items()) for d in sorted(deps)
             if _layer(d) not in ALLOWED[_layer(m)]]
    assert wrong == []


def test_dsl_uses_only_errors_and_vocabulary_of_the_engine():
    used = {d for m, deps in GRAPH.items() if _layer(m) == "dsl" for d in deps
            if _layer(d) == "pipeline"}
    assert used <= {"engine.errors", "engine.vocabulary", "engine.contract"}


def test_cli_commands_import_helpers_not_the_group():
    assert [m for m, deps in GRAPH.items() if "engine.cli" in deps and m != "engine.__main__"] == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_over_600_lines(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by what its parts do"


def test_the_architecture_doc_names_every_module():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for name, path in MODULES.items():
        rel = path.relative_to(ROOT)
        if rel.name in ("__init__.py", "__main__.py"):
            continue
        if not re.search(rf"`([\w/]+/)?{re.escape(rel.name)}`", doc):
            missing.append(str(rel))
    assert missing == [], "docs/architecture.md does not mention these modules"
