"""A guideline published as several pages: each page is a 'part' of the header, with its
own title and date, listed by the packs listings and checked page by page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from dsl.formatter import format_source
from dsl.parser import parse_pack
from engine.cli import main
from engine.compiler import Part, compile_pack
from engine.errors import PackErrors, PackSyntaxError

PARTS = '''pack delby
  name "Delby kommun"
  document "Sociala medier i Delby kommun"
  part "Så använder vi sociala medier" dated 2024-03-01
  part "Frågor och svar"
    sv "Frågor och svar" dated undated
  in force undated
  version "1.0.0"
  default allow
  sections "Gilla", "Svar"

topic allowed_likes = {allow: [own], deny: []}
  source "Gilla"

rule likes-own
  on like_page
  only when page_category in allowed_likes.allow
  level must
  because "Only the municipality's own pages are liked."
  source "Gilla"
'''


def test_parts_compile_with_their_titles_and_dates_and_format_as_written():
    pack = compile_pack(parse_pack(PARTS, "delby.policy"))
    assert pack.parts == (Part("Så använder vi sociala medier", dt.date(2024, 3, 1)),
                          Part("Frågor och svar", None))
    assert pack.dated is None
    assert format_source(PARTS, "delby.policy") == PARTS


def test_a_part_without_its_date_is_an_error_naming_what_is_expected():
    text = PARTS.replace('    sv "Frågor och svar" dated undated\n', "")
    with pytest.raises(PackSyntaxError) as info:
        parse_pack(text, "delby.policy")
    assert "delby.policy:6:3: unexpected 'in'; expected 'dated'" in str(info.value)


def test_a_header_without_parts_still_needs_its_date():
    text = PARTS.replace('  part "Så använder vi sociala medier" dated 2024-03-01\n', "") \
        .replace('  part "Frågor och svar"\n    sv "Frågor och svar" dated undated\n', "")
    with pytest.raises(PackErrors, match="does not say when its document is dated"):
        compile_pack(parse_pack(text, "delby.policy"))


def test_the_register_is_checked_against_the_pages_one_after_the_other(tmp_path):
    folder = tmp_path / "delby"
    folder.mkdir()
    (folder / "delby.policy").write_text(PARTS, encoding="utf-8")
    (tmp_path / "sida1.txt").write_text("Gilla\n\nKommunen gillar bara sina egna sidor.\n",
                                        encoding="utf-8")
    (tmp_path / "sida2.txt").write_text("Svar\n\nFrågor ska besvaras.\n", encoding="utf-8")
    result = CliRunner().invoke(main, [
        "check", str(folder), "--document", str(tmp_path / "sida1.txt"),
        "--document", str(tmp_path / "sida2.txt"), "--draft-register"])
    assert result.exit_code == 0, result.output
    # both pages' sentences are drafted, each under its own page's heading
    assert 'section = "Gilla"' in result.output and 'section = "Svar"' in result.output


def test_the_packs_listing_names_the_parts(tmp_path, monkeypatch):
    from engine.service.reload import PackFile
    from engine.core import Engine
    path = tmp_path / "delby.policy"
    path.write_text(PARTS, encoding="utf-8")
    engine = Engine.load(plugins=[PackFile(path)], entry_points=False)
    monkeypatch.setattr("engine.cli.common.load_engine", lambda: engine)
    monkeypatch.setattr("engine.cli.decide.load_engine", lambda: engine, raising=False)
    result = CliRunner().invoke(main, ["packs", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    rows = listed if isinstance(listed, list) else listed["packs"]
    delby = next(r for r in rows if r["id"] == "delby")
    assert delby["parts"] == [{"title": "Så använder vi sociala medier", "dated": "2024-03-01"},
                              {"title": "Frågor och svar", "dated": None}]
