"""Conflict events (peristiwa) above copy clusters: which reports of different outlets are one happening.

Regional outlets rewrite the same press release in their own words, so their reports are different
copy clusters. A story (copy cluster) joins an event when
- the place agrees: a shared kabupaten (or neither names one: Kalimantan Tengah as a whole), and no
  disagreement on kecamatan or desa where both name them;
- the conflict categories overlap;
- the event is open: the story falls within `window_days` of the event's reports;
- the actors agree: two reports naming different companies are different disputes; sharing an actor
  (a company, organisation, named person, desa or kecamatan) asks for `min_similarity` of content
  words (TF-IDF cosine), sharing none for the stricter `min_similarity_without_actor`.
Candidates come from the `conflict_event_keys` index (place x category) and the events' window, so a
story is compared with a handful of events, never the history. Among the candidates that qualify the
one sharing actors, then the most similar, then the oldest wins: deterministic for the same stored
events. A story matching an event whose window has closed (up to `follow_days` back), or whose copy
cluster follows a closed cluster, starts a new event that follows the earlier one (lanjutan).

A story's place in an event is stored with the reason it was joined and never moved by the stage
again; an analyst's merge or split is stored the same way (`pinned_by`), so re-runs keep it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.alerts.actors import Actor, describe, find_actors
from monitor.alerts.content import add_terms, dot, term_counts, unit_vector
from monitor.alerts.matching import ACTIVITY_CATEGORY
from monitor.alerts.stories import Story
from monitor.config import EventSettings
from monitor.db.models import ConflictEvent, EventKey, EventMember

PROVINCE = "62"
FIRST_REPORT = "laporan pertama peristiwa ini"


@dataclass(frozen=True)
class Profile:
    """What a story is matched on."""

    places: frozenset[str]  # kabupaten codes, or {"62"} for the province as a whole
    categories: frozenset[str]
    actors: dict[str, Actor]
    terms: dict[str, int]
    vector: dict[str, float]  # the terms as a TF-IDF unit vector


@dataclass(frozen=True)
class Match:
    """Why a story fits an event."""

    event: ConflictEvent
    is_open: bool
    shared_actors: tuple[str, ...]
    similarity: float
    reason: str


@dataclass
class Placement:
    """The outcome of placing one story: its event, and whether it joined one that existed."""

    event: ConflictEvent
    joined: bool
    reason: str = ""


def profile(story: Story) -> Profile:
    """The story's place, subject, actors and content words."""
    terms = term_counts(story.text)
    return Profile(frozenset(story.kabupaten_codes or {PROVINCE}), frozenset(story.categories - {ACTIVITY_CATEGORY}),
                   find_actors(story.text, story.kecamatan, story.desa), terms, unit_vector(terms))


def index_keys(places, categories) -> set[tuple[str, str]]:
    """The (place, category) rows an event with these places and categories is found by."""
    return {(place, category) for place in places for category in categories}


OUTLINE = (ConflictEvent.id, ConflictEvent.kabupaten, ConflictEvent.kecamatan, ConflictEvent.desa,
           ConflictEvent.categories, ConflictEvent.actors)  # what an event is about, without its words


def _companies(keys) -> set[str]:
    return {key for key in keys if key.startswith("company:")}


def _compatible(story: Story, found: Profile, event) -> bool:
    """Place, categories and companies allow the story and the event (or its outline) to be one happening."""
    if not found.places & (set(event.kabupaten) or {PROVINCE}) or not found.categories & set(event.categories):
        return False
    for mine, theirs in ((story.kecamatan, event.kecamatan), (story.desa, event.desa)):
        if mine and theirs and not mine & set(theirs):
            return False
    mine, theirs = _companies(found.actors), _companies(event.actors)
    return not (mine and theirs and not mine & theirs)  # each names its company, and not the same one: two disputes


