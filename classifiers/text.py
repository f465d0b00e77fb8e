"""Indonesian text preparation: clean scraped news text, tokenise, drop stopwords, stem with Sastrawi.

One Sastrawi stemmer instance per process, behind a per-word cache: stemming the same word twice
costs one dictionary lookup. Place names are protected from the stemmer so that "Sampit" or
"Kapuas" reach the model unchanged.
"""
from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Mojibake of UTF-8 punctuation read as Mac Roman / cp1252 ("¬†" is a non-breaking space)
MOJIBAKE = {
    "¬†": " ", "\u00c2\u00a0": " ", "â€™": "'", "â€˜": "'", "â€œ": '"', "â€\x9d": '"', "â€": '"',
    "â€“": "-", "â€”": "-", "Ã©": "é", "\u00a0": " ", "\u200b": "",
}
_MOJIBAKE_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(MOJIBAKE, key=len, reverse=True)))
_TAGS = re.compile(r"<[^>]{0,300}>")
_READ_ALSO = re.compile(r"(?im)^\s*(baca|simak)\s+(juga|pula)\s*:.*$")
_READ_ALSO_INLINE = re.compile(r"(?i)\b(baca|simak)\s+(juga|pula)\s*:[^.\n]{0,200}")
_STRAY_COMMAS = re.compile(r",\s*,[\s,]*")  # ", ," left where the scraper dropped link text
_LEADING_JUNK = re.compile(r"^[\s,.\-–—]+")
_SPACES = re.compile(r"[ \t]{2,}|\t")  # single spaces are left alone: cheaper on long texts
_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Sastrawi's stopword list drops these, but they carry conflict meaning in news ("tidak dibayar", "antarwarga")
KEEP_WORDS = frozenset({"tidak", "belum", "antar", "pihak", "minta", "meminta", "bersama", "terjadi"})


def normalize(text: str) -> str:
    """Clean one text: Unicode NFKC, HTML remnants and entities, mojibake, 'Baca juga:' lines, stray commas."""
    if not text:
        return ""
    text = _MOJIBAKE_PATTERN.sub(lambda m: MOJIBAKE[m.group(0)], text)
    text = unicodedata.normalize("NFKC", text)
    text = html.unescape(_TAGS.sub(" ", text))
    lowered = text.lower()
    if "baca" in lowered or "simak" in lowered:  # skip two case-insensitive scans on most texts
        text = _READ_ALSO.sub(" ", text)
        text = _READ_ALSO_INLINE.sub(" ", text)
    text = _STRAY_COMMAS.sub(", ", text)
    if "  " in text or "\t" in text:  # most texts have none; the regex scan would visit every space
        text = _SPACES.sub(" ", text)
    text = text.replace(" ,", ",")
    text = _LEADING_JUNK.sub("", text)
    return text.strip()


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens (letters and digits, hyphenated compounds kept whole)."""
    return _TOKEN.findall(text.lower())


@lru_cache(maxsize=1)
def _sastrawi_stemmer():
    # PySastrawi 1.2.x; the 2016 'sastrawi' upload shares the import name and is far slower
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Sastrawi's Indonesian stopwords, minus the few that carry conflict meaning."""
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    return frozenset(StopWordRemoverFactory().get_stop_words()) - KEEP_WORDS


@lru_cache(maxsize=200_000)
def stem_word(word: str) -> str:
    """Stem one lower-case word, cached."""
    return _sastrawi_stemmer().stem(word) or word


@lru_cache(maxsize=1)
def protected_words() -> frozenset[str]:
    """Words of Kalteng place names and aliases, which the stemmer must not touch."""
    from classifiers.gazetteer import Gazetteer

    words: set[str] = set()
    for name in Gazetteer.load().all_names():
        words.update(tokenize(name))
    return frozenset(words)


def analyze(text: str, stem: bool = True, protected: Iterable[str] | None = None) -> list[str]:
    """Tokens ready for the model: cleaned, stopwords removed, stemmed except protected place words."""
    if protected is None:
        table = _token_table(stem)
        keep = None
    else:
        table, keep = {}, frozenset(protected)
    raw = tokenize(normalize(text))
    outputs = list(map(table.get, raw))  # the hot path: one C-level dict lookup per token
    if None in outputs:  # words not seen before: prepare each once and remember it
        if len(table) >= TOKEN_TABLE_LIMIT:  # bound memory in a long-running monitor
            table.clear()
        for i, output in enumerate(outputs):
            if output is None:
                output = table.get(raw[i])
                if output is None:
                    output = _prepare_token(raw[i], stem, protected_words() if keep is None else keep)
                    if keep is None:
                        table[raw[i]] = output
                outputs[i] = output
    return [output for output in outputs if output]


TOKEN_TABLE_LIMIT = 500_000


@lru_cache(maxsize=2)
def _token_table(stem: bool) -> dict[str, str]:
    # raw token -> model token ("" when dropped); one dict lookup per token on the hot path
    return {}


def _prepare_token(token: str, stem: bool, keep: frozenset[str]) -> str:
    if token in stopwords() or len(token) < 2 or token.isdigit():
        return ""
    if not stem or token in keep or "-" in token:
        return token
    return stem_word(token)

def compose_document(title: str, text: str) -> str:
    """The text models and taggers read for an item: its title, then its text."""
    return f"{title}. {text}" if text else title
