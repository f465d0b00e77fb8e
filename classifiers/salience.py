"""Which tagged places an item is about: LABELING.md tags places where events happen, not passing mentions.

The place tagger finds every Kalteng mention. Mentions of one unit written next to each other
("Pangkalan Bun, Kabupaten Kotawaringin Barat (Kobar)") form one reference. Each reference is
weighed by the words before it (lists of words in data/place_cues.yaml):

- passing, never counted: an origin, also in the title ("Sabu disuplai dari Sampit", "mahasiswa
  asal Sampit", "berasal dari Kabupaten Kotawaringin Barat"); the far end of a route ("dari
  Pangkalan Bun ke Sampit"); in the body, a destination or neighbour right before the name
  ("menuju Sampit", "berbatasan dengan Katingan") or the place where someone spoke ("kata Sekda
  di Palangka Raya"); a member of a list of three or more places ("Kotim, Seruyan, dan Katingan",
  "Jambi, Banjarmasin, dan Palangka Raya"), unless the list is introduced as a location ("titik
  panas di Kabupaten Kotawaringin Timur, Seruyan, dan Katingan": all strong);
- strong: in the title; introduced as a location ("di Sampit", "Kabupaten Katingan", "Desa
  Tumbang Marak", "di hutan Sampit", "mendatangi Kantor Bupati Kotim", "Pilkada Barito Utara",
  "Jalan Iskandar, Pangkalan Bun", "kawasan Bundaran Besar, Kota Palangkaraya"), also as the
  second of a pair after a location ("di Kabupaten Kotawaringin Timur dan Katingan"); or referred
  to at least twice other than after an official's title;
- weak: the dateline ("SAMPIT (ANTARA) - ...", often the outlet's bureau), the people of a place
  ("warga Palangkaraya"), references after officials' titles ("Bupati Kotim", "DPRD Kapuas") and
  the ends of a named road ("Jalur Sampit-Pangkalan Bun", "Jalan Kurun - Palangka Raya").
  They count only when no other kabupaten is strong, or when their kabupaten is strong too.

The provincial capital as the seat: when the item names the province through a provincial
institution ("Polda Kalteng", "Gubernur Kalteng", "DPRD Kalteng"), the capital is kept only if it
is introduced as a location of events ("di Palangka Raya") or one of its kecamatan/kelurahan is
named; otherwise the item is about the province. When the title names only the province, a
dateline naming the capital is the seat too. People gathering at a provincial building ("demo di
depan Kantor DPRD Kalteng") are in the capital: neither rule applies then. A province reference
counts like the others, except as a location: "di Kalteng" mostly stands in lists of provinces.
`places` keeps every mention. The rules were written from the national seed and the dev split of the
Kalteng set (classifiers/place_scores.py measures them).
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
# "SAMPIT (ANTARA) - ", "KUALA KURUN, Kaltengtoday.com – ", "SUKAMARA, KALTENGPOS.CO– ", "SAMPIT-Warga"
_DATELINE_END = re.compile(r"\s[-–—]\s|\)\s*[-–—:]|[–—]\s?|(?<=[A-Z]{3})-(?=\S)")
_SAME_REFERENCE_GAP = re.compile(r"^[\s,()]{0,4}$")


def _alternation(words: list[str]) -> str:
    """A regex alternation of cue words, longest first, inner spaces matching any white space."""
    escaped = (re.escape(w.lower()).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))
    return "(?:" + "|".join(escaped) + ")"


def _last_words(*lists: list[str]) -> frozenset[str]:
    return frozenset(phrase.lower().split()[-1] for words in lists for phrase in words)


@dataclass(frozen=True)
class Cue:
    """A cue: patterns anchored at the end of the text before a reference, each with the words it
    can end on, so that a set lookup on the last words rules most references out before a regex runs."""

    alternatives: tuple[tuple[re.Pattern, frozenset[str]], ...]

    @classmethod
    def of(cls, *alternatives: tuple[str, frozenset[str]]) -> Cue:
        """A cue from (regex, endings) pairs; the regexes are compiled case-insensitively."""
        return cls(tuple((re.compile(pattern, re.I), endings) for pattern, endings in alternatives))

    def found(self, before: str, tail: frozenset[str]) -> bool:
        """True if one of the patterns ends ``before``; ``tail`` is PlaceCues.tail_words(before)."""
        return any(
            not tail.isdisjoint(endings) and pattern.search(before) is not None
            for pattern, endings in self.alternatives
        )


_ABBREVIATION_END = re.compile(r"\([\w. ]{1,15}\)$")


@dataclass(frozen=True)
class PlaceCues:
    """Compiled cue patterns, each matched against the text ending right before a reference."""

    location: Cue
    people: Cue
    origin: Cue
    destination: Cue
    route_end: Cue
    office: Cue
    road: Cue
    office_building: Cue
    province_office: Cue
    speech: Cue
    list_gap: re.Pattern
    list_min_members: int
    seats: frozenset[str]
    unit_markers: frozenset[str]

    def tail_words(self, before: str) -> frozenset[str]:
        """The words a cue before a reference can end on: the last word, the word before a unit
        marker or a bracketed abbreviation ("Kabupaten", "(Polda)"), and "," or "-" at the end."""
        text = before.rstrip().lower()
        out = set()
        for _ in range(2):  # at most a unit marker and an abbreviation
            if text.endswith((",", "-", "–")):
                out.add(text[-1] if text[-1] == "," else "-")
            words = text.rsplit(None, 2)
            if not words:
                break
            last = words[-1].strip("(),")
            out.add(last)
            if last in self.unit_markers:
                text = text[: len(text) - len(words[-1])].rstrip()
            elif text.endswith(")") and _ABBREVIATION_END.search(text):
                text = _ABBREVIATION_END.sub("", text).rstrip()
            else:
                break
        return frozenset(out)

    @classmethod
    def from_mapping(cls, cues: dict) -> PlaceCues:
        """Compile the lists of a place_cues.yaml mapping."""
        def words(key: str) -> str:
            return _alternation(cues[key])

        def ends(*keys: str) -> frozenset[str]:
            return _last_words(*(cues[key] for key in keys))

        marker = rf"(?:{words('unit_markers')}\s+)?"
        abbreviation = r"(?:\([\w. ]{1,15}\)\s+)?"  # "Kepolisian Daerah (Polda) Kalimantan Tengah"
        word = r"(?<![\w.])"
        road = rf"(?:{words('route_nouns')}|{words('street_words')})"
        separators = "|".join(re.escape(s) if not s.isalpha() else rf"\b{s}\b" for s in cues["list_separators"])
        speech_window = int(cues["speech_window"])
        return cls(
            location=Cue.of(
                (rf"{word}{words('location_before')}\s+$", ends("location_before")),
                (rf"{word}di\s+{words('location_nouns')}\s+{marker}$", ends("location_nouns")),
                (rf"{word}(?:di\s+)?(?:{words('location_office_buildings')}\s+)+(?:{words('office_before')}\s+)?{marker}$",
                 ends("location_office_buildings", "office_before")),
                (rf"{word}\(?{words('election_before')}\)?\s+{abbreviation}{marker}$", ends("election_before")),
                (rf"{word}(?:{words('street_words')}|{words('location_nouns')})\s+[^.;:,]{{1,40}},\s*{marker}$",
                 frozenset({","})),
            ),
            people=Cue.of((rf"{word}{words('people_before')}\s+(?:dari\s+)?{marker}$",
                           ends("people_before") | {"dari"})),
            origin=Cue.of(
                (rf"{word}{words('origin_before')}\s+$", ends("origin_before")),
                (rf"{word}{words('origin_of_people')}\s+{marker}$", ends("origin_of_people")),
            ),
            destination=Cue.of((rf"{word}{words('destination_before')}\s+$", ends("destination_before"))),
            route_end=Cue.of((rf"{word}{words('route_start')}\s[^.;!?]{{1,60}}{word}{words('route_end')}\s+{marker}$",
                              ends("route_end"))),
            office=Cue.of((rf"{word}{words('office_before')}\s+{abbreviation}{marker}$", ends("office_before"))),
            road=Cue.of(
                (rf"{word}{road}(?:\s+{road})*\s+$", ends("route_nouns", "street_words")),
                (rf"{word}{road}\s+[^.;,]{{1,40}}?\s?[-\u2013]\s?$", frozenset({"-"})),
            ),
            office_building=Cue.of((
                rf"{word}{words('location_office_buildings')}\s+(?:{words('province_office_before')}\s+)?{abbreviation}{marker}$",
                ends("location_office_buildings", "province_office_before"),
            )),
            province_office=Cue.of((rf"{word}{words('province_office_before')}\s+{abbreviation}{marker}$",
                                    ends("province_office_before"))),
            speech=Cue.of((rf"{word}{words('speech_verbs')}\s[^.;!?\"\u201c\u201d]{{0,{speech_window}}}{word}di\s+{marker}$",
                           frozenset({"di"}))),
            list_gap=re.compile(rf"^[\s()]*(?:(?:{separators})[\s()]*)+{marker}$", re.I),
            list_min_members=int(cues["list_min_members"]),
            seats=frozenset(cues["seat_of_province"]),
            unit_markers=frozenset(w.lower() for w in cues["unit_markers"]),
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


MAX_LIST_GAP = 24  # characters: ", dan Kabupaten " at most


def _joined(text: str, end: int, start: int, cues: PlaceCues) -> bool:
    """The text between two places only joins them as a list (", ", " dan ", ", serta Kabupaten ")."""
    return 0 <= start - end <= MAX_LIST_GAP and cues.list_gap.match(text[end:start]) is not None


def _listed(references: list[list[PlaceMatch]], outside: tuple[tuple[int, int], ...], text: str,
            cues: PlaceCues) -> dict[int, int | None]:
    """References in a list, each with the index of the list's first member: a run of places joined
    only by list separators that names at least list_min_members different units (kabupaten, or
    places outside Kalteng; the first member may be outside too, then it is None). A run inside one
    kabupaten ("Desa Tongka, Kecamatan Gunung Timang, Kabupaten Barito Utara") is one place."""
    # (span, index of the reference or None outside Kalteng, what tells the units apart)
    members: list[tuple[tuple[int, int], int | None, frozenset[str] | str | None]] = [
        ((ref[0].span[0], ref[-1].span[1]), index, frozenset(_reference_kabupaten(ref)))
        for index, ref in enumerate(references)]
    members += [(span, None, text[span[0]:span[1]].lower()) for span in outside]
    members.sort(key=lambda member: member[0])
    listed: dict[int, int | None] = {}
    run: list = []
    for member in [*members, ((len(text) + 1, len(text) + 1), None, None)]:
        if run and not _joined(text, run[-1][0][1], member[0][0], cues):
            distinct = {key for _span, _index, key in run if key}
            if len(distinct) >= cues.list_min_members:
                head = run[0][1]
                listed.update((index, head) for _span, index, _key in run if index is not None)
            run = []
        run.append(member)
    return listed


def _passing(before: str, wide: str, tail: frozenset[str], cues: PlaceCues, in_title: bool) -> bool:
    """A reference that names an origin, the far end of a route or where someone spoke, or (in the
    body) a destination or neighbour."""
    if cues.people.found(before, tail):
        return False
    return (
        cues.origin.found(before, tail) or cues.route_end.found(wide, tail)
        or (not in_title and (cues.destination.found(before, tail) or cues.speech.found(wide, tail)))
    )


def _provincial_seat(tags: PlaceTags, text: str, cues: PlaceCues) -> str:
    """How the item names the province's institutions: "building" when people gather at one ("demo
    di depan Kantor DPRD Kalteng": that happens in the capital), "office" when it names one
    ("Gubernur Kalteng", "Polda Kalteng"), else ""."""
    seat = ""
    for place in tags.places:
        if place.level == "provinsi":
            before = text[max(0, place.span[0] - CONTEXT_WINDOW):place.span[0]]
            tail = cues.tail_words(before)
            if cues.office_building.found(before, tail):
                return "building"
            if cues.province_office.found(before, tail):
                seat = "office"
    return seat


def main_places(tags: PlaceTags, text: str, title_length: int, cues: PlaceCues | None = None) -> PlaceTags:
    """Keep in kabupaten/kecamatan/desa/kalteng only the units the item is about; `places` keeps every mention."""
    if not tags.places:
        return tags
    cues = cues or default_cues()
    prominent_until = dateline_end(text, title_length)
    references = _references(tags.places, text)
    listed = _listed(references, tags.outside, text, cues)
    counts: Counter[str] = Counter()
    office_counts: Counter[str] = Counter()  # references after an official's title ("Bupati Kotim")
    strong: set[str] = set()
    title: set[str] = set()
    dateline: set[str] = set()
    people: set[str] = set()
    roads: set[str] = set()  # ends of a named road or route: weak
    located_units: set[str] = set()  # introduced as a location somewhere ("di Palangka Raya")
    previous_located_end = None
    for index, reference in enumerate(references):
        start = reference[0].span[0]
        units = {unit for place in reference for unit in _units(place)}
        located = False
        if index in listed:
            # a list introduced as a location ("titik panas di Kabupaten Kotawaringin Timur,
            # Seruyan, dan Katingan") names where events are; any other list names in passing
            head = listed[index]
            if head is None or not any(p.level != "provinsi" for p in reference):
                continue
            head_start = references[head][0].span[0]
            head_before = text[max(0, head_start - CONTEXT_WINDOW):head_start]
            if not cues.location.found(head_before, cues.tail_words(head_before)):
                continue
            strong |= units
            located_units |= units
            continue
        before = text[max(0, start - CONTEXT_WINDOW):start]
        tail = cues.tail_words(before)
        in_title = start < title_length
        if _passing(before, text[max(0, start - CONTEXT_WINDOW - 80):start], tail, cues, in_title):
            continue
        if cues.road.found(before, tail):  # "Jalur Sampit-Pangkalan Bun", "Jalan Kurun-Palangka Raya"
            roads |= units
            continue
        if in_title:
            title |= units
            if cues.location.found(before, tail):
                located_units |= units
            continue
        below_province = any(p.level != "provinsi" for p in reference)
        if cues.people.found(before, tail):
            if below_province:
                people |= units
        elif cues.location.found(before, tail) or (
            previous_located_end is not None and _joined(text, previous_located_end, start, cues)
        ):
            if below_province:  # "di Kabupaten Kotawaringin Timur dan Katingan": both located
                strong |= units
                located_units |= units
                located = True
        elif start < prominent_until:
            dateline |= units
        previous_located_end = reference[-1].span[1] if located else None
        (office_counts if cues.office.found(before, tail) else counts).update(units)
    strong |= title | {unit for unit, count in counts.items() if count >= MIN_REFERENCES}
    offices = {unit for unit, count in office_counts.items() if count + counts[unit] >= MIN_REFERENCES} - strong
    seat_use = _provincial_seat(tags, text, cues)
    if seat_use == "office":
        # the capital named only as the seat (dateline, "Polda Kalteng ... Palangka Raya"), not as
        # the location of events ("demo di Palangka Raya", "Kecamatan Sabangau")
        kept = {_kabupaten(u) for u in located_units | strong | dateline | people if len(u) > 5} | located_units
        for group in (strong, dateline, people, offices, roads):
            seat = {u for u in group if u in cues.seats and u not in kept}
            if seat:
                group -= seat
                strong.add(_PROVINCE)  # the item is about the province
    elif not seat_use and _PROVINCE in title and not (title - {_PROVINCE}):
        dateline -= {u for u in dateline if _kabupaten(u) in cues.seats and u not in strong}
    strong_kabupaten = {_kabupaten(u) for u in strong if u != _PROVINCE}
    salient = set(strong)
    for unit in dateline | people | offices | roads:
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
