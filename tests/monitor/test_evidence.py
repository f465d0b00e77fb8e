"""Severity cues and evidence sentences."""
from monitor.alerts.evidence import evidence_sentences, marked_segments, severity_cues


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


def _marked(pieces) -> list[str]:
    return [text for text, marked in pieces if marked]


def test_marked_segments_mark_the_words_the_model_read_and_the_cues():
    sentence = "Ratusan warga memblokade jalan kebun sawit di Kotawaringin Timur; dua orang terluka."
    pieces = marked_segments(sentence, ["sawit", "warga", "kebun sawit", "kotawaringin timur", "tidak-ada"])
    assert "".join(text for text, _ in pieces) == sentence  # nothing lost, nothing added
    # stems match inflected words, pairs match neighbouring words, cues are marked whatever the model said
    assert _marked(pieces) == ["warga", "memblokade", "kebun sawit", "Kotawaringin Timur", "terluka"]
    assert all(a[1] != b[1] for a, b in zip(pieces, pieces[1:]))  # neighbours differ: pieces are maximal


def test_marked_segments_keep_markup_as_plain_text():
    sentence = '<script>alert("x")</script> warga <b onmouseover=x()>bentrok</b>'
    pieces = marked_segments(sentence, ["warga"])
    assert "".join(text for text, _ in pieces) == sentence
    assert _marked(pieces) == ["warga", "bentrok"] and marked_segments("", ["warga"]) == []
