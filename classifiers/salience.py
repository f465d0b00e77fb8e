"""Which tagged places an item is about: LABELING.md tags places where events happen, not passing mentions.

The place tagger finds every Kalteng mention. An item is taken to be about a unit when the unit
(or a unit inside it) is named in the title, in the dateline ("SAMPIT (ANTARA) - ..."), or at
least twice. A province mention counts the same way. (Measured on the seed set: also counting
the whole lead sentence lost precision to passing mentions such as flight routes.)
"""
from __future__ import annotations

import re
from collections import Counter

from classifiers.places import PlaceTags
from classifiers.text import compose_document

DATELINE_CHARS = 60
MIN_MENTIONS = 2
_DATELINE_END = re.compile(r"\s[-–—]\s|\)\s*[-–—:]")


def dateline_end(text: str, title_length: int) -> int:
    """Offset where the body's dateline ends ("PALANGKA RAYA (ANTARA) -"), or the title's end if none."""
    match = _DATELINE_END.search(text, title_length, title_length + DATELINE_CHARS)
    return match.end() if match else title_length


def _units(code: str) -> list[str]:
    """The code and its parents below the province: desa -> kecamatan -> kabupaten."""
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 1, -1)]


def main_places(tags: PlaceTags, text: str, title_length: int) -> PlaceTags:
    """Keep in kabupaten/kecamatan/desa/kalteng only the units the item is about; `places` keeps every mention."""
    if not tags.places:
        return tags
    prominent_until = dateline_end(text, title_length)
    mentions: Counter[str] = Counter()
    prominent: set[str] = set()
    for place in tags.places:
        for unit in _units(place.code) if place.level != "provinsi" else ["62"]:
            mentions[unit] += 1
            if place.span[0] < prominent_until:
                prominent.add(unit)
    salient = {unit for unit, count in mentions.items() if count >= MIN_MENTIONS} | prominent
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
