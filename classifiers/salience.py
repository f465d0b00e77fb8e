"""Which tagged places an item is about: LABELING.md tags places where events happen, not passing mentions.

The place tagger finds every Kalteng mention. Mentions written next to each other ("Pangkalan
Bun, Kabupaten Kotawaringin Barat (Kobar)") form one reference. An item is taken to be about a
unit when a reference to it (or to a unit inside it) stands in the title, in the dateline
("SAMPIT (ANTARA) - ..."), or is introduced as a location or its people ("di Sampit", "Kabupaten
Katingan", "Desa Tumbang Marak", "warga Palangkaraya"), or when the unit is referred to at least twice. References after a word of
movement or origin ("menuju Sampit", "warga asal Sampit") are passing and do not count outside the
title. A province reference counts the same way, except as a location: "di Kalteng" mostly stands
in lists of provinces ("titik api di Riau, Jambi dan Kalteng"). `places` keeps every mention.
These rules were chosen while reading the seed set's 47 real kabupaten labels (there is no
separate place test set), so the F1 measured there is optimistic; counting the whole lead
sentence instead lost precision to flight routes and the like.
"""
from __future__ import annotations

import re
from collections import Counter

from classifiers.places import PlaceMatch, PlaceTags
from classifiers.text import compose_document

DATELINE_CHARS = 60
MIN_REFERENCES = 2
CONTEXT_WINDOW = 14
_DATELINE_END = re.compile(r"\s[-–—]\s|\)\s*[-–—:]")
_LOCATIVE_BEFORE = re.compile(
    r"\b(di|kota|kabupaten|kab\.|kecamatan|kec\.|desa|kelurahan|warga|masyarakat|penduduk)\s+$", re.IGNORECASE
)
_PASSING_BEFORE = re.compile(r"\b(ke|menuju|dari|asal|tujuan|arah|rute)\s+$", re.IGNORECASE)
_SAME_REFERENCE_GAP = re.compile(r"^[\s,()]{0,4}$")


def dateline_end(text: str, title_length: int) -> int:
    """Offset where the body's dateline ends ("PALANGKA RAYA (ANTARA) -"), or the title's end if none."""
    match = _DATELINE_END.search(text, title_length, title_length + DATELINE_CHARS)
    return match.end() if match else title_length


def _units(place: PlaceMatch) -> list[str]:
    """The place's code and its parents below the province: desa -> kecamatan -> kabupaten."""
    if place.level == "provinsi":
        return ["62"]
    parts = place.code.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 1, -1)]


def _references(places: tuple[PlaceMatch, ...], text: str) -> list[list[PlaceMatch]]:
    """Mentions grouped into references: neighbours separated only by spaces, commas or brackets."""
    groups: list[list[PlaceMatch]] = []
    for place in places:
        if groups and _SAME_REFERENCE_GAP.match(text[groups[-1][-1].span[1]:place.span[0]]):
            groups[-1].append(place)
        else:
            groups.append([place])
    return groups


def main_places(tags: PlaceTags, text: str, title_length: int) -> PlaceTags:
    """Keep in kabupaten/kecamatan/desa/kalteng only the units the item is about; `places` keeps every mention."""
    if not tags.places:
        return tags
    prominent_until = dateline_end(text, title_length)
    counts: Counter[str] = Counter()
    salient: set[str] = set()
    for reference in _references(tags.places, text):
        start = reference[0].span[0]
        before = text[max(0, start - CONTEXT_WINDOW):start]
        units = {unit for place in reference for unit in _units(place)}
        if start < title_length:
            salient |= units
            continue
        if _PASSING_BEFORE.search(before):
            continue
        located = _LOCATIVE_BEFORE.search(before) and any(p.level != "provinsi" for p in reference)
        if start < prominent_until or located:
            salient |= units
        counts.update(units)
    salient |= {unit for unit, count in counts.items() if count >= MIN_REFERENCES}
    return PlaceTags(
        places=tags.places,
        kabupaten=tuple(c for c in tags.kabupaten if c in salient),
        kecamatan=tuple(c for c in tags.kecamatan if c in salient),
        desa=tuple(c for c in tags.desa if c in salient),
        kalteng=bool(salient),
    )


def tag_item(tagger, title: str, text: str) -> PlaceTags:
    """Tag an item's places and keep as its units the ones it is about."""
    document = compose_document(title, text)
    return main_places(tagger.tag(document), document, len(title) + 2 if text else len(document))
