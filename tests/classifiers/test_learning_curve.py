"""The learning curve re-runs the Kalteng outlets-held-out folds on nested shares of the Kalteng training items."""
from classifiers.categories import ModelConfig
from classifiers.evaluation import KALTENG, publisher_held_out
from classifiers.learning_curve import kept_share, learning_curve, thinned, to_markdown
from classifiers.seed import load_kalteng
from classifiers.splits import publisher_folds


def _small_set(seed_items):
    kalteng = load_kalteng()[::6]
    national = [item for item in seed_items if item.split == "train"][:600]
    return national + kalteng


def test_shares_are_nested_and_keep_national_and_test_items(seed_items):
    items = _small_set(seed_items)
    fold = publisher_folds(items, KALTENG, 2)[0]
    half, three_quarters = thinned(fold, 0.5), thinned(fold, 0.75)
    kalteng_ids = {share: {i.id for i in part.train if i.corpus == KALTENG} for share, part in
                   ((0.5, half), (0.75, three_quarters), (1.0, fold))}
    assert kalteng_ids[0.5] < kalteng_ids[0.75] < kalteng_ids[1.0]
    assert 0.35 < len(kalteng_ids[0.5]) / len(kalteng_ids[1.0]) < 0.65
    national = [i.id for i in fold.train if i.corpus != KALTENG]
    assert [i.id for i in half.train if i.corpus != KALTENG] == national
    assert half.test == fold.test
    assert kept_share("x", 0.0) is False and kept_share("x", 1.0) is True


def test_the_whole_share_gives_the_evaluation_figure_and_a_smaller_share_trains_on_fewer_items(seed_items, taxonomy):
    items = _small_set(seed_items)
    config = ModelConfig(folds=3)
    rows = learning_curve(items, taxonomy, config, shares=(0.5, 1.0), max_folds=2)
    whole = publisher_held_out(items, taxonomy, config, KALTENG, 2)
    assert rows[-1]["conflict_signal"] == whole["conflict_signal"]
    assert rows[-1]["macro_f1_support5"] == whole["macro_f1_support5"]
    assert rows[0]["kalteng_train_items"] < rows[1]["kalteng_train_items"]
    assert set(rows[0]["per_round"]) == {str(n) for n in {i.collection_round for i in items if i.corpus == KALTENG}}
    table = to_markdown(rows)
    assert "| 50% |" in table and "| 100% |" in table and "F1 putaran 2" in table


def test_the_command_keeps_the_curve_as_markdown_and_json(seed_items, tmp_path, capsys):
    import json

    from classifiers.cli import _write_learning_curve

    items = _small_set(seed_items)[::4]
    _write_learning_curve(items, ModelConfig(folds=3), tmp_path / "evaluation")
    rows = json.loads((tmp_path / "evaluation" / "learning_curve.json").read_text(encoding="utf-8"))
    assert [row["share"] for row in rows] == [0.25, 0.5, 0.75, 1.0]
    assert (tmp_path / "evaluation" / "learning_curve.md").read_text(encoding="utf-8") in capsys.readouterr().out
