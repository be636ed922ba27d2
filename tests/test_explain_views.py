"""The comparison's views: the terminal matrix fits its width, markdown and HTML parse,
and the HTML page opens in a real headless browser."""

from __future__ import annotations

import html.parser
import re
import shutil
import subprocess

import datetime as dt

import pytest

from engine.explain.comparison import compare
from engine.explain.comparison_views import cell_text, html as html_page, markdown, matrix, topic_detail
from tests.conftest import AT


@pytest.fixture(scope="module")
def comparison(project_packs):
    return compare(project_packs, AT)


@pytest.mark.parametrize("width", [200, 120, 80, 79, 60, 40, 30])
def test_no_line_is_longer_than_the_terminal(comparison, width):
    text = matrix(comparison, width)
    longest = max(text.splitlines(), key=len)
    assert len(longest) <= width, longest


def test_80_columns_is_a_matrix_with_every_pack_as_a_column(comparison):
    lines = matrix(comparison, 80).splitlines()
    header = next(line for line in lines if line.startswith("topic"))
    assert header.split() == ["topic", "Norsjö", "Perstorp", "Töreboda", "Tyresö", "Vara"]
    text = "\n".join(lines)
    for topic in comparison.topics:
        assert topic.id in text.replace("\n", " ")      # listed under the matrix
    assert "half-yearly" in text and "not regulated" in text.replace("not\n", "not ")


def test_a_narrow_terminal_gets_one_small_table_per_topic(comparison):
    text = matrix(comparison, 40)
    for topic in comparison.topics:
        assert f"[{topic.id}]" in text
        block = text.split(f"[{topic.id}]", 1)[1]
        for pack in comparison.packs:
            name = comparison.column(pack).short_name
            assert re.search(rf"^{name}\s", block, re.M), (topic.id, name)


def test_two_packs_fit_a_narrow_terminal_as_a_matrix(comparison):
    text = matrix(comparison.only(packs=["tyreso", "vara"]), 40)
    assert any(line.split() == ["topic", "Tyresö", "Vara"] for line in text.splitlines())


def test_cell_words(comparison):
    def cell(topic, pack):
        row = comparison.topic(topic)
        return cell_text(row, row.values[pack]).splitlines()
    assert cell("snapshot_interval", "norsjo") == ["yearly"]
    assert cell("snapshot_interval", "vara") == ["not regulated"]
    assert cell("channel_approver", "vara") == ["comms unit", "manager"]
    assert cell("response_time", "perstorp") == ["24 hours"]
    assert cell("removal_grounds", "toreboda") == [
        "all but:", "off-topic", "minor importance", "criticism", "questions"]
    assert cell("allowed_likes", "toreboda") == ["deny:", "companies", "parties"]
    assert cell("allowed_likes", "tyreso") == ["all but:", "companies", "parties",
                                               "other pages"]
    assert cell("removal_steps", "tyreso") == ["register", "for all but:", "minor importance"]
    assert cell("new_channel", "vara")[:3] == ["purpose", "approval: comms unit", "approval: manager"]
    assert cell("private_accounts", "norsjo")[:3] == ["deny (should):", "official use", "clients"]


def test_topic_detail_names_rules_and_sections(comparison):
    text = topic_detail(comparison, "snapshot_interval", 100)
    assert "Tyresö kommun: " in text and "“Dokumentera varje halvår”" in text
    assert "periodic-snapshot (require, must" in text
    assert "The guideline says nothing on this." in text.split("Vara kommun", 1)[1]
    sv = topic_detail(comparison, "snapshot_interval", 100, lang="sv")
    assert "Ögonblicksbild varje halvår" in sv


def _cells(row: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_markdown_is_a_table_with_the_same_cells_on_every_row(comparison):
    text = markdown(comparison)
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + len(comparison.topics)
    widths = {len(_cells(row)) for row in rows}
    assert widths == {1 + len(comparison.packs)}
    assert all(re.fullmatch(r"-{3,}", c) for c in _cells(rows[1]))
    assert _cells(rows[0]) == ["topic", *(comparison.column(p).name for p in comparison.packs)]
    likes = next(r for r in rows if "`allowed_likes`" in r)
    assert _cells(likes)[4] == "all but:<br>companies<br>parties<br>other pages"  # tyreso, closed
    assert _cells(likes)[3] == "deny:<br>companies<br>parties"                 # toreboda


class _Page(html.parser.HTMLParser):
    VOID = {"meta", "br", "link", "img", "input", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def test_html_is_a_self_contained_page_whose_cells_show_their_sources(comparison):
    page = _Page()
    page.feed(html_page(comparison))
    page.close()
    assert page.errors == [] and page.stack == []
    tags = [t for t, _ in page.tags]
    assert tags.count("tr") == 1 + len(comparison.topics)
    cells = [a for t, a in page.tags if t == "td"]
    assert len(cells) == len(comparison.topics) * len(comparison.packs)
    assert all(a.get("title") for a in cells)
    assert any("Gilla andra" in a["title"] for a in cells)
    assert tags.count("details") >= 30
    assert "script" not in tags and "link" not in tags and "img" not in tags
    assert "style" in tags


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install "
                    "chromium); .ci/run installs it so that CI runs this test")
def test_html_opens_in_a_headless_browser(comparison, tmp_path):
    path = tmp_path / "explain.html"
    path.write_text(html_page(comparison), encoding="utf-8")
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         path.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    page = _Page()
    page.feed(dom)
    rows = [a for t, a in page.tags if t == "tr" and a.get("id")]
    assert [r["id"] for r in rows] == [t.id for t in comparison.topics]
    assert "Social-media guidelines compared" in dom and "Gilla andra" in dom


def test_the_documented_matrix_is_what_the_command_prints(comparison):
    """docs/explain.md shows the 80-column matrix; it must not drift from the packs."""
    from pathlib import Path
    doc = (Path(__file__).resolve().parent.parent / "docs" / "explain.md").read_text("utf-8")
    shown = doc.split("As\nprinted in an 80-column terminal:\n\n```text\n", 1)[1].split("\n```", 1)[0]
    assert shown + "\n" == matrix(comparison, 80, "sv")     # Swedish: the default


def test_topic_detail_shows_rule_sources_and_highlights_them():
    from engine.core import Engine
    from engine.explain.comparison import compare
    from engine.explain import comparison_views as views
    comparison = compare(Engine.load(strict=True).packs, dt.date(2025, 1, 1))
    plain = views.topic_detail(comparison, "snapshot_interval", 100, sources=True)
    assert "      rule periodic-snapshot" in plain
    assert "done when last_snapshot_on is set and months_since(last_snapshot_on) < " \
           "snapshot_interval" in plain
    assert "\x1b[" not in plain
    assert "rule periodic-snapshot" not in views.topic_detail(comparison, "snapshot_interval", 100)
    pytest.importorskip("pygments")
    coloured = views.topic_detail(comparison, "snapshot_interval", 100, sources=True, color=True)
    assert "\x1b[" in coloured and "periodic-snapshot" in coloured


def test_html_shows_highlighted_rule_sources():
    pytest.importorskip("pygments")
    from engine.core import Engine
    from engine.explain.comparison import compare
    from engine.explain import comparison_views as views
    page = views.html(compare(Engine.load(strict=True).packs, dt.date(2025, 1, 1)))
    assert '<div class="policy"><pre>' in page or '<pre class="policy">' in page
    assert '<span class="k">deny</span>' in page
    assert ".policy .k" in page                      # the highlighting's CSS is inline
