"""Text preparation: cleaning scraped news, stopwords, cached stemming, place names kept whole."""
from classifiers.text import analyze, compose_document, normalize, stem_word, tokenize


def test_normalize_removes_mojibake_tags_read_also_and_stray_commas():
    raw = ", - Warga¬†Desa <b>Pondok Damar</b> memblokade jalan , , kebun.\nBaca juga: Bupati marah besar\nPT Sawit &amp; Co"
    cleaned = normalize(raw)
    assert "¬" not in cleaned and "<b>" not in cleaned
    assert "Baca juga" not in cleaned and "Bupati marah" not in cleaned
    assert ", ," not in cleaned
    assert cleaned.startswith("Warga Desa Pondok Damar")
    assert "PT Sawit & Co" in cleaned


def test_normalize_unicode_compatibility_forms():
    assert normalize("ﬁle ＫＰＵ") == "file KPU"


def test_normalize_corpus_style_text_with_dropped_links():
    # corpus items start with ", -" where the scraper dropped the dateline link
    assert normalize(", - Pascapelantikan anggota DPRD ,") == "Pascapelantikan anggota DPRD,"


def test_tokenize_keeps_hyphenated_compounds():
    assert tokenize("Warga saling-serang di Kota") == ["warga", "saling-serang", "di", "kota"]


def test_analyze_stems_and_drops_stopwords():
    tokens = analyze("Ratusan warga memblokade jalan perkebunan dan menuntut plasma", protected=[])
    assert "dan" not in tokens
    assert "kebun" in tokens and "tuntut" in tokens


def test_analyze_protects_place_names_from_the_stemmer():
    # "Sampit" would not change, but "Pembuang" (Kuala Pembuang) and "Kasongan" would be stemmed
    assert stem_word("pembuang") != "pembuang"
    tokens = analyze("Banjir melanda Kuala Pembuang dan Kasongan")
    assert "pembuang" in tokens and "kasongan" in tokens


def test_analyze_without_stemming_keeps_words():
    assert "perkebunan" in analyze("sengketa perkebunan", stem=False)


def test_stem_word_is_cached():
    stem_word.cache_clear()
    stem_word("pembakaran")
    stem_word("pembakaran")
    assert stem_word.cache_info().hits == 1


def test_compose_document():
    assert compose_document("Judul", "isi") == "Judul. isi"
    assert compose_document("Judul", "") == "Judul"
