"""How each escalation level looks wherever it is drawn: colour, pattern, label, text colour.

The colours follow the order people know from disaster warnings (green, yellow, orange, red) and
also grow darker level by level, so they stay apart in grey and for colour-blind readers; every
raised level also carries a pattern and its written label.
"""
from __future__ import annotations

from dataclasses import dataclass

from monitor.alerts.levels import LEVEL_NAMES, LEVELS


@dataclass(frozen=True)
class LevelStyle:
    """The look of one level."""

    level: str
    label: str  # Normal | Waspada | Siaga | Awas
    fill: str  # area colour on the map and in swatches
    text: str  # readable text colour on `fill`
    pattern: str  # none | titik | garis | silang (dots, diagonal lines, cross-hatch), drawn in `text`


_LOOK = {
    "normal": ("#d5e8cc", "#1b3a12", "none"),
    "waspada": ("#f7d64a", "#3d3000", "titik"),
    "siaga": ("#ef8a2c", "#2b1400", "garis"),
    "awas": ("#b71c1c", "#ffffff", "silang"),
}

LEVEL_STYLES = {level: LevelStyle(level, LEVEL_NAMES[level], *_LOOK[level]) for level in LEVELS}


def style_of(level: str) -> LevelStyle:
    """The style of `level`; an unknown level is drawn as Normal."""
    return LEVEL_STYLES.get(level, LEVEL_STYLES["normal"])
