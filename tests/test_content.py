"""
What residents read is data that is checked: catalogues per language, facts and hotlines with a
source and a date. A broken catalogue or an unsourced fact stops `hotline content check` and
start-up, naming the problem.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gateway.app import create_app
from gateway.config import Config, ConfigError
from ussd_menus import catalogue
from ussd_menus.catalogue import BUNDLED, ContentError, load

HOTLINE = """
[[hotline]]
key = "disnakertrans_serang"
name.id = "Disnakertrans Kab. Serang"
name.en = "Serang manpower office"
number = "0254-000000"
for.id = "daftar kerja luar negeri"
for.en = "registering to work abroad"
source = "Papan pengumuman kantor (contoh fiktif)"
verified_on = 2026-12-01
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the bundled catalogues and facts to break."""
    for part in ("catalogues", "content"):
        shutil.copytree(str(BUNDLED.joinpath(part)), tmp_path / part)
    return tmp_path


def problems_of(root: Path, hotlines: Path | None = None) -> list[str]:
    with pytest.raises(ContentError) as raised:
        load(hotlines, root=root)
    return raised.value.problems


def remove_entry(po: Path, key: str) -> None:
    lines = po.read_text("utf-8").split("\n")
    start = lines.index(f'msgid "{key}"')
    end = lines.index("", start)
    po.write_text("\n".join(lines[:start] + lines[end + 1 :]), "utf-8")


class TestCatalogues:
    def test_the_bundled_content_loads(self) -> None:
        """Every bundled language has every key of the Indonesian source."""
        content = load()
        assert content.texts["id"].keys() == content.texts["en"].keys()

    def test_a_missing_key_is_named(self, tree: Path) -> None:
        """A text missing from one catalogue is a problem naming the file and the key."""
        remove_entry(tree / "catalogues" / "en.po", "goodbye")
        assert "catalogues/en.po: goodbye: missing" in problems_of(tree)

    def test_a_changed_placeholder_is_named(self, tree: Path) -> None:
        """A translation must keep the source's run-time placeholders."""
        po = tree / "catalogues" / "en.po"
        po.write_text(po.read_text("utf-8").replace("{receipt}", "{receit}", 1), "utf-8")
        assert any("placeholders ['receit']" in p for p in problems_of(tree))

    def test_an_untranslated_text_is_named(self, tree: Path) -> None:
        """An empty msgstr is not silently shown as nothing."""
        po = tree / "catalogues" / "en.po"
        po.write_text(po.read_text("utf-8").replace('"Check my report"', '""', 1), "utf-8")
        assert "catalogues/en.po: main.status: not translated" in problems_of(tree)

    def test_a_language_is_one_catalogue_and_one_line(self, tree: Path) -> None:
        """Adding a language: a catalogue file and a line in languages.toml."""
        shutil.copy(tree / "catalogues" / "id.po", tree / "catalogues" / "xx.po")
        with (tree / "catalogues" / "languages.toml").open("a") as languages:
            languages.write('xx = { name = "Basa Contoh", draft = true }\n')
        content = load(root=tree)
        assert ("xx", True) == (content.languages[-1].code, content.languages[-1].draft)
        assert content.text("goodbye", "id") == content.text("goodbye", "xx")


class TestFacts:
    def test_a_fact_without_source_is_refused(self, tree: Path) -> None:
        """A fact with no source fails the check."""
        (tree / "content" / "facts.toml").write_text(
            '[min_age]\nvalue = "18"\nverified_on = 2025-11-01\n', "utf-8"
        )
        assert "facts.toml: min_age: needs a source" in problems_of(tree)

    def test_a_hotline_without_date_is_refused(self, tmp_path: Path) -> None:
        """An operator's hotline with no verification date fails the check."""
        local = tmp_path / "hotlines.toml"
        local.write_text(HOTLINE.replace("verified_on = 2026-12-01", ""), "utf-8")
        assert any(
            "disnakertrans_serang: needs verified_on" in p
            for p in problems_of(Path(str(BUNDLED)), local)
        )

    def test_an_operator_adds_a_hotline(self, tmp_path: Path) -> None:
        """A local number joins the bundled ones."""
        local = tmp_path / "hotlines.toml"
        local.write_text(HOTLINE, "utf-8")
        numbers = {h.key: h.number for h in load(local).hotlines}
        assert "0254-000000" == numbers["disnakertrans_serang"]

    def test_a_fact_is_written_once_and_filled_in(self, tree: Path) -> None:
        """A text naming a hotline shows its number; changing the number changes every text."""
        hotlines = tree / "content" / "hotlines.toml"
        hotlines.write_text(
            hotlines.read_text("utf-8").replace('number = "110"', 'number = "999"'), "utf-8"
        )
        po = tree / "catalogues" / "id.po"
        po.write_text(
            po.read_text("utf-8").replace('"Pilih bahasa:"', '"Darurat {police}. Pilih bahasa:"'),
            "utf-8",
        )
        en = tree / "catalogues" / "en.po"
        en.write_text(
            en.read_text("utf-8").replace(
                '"Choose a language:"', '"Emergency {police}. Choose a language:"'
            ),
            "utf-8",
        )
        assert "Darurat 999. Pilih bahasa:" == load(root=tree).text("lang.title", "id")


class TestStartUp:
    def test_start_up_refuses_an_unsourced_hotline(self, tmp_path: Path, config: Config) -> None:
        """The service does not start with a hotline nobody can vouch for."""
        local = tmp_path / "hotlines.toml"
        local.write_text(HOTLINE.replace('source = "Papan pengumuman kantor (contoh fiktif)"', ""))
        broken = replace(config, hotlines_file=local)
        try:
            with pytest.raises(ConfigError, match="disnakertrans_serang: needs a source"):
                create_app(broken, "postgresql://unused/none")
        finally:
            catalogue.use(load())

    def test_content_check_lists_every_fact_with_its_source(self) -> None:
        """`hotline content check` prints each hotline with its source and date."""
        content = load()
        done = subprocess.run(
            [sys.executable, "-m", "gateway", "content", "check"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert 0 == done.returncode, done.stderr
        for item in (*content.hotlines, *content.facts):
            assert f"verified on {item.verified_on}" in done.stdout
            assert item.source in done.stdout

    def test_content_check_fails_on_an_unsourced_hotline(self, tmp_path: Path) -> None:
        """The check exits non-zero and names the hotline."""
        local = tmp_path / "hotlines.toml"
        local.write_text(HOTLINE.replace("verified_on = 2026-12-01", ""), "utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "gateway", "content", "check"],
            capture_output=True,
            text=True,
            check=False,
            env={"HOTLINE_HOTLINES_FILE": str(local), "PATH": "/usr/bin:/bin"},
        )
        assert 0 != done.returncode
        assert "disnakertrans_serang: needs verified_on" in done.stderr
