"""pytest integration: every case of a pack's ``*.tests`` file is a pytest item.

Installed with the project (entry point ``pytest11``), so a pack's own repository gets
its cases collected too: pytest picks up any ``NAME.tests`` that has ``NAME.policy``
beside it. A pack or test file with errors fails collection with the positioned
messages; a failing case reports what it expected and what it got.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".tests" and file_path.with_suffix(".policy").is_file():
        return PackTestFile.from_parent(parent, path=file_path)
    return None


class PackTestFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from engine.errors import PolicyError
        from engine.authoring.testing import check_cases, suite_from_path

        try:
            suite = suite_from_path(self.path)
            check_cases(suite.pack, suite.tests)
        except PolicyError as e:
            raise self.CollectError(str(e)) from None
        for case in suite.tests.cases:
            yield PackCase.from_parent(self, name=case.name, suite=suite, case=case)


class PackCaseFailed(Exception):
    pass


class PackCase(pytest.Item):
    def __init__(self, *, suite: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite = suite
        self.case = case
        # A case takes no fixtures. Saying so keeps plugins that read every item's
        # fixture values working (pytest-lsp 1.0's call wrapper fails an item without).
        self.funcargs: dict[str, Any] = {}

    def runtest(self) -> None:
        from engine.authoring.testing import run_case

        result = run_case(self.suite.pack, self.case)
        if not result.passed:
            raise PackCaseFailed("; ".join(result.problems))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, PackCaseFailed):
            span = self.case.span
            return f"{span.file}:{span.line}: test \"{self.case.name}\": {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        line = self.case.span.line - 1 if self.case.span else 0
        return self.path, line, f"pack case: {self.case.name}"
