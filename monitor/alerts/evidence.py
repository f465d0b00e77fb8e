"""Evidence in an item's text: the sentences that carry its signal, and severity cues."""
from __future__ import annotations

import re
from itertools import pairwise

# Severity cues raise an escalation level; each maps a name (shown to users) to its wording in news.
SEVERITY_CUES = {
    "korban jiwa": re.compile(r"\b(tewas|meninggal dunia|korban jiwa|terbunuh|menewaskan)\b", re.IGNORECASE),
    "korban luka": re.compile(r"\b(luka-luka|terluka|luka berat|luka parah|dilarikan ke rumah sakit)\b", re.IGNORECASE),
    "pembakaran": re.compile(r"\b(dibakar|membakar|pembakaran|dibakar massa)\b", re.IGNORECASE),
    "bentrok": re.compile(r"\b(bentrok|bentrokan|ricuh|kericuhan|kerusuhan|rusuh|tawuran|saling serang)\b",
                          re.IGNORECASE),
    "blokade": re.compile(r"\b(blokade|memblokade|diblokade|pemortalan|memortal|portal jalan|menduduki|pendudukan)\b",
                          re.IGNORECASE),
}
GRAVE_CUES = frozenset({"korban jiwa", "pembakaran"})
# "tidak ada korban jiwa", "mencegah bentrok", "skenario bentrok" in a drill: the cue did not happen
_NOT_HAPPENED = re.compile(
    r"\b(tidak ada|tak ada|tanpa|bukan|belum ada|mencegah|cegah|menghindari|hindari|antisipasi|mengantisipasi|"
    r"skenario|simulasi|potensi|rawan|isu)\W+(\w+\W+){0,2}$",
    re.IGNORECASE,
)
NEGATION_WINDOW = 40
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'“])")
MAX_EVIDENCE_SENTENCES = 3


def _happened(text: str, match: re.Match) -> bool:
    return not _NOT_HAPPENED.search(text[max(0, match.start() - NEGATION_WINDOW):match.start()])


def severity_cues(text: str) -> list[str]:
    """Names of the severity cues the text reports as having happened, in a fixed order."""
    return [name for name, pattern in SEVERITY_CUES.items()
            if any(_happened(text, match) for match in pattern.finditer(text))]


def sentences(text: str) -> list[str]:
    """Sentences of a news text (simple split on end punctuation before a capital)."""
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def evidence_sentences(text: str, terms: list[str], limit: int = MAX_EVIDENCE_SENTENCES) -> list[str]:
    """The sentences richest in the terms that pushed the prediction, or in severity cues; best first."""
    from classifiers.text import analyze

    wanted = {t for t in terms if " " not in t}
    pairs = {t for t in terms if " " in t}
    scored = []
    for position, sentence in enumerate(sentences(text)):
        tokens = analyze(sentence)
        bigrams = {" ".join(p) for p in pairwise(tokens)}
        score = len(wanted.intersection(tokens)) + len(pairs & bigrams) + len(severity_cues(sentence))
        if score:
            scored.append((-score, position, sentence))
    return [sentence for _score, _position, sentence in sorted(scored)[:limit]]


_WORD = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


def marked_segments(sentence: str, terms: list[str] | tuple[str, ...]) -> list[tuple[str, bool]]:
    """`sentence` cut into (text, marked) pieces: a word is marked when it reads as one of `terms` (model
    terms: stemmed words, or word pairs joined by a space) or belongs to a severity cue.

    The pieces are plain text, so a template escapes each one and wraps the marked ones itself.
    """
    from classifiers.text import analyze

    singles = {t for t in terms if " " not in t}
    pairs = {tuple(t.split(" ")) for t in terms if t.count(" ") == 1}
    marked = [False] * len(sentence)

    def mark(start: int, end: int) -> None:
        marked[start:end] = [True] * (end - start)

    tokens = []  # (start, end, model token) of each word the model reads, in order
    for match in _WORD.finditer(sentence):
        for token in analyze(match.group()):
            tokens.append((match.start(), match.end(), token))
    for index, (start, end, token) in enumerate(tokens):
        if token in singles:
            mark(start, end)
        if index + 1 < len(tokens) and (token, tokens[index + 1][2]) in pairs:
            mark(start, tokens[index + 1][1])
    for pattern in SEVERITY_CUES.values():
        for match in pattern.finditer(sentence):
            mark(match.start(), match.end())
    pieces: list[tuple[str, bool]] = []
    start = 0
    for position in range(1, len(sentence) + 1):
        if position == len(sentence) or marked[position] != marked[start]:
            pieces.append((sentence[start:position], marked[start]))
            start = position
    return pieces
