"""The shipped seed labels: record fields, the aftermath re-read list and the blind second reading match the labels."""
import json
from importlib import resources

from classifiers.seed import load_seed

FIELDS = ["id", "publisher", "url", "title", "lead", "categories", "kabupaten", "kalteng", "synthetic",
          "split", "second_read"]


def _records() -> list[dict]:
    text = resources.files("classifiers").joinpath("data/seed/seed.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


MARKS = ["aftermath_reread", "blind_reread", "settled"]  # optional, in this order after FIELDS


def _lines(name: str) -> list[dict]:
    text = resources.files("classifiers").joinpath(f"data/seed/{name}").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _changed_later() -> dict[str, list[str]]:
    """Labels set by a consistency pass after the readings (the last change of each item)."""
    return {change["id"]: change["after"] for change in _lines("consistency_changes.jsonl")}


def test_fields_keep_their_order_and_the_reread_marks_come_last():
    records = _records()
    for record in records:
        assert list(record) == FIELDS + [mark for mark in MARKS if mark in record], record["id"]
    assert sum(1 for r in records if r.get("aftermath_reread") is True) == 565
    assert len(load_seed()) == len(records) + 330  # the loader reads the marked records


def test_the_aftermath_table_lists_the_current_labels_of_items_no_later_reading_changed():
    table = resources.files("classifiers").joinpath("data/seed/AFTERMATH_REREAD.md").read_text(encoding="utf-8")
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| c")]
    by_id = {r["id"]: r for r in _records()}
    changed_later = set(_changed_later()) | {r["id"] for r in by_id.values() if r.get("settled")}
    assert len(rows) == 21
    for cells in rows:
        record = by_id[cells[0].lstrip("| ")]
        assert record.get("aftermath_reread") is True
        old = [] if cells[3] == "(none)" else cells[3].split(", ")
        assert set(old) < set(cells[4].split(", "))  # the aftermath re-read only added labels
        if record["id"] not in changed_later:
            assert cells[4].split(", ") == record["categories"]


def test_every_item_read_once_was_read_again_blind_and_its_final_labels_follow_the_readings():
    records = {r["id"]: r for r in _records()}
    changed_later = _changed_later()
    readings = _lines("readings.jsonl")
    assert {r["id"] for r in readings} == {i for i, r in records.items() if not r["second_read"]}
    for reading in readings:
        record = records[reading["id"]]
        first, second = reading["first"]["categories"], reading["second"]["categories"]
        assert record["blind_reread"] is True
        if sorted(first) == sorted(second):
            assert reading["final_by"] == "agreement" and record["settled"] is False and "third" not in reading
            decided = first
        else:
            assert reading["final_by"] == "third_reader" and record["settled"] is True
            decided = reading["third"]["categories"]
        assert sorted(changed_later.get(record["id"], decided)) == sorted(record["categories"])


def test_consistency_changes_are_the_last_word_on_their_items():
    records = {r["id"]: r for r in _records()}
    changes = _lines("consistency_changes.jsonl")
    assert {c["rule"] for c in changes} == {"individual_land_burners", "demonstration_reactions"}
    for change in changes:
        assert change["before"] != change["after"]
        assert sorted(records[change["id"]]["categories"]) == sorted(change["after"])
