"""Shared fixtures: a small model trained on part of the seed set (fast), the shipped default model."""
import pytest

from classifiers.categories import ModelConfig
from classifiers.seed import load_seed
from classifiers.taxonomy import load_taxonomy
from classifiers.training import fit_model


@pytest.fixture(scope="session")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="session")
def seed_items():
    return load_seed()


@pytest.fixture(scope="session")
def small_model(seed_items, taxonomy):
    """A model fitted on 1,200 seed items: enough to behave like the real one, quick to train."""
    items = [item for item in seed_items if item.split == "train"][:1200]
    return fit_model(items, taxonomy, ModelConfig(folds=3))
