"""Severity cues and evidence sentences."""
from monitor.alerts.evidence import evidence_sentences, severity_cues


def test_cues_that_happened():
    text = "Bentrokan warga dan petugas kebun pecah. Dua warga tewas dan pos satpam dibakar massa."
    assert severity_cues(text) == ["korban jiwa", "pembakaran", "bentrok"]


def test_cues_that_did_not_happen_are_ignored():
    assert severity_cues("Aksi berlangsung damai dan tidak ada korban jiwa.") == []
    assert severity_cues("Polisi berjaga untuk mencegah bentrok antarwarga.") == []
    assert severity_cues("Gladi posko memakai skenario bentrok antardesa.") == []


def test_a_negated_and_a_real_mention_still_count():
    assert severity_cues("Tidak ada korban jiwa kemarin, tetapi hari ini dua orang tewas.") == ["korban jiwa"]


def test_evidence_prefers_sentences_with_the_pushing_terms():
    text = ("Cuaca cerah sepanjang hari. Ratusan warga memblokade jalan kebun sawit menuntut plasma. "
            "Harga cabai stabil.")
    assert evidence_sentences(text, ["blokade", "plasma", "tuntut"]) == [
        "Ratusan warga memblokade jalan kebun sawit menuntut plasma."]