class EventMatcher:
    """Places stories into events within one transaction, keeping the matching index in step."""

    def __init__(self, session: Session, settings: EventSettings):
        self.session = session
        self.settings = settings
        self.window = timedelta(days=settings.window_days)
        self._events: dict[int, ConflictEvent] = {}  # the events read in this transaction, by id
        self._outlines: dict[int, object] = {}  # OUTLINE rows of the events only looked at, by id
        self._grown: list[ConflictEvent] = []  # the events created or grown in this transaction, in that order
        self._placed: dict[int, ConflictEvent] = {}  # cluster -> event, placed in this transaction
        self._vectors: dict[int, dict[str, float]] = {}  # id(event) -> its unit vector (events stay in the session)

    def candidates(self, story: Story, found: Profile) -> list[ConflictEvent]:
        """Events sharing a place and a category with the story, from `follow_days` before it to its window's end."""
        keys = index_keys(found.places, found.categories)
        if not keys or story.first_seen is None:
            return []
        places = sorted({place for place, _ in keys})
        categories = sorted({category for _, category in keys})
        ids = (select(EventKey.event_id)
               .where(EventKey.place.in_(places), EventKey.category.in_(categories)).distinct())
        earliest = story.seen_from - timedelta(days=max(self.settings.follow_days, self.settings.window_days))
        latest = story.seen_until + self.window
        with self.session.no_autoflush:  # what this transaction grew is judged from memory below, unflushed
            found_ids = self.session.scalars(
                select(ConflictEvent.id).where(ConflictEvent.id.in_(ids), ConflictEvent.last_seen_at >= earliest,
                                               ConflictEvent.first_seen_at <= latest)).all()
            unread = [event_id for event_id in found_ids
                      if event_id not in self._events and event_id not in self._outlines]
            if unread:  # first what an event is about (small columns), each once per transaction
                self._outlines.update((row.id, row) for row in self.session.execute(
                    select(*OUTLINE).where(ConflictEvent.id.in_(unread))))
            wanted = [event_id for event_id in found_ids if event_id in self._events
                      or _compatible(story, found, self._outlines[event_id])]
            missing = [event_id for event_id in wanted if event_id not in self._events]
            if missing:  # then whole rows (their words are the bulk) only of the events the story may join
                self._events.update((event.id, event) for event in self.session.scalars(
                    select(ConflictEvent).where(ConflictEvent.id.in_(missing))))
        chosen = {id(event): event for event in (self._events[event_id] for event_id in wanted)}
        for event in self._grown:  # events only grow, so a stored row found above still qualifies
            if (id(event) not in chosen and index_keys(event.kabupaten or [PROVINCE], event.categories) & keys
                    and event.last_seen_at >= earliest and event.first_seen_at <= latest):
                chosen[id(event)] = event
        return sorted(chosen.values(), key=self._order)

    def _vector(self, event: ConflictEvent) -> dict[str, float]:
        """The event's words as a unit vector, computed once per transaction until the event grows."""
        if id(event) not in self._vectors:
            self._vectors[id(event)] = unit_vector(event.terms)
        return self._vectors[id(event)]

    def _order(self, event: ConflictEvent) -> tuple[int, int]:
        """Oldest first: stored events by id, then the ones created in this transaction in creation order."""
        return (0, event.id) if event.id is not None else (1, self._grown.index(event))

    def match(self, story: Story, found: Profile, event: ConflictEvent) -> Match | None:
        """Whether the story fits the event (open or closed), and why."""
        if not _compatible(story, found, event):
            return None
        shared_places = found.places & (set(event.kabupaten) or {PROVINCE})
        shared_categories = found.categories & set(event.categories)
        shared = tuple(sorted(set(found.actors) & set(event.actors)))
        similarity = dot(found.vector, self._vector(event))
        needed = self.settings.min_similarity if shared else self.settings.min_similarity_without_actor
        if similarity < needed:
            return None
        is_open = (story.seen_from <= event.last_seen_at + self.window
                   and story.seen_until >= event.first_seen_at - self.window)
        labels = [found.actors[key].label if key in found.actors else describe(key) for key in shared]
        reason = "; ".join(filter(None, [
            f"tempat {', '.join(sorted(shared_places))}", f"kategori {', '.join(sorted(shared_categories))}",
            f"pelaku {', '.join(labels)}" if labels else "tanpa pelaku bersama", f"kemiripan {similarity:.2f}"]))
        return Match(event, is_open, shared, similarity, reason)

    def best_match(self, story: Story, found: Profile) -> tuple[Match | None, Match | None]:
        """The best open event to join and the best closed one to follow (either may be None)."""
        best: dict[bool, Match] = {}
        for event in self.candidates(story, found):
            found_match = self.match(story, found, event)
            if found_match is None:
                continue
            current = best.get(found_match.is_open)  # candidates come oldest first: a tie keeps the older
            if current is None or ((bool(found_match.shared_actors), found_match.similarity)
                                   > (bool(current.shared_actors), current.similarity)):
                best[found_match.is_open] = found_match
        return best.get(True), best.get(False)

    def place(self, story: Story, follows_cluster: int | None) -> Placement:
        """Put a story that is in no event yet into the event it joins, or a new one; stored with the reason."""
        found = profile(story)
        joining, earlier = self.best_match(story, found) if self.settings.linking else (None, None)
        if joining is not None:
            event, reason, joined = joining.event, joining.reason, True
        else:
            forerunner = self._event_of(follows_cluster)
            if forerunner is not None:
                reason = f"{FIRST_REPORT}; salinan berita yang kembali setelah jendela salinan"
            elif earlier is not None:
                forerunner, reason = earlier.event, f"{FIRST_REPORT}; mirip peristiwa sebelumnya ({earlier.reason})"
            else:
                reason = FIRST_REPORT
            event = ConflictEvent(first_seen_at=story.first_seen, last_seen_at=story.last_seen, kabupaten=[],
                                  kecamatan=[], desa=[], categories=[], actors=[], terms={},
                                  follows_event_id=forerunner.id if forerunner is not None else None)
            self.session.add(event)
            joined = False
        grow(event, story, found)
        self._vectors.pop(id(event), None)
        if event not in self._grown:
            self._grown.append(event)
        self.session.add(EventMember(event=event, cluster_id=story.cluster_id, reason=reason))
        self._placed[story.cluster_id] = event
        return Placement(event, joined, reason)

    def _event_of(self, cluster_id: int | None) -> ConflictEvent | None:
        if cluster_id is None:
            return None
        if cluster_id in self._placed:
            return self._placed[cluster_id]
        with self.session.no_autoflush:
            return self.session.scalar(select(ConflictEvent).join(EventMember, EventMember.event_id == ConflictEvent.id)
                                       .where(EventMember.cluster_id == cluster_id))


