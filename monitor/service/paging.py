"""Pages of results for lists that grow without bound (alerts, feeds, audit entries)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class PageRequest:
    """Which page: 1-based number and size (capped at MAX_PAGE_SIZE)."""

    number: int = 1
    size: int = 50

    def __post_init__(self) -> None:
        object.__setattr__(self, "number", max(1, int(self.number)))
        object.__setattr__(self, "size", min(MAX_PAGE_SIZE, max(1, int(self.size))))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of items and the total that matched."""

    items: list[T]
    total: int
    request: PageRequest

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.size))

    @property
    def has_next(self) -> bool:
        return self.request.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.request.number > 1
