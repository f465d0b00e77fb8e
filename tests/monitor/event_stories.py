"""Rewrites of one plantation blockade by three outlets, another dispute in the same town, and the blockade
flaring up months later: the stories the event tests (monitor and web) publish through saved feed files."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime

from monitor.config import ParseSettings
from monitor.pipeline import ingest_file
from tests.monitor.helpers import rss

WIB = timezone(timedelta(hours=7))
# one plantation blockade in Kotim, written up by three outlets in their own words (no copy of another)
BLOCKADE = [
    ("kabar", "Kabar Kalteng", "Warga Desa Pondok Damar blokade jalan kebun PT Sawit Makmur Abadi, tuntut plasma",
     "SAMPIT - Ratusan warga Desa Pondok Damar, Kecamatan Mentaya Hilir Utara, Kotawaringin Timur, memblokade jalan "
     "menuju kebun PT Sawit Makmur Abadi. Warga menuntut perusahaan merealisasikan kebun plasma 20 persen."),
    ("warta", "Warta Sampit", "Tuntut kebun plasma, ratusan warga Pondok Damar tutup akses PT Sawit Makmur Abadi",
     "SAMPIT - Akses jalan perkebunan sawit PT Sawit Makmur Abadi di Kecamatan Mentaya Hilir Utara, Kotim, ditutup "
     "ratusan warga Desa Pondok Damar sejak pagi. Mereka mendesak perusahaan membangun kebun plasma bagi masyarakat."),
    ("borneo", "Borneo Pos", "Blokade jalan sawit di Mentaya Hilir Utara, warga desak PT Sawit Makmur Abadi penuhi plasma",
     "SAMPIT - Warga Desa Pondok Damar memasang blokade di jalan kebun PT Sawit Makmur Abadi, Kotawaringin Timur. "
     "Koordinator aksi menyebut tuntutan kebun plasma 20 persen belum dipenuhi perusahaan."),
]
# another dispute in the same kabupaten on the same day: another company, another desa
LAND_CLAIM = ("Sengketa lahan, warga Bapinang Hilir patok kebun PT Borneo Agro Lestari",
              "SAMPIT - Puluhan warga Desa Bapinang Hilir, Kecamatan Pulau Hanaut, Kotawaringin Timur, memasang patok di "
              "lahan yang diklaim PT Borneo Agro Lestari. Warga menyebut lahan seluas 300 hektare itu milik mereka.")
# the blockade's dispute flaring up again months later, in new words
FLARE_UP = ("Warga Pondok Damar kembali blokade kebun PT Sawit Makmur Abadi, plasma tak kunjung dibangun",
            "SAMPIT - Warga Desa Pondok Damar, Kecamatan Mentaya Hilir Utara, Kotim, kembali menutup jalan kebun PT Sawit "
            "Makmur Abadi. Janji perusahaan membangun kebun plasma dinilai tidak ditepati sejak aksi awal tahun.")
DAY = date(2026, 3, 10)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=WIB)


def publish(engine, tmp_path, site: str, outlet: str, slug: str, title: str, text: str, when: datetime,
            limits: ParseSettings = ParseSettings()):
    """One outlet's feed with one item, ingested from a saved file."""
    path = tmp_path / f"{site}-{slug}.xml"
    item = {"title": title, "link": f"https://{site}.example.id/berita/{slug}", "guid": f"{site}-{slug}",
            "description": text, "pubDate": format_datetime(when)}
    path.write_text(rss([item], title=outlet), encoding="utf-8")
    outcome = ingest_file(engine, path, limits=limits)
    assert outcome.n_new == 1, outcome


def publish_blockade(engine, tmp_path, day: date = DAY) -> None:
    for hour, (site, outlet, title, text) in enumerate(BLOCKADE):
        publish(engine, tmp_path, site, outlet, f"blokade-{day}", title, text, at(day, 8 + hour))
