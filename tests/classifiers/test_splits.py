"""Evaluation splits: a held-out publisher or outlet never trains its fold, and the time split keeps
every dated Kalteng item on its side of the boundary."""
import json
from collections import Counter

import pytest

from classifiers.seed import LabeledItem, load_kalteng, place_split_of
from classifiers.splits import group_folds, publisher_folds, publisher_key, time_split


def _item(number: int, publisher: str, corpus: str = "kalteng", date: str = "", synthetic: bool = False) -> LabeledItem:
    return LabeledItem(id=f"{corpus}-{number}", title=f"judul {number}", text="", categories=(), publisher=publisher,
                       corpus=corpus, date=date, synthetic=synthetic)


@pytest.fixture
def mixed():
    """National publishers, Kalteng outlets (one of them a regional site of a national publisher), synthetic items."""
    outlets = ["kalteng.tribunnews.com", "kaltengpos.co.id", "www.kaltengpos.co.id", "radarsampit.com", "tabengan.co.id",
               "borneonews.co.id", "kalteng.antaranews.com", "humabetang.com", "danum.id", "mongabay.co.id"]
    items = [_item(n, outlets[n % len(outlets)], date=f"{2016 + n % 11}-0{1 + n % 9}-15") for n in range(120)]
    items += [_item(n, ["tribunnews", "kompas", "okezone"][n % 3], corpus="national") for n in range(60)]
    items += [_item(n, "", corpus="national", synthetic=True) for n in range(10)]
    return items


@pytest.mark.parametrize("publisher, key", [
    ("kalteng.tribunnews.com", "tribunnews"), ("tribunnews", "tribunnews"), ("www.kaltengpos.co.id", "kaltengpos"),
    ("setda.lamandaukab.go.id", "lamandaukab"), ("danum.id", "danum"), ("Kompas", "kompas"),
])
def test_publisher_key_joins_subdomains_and_second_level_suffixes(publisher, key):
    assert publisher_key(publisher) == key


def test_group_folds_one_group_each_up_to_the_cap_then_balanced_folds():
    assert group_folds({"b": 5, "a": 1}, 4) == [["a"], ["b"]]
    sizes = {f"outlet{n}": 1 + n % 7 for n in range(30)}
    folds = group_folds(sizes, 4)
    assert len(folds) == 4
    assert sorted(name for fold in folds for name in fold) == sorted(sizes)
    totals = [sum(sizes[name] for name in fold) for fold in folds]
    assert max(totals) - min(totals) <= max(sizes.values())


@pytest.mark.parametrize("corpus, max_folds", [("kalteng", 4), ("kalteng", 20), ("national", 10)])
def test_no_publisher_is_on_both_sides_of_a_fold_and_every_real_item_is_tested_once(mixed, corpus, max_folds):
    folds = publisher_folds(mixed, corpus, max_folds)
    tested = Counter(item.id for fold in folds for item in fold.test)
    real = {item.id for item in mixed if item.corpus == corpus and not item.synthetic}
    assert set(tested) == real and set(tested.values()) == {1}
    for fold in folds:
        test_keys = {publisher_key(item.publisher) for item in fold.test}
        assert test_keys == set(fold.held_out)
        assert not test_keys & {publisher_key(item.publisher) for item in fold.train if not item.synthetic}
        assert sum(item.synthetic for item in fold.train) == 10 and not any(item.synthetic for item in fold.test)
    if corpus == "kalteng":
        # kalteng.tribunnews.com is held out with the national tribunnews items out of training
        fold = next(f for f in folds if "tribunnews" in f.held_out)
        assert not any(item.publisher == "tribunnews" for item in fold.train)
        assert len(folds) == min(max_folds, 9)  # kaltengpos.co.id with and without www. is one outlet


def test_national_publisher_folds_of_the_seed_set_leave_one_publisher_out(seed_items):
    folds = publisher_folds(seed_items, "national", 10)
    assert [fold.held_out for fold in folds] == [(p,) for p in sorted({i.publisher for i in seed_items if not i.synthetic})]
    for fold in folds:
        assert {item.publisher for item in fold.test} == set(fold.held_out)
        assert not set(fold.held_out) & {item.publisher for item in fold.train}


def test_time_split_trains_up_to_the_boundary_year_and_tests_the_years_after(mixed):
    items = mixed + [_item(900, "danum.id", date="2023-12-31"), _item(901, "danum.id", date="2024-01-01"),
                     _item(902, "danum.id", date=""), _item(903, "danum.id", date="2027-01-01")]
    fold = time_split(items, "kalteng", 2023, 2026)
    test_ids, train_ids = {i.id for i in fold.test}, {i.id for i in fold.train}
    assert "kalteng-900" in train_ids and "kalteng-901" in test_ids
    assert "kalteng-902" not in train_ids | test_ids and "kalteng-903" not in train_ids | test_ids
    assert all("2024" <= item.date[:4] <= "2026" for item in fold.test)
    assert all(item.date[:4] <= "2023" for item in fold.train if item.corpus == "kalteng")
    assert all(item.corpus == "kalteng" and not item.synthetic for item in fold.test)
    assert {item.id for item in mixed if item.corpus == "national"} <= train_ids
    assert not test_ids & train_ids


def test_kalteng_loader_keeps_outlet_date_and_the_place_split(tmp_path):
    records = [
        {"id": "k1-1", "url": "https://radarsampit.com/a", "outlet": "radarsampit.com", "date": "2024-03-01",
         "title": "Warga blokade jalan kebun", "lead": "SAMPIT - Warga memblokade jalan.", "categories": ["unjuk_rasa"],
         "kalteng": True, "kabupaten": ["62.02"], "kecamatan": ["62.02.07"], "conflict": True},
        {"id": "k1-2", "url": "https://tabengan.co.id/b", "outlet": "tabengan.co.id", "date": "2019-05-02",
         "title": "Rakor FKUB", "lead": "", "categories": ["penanganan"], "kalteng": True, "kabupaten": ["62.71"],
         "place_split": "test"},
    ]
    path = tmp_path / "kalteng.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    first, second = load_kalteng(path)
    assert (first.publisher, first.date, first.corpus, first.kecamatan) == ("radarsampit.com", "2024-03-01", "kalteng", ("62.02.07",))
    assert first.text == "SAMPIT - Warga memblokade jalan." and first.split == "train" and not first.synthetic
    assert first.place_split == place_split_of(records[0]["url"]) and second.place_split == "test"
    assert load_kalteng(tmp_path / "absent.jsonl") == []

