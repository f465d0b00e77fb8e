"""The parts events are matched on: actors a report names, and the content similarity of two reports."""
from __future__ import annotations

from monitor.alerts.actors import describe, find_actors
from monitor.alerts.content import content_words, dot, idf, term_counts, unit_vector


def test_companies_organisations_people_and_tagged_places_are_actors():
    text = ("SAMPIT - Warga Desa Pondok Damar memblokade jalan kebun PT Sawit Makmur Abadi (SMA). Koordinator aksi "
            "Rudi Hartono mengatakan Aliansi Petani Mentaya menuntut plasma. CV. Borneo Jaya ikut digugat. "
            "Kepala Desa Pondok Damar hadir bersama Kapolres Kotim.")
    found = find_actors(text, kecamatan={"62.02.07"}, desa={"62.02.07.2001"})
    assert sorted(found) == ["company:cv borneo jaya", "company:pt sawit makmur abadi", "company:pt sma",
                             "desa:62.02.07.2001", "kecamatan:62.02.07", "organisation:aliansi petani mentaya",
                             "person:rudi hartono"]  # a company ends at its sentence; a desa after a role is no person
    assert found["desa:62.02.07.2001"].label == "desa Pondok Damar"
    assert describe("company:pt sawit makmur abadi") == "PT Sawit Makmur Abadi" and describe("company:pt sma") == "PT SMA"


def test_police_and_government_offices_are_not_actors():
    assert find_actors("Polres Kotim dan Pemkab Kotim serta DPRD Kotim memantau unjuk rasa warga.") == {}


def test_similarity_weighs_rare_words_and_ignores_stopwords():
    assert content_words("Warga dan 200 orang di desa itu memblokade jalan") == ["warga", "desa", "memblokade", "jalan"]
    assert idf("zzzz-kata-tak-dikenal") > idf("warga")
    blockade = term_counts("Warga Pondok Damar memblokade jalan kebun plasma PT Sawit Makmur Abadi")
    rewrite = term_counts("Ratusan warga Pondok Damar menutup akses kebun PT Sawit Makmur Abadi menuntut plasma")
    other = term_counts("Warga Bapinang Hilir memasang patok di lahan PT Borneo Agro Lestari")
    assert dot(unit_vector(blockade), unit_vector(blockade)) > 0.999
    assert dot(unit_vector(blockade), unit_vector(rewrite)) > 0.5 > dot(unit_vector(blockade), unit_vector(other))
    assert unit_vector({}) == {}
