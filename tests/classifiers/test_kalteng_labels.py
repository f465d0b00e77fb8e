"""The shipped Kalteng set: every item read twice, final labels follow the readings, records well formed."""
import json
from importlib import resources

from classifiers.seed import load_kalteng, place_split_of

LABEL_FIELDS = ("categories", "kalteng", "kabupaten", "kecamatan", "desa")


def _lines(name: str) -> list[dict]:
    text = resources.files("classifiers").joinpath(f"data/kalteng/{name}").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _same(a: dict, b: dict) -> bool:
    return all(sorted(a[f]) == sorted(b[f]) if isinstance(a[f], list) else a[f] == b[f] for f in LABEL_FIELDS)


def _changed_later() -> dict[str, dict]:
    """Categories set by a consistency pass over one class of items after the readings."""
    return {change["id"]: change for change in _lines("consistency_changes.jsonl")}


def test_every_item_was_read_twice_and_agreements_are_kept_as_read():
    records = {r["id"]: r for r in _lines("kalteng.jsonl")}
    readings = _lines("readings.jsonl")
    changed_later = _changed_later()
    assert [r["id"] for r in readings] == list(records)
    for reading in readings:
        record = records[reading["id"]]
        assert record["reads"] == 2
        if _same(reading["first"], reading["second"]):
            assert reading["final_by"] == "agreement" and record["settled"] is False
            read = dict(reading["first"])
            if record["id"] in changed_later:
                assert sorted(read["categories"]) == sorted(changed_later[record["id"]]["before"])
                read["categories"] = changed_later[record["id"]]["after"]
            assert _same(record, read), record["id"]
        else:
            assert reading["final_by"] == "third_reader" and record["settled"] is True, record["id"]


def test_consistency_changes_are_the_last_word_on_their_items():
    records = {r["id"]: r for r in _lines("kalteng.jsonl")}
    changes = list(_changed_later().values())
    assert changes and {c["rule"] for c in changes} == {"group_rejection_sara", "group_violence_kekerasan_kelompok", "penanganan_held_activity"}
    for change in changes:
        assert change["before"] != change["after"] and change["reason"]
        assert sorted(records[change["id"]]["categories"]) == sorted(change["after"])


def test_records_are_unique_pages_with_their_place_split_and_title_source():
    records = _lines("kalteng.jsonl")
    assert len({r["url"] for r in records}) == len(records)
    for record in records:
        assert record["place_split"] == place_split_of(record["url"])
        assert record.get("title_basis", "page") in ("page", "url")  # "url": headline rebuilt from the address
        assert len(record["lead"].split()) <= 80, record["id"]
    assert len(load_kalteng()) == len(records)