def grow(event: ConflictEvent, story: Story, found: Profile) -> None:
    """Add a story's place, subject, actors, words and time to the event and its index rows."""
    _absorb(event, story, found)
    sync_keys(event)


def _absorb(event: ConflictEvent, story: Story, found: Profile) -> None:
    event.first_seen_at = min(event.first_seen_at, story.seen_from)
    event.last_seen_at = max(event.last_seen_at, story.seen_until)
    event.kabupaten = sorted(set(event.kabupaten) | story.kabupaten_codes)
    event.kecamatan = sorted(set(event.kecamatan) | story.kecamatan)
    event.desa = sorted(set(event.desa) | story.desa)
    event.categories = sorted(set(event.categories) | found.categories)
    event.actors = sorted(set(event.actors) | set(found.actors))
    event.terms = add_terms(event.terms, found.terms)


def rebuild(event: ConflictEvent, stories: list[Story], categories: set[str] | None = None,
            kabupaten: set[str] | None = None) -> None:
    """Make the event exactly the union of its stories (an analyst's categories and kabupaten, when given, win)."""
    ordered = sorted(stories, key=lambda s: (s.seen_from, s.cluster_id))
    event.first_seen_at, event.last_seen_at = ordered[0].seen_from, max(s.seen_until for s in ordered)
    event.kabupaten, event.kecamatan, event.desa, event.categories, event.actors, event.terms = [], [], [], [], [], {}
    for story in ordered:
        _absorb(event, story, profile(story))
    if categories is not None:
        event.categories = sorted(set(categories) - {ACTIVITY_CATEGORY})
    if kabupaten is not None:
        event.kabupaten = sorted(code for code in kabupaten if code.count(".") == 1)
    sync_keys(event)


def sync_keys(event: ConflictEvent) -> None:
    """Keep the event's index rows exactly its (place, category) pairs."""
    wanted = index_keys(event.kabupaten or [PROVINCE], event.categories)
    have = {(key.place, key.category) for key in event.keys}
    event.keys[:] = [key for key in event.keys if (key.place, key.category) in wanted] + [
        EventKey(place=place, category=category) for place, category in sorted(wanted - have)]


def event_of_cluster(session: Session, cluster_id: int) -> ConflictEvent | None:
    """The event a copy cluster belongs to (None before the alert stage placed it)."""
    return session.scalar(select(ConflictEvent).join(EventMember, EventMember.event_id == ConflictEvent.id)
                          .where(EventMember.cluster_id == cluster_id))


def member_reasons(session: Session, cluster_id: int) -> dict[int, str]:
    """The clusters of the event `cluster_id` is in, with why each was joined ({cluster_id: ""} if in none)."""
    event = select(EventMember.event_id).where(EventMember.cluster_id == cluster_id).scalar_subquery()
    rows = dict(session.execute(select(EventMember.cluster_id, EventMember.reason)
                                .where(EventMember.event_id == event).order_by(EventMember.cluster_id)).all())
    return rows or {cluster_id: ""}

