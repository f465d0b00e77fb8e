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
# Aftermath re-read rows whose labels a later reading changed (listed in AFTERMATH_REREAD.md's note)
SUPERSEDED = {"c01324": [], "c01696": [], "c01837": [], "c03344": [], "c08524": [], "c10127": [], "c12242": [],
              "c12511": [], "c14126": [], "c14619": [], "c11920": ["sara", "unjuk_rasa"]}


def _readings() -> list[dict]:
    text = resources.files("classifiers").joinpath("data/seed/readings.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_fields_keep_their_order_and_the_reread_marks_come_last():
    records = _records()
    for record in records:
        assert list(record) == FIELDS + [mark for mark in MARKS if mark in record], record["id"]
    assert sum(1 for r in records if r.get("aftermath_reread") is True) == 565
    assert len(load_seed()) == len(records) + 330  # the loader reads the marked records


def test_the_aftermath_table_lists_the_current_labels_of_re_read_items():
    table = resources.files("classifiers").joinpath("data/seed/AFTERMATH_REREAD.md").read_text(encoding="utf-8")
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| c")]
    by_id = {r["id"]: r for r in _records()}
    assert len(rows) == 21
    for cells in rows:
        record = by_id[cells[0].lstrip("| ")]
        assert record.get("aftermath_reread") is True
        assert SUPERSEDED.get(record["id"], cells[4].split(", ")) == record["categories"]
        old = [] if cells[3] == "(none)" else cells[3].split(", ")
        assert set(old) < set(cells[4].split(", "))  # the aftermath re-read only added labels


def test_every_item_read_once_was_read_again_blind_and_its_final_labels_follow_the_readings():
    records = {r["id"]: r for r in _records()}
    readings = _readings()
    assert {r["id"] for r in readings} == {i for i, r in records.items() if not r["second_read"]}
    for reading in readings:
        record = records[reading["id"]]
        first, second = reading["first"]["categories"], reading["second"]["categories"]
        assert record["blind_reread"] is True
        if sorted(first) == sorted(second):
            assert reading["final_by"] == "agreement" and record["settled"] is False
            assert sorted(record["categories"]) == sorted(first) or record["id"] in SUPERSEDED
        else:
            assert reading["final_by"] == "third_reader" and record["settled"] is True
