"""The labeled data: the national seed set, the Kalteng set (package data) and analysts' labels from the product."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from classifiers.text import compose_document

NATIONAL, KALTENG = "national", "kalteng"  # the corpora a LabeledItem comes from


@dataclass(frozen=True)
class LabeledItem:
    """One labeled news item (title and lead only)."""

    id: str
    title: str
    text: str
    categories: tuple[str, ...]
    kabupaten: tuple[str, ...] = ()
    kalteng: bool = False
    publisher: str = ""
    synthetic: bool = False
    split: str = "train"
    url: str = ""
    corpus: str = NATIONAL  # NATIONAL (seed set, analysts) or KALTENG (Kalteng local news set)
    date: str = ""  # YYYY-MM-DD where known (Kalteng set), for the time split
    place_split: str = ""  # "dev" or "test" on Kalteng items: may place rules be written from its labels?
    kecamatan: tuple[str, ...] = ()
    # Kalteng set: 1 = first collection, 2 = routine news on conflict topics, 3 = SARA and environment (Dec 2026)
    collection_round: int = 1
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def document(self) -> str:
        """The text the model reads: title and lead."""
        return compose_document(self.title, self.text)


class LabelFileError(ValueError):
    """A labels file has a bad line."""


PLACE_TEST_SHARE = 3  # tenths of the Kalteng items (by URL hash) in the place test split


def place_split_of(url: str) -> str:
    """"test" for about 30 % of URLs (sha256 of the URL, first 8 hex digits, mod 10 < 3), else "dev"."""
    return "test" if int(hashlib.sha256(url.encode("utf-8")).hexdigest()[:8], 16) % 10 < PLACE_TEST_SHARE else "dev"


def _item(record: dict, origin: str, line: int, corpus: str) -> LabeledItem:
    try:
        url = str(record.get("url", ""))
        kalteng_set = corpus == KALTENG
        return LabeledItem(
            id=str(record["id"]), title=str(record.get("title", "")),
            text=str(record.get("lead", record.get("text", ""))),
            categories=tuple(record.get("categories", [])), kabupaten=tuple(record.get("kabupaten", [])),
            kalteng=bool(record.get("kalteng", False)),
            publisher=str(record.get("outlet" if kalteng_set else "publisher", "")),
            synthetic=bool(record.get("synthetic", False)), split=str(record.get("split", "train")),
            url=url, corpus=corpus, date=str(record.get("date") or ""),
            place_split=str(record.get("place_split") or place_split_of(url)) if kalteng_set else "",
            kecamatan=tuple(record.get("kecamatan", [])), collection_round=int(record.get("round", 1)),
        )
    except (KeyError, TypeError) as exc:
        raise LabelFileError(f"{origin} baris {line}: rekaman label tidak lengkap ({exc})") from exc


def read_labels(lines: Iterable[str], origin: str, corpus: str = NATIONAL) -> list[LabeledItem]:
    """Parse JSON lines of labeled items; a bad line raises LabelFileError naming it."""
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelFileError(f"{origin} baris {number}: bukan JSON ({exc.msg})") from exc
        items.append(_item(record, origin, number, corpus))
    return items


def load_seed() -> list[LabeledItem]:
    """The shipped seed set: real corpus items (title + lead) and marked synthetic examples."""
    folder = resources.files("classifiers").joinpath("data/seed")
    items = []
    for name in ("seed.jsonl", "synthetic.jsonl"):
        with folder.joinpath(name).open(encoding="utf-8") as handle:
            items.extend(read_labels(handle, name))
    return items


def load_label_file(path: Path) -> list[LabeledItem]:
    """Analyst labels exported from the product (same record format)."""
    with Path(path).open(encoding="utf-8") as handle:
        return read_labels(handle, str(path))


KALTENG_FILE = "data/kalteng/kalteng.jsonl"


def load_kalteng(path: Path | None = None) -> list[LabeledItem]:
    """The Kalteng local news set (outlet as publisher, date kept); [] while the package holds none yet."""
    source = Path(path) if path else resources.files("classifiers").joinpath(KALTENG_FILE)
    if not source.is_file():
        return []
    with source.open(encoding="utf-8") as handle:
        return read_labels(handle, str(path or KALTENG_FILE), corpus=KALTENG)
