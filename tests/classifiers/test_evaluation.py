"""Held-out evaluation on the Kalteng set: the pooled conflict figure is also given per collection round."""
from classifiers.categories import ModelConfig
from classifiers.evaluation import KALTENG, publisher_held_out, to_markdown
from classifiers.seed import load_kalteng


def test_kalteng_outlets_held_out_reports_each_collection_round_within_the_pooled_figure(seed_items, taxonomy):
    kalteng = load_kalteng()
    rounds = {n: [i for i in kalteng if i.collection_round == n][::step] for n, step in ((1, 12), (2, 3))}
    national = [item for item in seed_items if item.split == "train"][:800]
    report = publisher_held_out(national + rounds[1] + rounds[2], taxonomy, ModelConfig(folds=3), KALTENG, 2)
    assert set(report["per_round"]) == {"1", "2"}
    assert sum(r["items"] for r in report["per_round"].values()) == report["items"] == len(rounds[1] + rounds[2])
    pooled = report["conflict_signal"]
    per_round = [r["conflict_signal"] for r in report["per_round"].values()]
    assert sum(r["support"] for r in per_round) == pooled["support"]
    # the rounds' counts add up to the pooled ones: the pooled recall lies between the rounds' recalls
    assert min(r["recall"] for r in per_round) <= pooled["recall"] <= max(r["recall"] for r in per_round)
    held = {"national_publisher_held_out": report, "targets": [], "items": 1, "kalteng_items": 1, "synthetic": 0,
            "seconds": 0, "cpu_seconds": 0}
    assert "putaran pengumpulan 2" in to_markdown(held)


def test_a_split_with_one_round_gives_no_per_round_figures(seed_items, taxonomy):
    national = [item for item in seed_items if not item.synthetic and item.publisher in ("kompas", "okezone")][::8]
    report = publisher_held_out(national, taxonomy, ModelConfig(folds=3))
    assert "per_round" not in report
