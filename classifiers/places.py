"""Gazetteer-based place tagger for Kalimantan Tengah (Kalteng).

The tagger finds Kalteng administrative units (province, kabupaten/kota, kecamatan,
desa/kelurahan) named in Indonesian news text and returns their Kemendagri codes.

How it works
------------
1. **One pass.** Every surface form (official names, short names, aliases.csv, kecamatan and
   desa names, a few generated spelling variants) and a set of *context* phrases (other
   provinces, Kalbar/Kalsel namesakes, media names, river phrases) live in one pyahocorasick
   automaton. The lower-cased text is scanned once; hits must sit on word boundaries and
   overlapping hits are resolved leftmost-longest, so "Kotawaringin Timur" beats
   "Kotawaringin", "Kuala Kapuas" beats "Kapuas", "Barito Kuala" beats "Barito" and
   "Kapuas Hulu" is one hit of its own.
2. **Staged resolution.** Hits are decided in dependency order, so that weaker names can ask
   for context from stronger ones:
   province mentions -> kabupaten names that stand alone -> kabupaten names that need context
   ("Kapuas", "Mura", "Barut") -> kecamatan -> names shared with places outside Kalteng
   ("Ketapang", "Kapuas Hulu") -> desa/kelurahan.
3. **Disambiguation rules** (see the ``_rule_*`` comments below and ambiguous_names.csv):
   namesakes outside Kalteng are rejected, history ("konflik Sampit 2001") is not a place of
   events, common-word desa names need a "Desa"/"Kelurahan" marker, desa/kecamatan need Kalteng
   context, duplicate desa names are resolved only through a mentioned parent, never guessed.
4. **Confidence.** Every accepted mention gets a confidence in 0..1; mentions below
   ``min_confidence`` are dropped. A desa implies its kecamatan and kabupaten, a kecamatan its
   kabupaten, and any accepted place sets ``kalteng``.

The tagger is pure Python over immutable lookup tables: build it once (``PlaceTagger.default()``
caches a process-wide instance) and call ``tag`` from any thread.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from classifiers.gazetteer import (
    LEVEL_DESA as _LEVEL_DESA,
    LEVEL_KABUPATEN as _LEVEL_KAB,
    LEVEL_KECAMATAN as _LEVEL_KEC,
    LEVEL_PROVINSI as _LEVEL_PROV,
    PROVINCE_CODE,
    PROVINCE_NAME,
    Gazetteer,
)

__all__ = ["Gazetteer", "PlaceMatch", "PlaceTagger", "PlaceTags"]


# --------------------------------------------------------------------------------------------
# Public result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceMatch:
    """One accepted mention of a Kalteng place."""

    code: str  # Kemendagri code, e.g. "62.02", "62.02.06", "62.02.06.1002", or "62"
    name: str  # official gazetteer name
    level: str  # "provinsi" | "kabupaten" | "kecamatan" | "desa"
    span: tuple[int, int]  # character offsets of the matched surface form in the input text
    confidence: float  # 0..1
    matched_text: str


@dataclass(frozen=True)
class PlaceTags:
    """All accepted places of one text, plus the codes they imply."""

    places: tuple[PlaceMatch, ...]  # accepted matches, in text order
    kabupaten: tuple[str, ...]  # sorted unique kabupaten codes (incl. implied ones)
    kecamatan: tuple[str, ...]
    desa: tuple[str, ...]
    kalteng: bool  # the events are in Kalteng
    # spans of names of places outside Kalteng that the lexicon knows (other provinces, Kalbar and
    # Kalsel towns, namesakes): lets callers see lists that mix Kalteng and other places; not part
    # of to_dict
    outside: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict:
        """Return a JSON-ready dict (lists instead of tuples)."""
        return {
            "kabupaten": list(self.kabupaten),
            "kecamatan": list(self.kecamatan),
            "desa": list(self.desa),
            "kalteng": self.kalteng,
            "places": [
                {
                    "code": p.code,
                    "name": p.name,
                    "level": p.level,
                    "span": [p.span[0], p.span[1]],
                    "confidence": p.confidence,
                }
                for p in self.places
            ],
        }


_EMPTY_TAGS = PlaceTags(places=(), kabupaten=(), kecamatan=(), desa=(), kalteng=False)


_default_lock = threading.Lock()
_default_tagger: PlaceTagger | None = None


# --------------------------------------------------------------------------------------------
# Lexicon: surface forms -> entries
# --------------------------------------------------------------------------------------------

# Entry kinds.
_K_PROV = "prov"  # province mention (Kalteng, Kalimantan Tengah, Bumi Tambun Bungai)
_K_WEAK = "weak"  # Kalteng-specific but not a geo signal alone (Bumi Pancasila, mottos): no tag
_K_KAB = "kab"  # kabupaten-level surface that stands on its own (official, short, abbr, capital)
_K_KAB_RISKY = "kab_risky"  # Mura, Barut: capitalised + other Kalteng context required
_K_KAPUAS = "kapuas"  # bare "Kapuas": Kab. Kapuas only with Kalteng context
_K_SAMPIT = "sampit"  # capital of Kotim, with the history rule
_K_KOTAWARINGIN = "kotawaringin"  # Kobar or Kotim: Kalteng context, no kabupaten
_K_BARITO = "barito"  # bare "Barito": river / company: nothing; "wilayah Barito": context only
_K_PALANGKA = "palangka"  # bare "Palangka": the kelurahan only after "Kelurahan"
_K_KEC = "kec"
_K_DESA = "desa"
_K_FOREIGN = "foreign"  # namesake / place outside Kalteng (Kalbar, Kalsel, other provinces)
_K_NEUTRAL = "neutral"  # recognised so that nothing shorter matches, but carries no signal

# Kabupaten-level strength classes: (confidence with Kalteng context, without).
_KAB_STRENGTH = {
    "official": (0.95, 0.95),  # "Palangka Raya"; any name after "Kabupaten"/"Bupati"/"Pemkab"
    "short": (0.95, 0.85),  # "Kotawaringin Timur", "Katingan"
    "short_namesake": (0.9, 0.7),  # short names with namesakes elsewhere (Gunung Mas, ...)
    "abbr": (0.9, 0.75),  # Kotim, Kobar, Barsel, Bartim, Gumas, Pulpis
    "capital": (0.9, 0.8),  # Sampit, Pangkalan Bun, Buntok, ...
    "town": (0.85, 0.7),  # other towns in aliases.csv (Kumai, Ampah)
    "risky": (0.8, 0.0),  # Mura, Barut: rejected without context
}
_VARIANT_PENALTY = 0.05  # generated or unverified spelling variants
_LOWERCASE_PENALTY = 0.15  # a kabupaten name written in lower case

# Short names that are also desa names in other provinces (aliases.csv notes).
_SHORT_NAMESAKES = {"gunung mas", "murung raya", "sukamara"}
# Abbreviations that are common words or short tokens (aliases.csv notes).
_RISKY_ABBREVIATIONS = {"mura", "barut"}
# Province nicknames/mottos that are no geo signal alone (aliases.csv notes).
_WEAK_PROVINCE_ALIASES = {"bumi pancasila", "isen mulang"}
# Unverified nicknames that are generic phrases: not indexed at all.
_SKIPPED_ALIASES = {"kota cantik"}

# Kecamatan names that are common words or foreign place names: need a "Kecamatan" marker.
# (ambiguous_names.csv lists Selat, Murung, Paku, Mendawai; the rest are added here.)
_RISKY_KECAMATAN_EXTRA = {"sepang", "awang", "jelai", "hanau", "kurun", "delang", "lahei"}

# Desa names that are common Indonesian words, personal names ("Didi", "Henda"), Javanese
# transmigration names found all over Indonesia ("Sidorejo") or well-known places elsewhere
# ("Belawan", "Sudan"), in addition to the common_word_or_generic rows of ambiguous_names.csv.
# Such names need a desa marker.
_COMMON_DESA_EXTRA = {
    "manis", "merah", "jambu", "kolam", "parit", "sumur", "puri", "purnama", "patung", "dorong",
    "bundar", "guci", "telaga", "tambak", "lalang", "jaman", "perigi", "kina", "liku", "kapuk",
    "keruing", "bangkal", "kalang", "payang", "dandang", "kondang", "cangkang", "telang",
    "saing", "lenggang", "sulung", "baung", "kubung", "jangkang", "garung", "ajang", "aruk",
    "bayat", "bunut", "pantik", "lagan", "ruji", "sambi", "tura", "simpur", "didi", "henda",
    "sudan", "belawan", "purwodadi", "sidorejo", "sidomulyo", "madurejo", "kurun", "tewah",
    "hanua", "gohong", "pangi", "kawa", "dayu", "sire", "toka", "lebo", "pager",
}

# Tokens of generic toponyms. A desa name made only of these ("Sumber Makmur", "Pasir Putih",
# "Kampung Baru", "Bina Bhakti") exists in many provinces and is treated as generic.
_GENERIC_TOKENS = frozenset(
    """
    sumber makmur jaya maju suka mekar bangun karya bersama indah agung sari mulia mulya baru
    lama bukit batu putih pasir panjang kampung kota tanjung harapan raya tunggal bumi subur
    rahayu sejahtera permai bina tani cahaya mas damai hulu hilir tengah utara selatan barat
    timur sungai sei teluk pulau danau muara air tanah karang rawa kebun gunung pantai rantau
    setia budi bakti bhakti sentosa lestari abadi tri panca dua satu luar dalam atas bawah
    pematang simpang pasar lima asri harum kencana merah kuning hijau biru melayu jawa bali
    bandar kuala parit sawit durian kelapa karet pinang tunas harapan baru sido rejo mulyo
    """.split()  # noqa: SIM905 - a word list reads better as words than as quoted items
)

# Places outside Kalteng used as namesakes/context. Region "kalbar"/"kalsel" matter for the
# Kapuas/Ketapang rules; all of them are "foreign anchors" for desa/kecamatan.
_KALBAR_NAMES = [
    "kalbar", "kalimantan barat", "pontianak", "putussibau", "sanggau", "sintang", "melawi",
    "sambas", "mempawah", "kubu raya", "singkawang", "bengkayang", "sekadau", "kayong utara",
    "landak", "kapuas raya", "hulu kapuas", "supadio", "nanga pinoh", "kapuas hulu",
    "ketapang",
]
_KALSEL_NAMES = [
    "kalsel", "kalimantan selatan", "banjarmasin", "banjarbaru", "barito kuala", "batola",
    "marabahan", "tabalong", "tapin", "balangan", "hulu sungai selatan", "hulu sungai tengah",
    "hulu sungai utara", "tanah laut", "tanah bumbu", "kotabaru", "amuntai", "kandangan",
    "barabai",
]
# Other places whose names or abbreviations collide with Kalteng aliases ("Mura" = Musi Rawas).
_OTHER_FOREIGN_NAMES = ["musi rawas", "musi rawas utara", "lubuklinggau", "lubuk linggau"]
# Other provinces: canonical name -> names and usual abbreviations. Also used to spot lists
# of provinces.
_OTHER_PROVINCES = {
    "aceh": ["aceh"],
    "sumut": ["sumatera utara", "sumatra utara", "sumut"],
    "sumbar": ["sumatera barat", "sumatra barat", "sumbar"],
    "riau": ["riau"],
    "kepri": ["kepulauan riau", "kepri"],
    "jambi": ["jambi"],
    "sumsel": ["sumatera selatan", "sumatra selatan", "sumsel"],
    "bengkulu": ["bengkulu"],
    "lampung": ["lampung"],
    "babel": ["bangka belitung", "babel"],
    "dki": ["dki jakarta"],
    "jabar": ["jawa barat", "jabar"],
    "jateng": ["jawa tengah", "jateng"],
    "diy": ["di yogyakarta", "diy"],
    "jatim": ["jawa timur", "jatim"],
    "banten": ["banten"],
    "bali": ["bali"],
    "ntb": ["nusa tenggara barat", "ntb"],
    "ntt": ["nusa tenggara timur", "ntt"],
    "kaltim": ["kalimantan timur", "kaltim"],
    "kaltara": ["kalimantan utara", "kaltara"],
    "sulut": ["sulawesi utara", "sulut"],
    "sulteng": ["sulawesi tengah", "sulteng"],
    "sulsel": ["sulawesi selatan", "sulsel"],
    "sultra": ["sulawesi tenggara", "sultra"],
    "gorontalo": ["gorontalo"],
    "sulbar": ["sulawesi barat", "sulbar"],
    "maluku": ["maluku"],
    "malut": ["maluku utara", "malut"],
    "papua": ["papua"],
    "papua barat": ["papua barat"],
    "papua selatan": ["papua selatan"],
    "papua tengah": ["papua tengah"],
    "papua pegunungan": ["papua pegunungan"],
    "papua barat daya": ["papua barat daya"],
}
# Province names among the Kalbar/Kalsel names (canonical names for list detection).
_NEIGHBOUR_PROVINCES = {
    "kalbar": "kalbar", "kalimantan barat": "kalbar",
    "kalsel": "kalsel", "kalimantan selatan": "kalsel",
}
# Recognised only so that no shorter name matches inside them; no signal.
_NEUTRAL_PHRASES = [
    # media outlets: the outlet's name is not the place of the events
    "kalteng pos", "tribun kalteng", "tribunkalteng", "prokalteng", "palangka pos", "radar sampit",
    "berita sampit", "kalteng today", "kaltengtoday", "mmc kalteng", "borneonews",
    # football club
    "kalteng putra",
    # rivers shared with other provinces ("Sungai Kapuas"/"DAS Barito")
    "sungai kapuas", "sungai barito", "das barito", "das kapuas", "sei kapuas",
    # companies
    "barito pacific",
]


@dataclass(frozen=True)
class _Entry:
    """One reading of a surface form."""

    kind: str
    code: str = ""  # Kalteng code ("" for foreign/neutral/weak entries)
    level: str = ""
    strength: str = ""  # kabupaten strength class (see _KAB_STRENGTH)
    penalty: float = 0.0  # spelling-variant penalty
    region: str = ""  # foreign entries: "kalbar", "kalsel", "other"
    common: bool = False  # common word / foreign namesake: level marker required
    generic: bool = False  # generic toponym (desa): weaker without marker/parent
    province: str = ""  # foreign entry that names a province: its canonical name
    self_named: bool = False  # kecamatan named after its own kabupaten ("Katingan Kuala"): Kalteng alone


def _norm_key(s: str) -> str:
    return " ".join(s.lower().split())


class _Lexicon:
    """All surface forms with their readings, and the automaton over them."""

    def __init__(self, gaz: Gazetteer) -> None:
        self.gaz = gaz
        self.entries: dict[str, list[_Entry]] = {}
        self._build()
        self.automaton = ahocorasick.Automaton()
        for key, entries in self.entries.items():
            self.automaton.add_word(key, (len(key), tuple(entries)))
        self.automaton.make_automaton()

    # -- construction -------------------------------------------------------------------------

    def _add(self, surface: str, entry: _Entry) -> None:
        key = _norm_key(surface)
        if not key:
            return
        bucket = self.entries.setdefault(key, [])
        for i, old in enumerate(bucket):
            if old.kind == entry.kind and old.code == entry.code and old.region == entry.region:
                # keep the stronger reading of the same thing
                if _entry_rank(entry) > _entry_rank(old):
                    bucket[i] = entry
                return
        bucket.append(entry)

    def _build(self) -> None:
        gaz = self.gaz
        kab_of_alias_type = {
            "official": "official",
            "official_dataset_spelling": "official",
            "short": "short",
            "abbreviation": "abbr",
            "capital": "capital",
            "town": "town",
            "spelling_variant": "capital",
        }

        # Province.
        self._add(PROVINCE_NAME, _Entry(_K_PROV, PROVINCE_CODE, _LEVEL_PROV))

        # Kabupaten table (official name, short name, news alias, capital).
        # "Kabupaten X" itself is not indexed: the kabupaten marker before a short name gives the
        # same confidence, and "Kabupaten Kapuas Hulu" must not match "Kabupaten Kapuas" first.
        for r in gaz.kabupaten_rows:
            code = r["code"]
            if not _is_kabupaten_prefixed(r["name"]):
                self._add(r["name"], _Entry(_K_KAB, code, _LEVEL_KAB, "official"))
            short = r["short_name"]
            self._add(short, self._kab_entry(code, short, "short"))
            if r["news_alias"] and _norm_key(r["news_alias"]) != _norm_key(short):
                strength = "official" if code == "62.71" else "abbr"
                self._add(r["news_alias"], self._kab_entry(code, r["news_alias"], strength))
            if r["capital"]:
                self._add(r["capital"], self._kab_entry(code, r["capital"], "capital"))
                joined = r["capital"].replace(" ", "")
                if joined != r["capital"]:  # "Pangkalanbun", "Kualakapuas"
                    self._add(joined, self._kab_entry(code, joined, "capital", _VARIANT_PENALTY))
        # "Kota Palangka Raya" in the spelling of the city itself.
        self._add("Kota Palangka Raya", _Entry(_K_KAB, "62.71", _LEVEL_KAB, "official"))

        # aliases.csv
        for r in gaz.alias_rows:
            alias, code, atype = r["alias"], r["code"], r["alias_type"]
            key = _norm_key(alias)
            penalty = 0.0 if r.get("verified", "yes") == "yes" else _VARIANT_PENALTY
            if key in _SKIPPED_ALIASES:
                continue
            if atype == "region_group" or _is_kabupaten_prefixed(alias):
                # "wilayah Barito" is read from "Barito" + prefix; "Kabupaten X": see above
                continue
            if code == PROVINCE_CODE:
                kind = _K_WEAK if key in _WEAK_PROVINCE_ALIASES else _K_PROV
                self._add(alias, _Entry(kind, PROVINCE_CODE if kind == _K_PROV else "",
                                        _LEVEL_PROV if kind == _K_PROV else ""))
                continue
            if atype == "ambiguous":  # "Palangka"
                self._add(alias, _Entry(_K_PALANGKA))
                continue
            if atype in ("motto", "nickname"):
                self._add(alias, _Entry(_K_WEAK))
                continue
            strength = kab_of_alias_type.get(atype, "town")
            if atype == "spelling_variant":
                penalty = max(penalty, _VARIANT_PENALTY)
            if code == "62.71":  # Palangka Raya / Palangkaraya: unique, both spellings usual
                strength, penalty = "official", 0.0
            self._add(alias, self._kab_entry(code, alias, strength, penalty))

        # Kecamatan.
        common_names = {
            n for n, issues in gaz.issues_by_name.items() if "common_word_or_generic" in issues
        }
        foreign_names = self._foreign_namesakes()
        short_names = {r["code"]: _norm_key(r["short_name"]) for r in gaz.kabupaten_rows}
        for r in gaz.kecamatan_rows:
            name, code = r["name"], r["code"]
            key = _norm_key(name)
            common = key in common_names or key in _RISKY_KECAMATAN_EXTRA or key in foreign_names
            own = short_names.get(code[:5], "")
            self_named = not common and key != own and key.startswith(own + " ")
            entry = _Entry(_K_KEC, code, _LEVEL_KEC, common=common, generic=_is_generic(key),
                           self_named=self_named)
            self._add(name, entry)
            for variant in _kecamatan_variants(name):
                self._add(variant, _Entry(_K_KEC, code, _LEVEL_KEC, penalty=_VARIANT_PENALTY,
                                          common=common, generic=entry.generic))

        # Desa / kelurahan.
        for r in gaz.desa_rows:
            name, code = r["name"], r["code"]
            for variant, penalty in _desa_variants(name):
                key = _norm_key(variant)
                common = (
                    key in common_names
                    or key in _COMMON_DESA_EXTRA
                    or key in foreign_names
                    or "common_word_or_generic" in gaz.issues_by_code.get(code, ())
                )
                self._add(variant, _Entry(_K_DESA, code, _LEVEL_DESA, penalty=penalty,
                                          common=common, generic=_is_generic(key)))

        # Special readings that replace the plain kabupaten reading.
        self._replace_kind("kapuas", _K_KAB, _Entry(_K_KAPUAS, "62.03", _LEVEL_KAB, "short"))
        self._replace_kind("sampit", _K_KAB, _Entry(_K_SAMPIT, "62.02", _LEVEL_KAB, "capital"))
        self._add("Kotawaringin", _Entry(_K_KOTAWARINGIN))
        self._add("Barito", _Entry(_K_BARITO))

        # Places outside Kalteng.
        for name in _KALBAR_NAMES:
            self._add(name, _Entry(_K_FOREIGN, region="kalbar",
                                   province=_NEIGHBOUR_PROVINCES.get(name, "")))
        for name in _KALSEL_NAMES:
            self._add(name, _Entry(_K_FOREIGN, region="kalsel",
                                   province=_NEIGHBOUR_PROVINCES.get(name, "")))
        for name in _OTHER_FOREIGN_NAMES:
            self._add(name, _Entry(_K_FOREIGN, region="other"))
        for canonical, names in _OTHER_PROVINCES.items():
            for name in names:
                self._add(name, _Entry(_K_FOREIGN, region="other", province=canonical))
        # Namesakes listed in ambiguous_names.csv as equal to a kabupaten/kota elsewhere
        # (Ketapang 61.04, Kapuas Hulu 61.06, Padang 13.71, Sigi 72.10, Tanjung Pinang 21.72).
        for key in foreign_names:
            if not any(e.kind == _K_FOREIGN for e in self.entries.get(key, ())):
                self._add(key, _Entry(_K_FOREIGN, region="other"))
        for phrase in _NEUTRAL_PHRASES:
            self._add(phrase, _Entry(_K_NEUTRAL))

    def _kab_entry(self, code: str, surface: str, strength: str, penalty: float = 0.0) -> _Entry:
        key = _norm_key(surface)
        if key in _RISKY_ABBREVIATIONS:
            return _Entry(_K_KAB_RISKY, code, _LEVEL_KAB, "risky", penalty)
        if strength == "short" and key in _SHORT_NAMESAKES:
            strength = "short_namesake"
        return _Entry(_K_KAB, code, _LEVEL_KAB, strength, penalty)

    def _replace_kind(self, key: str, old_kind: str, new: _Entry) -> None:
        bucket = self.entries.setdefault(key, [])
        bucket[:] = [e for e in bucket if not (e.kind == old_kind and e.code == new.code)]
        bucket.append(new)

    def _foreign_namesakes(self) -> set[str]:
        """Names of Kalteng units that equal a kabupaten/kota outside Kalteng (ambiguous CSV)."""
        out = set()
        for r in self.gaz.ambiguous_rows:
            if r["issue"] == "equals_kabupaten_kota_name" and not r["detail"].startswith("62"):
                out.add(_norm_key(r["name"]))
        return out


def _entry_rank(e: _Entry) -> float:
    with_ctx = _KAB_STRENGTH.get(e.strength, (0.5, 0.5))[0]
    return with_ctx - e.penalty


def _is_kabupaten_prefixed(name: str) -> bool:
    return name.lower().startswith("kabupaten ")


def _is_generic(key: str) -> bool:
    tokens = key.split()
    return len(tokens) > 1 and all(t in _GENERIC_TOKENS for t in tokens)


def _kecamatan_variants(name: str) -> Iterable[str]:
    if name.startswith("Gn. "):
        yield "Gunung " + name[4:]
    words = name.split()
    if len(words) > 1 and "." not in name:
        joined = "".join(words)
        if len(joined) >= 8:  # "Kotabesi", "Pangkalanbanteng"
            yield joined


def _desa_variants(name: str) -> Iterable[tuple[str, float]]:
    yield name, 0.0
    if "/" in name:  # "Pasar Panas/Taniran"
        for part in name.split("/"):
            if part.strip():
                yield part.strip(), _VARIANT_PENALTY
    if "Sei." in name:  # "Sei. Rungun" is written "Sei Rungun" or "Sungai Rungun"
        yield name.replace("Sei.", "Sei"), _VARIANT_PENALTY
        yield name.replace("Sei.", "Sungai"), _VARIANT_PENALTY


# --------------------------------------------------------------------------------------------
# Context regexes (applied to a short window of the original text)
# --------------------------------------------------------------------------------------------

_PRE_WINDOW = 48

_DESA_MARKER = re.compile(
    r"(?:^|[^\w])(?:desa|kelurahan|kel\.|ds\.|kades|kepala\s+desa|lurah|pemdes|laman)\s*$", re.I
)
_KEC_MARKER = re.compile(r"(?:^|[^\w])(?:kecamatan|kec\.|camat|polsek|kapolsek|koramil)\s*$", re.I)
_KAB_MARKER = re.compile(
    r"(?:^|[^\w])(?:kabupaten|kab\.?|pemkab|pemerintah\s+kabupaten|bupati|wakil\s+bupati|wabup|"
    r"dprd|polres|kapolres|kodim|dandim|kejari|sekda|setda|rsud)\s*$",
    re.I,
)
# Not a place of events: company, street, building, airport or housing-estate names
# ("PT Sumber Makmur", "Perum Bamban Permai", "Bandar Udara Sanggu").
_NONPLACE_PREFIX = re.compile(
    r"(?:^|[^\w])(?:pt|cv|ud|kud|koperasi|hotel|toko|perum|perumahan|komplek|kompleks|jalan|jl|"
    r"jln|gang|gg|masjid|gereja|sdn?|smpn?|sman?|smkn?|universitas|stadion|restoran|wisma|"
    r"gedung|rs|bandara|bandar\s+udara)\.?\s*$",
    re.I,
)
# River (or river-named thing) before "Kapuas": "Sungai Kapuas", "Jembatan Kapuas",
# "Operasi Panah Kapuas" (a Polda Kalbar operation), "Hulu Kapuas".
_RIVER_PREFIX = re.compile(
    r"(?:^|[^\w])(?:sungai|sei\.?|s\.|das|daerah\s+aliran\s+sungai|jembatan|hulu|hilir|muara|"
    r"tepian|bantaran|operasi(?:\s+\w+)?)\s*$",
    re.I,
)
# History: "konflik Sampit", "tragedi Sampit", "kerusuhan etnis Sampit" ...
_HISTORY_PREFIX = re.compile(
    r"(?:^|[^\w])(?:konflik|tragedi|kerusuhan|peristiwa|perang|pertikaian|bentrokan|insiden|"
    r"rusuh)(?:\s+(?:antar\s*)?(?:etnis|suku))?(?:\s+berdarah)?\s+$",
    re.I,
)
# ... or "Sampit 2001", "Sampit (tahun) 2001", "Sampit pada 2001".
_HISTORY_SUFFIX = re.compile(r"^[\s,()\-]{0,3}(?:tahun\s+|th\.?\s+|pada\s+)?2001\b", re.I)
# Before "Ketapang": the Kalbar kabupaten, its town or its airport.
_KETAPANG_KALBAR_PREFIX = re.compile(
    r"(?:^|[^\w])(?:kota|bandara|bandar\s+udara|rahadi\s+oesman|dinkes|diskes)\s*$", re.I
)
# "Kabupaten X", "Kecamatan X", "Provinsi X": an administrative unit somewhere. When X is no
# Kalteng name this is a foreign anchor for nearby desa/kecamatan names.
_ADMIN_UNIT = re.compile(
    r"\b(?:Kabupaten|Kab\.|Provinsi|Prov\.|Kecamatan|Kec\.|Kota)\s+([A-Z][\w'-]*)"
)

_BARITO_GROUP_PREFIX = re.compile(r"(?:^|[^\w])wilayah\s+$", re.I)
# A former post or a home town before a province name.
_PASSING_PREFIX = re.compile(
    r"(?:^|[^\w])(?:mantan|eks|bekas)\s+(?:[\w.]+\s+){0,3}$|(?:^|[^\w])(?:asal|berasal\s+dari)\s+$",
    re.I,
)

# End of a sentence: ". " / ".," (the corpus joins paragraphs with commas) / "?" / "!" / newline.
_SENTENCE_END = re.compile(r"[.!?][\"\u201d\u2019')]?(?=[\s,]|$)|\n")

_NEAR = 200  # characters: "near" for local context decisions
_LIST_WINDOW = 100  # characters around a province mention to look for a list of provinces


def _looks_like_url_part(text: str, low: str, start: int, end: int, n: int) -> bool:
    """A lower-case hit inside a host name or path ("kalteng.antaranews.com", "/sampit/")."""
    if text[start] != low[start]:
        return False  # capitalised: a name, not a URL
    if start > 0 and low[start - 1] in "./@_":
        return True
    return end + 1 < n and low[end] == "." and low[end + 1].isalnum()


class _Hit:
    __slots__ = ("end", "entries", "kinds", "start")

    def __init__(self, start: int, end: int, entries: tuple[_Entry, ...]) -> None:
        self.start = start
        self.end = end
        self.entries = entries
        self.kinds = frozenset(e.kind for e in entries)

    def of(self, kind: str) -> list[_Entry]:
        return [e for e in self.entries if e.kind == kind]


def _distance(a: _Hit | tuple[int, int], s: int, e: int) -> int:
    a_s, a_e = (a.start, a.end) if isinstance(a, _Hit) else a
    if a_e <= s:
        return s - a_e
    if a_s >= e:
        return a_s - e
    return -1  # overlapping


# --------------------------------------------------------------------------------------------
# Tagger
# --------------------------------------------------------------------------------------------


class PlaceTagger:
    """Find Kalteng places in Indonesian text (see the module docstring for the rules)."""

    def __init__(self, gazetteer: Gazetteer | None = None, min_confidence: float = 0.5) -> None:
        """Build the lookup tables.

        Args:
            gazetteer: the gazetteer to use; default is the packaged one.
            min_confidence: mentions with a lower confidence are not returned.
        """
        self.gazetteer = gazetteer if gazetteer is not None else Gazetteer.load()
        self.min_confidence = float(min_confidence)
        self._lex = _Lexicon(self.gazetteer)
        self._automaton = self._lex.automaton

    @classmethod
    def default(cls) -> PlaceTagger:
        """The process-wide tagger over the packaged gazetteer (built once, then cached)."""
        global _default_tagger
        tagger = _default_tagger
        if tagger is None:
            gaz = Gazetteer.load()
            with _default_lock:
                if _default_tagger is None:
                    _default_tagger = cls(gaz)
                tagger = _default_tagger
        return tagger

    # -- scanning -----------------------------------------------------------------------------

    def _scan(self, text: str) -> list[_Hit]:
        low = text.lower()
        if len(low) != len(text):  # a few characters lower-case to two ("İ"): keep offsets
            low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        if "\n" in low or "\t" in low or "\r" in low:
            low = low.replace("\n", " ").replace("\t", " ").replace("\r", " ")
        n = len(low)
        raw = []
        for end, (klen, entries) in self._automaton.iter(low):
            start = end - klen + 1
            if start > 0 and low[start - 1].isalnum():
                continue
            if end + 1 < n and low[end + 1].isalnum():
                continue
            if _looks_like_url_part(text, low, start, end + 1, n):
                continue
            raw.append((start, end + 1, entries))
        if not raw:
            return []
        # Leftmost-longest: "Kotawaringin Timur" over "Kotawaringin", "Barito Kuala" over "Barito".
        raw.sort(key=lambda h: (h[0], -h[1]))
        hits = []
        last_end = -1
        for start, end, entries in raw:
            if start >= last_end:
                hits.append(_Hit(start, end, entries))
                last_end = end
        return hits

    # -- tagging ------------------------------------------------------------------------------

    def tag(self, text: str) -> PlaceTags:
        """Tag the Kalteng places of one text.

        Args:
            text: any text (title and body of a news item).
        Returns:
            PlaceTags with accepted mentions (confidence >= min_confidence) in text order.
        """
        if not text:
            return _EMPTY_TAGS
        hits = self._scan(text)
        if not hits:
            return _EMPTY_TAGS
        # Fast exit: without any Kalteng signal desa/kecamatan names get at most 0.4 (they
        # need Kalteng context), so nothing can pass a threshold above that.
        if self.min_confidence > 0.4 and not any(
            h.kinds & _SIGNAL_KINDS or (_K_KEC in h.kinds and any(e.self_named for e in h.entries))
            for h in hits
        ):
            return _EMPTY_TAGS
        return _Resolution(self, text, hits).run()


_SIGNAL_KINDS = frozenset({_K_PROV, _K_KAB, _K_KAB_RISKY, _K_KAPUAS, _K_SAMPIT, _K_KOTAWARINGIN,
                           _K_BARITO, _K_PALANGKA})


class _Resolution:
    """State of tagging one text: hits, accepted mentions and the context they give."""

    def __init__(self, tagger: PlaceTagger, text: str, hits: list[_Hit]) -> None:
        self.tagger = tagger
        self.gaz = tagger.gazetteer
        self.text = text
        self.hits = hits
        # accepted: (hit, code, level, confidence)
        self.accepted: list[tuple[_Hit, str, str, float]] = []
        self.kab_codes: set[str] = set()  # accepted kabupaten codes (incl. implied)
        self.kec_codes: set[str] = set()
        self.province_hits: list[_Hit] = []  # province mentions that are not in a list
        self.passing_province_hits: list[_Hit] = []
        self.weak_ctx = False  # "Kotawaringin", "wilayah Barito"
        self.foreign_hits = [h for h in hits if h.kinds == {_K_FOREIGN}]
        self._admin_anchors: list[tuple[int, int]] | None = None
        self.history_hits: set[int] = set()  # starts of "Sampit 2001"-type hits
        self._anchor_list: list[tuple[int, int, bool]] | None = None  # sorted, built lazily
        self._kab_kec_named: dict[str, bool] = {}

    # -- helpers ------------------------------------------------------------------------------

    def pre(self, hit: _Hit) -> str:
        return self.text[max(0, hit.start - _PRE_WINDOW):hit.start]

    def capitalised(self, hit: _Hit) -> bool:
        return self.text[hit.start].isupper()

    def has_context(self, exclude: _Hit | None = None) -> bool:
        """Kalteng context: a province mention (not in a list of provinces), an accepted
        Kalteng place other than ``exclude``, or a Kalteng-only phrase ("Kotawaringin")."""
        if self.province_hits or self.weak_ctx:
            return True
        return any(h is not exclude for h, _c, _l, _f in self.accepted)

    def accept(self, hit: _Hit, code: str, level: str, conf: float) -> None:
        conf = round(min(max(conf, 0.0), 1.0), 3)
        if conf < self.tagger.min_confidence:
            return
        self.accepted.append((hit, code, level, conf))
        self.add_anchor(hit, True)
        kab = self.gaz.kabupaten_of(code)
        if kab:
            self.kab_codes.add(kab)
        kec = self.gaz.kecamatan_of(code)
        if kec:
            self.kec_codes.add(kec)

    def foreign_near(self, hit: _Hit, region: str | None = None, window: int = _NEAR) -> bool:
        for f in self.foreign_hits:
            if region is not None and not any(e.region == region for e in f.entries):
                continue
            d = _distance(f, hit.start, hit.end)
            if 0 <= d <= window:
                return True
        return False

    def admin_anchors(self) -> list[tuple[int, int]]:
        """Spans of "Kabupaten X"/"Kecamatan X"/"Provinsi X" where X is no Kalteng name
        ("Kabupaten Boyolali", "Kecamatan Cipatat"): foreign anchors. Computed once."""
        if self._admin_anchors is None:
            # hits are sorted and do not overlap: bisect on their starts
            spans = [
                (h.start, h.end) for h in self.hits
                if h.kinds & (_SIGNAL_KINDS | {_K_KEC, _K_NEUTRAL})
            ]
            starts = [sp[0] for sp in spans]
            out = []
            for m in _ADMIN_UNIT.finditer(self.text):
                s, e = m.start(), m.end()
                i = bisect.bisect_left(starts, e) - 1  # last span starting before e
                if i >= 0 and spans[i][1] > s:
                    continue  # "Kabupaten Kotawaringin Barat", "Kota Besi": a Kalteng name
                out.append((m.start(1), e))
            self._admin_anchors = out
        return self._admin_anchors

    def anchor_list(self) -> list[tuple[int, int, bool]]:
        """Places near which a desa/kecamatan name is read, sorted: (start, end, is_kalteng).
        Built on first use, then kept up to date by ``add_anchor``."""
        if self._anchor_list is None:
            lst = [(h.start, h.end, True) for h, _c, _l, _f in self.accepted]
            lst += [(h.start, h.end, True) for h in self.province_hits]
            lst += [(h.start, h.end, True) for h in self.passing_province_hits]
            lst += [(h.start, h.end, False) for h in self.foreign_hits]
            lst += [(s, e, False) for s, e in self.admin_anchors()]
            lst.sort()
            self._anchor_list = lst
        return self._anchor_list

    def add_anchor(self, hit: _Hit, is_kalteng: bool) -> None:
        if self._anchor_list is not None:
            bisect.insort(self._anchor_list, (hit.start, hit.end, is_kalteng))

    def nearest_anchor_is_foreign(self, hit: _Hit) -> bool:
        """True if the nearest place within _NEAR characters lies outside Kalteng."""
        lst = self.anchor_list()
        lo = bisect.bisect_left(lst, (hit.start - _NEAR - 100,))
        hi = bisect.bisect_right(lst, (hit.end + _NEAR + 1,))
        best_d, best_kalteng = _NEAR + 1, True
        for a_s, a_e, is_kalteng in lst[lo:hi]:
            if a_e <= hit.start:
                d = hit.start - a_e
            elif a_s >= hit.end:
                d = a_s - hit.end
            else:
                continue  # the hit itself or overlapping
            if d < best_d:
                best_d, best_kalteng = d, is_kalteng
        return best_d <= _NEAR and not best_kalteng

    # -- run ----------------------------------------------------------------------------------

    def run(self) -> PlaceTags:
        stage_kab, stage_cond, stage_kec, stage_namesake, stage_desa = [], [], [], [], []
        for h in self.hits:
            kinds = h.kinds
            if _K_PROV in kinds:
                self.stage_province(h)
            elif _K_KOTAWARINGIN in kinds:
                # _rule_kotawaringin: bare "Kotawaringin" is Kobar or Kotim (the longer
                # "Kotawaringin Barat/Timur/Lama" would have matched): Kalteng context, no tag.
                self.weak_ctx = True
            elif _K_BARITO in kinds:
                # _rule_barito: bare "Barito" is the river, a company or the group of kabupaten;
                # never one kabupaten ("Barito Kuala"/"Batola" are Kalsel namesakes matched as
                # longer hits). "wilayah Barito" (Mura, Barut, Barsel, Bartim together) is
                # Kalteng context but tags no kabupaten.
                if _BARITO_GROUP_PREFIX.search(self.pre(h)):
                    self.weak_ctx = True
            elif _K_FOREIGN in kinds and kinds & {_K_KEC, _K_DESA}:
                stage_namesake.append(h)  # Ketapang, Kapuas Hulu, Padang, Sigi, Tanjung Pinang
            elif kinds & {_K_KAB, _K_SAMPIT}:
                stage_kab.append(h)
            elif kinds & {_K_KAPUAS, _K_KAB_RISKY}:
                stage_cond.append(h)
            elif _K_KEC in kinds:
                stage_kec.append(h)
            elif kinds & {_K_DESA, _K_PALANGKA}:
                stage_desa.append(h)
            # foreign, neutral, weak and bare "Barito": no tag

        deferred_kec, deferred_desa = [], []
        for h in stage_kab:
            lower = self.lower_level_by_marker(h)
            if lower == _LEVEL_KEC:
                deferred_kec.append(h)
            elif lower == _LEVEL_DESA:
                deferred_desa.append(h)
            else:
                self.stage_kabupaten(h, stage_kab)
        for h in stage_cond:
            self.stage_conditional(h)
        for h in stage_kec + deferred_kec:
            if _K_DESA in h.kinds and _DESA_MARKER.search(self.pre(h)):
                deferred_desa.append(h)  # "Desa Pangkalan Banteng" is the desa, not the kecamatan
            else:
                self.stage_kecamatan(h)
        # Namesakes are kecamatan/desa readings: after the kecamatan, which can be their parents.
        for h in stage_namesake:
            self.rule_namesake(h)
        for h in stage_desa + deferred_desa:
            self.stage_desa(h)
        self.finish_provinces()
        return self.result()

    def lower_level_by_marker(self, hit: _Hit) -> str | None:
        """A kabupaten-level surface that is also a kecamatan/desa name ("Sukamara",
        "Pulang Pisau", "Kumai", "Nanga Bulik") is read at the lower level only after its
        marker ("Kecamatan Sukamara", "Kelurahan Pulang Pisau")."""
        if _K_DESA in hit.kinds and _DESA_MARKER.search(self.pre(hit)):
            return _LEVEL_DESA
        if _K_KEC in hit.kinds and _KEC_MARKER.search(self.pre(hit)):
            return _LEVEL_KEC
        return None

    # -- province -----------------------------------------------------------------------------

    def stage_province(self, hit: _Hit) -> None:
        # _rule_province_list: "Riau, Jambi, Sumsel, Kalbar, Kalteng dan Kalsel" names Kalteng
        # only in passing (LABELING.md). With two or more other provinces in the same sentence
        # and within 100 characters the mention is "listed": it is kept only if the text names
        # another Kalteng place. ("Untuk daerah Kalimantan Tengah, polda setempat menetapkan
        # 45 tersangka" after a sentence about Jambi and Kalsel is not listed.)
        near = [
            f for f in self.foreign_hits
            if 0 <= _distance(f, hit.start, hit.end) <= _LIST_WINDOW
            and any(e.province for e in f.entries)
        ]
        others: set[str] = set()
        if len(near) >= 2:
            sent_start, sent_end = self.sentence_bounds(hit)
            for f in near:
                if f.start >= sent_start and f.end <= sent_end:
                    others.update(e.province for e in f.entries if e.province)
        # _rule_province_passing: "mantan Wakapolda Kalimantan Tengah", "warga asal Kalteng"
        # name the province in passing (a former post, a home town): same treatment.
        if len(others) >= 2 or _PASSING_PREFIX.search(self.pre(hit)):
            self.passing_province_hits.append(hit)
        else:
            self.province_hits.append(hit)

    def sentence_bounds(self, hit: _Hit) -> tuple[int, int]:
        """Start and end of the sentence around ``hit`` (looking at most _NEAR characters)."""
        lo = max(0, hit.start - _NEAR)
        start = lo
        for m in _SENTENCE_END.finditer(self.text, lo, hit.start):
            start = m.end()
        after = _SENTENCE_END.search(self.text, hit.end, hit.end + _NEAR)
        end = after.start() + 1 if after else min(len(self.text), hit.end + _NEAR)
        return start, end

    def finish_provinces(self) -> None:
        for h in self.province_hits:
            self.accept(h, PROVINCE_CODE, _LEVEL_PROV, 0.95)
        other_kalteng = any(lvl != _LEVEL_PROV for _h, _c, lvl, _f in self.accepted)
        for h in self.passing_province_hits:
            self.accept(h, PROVINCE_CODE, _LEVEL_PROV, 0.9 if other_kalteng else 0.4)

    # -- kabupaten ----------------------------------------------------------------------------

    def kab_confidence(self, hit: _Hit, entry: _Entry, has_ctx: bool) -> float:
        with_ctx, without = _KAB_STRENGTH[entry.strength]
        conf = with_ctx if has_ctx else without
        if entry.strength != "official" and _KAB_MARKER.search(self.pre(hit)):
            conf = max(conf, _KAB_STRENGTH["official"][0])  # "Kabupaten Katingan", "Bupati Kotim"
        conf -= entry.penalty
        if not self.capitalised(hit):
            conf -= _LOWERCASE_PENALTY
        return conf

    def stage_kabupaten(self, hit: _Hit, all_kab_hits: list[_Hit]) -> None:
        entry = next(e for e in hit.entries if e.kind in (_K_KAB, _K_SAMPIT))
        if entry.kind == _K_SAMPIT and self.sampit_is_history_or_kalbar(hit):
            self.history_hits.add(hit.start)
            return
        has_ctx = bool(self.province_hits) or self.weak_ctx or any(
            o is not hit for o in all_kab_hits
        )
        self.accept(hit, entry.code, _LEVEL_KAB, self.kab_confidence(hit, entry, has_ctx))

    def sampit_is_history_or_kalbar(self, hit: _Hit) -> bool:
        # _rule_sampit_history: "konflik/tragedi/kerusuhan/peristiwa Sampit", "Sampit (tahun) 2001"
        # refer to the 2001 conflict, not to a place of current events.
        if _HISTORY_PREFIX.search(self.pre(hit)):
            return True
        if _HISTORY_SUFFIX.search(self.text[hit.end:hit.end + 24]):
            return True
        # "Desa Sampit" is the desa in Kab. Ketapang (Kalbar); Kalteng has no desa Sampit.
        return bool(_DESA_MARKER.search(self.pre(hit)))

    # -- kabupaten-level names that need context ---------------------------------------------

    def stage_conditional(self, hit: _Hit) -> None:
        if _K_KAPUAS in hit.kinds:
            self.rule_kapuas(hit)
        elif _K_KAB_RISKY in hit.kinds:
            self.rule_risky_abbreviation(hit)

    def kecamatan_of_kab_named(self, kab_code: str) -> bool:
        """True if a capitalised, non-common kecamatan name of ``kab_code`` occurs in the text
        ("Barut" + "Gunung Timang" corroborate each other)."""
        found = self._kab_kec_named.get(kab_code)
        if found is None:
            found = any(
                e.kind == _K_KEC and not e.common and e.code.startswith(kab_code + ".")
                and self.capitalised(h)
                for h in self.hits for e in h.entries
            )
            self._kab_kec_named[kab_code] = found
        return found

    def rule_kapuas(self, hit: _Hit) -> None:
        # _rule_kapuas: bare "Kapuas" is Kab. Kapuas (62.03) only
        #  - never after a river word ("Sungai/Jembatan/Hulu Kapuas", "Operasi Panah Kapuas");
        #  - always after an administrative marker ("Kabupaten/Kab./Pemkab/Bupati/Polres Kapuas":
        #    Kalbar has Kapuas Hulu but no Kabupaten Kapuas);
        #  - otherwise only with Kalteng context in the text and no Kalbar name within 200 chars.
        entry = hit.of(_K_KAPUAS)[0]
        pre = self.pre(hit)
        if _RIVER_PREFIX.search(pre):
            return
        if _KAB_MARKER.search(pre):
            self.accept(hit, entry.code, _LEVEL_KAB, 0.95 if self.capitalised(hit) else 0.8)
            return
        if not (self.has_context(exclude=hit) or self.kecamatan_of_kab_named(entry.code)):
            return
        if self.foreign_near(hit, "kalbar"):
            return
        conf = 0.85 if self.capitalised(hit) else 0.7
        self.accept(hit, entry.code, _LEVEL_KAB, conf)

    def rule_risky_abbreviation(self, hit: _Hit) -> None:
        # _rule_risky_alias: "Mura" and "Barut" are common tokens ("mura", "barut") and "Mura" is
        # also Musi Rawas (Sumsel); they count only when capitalised, with other Kalteng context
        # (a province mention, another Kalteng kabupaten, or a kecamatan of the same kabupaten)
        # and no place outside Kalteng within 100 characters. A "Bupati" marker is not enough:
        # "Bupati Mura" can be Musi Rawas.
        entry = hit.of(_K_KAB_RISKY)[0]
        if not self.capitalised(hit):
            return
        if not (self.has_context(exclude=hit) or self.kecamatan_of_kab_named(entry.code)):
            return
        if self.foreign_near(hit, window=100):
            return
        self.accept(hit, entry.code, _LEVEL_KAB, self.kab_confidence(hit, entry, True))

    def rule_namesake(self, hit: _Hit) -> None:
        # _rule_namesake: a Kalteng kecamatan/desa that shares its name with a kabupaten/kota
        # elsewhere (ambiguous_names.csv "equals_kabupaten_kota_name": Kapuas Hulu -> Kalbar,
        # Ketapang -> Kalbar, Padang, Sigi, Tanjung Pinang) is read as the foreign place unless
        #  - its own level marker precedes it ("Kecamatan Kapuas Hulu", "Kelurahan Ketapang") and
        #    a parent of it or other Kalteng context is in the text, and no foreign place is
        #    nearer; or
        #  - "Ketapang" alone has Kotim (Sampit, Kotim, Mentawa Baru Ketapang) or Barut near it,
        #    which picks the kelurahan in Sampit or the desa in Barito Utara.
        # After a kabupaten-type marker ("Kabupaten Ketapang", "Bupati Kapuas Hulu") it is
        # always the foreign kabupaten.
        if not self.namesake_as_kalteng(hit):
            self.foreign_hits.append(hit)  # rejected: it is a place outside Kalteng
            self.add_anchor(hit, False)

    def namesake_as_kalteng(self, hit: _Hit) -> bool:
        pre = self.pre(hit)
        if _KAB_MARKER.search(pre) or _KETAPANG_KALBAR_PREFIX.search(pre):
            return False
        candidates = [e for e in hit.entries if e.kind in (_K_KEC, _K_DESA)]
        kec_marker = bool(_KEC_MARKER.search(pre))
        desa_marker = bool(_DESA_MARKER.search(pre))
        if kec_marker:
            candidates = [e for e in candidates if e.kind == _K_KEC]
        elif desa_marker:
            candidates = [e for e in candidates if e.kind == _K_DESA]
        if not candidates or not self.capitalised(hit):
            return False
        if kec_marker or desa_marker:
            if not self.has_context() or self.nearest_anchor_is_foreign(hit):
                return False
            chosen = self.by_parent(candidates)
            if len(chosen) != 1:
                return False  # duplicate names: never guess
            e = chosen[0]
            parent_seen = self.parent_mentioned(e.code)
            self.accept(hit, e.code, e.level, 0.9 if parent_seen else 0.7)
            return True
        # Bare name: only Ketapang has a documented "near context" reading.
        if _norm_key(self.text[hit.start:hit.end]) != "ketapang":
            return False
        if self.foreign_near(hit, "kalbar"):
            return False
        near = self.near_kalteng_codes(hit)
        chosen = [e for e in candidates if self.gaz.kabupaten_of(e.code) in near
                  or self.gaz.kecamatan_of(e.code) in near]
        if len(chosen) != 1:
            return False
        e = chosen[0]
        self.accept(hit, e.code, e.level, 0.8)
        return True

    def near_kalteng_codes(self, hit: _Hit) -> set[str]:
        """Kabupaten/kecamatan codes of Kalteng names within _NEAR characters of ``hit``."""
        out = set()
        for h in self.hits:
            if h is hit or h.start in self.history_hits:
                continue
            d = _distance(h, hit.start, hit.end)
            if d < 0 or d > _NEAR:
                continue
            for e in h.entries:
                if e.kind in (_K_KAB, _K_SAMPIT, _K_KAB_RISKY) and e.code:
                    out.add(e.code)
                elif e.kind == _K_KEC and e.code:
                    out.add(e.code)
                    out.add(e.code[:5])
        return out

    # -- kecamatan ----------------------------------------------------------------------------

    def parent_mentioned(self, code: str) -> bool:
        """True if an accepted place is the kecamatan or kabupaten containing ``code``."""
        kec = self.gaz.kecamatan_of(code)
        if kec and kec != code and kec in self.kec_codes:
            return True
        kab = self.gaz.kabupaten_of(code)
        return bool(kab) and kab != code and kab in self.kab_codes

    def by_parent(self, candidates: list[_Entry]) -> list[_Entry]:
        """Candidates whose parent kecamatan or kabupaten is mentioned (all if only one)."""
        if len(candidates) == 1:
            return candidates
        by_kec = [e for e in candidates if self.gaz.kecamatan_of(e.code) != e.code
                  and self.gaz.kecamatan_of(e.code) in self.kec_codes]
        if len(by_kec) == 1:
            return by_kec
        by_kab = [e for e in candidates if self.gaz.kabupaten_of(e.code) in self.kab_codes]
        return by_kab

    def stage_kecamatan(self, hit: _Hit) -> None:
        # _rule_kecamatan: capitalised, not part of a company/street name, Kalteng context in the
        # text and no foreign place nearer than a Kalteng one. Common-word names (Selat, Paku,
        # Murung, Sepang, ...) need "Kecamatan"/"Kec."/"Camat"/"Polsek" before them.
        entries = hit.of(_K_KEC)
        if not entries or not self.capitalised(hit):
            return
        pre = self.pre(hit)
        if _NONPLACE_PREFIX.search(pre):
            return
        marker = bool(_KEC_MARKER.search(pre))
        if any(e.common for e in entries) and not marker:
            return
        # a kecamatan named after its own kabupaten ("Seruyan Tengah", "Katingan Kuala") is
        # Kalteng context by itself
        if not self.has_context() and not all(e.self_named for e in entries):
            conf = 0.4
        elif self.nearest_anchor_is_foreign(hit):
            return
        else:
            conf = None
        chosen = self.by_parent(entries) if len(entries) > 1 else entries
        if len(chosen) != 1:
            return
        e = chosen[0]
        # _rule_kecamatan_or_desa: a name that is also a desa elsewhere in Kalteng ("Bukit Batu":
        # kecamatan in Palangka Raya, desa in Kotim and Kapuas) is not the kecamatan when another
        # kabupaten is named and its own is not ("Bupati Katingan ... di Bukit Batu").
        if (not marker and _K_DESA in hit.kinds and self.kab_codes
                and self.gaz.kabupaten_of(e.code) not in self.kab_codes):
            return
        if conf is None:
            if self.parent_mentioned(e.code):
                conf = 0.95 if marker else 0.85
            else:
                conf = 0.8 if marker else 0.7
            if e.generic and not marker:
                conf -= 0.1
        self.accept(hit, e.code, _LEVEL_KEC, conf - e.penalty)

    # -- desa ---------------------------------------------------------------------------------

    def stage_desa(self, hit: _Hit) -> None:
        # _rule_desa:
        #  - capitalised; not a company/street/estate name ("PT Sumber Makmur", "Perum ...");
        #  - needs Kalteng context in the text and no foreign place nearer than a Kalteng one
        #    ("Desa Citatah, Kecamatan Cipatat" is in Jawa Barat whatever else the text says);
        #  - common-word or foreign-namesake names (Baru, Raja, Pantai, Danau, Candi, Selat,
        #    Melayu, Kampung Melayu, Tanjung Jawa, Kubu, Mendawai, Palangka ...) need a marker
        #    ("Desa", "Kelurahan", "Kel.", "Ds.", "Kades", "Lurah");
        #  - without a marker a one-word name needs its parent kecamatan/kabupaten in the text
        #    (and at least 6 letters: short names are often personal names such as "Didi");
        #  - a mentioned parent raises confidence; generic names ("Sumber Makmur") are weaker;
        #  - duplicate names inside Kalteng are resolved only through a mentioned parent; if
        #    that fails the common kecamatan/kabupaten of all readings is emitted when there is
        #    one, otherwise nothing (never guess).
        if not self.capitalised(hit):
            return
        pre = self.pre(hit)
        if _NONPLACE_PREFIX.search(pre):
            return
        marker = bool(_DESA_MARKER.search(pre))
        entries = hit.of(_K_DESA)
        if not entries:
            return
        # without a marker: "Palangka" alone and desa names that are also mottos ("Habaring Hurung") too
        if not marker and (any(e.common for e in entries) or hit.kinds & {_K_PALANGKA, _K_WEAK}):
            return
        if not self.has_context():
            return  # would be <= 0.3: below any sensible threshold
        if self.nearest_anchor_is_foreign(hit):
            return
        surface_key = _norm_key(self.text[hit.start:hit.end])
        single = len(surface_key.split()) == 1
        if not marker and single and len(surface_key) < 6:
            return

        chosen = self.by_parent(entries)
        if len(chosen) == 1:
            e = chosen[0]
            if not marker and single and not self.parent_mentioned(e.code):
                return
            # _rule_desa_elsewhere: without a marker, a desa of a kabupaten the text does not name,
            # in a text that names other kabupaten, is a namesake or part of a longer name
            # ("Sungai Batang Pagar, Desa Runtu, ... Kotawaringin Barat": a river, not the desa in Mura).
            if not marker and self.kab_codes and self.gaz.kabupaten_of(e.code) not in self.kab_codes:
                return
            self.accept(hit, e.code, _LEVEL_DESA, self.desa_confidence(e, marker))
            return
        # Unresolved duplicate: emit the common ancestor, if any.
        pool = chosen or entries
        kecs = {kec for e in pool if (kec := self.gaz.kecamatan_of(e.code))}
        kabs = {kab for e in pool if (kab := self.gaz.kabupaten_of(e.code))}
        base = self.desa_confidence(pool[0], marker) - 0.1
        if len(kecs) == 1:
            self.accept(hit, kecs.pop(), _LEVEL_KEC, base)
        elif len(kabs) == 1:
            self.accept(hit, kabs.pop(), _LEVEL_KAB, base)

    def desa_confidence(self, e: _Entry, marker: bool) -> float:
        if marker:
            conf = 0.65 if (e.common or e.generic) else 0.75
        else:
            conf = 0.35 if e.generic else 0.5
        kec = self.gaz.kecamatan_of(e.code)
        if kec in self.kec_codes:
            conf += 0.2
        elif self.gaz.kabupaten_of(e.code) in self.kab_codes:
            conf += 0.15
        return min(conf, 0.95) - e.penalty

    # -- result -------------------------------------------------------------------------------

    def result(self) -> PlaceTags:
        if not self.accepted:
            return _EMPTY_TAGS
        self.accepted.sort(key=lambda a: (a[0].start, a[0].end))
        places = []
        kab, kec, desa = set(), set(), set()
        for hit, code, level, conf in self.accepted:
            places.append(PlaceMatch(
                code=code,
                name=self.gaz.name_of(code),
                level=level,
                span=(hit.start, hit.end),
                confidence=conf,
                matched_text=self.text[hit.start:hit.end],
            ))
            if level == _LEVEL_DESA:
                desa.add(code)
            k = self.gaz.kecamatan_of(code)
            if k:
                kec.add(k)
            k = self.gaz.kabupaten_of(code)
            if k:
                kab.add(k)
        outside = sorted({(h.start, h.end) for h in self.foreign_hits})
        return PlaceTags(
            places=tuple(places),
            kabupaten=tuple(sorted(kab)),
            kecamatan=tuple(sorted(kec)),
            desa=tuple(sorted(desa)),
            kalteng=True,
            outside=tuple(outside),
        )
