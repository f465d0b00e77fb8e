"""A story's evidence: the union of what its articles (one near-duplicate cluster) carry; an event's, the union
of its stories'."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from monitor.db.models import present
from monitor.timezones import WIB


@dataclass
class Story:
    """Everything known of one story cluster for alerting."""

    cluster_id: int
    title: str = ""
    text: str = ""
    categories: set[str] = field(default_factory=set)
    kabupaten: set[str] = field(default_factory=set)
    kecamatan: set[str] = field(default_factory=set)
    desa: set[str] = field(default_factory=set)
    kalteng: bool = False
    conflict: float = 0.0
    is_conflict: bool = False
    scores: dict[str, float] = field(default_factory=dict)  # highest probability per category
    severity: set[str] = field(default_factory=set)
    evidence: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    def add(self, article, classification) -> None:
        """Fold one article and its classification into the story."""
        seen = article.published_at or article.fetched_at
        if self.first_seen is None or seen < self.first_seen:
            self.first_seen, self.title = seen, article.title
            self.text = f"{article.title}. {article.summary_text}"
        self.last_seen = seen if self.last_seen is None else max(self.last_seen, seen)
        self.categories.update(classification.categories)
        self.kabupaten.update(classification.kabupaten)
        self.kecamatan.update(classification.kecamatan)
        self.desa.update(classification.desa)
        self.kalteng = self.kalteng or classification.kalteng
        self.conflict = max(self.conflict, classification.conflict)
        self.is_conflict = self.is_conflict or classification.is_conflict
        for code, score in classification.scores.items():
            self.scores[code] = max(score, self.scores.get(code, 0.0))
        self.severity.update(classification.severity)
        self.evidence.extend(s for s in classification.evidence if s not in self.evidence)
        self.sources.add(article.feed_id)

    def absorb(self, other: Story) -> None:
        """Fold another story (another copy cluster of the same event) into this one."""
        if other.first_seen is not None and (self.first_seen is None or other.first_seen < self.first_seen):
            self.first_seen, self.title, self.text = other.first_seen, other.title, other.text
        if other.last_seen is not None:
            self.last_seen = other.last_seen if self.last_seen is None else max(self.last_seen, other.last_seen)
        for name in ("categories", "kabupaten", "kecamatan", "desa", "severity", "sources"):
            getattr(self, name).update(getattr(other, name))
        self.kalteng = self.kalteng or other.kalteng
        self.conflict = max(self.conflict, other.conflict)
        self.is_conflict = self.is_conflict or other.is_conflict
        for code, score in other.scores.items():
            self.scores[code] = max(score, self.scores.get(code, 0.0))
        self.evidence.extend(s for s in other.evidence if s not in self.evidence)

    @property
    def places(self) -> set[str]:
        return self.kabupaten | self.kecamatan | self.desa

    @property
    def kabupaten_codes(self) -> set[str]:
        """The kabupaten/kota codes only (the tagger's list may hold the province)."""
        return {code for code in self.kabupaten if code.count(".") == 1}

    @property
    def seen_from(self) -> datetime:
        """When the story was first seen (a story has at least one report)."""
        return present(self.first_seen)

    @property
    def seen_until(self) -> datetime:
        """When the story was last seen."""
        return present(self.last_seen)

    @property
    def year(self) -> int:
        return self.seen_from.astimezone(WIB).year
