"""Which tagged places an item is about: LABELING.md tags places where events happen, not passing mentions.

The place tagger finds every Kalteng mention. Mentions of one unit written next to each other
("Pangkalan Bun, Kabupaten Kotawaringin Barat (Kobar)") form one reference. Each reference is
weighed by the words before it (lists of words in data/place_cues.yaml):

- strong: in the title; introduced as a location ("di Sampit", "Kabupaten Katingan", "Desa
  Tumbang Marak", "di hutan Sampit", "demo di Kantor Bupati Kotim"); or the unit is referred to
  at least twice (references after an official's title, "Bupati Kotim", do not count);
- weak: the dateline ("SAMPIT (ANTARA) - ...", often the outlet's bureau) and the people of a place
  ("warga Palangkaraya"). They count only when no other kabupaten is strong, or when their
  kabupaten is strong too; a dateline naming the provincial capital does not count when the title
  is about the province (the seat of the governor or the Polda);
- passing (never counts outside the title): after a word of movement or origin ("menuju Sampit",
  "warga asal Sampit", "berasal dari Kabupaten Kotawaringin Barat"), at the far end of a route
  ("dari Pangkalan Bun ke Sampit"), as the place where someone spoke ("kata Sekda di Palangka
  Raya"), or inside a list of three or more places ("Kotim, Seruyan, dan Katingan").

A province reference counts the same way, except as a location: "di Kalteng" mostly stands in
lists of provinces. `places` keeps every mention. The rules were written from the national seed
and the dev split of the Kalteng set (classifiers/place_scores.py measures them).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from classifiers import safe_yaml
from classifiers.places import PlaceMatch, PlaceTags
from classifiers.text import compose_document

DATELINE_CHARS = 60
MIN_REFERENCES = 2
CONTEXT_WINDOW = 48  # characters before a reference in which its cue words are looked for
_PROVINCE = "62"
_DATELINE_END = re.compile(r"\s[-–—]\s|\)\s*[-–—:]")
_SAME_REFERENCE_GAP = re.compile(r"^[\s,()]{0,4}$")


def _alternation(words: list[str]) -> str:
    """A regex alternation of cue words, longest first, inner spaces matching any white space."""
    escaped = (re.escape(w.lower()).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))
    return "(?:" + "|".join(escaped) + ")"


@dataclass(frozen=True)
class PlaceCues:
    """Compiled cue patterns, each matched against the text ending right before a reference."""

    location: re.Pattern
    people: re.Pattern
    passing: re.Pattern
    route_end: re.Pattern
    office: re.Pattern
    speech: re.Pattern
    list_gap: re.Pattern
    list_min_members: int
    seats: frozenset[str]

    @classmethod
    def from_mapping(cls, cues: dict) -> "PlaceCues":
        """Compile the lists of a place_cues.yaml mapping."""
        unit = _alternation(cues["unit_markers"])
        marker = rf"(?:{unit}\s+)?"
        word = r"(?<![\w.])"
        location = (
            rf"{word}{_alternation(cues['location_before'])}\s+$"
            rf"|{word}di\s+{_alternation(cues['location_nouns'])}\s+{marker}$"
            rf"|{word}di\s+(?:{_alternation(cues['location_office_buildings'])}\s+)+"
            rf"(?:{_alternation(cues['office_before'])}\s+)?{marker}$"
        )
        route = (
            rf"{word}{_alternation(cues['route_start'])}\s[^.;!?]{{1,60}}"
            rf"{word}{_alternation(cues['route_end'])}\s+{marker}$"
        )
        separators = "|".join(re.escape(s) if not s.isalpha() else rf"\b{s}\b" for s in cues["list_separators"])
        return cls(
            location=re.compile(location, re.I),
            people=re.compile(rf"{word}{_alternation(cues['people_before'])}\s+(?:dari\s+)?{marker}$", re.I),
            passing=re.compile(rf"{word}{_alternation(cues['passing_before'])}\s+{marker}$", re.I),
            route_end=re.compile(route, re.I),
            office=re.compile(rf"{word}{_alternation(cues['office_before'])}\s+{marker}$", re.I),
            speech=re.compile(
                rf"{word}{_alternation(cues['speech_verbs'])}\s[^.;!?\"\u201c\u201d]{{0,{int(cues['speech_window'])}}}"
                rf"{word}di\s+{marker}$",
                re.I,
            ),
            list_gap=re.compile(rf"^[\s()]*(?:(?:{separators})[\s()]*)+{marker}$", re.I),
            list_min_members=int(cues["list_min_members"]),
            seats=frozenset(cues["seat_of_province"]),
        )


@lru_cache(maxsize=1)
def default_cues() -> PlaceCues:
    """The shipped cue lists (classifiers/data/place_cues.yaml), compiled once."""
    text = resources.files("classifiers").joinpath("data/place_cues.yaml").read_text(encoding="utf-8")
    return PlaceCues.from_mapping(safe_yaml.safe_load(text))


def dateline_end(text: str, title_length: int) -> int:
    """Offset where the body's dateline ends ("PALANGKA RAYA (ANTARA) -"), or the title's end if none."""
    match = _DATELINE_END.search(text, title_length, title_length + DATELINE_CHARS)
    return match.end() if match else title_length


def _units(place: PlaceMatch) -> list[str]:
    """The place's code and its parents below the province: desa -> kecamatan -> kabupaten."""
    if place.level == "provinsi":
        return [_PROVINCE]
    parts = place.code.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 1, -1)]


