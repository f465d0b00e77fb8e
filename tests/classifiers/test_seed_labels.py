"""The shipped seed labels: record fields, and the aftermath re-read list matches the labels."""
import json
from importlib import resources

from classifiers.seed import load_seed

FIELDS = ["id", "publisher", "url", "title", "lead", "categories", "kabupaten", "kalteng", "synthetic",
          "split", "second_read"]


def _records() -> list[dict]:
    text = resources.files("classifiers").joinpath("data/seed/seed.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_fields_keep_their_order_and_the_reread_mark_comes_last():
    records = _records()
    for record in records:
        expected = FIELDS + (["aftermath_reread"] if "aftermath_reread" in record else [])
        assert list(record) == expected, record["id"]
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
        assert cells[4].split(", ") == record["categories"]
        old = [] if cells[3] == "(none)" else cells[3].split(", ")
        assert set(old) < set(record["categories"])
