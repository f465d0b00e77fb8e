"""The actors and objects a report names: companies, organisations, named people, and the desa and
kecamatan the place tagger found. Two reports about one event share some of them; two disputes in
one town usually do not.

Companies and civil organisations are found by their legal form or kind ("PT Sawit Makmur", "CV
Borneo Jaya", "Aliansi Petani Cempaga"), people by the role words news writing puts before a name
("Kepala Desa Sukardi", "koordinator aksi Rudi Hartono"). Regular expressions, not a named-entity
model: the patterns are few, fixed and cheap, and a model for Indonesian regional news is not
shipped. Police, army and government offices are left out on purpose: they appear in nearly every
report of a kabupaten and would join unrelated disputes.
"""
from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache

from classifiers.gazetteer import Gazetteer

_NAME_WORD = r"[A-Z][\w&'-]*"
_COMPANY = re.compile(
    rf"\b(PT|CV|UD|KUD|Koperasi)\.?\s+((?:{_NAME_WORD})(?:\s+{_NAME_WORD}){{0,4}})(?:\s*\(([A-Z]{{2,8}})\))?")
_ORGANISATION = re.compile(
    rf"\b(LSM|Ormas|Aliansi|Forum|Serikat|Gerakan|Lembaga Adat|Kelompok Tani|Gapoktan|Himpunan|Persatuan|Komunitas|"
    rf"Masyarakat Adat|Walhi|Save Our Borneo)\b((?:\s+{_NAME_WORD}){{0,4}})")
_PERSON = re.compile(
    r"\b(?:Kades|Kepala Desa|Lurah|Camat|Damang|Mantir|Koordinator(?: [Aa]ksi| [Ll]apangan)?|Korlap|"
    r"[Tt]okoh [Mm]asyarakat|[Ww]arga bernama|[Pp]emilik lahan|[Kk]uasa hukum)\s*,?\s+"
    r"((?:H\.\s*)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})")
KINDS = ("company", "organisation", "person", "desa", "kecamatan")


@dataclass(frozen=True)
class Actor:
    """One actor or object: `key` compares (kind:normalised name or place code), `label` is shown to people."""

    key: str
    label: str

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    return frozenset(Gazetteer.load().all_names())


def _key(kind: str, name: str) -> str:
    return f"{kind}:{' '.join(name.lower().split())}"


def place_actor(kind: str, code: str) -> Actor:
    """A desa or kecamatan as an actor, labelled with its gazetteer name."""
    gazetteer = Gazetteer.load()
    name = gazetteer.name_of(code) if gazetteer.has(code) else code
    return Actor(f"{kind}:{code}", f"{kind} {name}")


def find_actors(text: str, kecamatan: AbstractSet[str] = frozenset(),
                desa: AbstractSet[str] = frozenset()) -> dict[str, Actor]:
    """The actors a text names (with the kecamatan and desa codes the tagger found), by key."""
    found: dict[str, Actor] = {}

    def add(actor: Actor) -> None:
        found.setdefault(actor.key, actor)

    for match in _COMPANY.finditer(text):
        form, name, acronym = match.group(1).upper(), match.group(2).rstrip(".,"), match.group(3)
        add(Actor(_key("company", f"{form} {name}"), f"{form} {name}"))
        if acronym:
            add(Actor(_key("company", f"{form} {acronym}"), f"{form} {acronym}"))
    for match in _ORGANISATION.finditer(text):
        label = f"{match.group(1)}{match.group(2)}".strip()
        if match.group(2).strip() or match.group(1) in ("Walhi", "Save Our Borneo"):
            add(Actor(_key("organisation", label), label))
    for match in _PERSON.finditer(text):
        name = match.group(1)
        if name.lower() not in _place_names():
            add(Actor(_key("person", name), name))
    for code in sorted(kecamatan):
        add(place_actor("kecamatan", code))
    for code in sorted(desa):
        add(place_actor("desa", code))
    return found


def describe(key: str) -> str:
    """A stored actor key as people read it."""
    kind, _, value = key.partition(":")
    if kind in ("desa", "kecamatan"):
        return place_actor(kind, value).label
    if kind == "company":
        form, _, name = value.partition(" ")
        return f"{form.upper()} {name.upper() if len(name) <= 4 else name.title()}"
    return value.title()