def _kabupaten(unit: str) -> str:
    return unit[:5]


def _reference_kabupaten(reference: list[PlaceMatch]) -> set[str]:
    return {_kabupaten(p.code) for p in reference if p.level != "provinsi"}


def _references(places: tuple[PlaceMatch, ...], text: str) -> list[list[PlaceMatch]]:
    """Mentions grouped into references: neighbours of one kabupaten (or the province) separated
    only by spaces, commas or brackets. Neighbours of different kabupaten stay apart (a list)."""
    groups: list[list[PlaceMatch]] = []
    for place in places:
        if groups and _SAME_REFERENCE_GAP.match(text[groups[-1][-1].span[1]:place.span[0]]):
            previous = _reference_kabupaten(groups[-1])
            current = _reference_kabupaten([place])
            if not previous or not current or previous == current:
                groups[-1].append(place)
                continue
        groups.append([place])
    return groups


def _listed(references: list[list[PlaceMatch]], outside: tuple[tuple[int, int], ...], text: str,
            cues: PlaceCues) -> set[int]:
    """Indexes of references in a list: a run of places joined only by list separators that names
    at least list_min_members different units (kabupaten, or places outside Kalteng). A run inside
    one kabupaten ("Desa Tongka, Kecamatan Gunung Timang, Kabupaten Barito Utara") is one place."""
    members = [((ref[0].span[0], ref[-1].span[1]), index, frozenset(_reference_kabupaten(ref)))
               for index, ref in enumerate(references)]
    members += [(span, None, text[span[0]:span[1]].lower()) for span in outside]
    members.sort(key=lambda member: member[0])
    listed: set[int] = set()
    run: list = []
    for member in members + [((len(text) + 1, len(text) + 1), None, None)]:
        if run and not cues.list_gap.match(text[run[-1][0][1]:member[0][0]]):
            distinct = {key for _span, _index, key in run if key}
            if len(distinct) >= cues.list_min_members:
                listed.update(index for _span, index, _key in run if index is not None)
            run = []
        run.append(member)
    return listed


def main_places(tags: PlaceTags, text: str, title_length: int, cues: PlaceCues | None = None) -> PlaceTags:
    """Keep in kabupaten/kecamatan/desa/kalteng only the units the item is about; `places` keeps every mention."""
    if not tags.places:
        return tags
    cues = cues or default_cues()
    prominent_until = dateline_end(text, title_length)
    references = _references(tags.places, text)
    listed = _listed(references, tags.outside, text, cues)
    counts: Counter[str] = Counter()
    strong: set[str] = set()
    title: set[str] = set()
    dateline: set[str] = set()
    people: set[str] = set()
    for index, reference in enumerate(references):
        start = reference[0].span[0]
        units = {unit for place in reference for unit in _units(place)}
        if start < title_length:
            title |= units
            continue
        before = text[max(0, start - CONTEXT_WINDOW):start]
        speech_before = text[max(0, start - CONTEXT_WINDOW - 80):start]
        if index in listed or cues.route_end.search(speech_before) or cues.speech.search(speech_before):
            continue
        below_province = any(p.level != "provinsi" for p in reference)
        if cues.people.search(before):
            if below_province:
                people |= units
        elif cues.passing.search(before):
            continue
        elif cues.location.search(before):
            if below_province:
                strong |= units
        elif start < prominent_until:
            dateline |= units
        if not cues.office.search(before):
            counts.update(units)
    strong |= title | {unit for unit, count in counts.items() if count >= MIN_REFERENCES}
    strong_kabupaten = {_kabupaten(u) for u in strong if u != _PROVINCE}
    if _PROVINCE in title and not (title - {_PROVINCE}):
        dateline -= {u for u in dateline if _kabupaten(u) in cues.seats and u not in strong}
    salient = set(strong)
    for unit in dateline | people:
        if unit == _PROVINCE or not strong_kabupaten or _kabupaten(unit) in strong_kabupaten:
            salient.add(unit)
    return PlaceTags(
        places=tags.places,
        kabupaten=tuple(c for c in tags.kabupaten if c in salient),
        kecamatan=tuple(c for c in tags.kecamatan if c in salient),
        desa=tuple(c for c in tags.desa if c in salient),
        kalteng=bool(salient),
        outside=tags.outside,
    )


def tag_item(tagger, title: str, text: str) -> PlaceTags:
    """Tag an item's places and keep as its units the ones it is about."""
    document = compose_document(title, text)
    return main_places(tagger.tag(document), document, len(title) + 2 if text else len(document))
