"""Outside text reaches the analyst's terminal as plain text: no Rich markup, no escape sequences."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.terminal import PlainConsole, plain
from tests.monitor.helpers import rss

HOSTILE_TITLE = ("[/bold]\x1b]0;judul palsu\x07\x1b[2J[link=file:///etc/passwd]klik[/link] Bentrok warga dan "
                 "perusahaan sawit di Kotawaringin Timur\x1b[31m merah\u202e")
runner = CliRunner()


@pytest.fixture
def hostile_db(tmp_path):
    """A database holding one alert whose title and text carry markup and escape sequences."""
    body = ("Ratusan warga Desa Pondok Damar, Kecamatan Mentaya Hilir Utara, Kotawaringin Timur, bentrok dengan "
            "petugas keamanan perusahaan perkebunan sawit PT Hostil [red]Jaya[/red] saat memblokade jalan kebun. "
            "Tiga warga luka-luka dalam sengketa lahan plasma itu. \x1b[2J")
    items = [{"title": HOSTILE_TITLE, "link": "https://kalteng.example.id/bentrok", "guid": "h1",
              "description": body, "pubDate": "Mon, 16 Nov 2026 09:00:00 +0700"}]
    path = tmp_path / "hostil.xml"
    path.write_text(rss(items), encoding="utf-8")
    env = {"WASPADA_DATABASE_URL": f"sqlite:///{tmp_path / 'hostil.db'}", "COLUMNS": "250"}
    result = runner.invoke(app, ["ingest", str(path)], env=env)
    assert result.exit_code == 0, result.output
    return env


def _assert_plain(output: str) -> None:
    assert "\x1b" not in output and "\x07" not in output and "\u202e" not in output
    assert "judul palsu" not in output  # the window-title sequence is dropped whole


def test_alert_commands_print_hostile_titles_as_plain_text(hostile_db):
    listing = runner.invoke(app, ["alerts", "list"], env=hostile_db)
    assert listing.exit_code == 0, listing.output
    _assert_plain(listing.output)
    assert "[/bold]" in listing.output  # shown as the characters it is, not interpreted
    shown = runner.invoke(app, ["alerts", "show", "1"], env=hostile_db)
    assert shown.exit_code == 0, shown.output
    _assert_plain(shown.output)
    assert "[link=file:///etc/passwd]klik[/link]" in shown.output
    assert "[red]Jaya[/red]" in shown.output or "Jaya" in shown.output


def test_the_plain_console_never_interprets_markup_in_strings_or_table_cells():
    from rich.table import Table

    console = PlainConsole(record=True, width=300, color_system="truecolor", force_terminal=True)
    table = Table()
    table.add_column("judul")
    table.add_row(HOSTILE_TITLE)
    console.print(HOSTILE_TITLE, markup=True)  # even when asked to
    console.print(table)
    text = console.export_text()
    assert text.count("[link=file:///etc/passwd]klik[/link]") == 2
    assert "judul palsu" not in text and "\x1b" not in text
    assert "\x1b]8;" not in console.export_text(styles=True)  # no terminal hyperlink was made


def test_plain_removes_escape_sequences_and_controls_but_keeps_text():
    assert plain("a\x1b[31mb\x1b[0mc\x00d\te\nf\x9bg") == "abcd\te\nfg"
    assert plain("\x1b]8;;file:///etc/passwd\x1b\\klik\x1b]8;;\x1b\\") == "klik"
