"""SQLAlchemy 2 models: ingest (feeds, attempts, documents, articles, stories), deteksi dini, users, API tokens
and digest."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
    inspect,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware now in UTC."""
    return datetime.now(UTC)


_Value = TypeVar("_Value")


def present(value: _Value | None) -> _Value:
    """The value of a nullable column (or field) that the query or the row's state guarantees."""
    if value is None:
        raise ValueError("a value that the query guarantees is missing")
    return value


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always returns them aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store times in UTC with tzinfo")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Feed(Base):
    """A source from feeds.yaml (configuration) plus its polling state and health."""

    __tablename__ = "feeds"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(Text)  # may differ from configured_url after a permanent redirect
    configured_url: Mapped[str] = mapped_column(Text)
    outlet: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(20), default="62")
    poll_interval_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    # polling state
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    current_interval_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    new_items_per_hour: Mapped[float | None] = mapped_column(Float)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    attempts: Mapped[list[FetchAttempt]] = relationship(back_populates="feed")


class FetchAttempt(Base):
    """One fetch or ingest of a feed, whatever its outcome."""

    __tablename__ = "fetch_attempts"
    # a feed's latest attempts (the unchanged-document check, feed health) without sorting all of them
    __table_args__ = (Index("ix_fetch_attempts_feed_id_id", "feed_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feed_id: Mapped[str] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(10), default="http")  # http | file
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(30))  # ok | not_modified | error | gone | rate_limited
    http_status: Mapped[int | None] = mapped_column(Integer)
    error_kind: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    n_entries: Mapped[int] = mapped_column(Integer, default=0)
    n_new: Mapped[int] = mapped_column(Integer, default=0)
    n_failed: Mapped[int] = mapped_column(Integer, default=0)
    bytes_received: Mapped[int] = mapped_column(Integer, default=0)
    # the body as received (raw_documents.id), kept before parsing: also when it was no feed or storing it
    # failed; no foreign key, as SQLite cannot add one to an existing table (raw documents are never deleted)
    raw_document_id: Mapped[int | None] = mapped_column(Integer, index=True)

    feed: Mapped[Feed] = relationship(back_populates="attempts")


class RawDocument(Base):
    """The exact bytes fetched or read, kept once per content hash, for provenance and re-parsing."""

    __tablename__ = "raw_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StoryCluster(Base):
    """Copies of one story across outlets (near-duplicates)."""

    __tablename__ = "story_clusters"
    __table_args__ = (
        # only the few stories waiting for the alert stage are indexed
        Index("ix_story_clusters_needs_alert_refresh", "id", postgresql_where=text("needs_alert_refresh"),
              sqlite_where=text("needs_alert_refresh = 1")),
        Index("ix_story_clusters_first_seen", "first_seen_at", "id"),  # the API's walk, newest first
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    size: Mapped[int] = mapped_column(Integer, default=1)
    # set in the transaction that stores a classification of one of its articles, cleared in the
    # transaction that refreshes its alert and plan links: the alert stage's to-do list
    needs_alert_refresh: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # the closed cluster this one copies (the story returned after the copy window): its event's forerunner.
    # No foreign key: SQLite cannot add one to an existing table without rebuilding it (clusters are never deleted)
    follows_cluster_id: Mapped[int | None] = mapped_column(Integer)

    articles: Mapped[list[Article]] = relationship(back_populates="cluster")


class Article(Base):
    """One news item, stored once however often and wherever it is seen."""

    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("feed_id", "guid", name="uq_articles_feed_guid"),
        UniqueConstraint("canonical_url", name="uq_articles_canonical_url"),
        Index("ix_articles_content_hash", "content_hash"),
        Index("ix_articles_published_at", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feed_id: Mapped[str] = mapped_column(ForeignKey("feeds.id", ondelete="RESTRICT"))  # uq_articles_feed_guid leads
    guid: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)  # "" for an item without a usable http(s) link
    canonical_url: Mapped[str] = mapped_column(Text)  # "guid:<feed>:<guid>" for such an item
    title: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    summary_text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(20))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))  # "" for an item without text: never matched
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)
    raw_entry: Mapped[dict] = mapped_column(JSON, default=dict)
    raw_document_id: Mapped[int | None] = mapped_column(ForeignKey("raw_documents.id", ondelete="SET NULL"))
    fetch_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("fetch_attempts.id", ondelete="SET NULL"))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("story_clusters.id", ondelete="SET NULL"), index=True)

    cluster: Mapped[StoryCluster | None] = relationship(back_populates="articles")
    feed: Mapped[Feed] = relationship()


class ArticleBand(Base):
    """MinHash LSH band keys (`dedupe.band_keys`), so near-duplicate lookup works across processes.

    The key leads the primary key, so candidate lookup searches the table itself; on SQLite the table has
    no rowid (one B-tree instead of a table, its primary key and a key index). The rows are written in the
    transaction that writes their article, and there is no foreign key: checked on every one of an article's 32
    rows, it was half the cost of the insert on PostgreSQL (migration 0017). Articles are never deleted: a delete
    would leave its rows behind (candidate lookup joins articles, so they would find nothing).
    """

    __tablename__ = "article_bands"
    __table_args__ = ({"sqlite_with_rowid": False},)

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ArticleClassification(Base):
    """The classifier's reading of one article by one model version (a model change adds a row)."""

    __tablename__ = "article_classifications"
    __table_args__ = (UniqueConstraint("article_id", "model_version", name="uq_classification_article_model"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(100))
    categories: Mapped[list] = mapped_column(JSON, default=list)
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    conflict: Mapped[float] = mapped_column(Float, default=0.0)
    is_conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    kabupaten: Mapped[list] = mapped_column(JSON, default=list)
    kecamatan: Mapped[list] = mapped_column(JSON, default=list)
    desa: Mapped[list] = mapped_column(JSON, default=list)
    kalteng: Mapped[bool] = mapped_column(Boolean, default=False)
    places: Mapped[list] = mapped_column(JSON, default=list)
    evidence: Mapped[list] = mapped_column(JSON, default=list)  # sentences that carry the signal
    severity: Mapped[list] = mapped_column(JSON, default=list)  # severity cues found in the text
    classified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClassificationFailure(Base):
    """An article the classifier failed on (per model version): the error, when, how many attempts."""

    __tablename__ = "classification_failures"
    __table_args__ = (UniqueConstraint("article_id", "model_version", name="uq_classification_failure_article_model"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    model_version: Mapped[str] = mapped_column(String(100))
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StageFailure(Base):
    """An item a pipeline stage failed on (a story or an event in the alert stage): skipped, retried on later passes."""

    __tablename__ = "stage_failures"
    __table_args__ = (UniqueConstraint("stage", "item_id", name="uq_stage_failures_stage_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stage: Mapped[str] = mapped_column(String(40))  # "alert-story" (a cluster id) | "alert-event" (an event id)
    item_id: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Plan(Base):
    """A RAD-PKS plan: one year, one kabupaten/kota or the province."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("year", "region_code", name="uq_plans_year_region"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(20))  # "62" or a kabupaten/kota code
    title: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(30), default="draf")  # draf | berlaku | selesai
    document_ref: Mapped[str] = mapped_column(Text, default="")
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    source_file: Mapped[str] = mapped_column(Text, default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actions: Mapped[list[PlanAction]] = relationship(back_populates="plan", cascade="all, delete-orphan",
                                                       order_by="PlanAction.id")


class PlanAction(Base):
    """One rencana aksi of a plan, with what it is about (categories, places, keywords)."""

    __tablename__ = "plan_actions"
    __table_args__ = (UniqueConstraint("plan_id", "code", name="uq_plan_actions_plan_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    bidang: Mapped[str] = mapped_column(String(20))  # pencegahan | penghentian | pemulihan
    program: Mapped[str] = mapped_column(Text)
    kegiatan: Mapped[str] = mapped_column(Text)
    sasaran: Mapped[str] = mapped_column(Text, default="")
    indikator: Mapped[str] = mapped_column(Text, default="")
    target_b04: Mapped[str] = mapped_column(Text, default="")
    target_b08: Mapped[str] = mapped_column(Text, default="")
    target_b12: Mapped[str] = mapped_column(Text, default="")
    penanggung_jawab: Mapped[str] = mapped_column(Text, default="")
    instansi_terkait: Mapped[list] = mapped_column(JSON, default=list)
    anggaran: Mapped[float | None] = mapped_column(Float)
    sumber_anggaran: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list] = mapped_column(JSON, default=list)
    places: Mapped[list] = mapped_column(JSON, default=list)  # kabupaten/kecamatan/desa codes
    keywords: Mapped[list] = mapped_column(JSON, default=list)

    plan: Mapped[Plan] = relationship(back_populates="actions")
    realisations: Mapped[list[ActionRealisation]] = relationship(back_populates="action", cascade="all, delete-orphan")


class ActionRealisation(Base):
    """Per reporting period (B04, B08, B12): realisation, achievement, obstacles, evidence."""

    __tablename__ = "action_realisations"
    __table_args__ = (UniqueConstraint("action_id", "period", name="uq_realisations_action_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(3))
    realisasi: Mapped[str] = mapped_column(Text, default="")
    capaian_persen: Mapped[float | None] = mapped_column(Float)
    kendala: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list] = mapped_column(JSON, default=list)  # links (URLs) to data dukung

    action: Mapped[PlanAction] = relationship(back_populates="realisations")


class ConflictEvent(Base):
    """A conflict event (peristiwa): the copy clusters of one happening, reported by one outlet or many.

    Its place, categories, actors and content words are the union of its reports', kept for matching
    new reports (see monitor/alerts/events.py); its alert is the alert of its first (anchor) cluster.
    """

    __tablename__ = "conflict_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kabupaten: Mapped[list] = mapped_column(JSON, default=list)
    kecamatan: Mapped[list] = mapped_column(JSON, default=list)
    desa: Mapped[list] = mapped_column(JSON, default=list)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    actors: Mapped[list] = mapped_column(JSON, default=list)  # actor keys, e.g. "pt sawit makmur", "desa:62.02.05.2001"
    terms: Mapped[dict] = mapped_column(JSON, default=dict)  # content word -> count over the reports
    follows_event_id: Mapped[int | None] = mapped_column(ForeignKey("conflict_events.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[EventMember]] = relationship(back_populates="event", cascade="all, delete-orphan",
                                                        order_by="EventMember.cluster_id")
    keys: Mapped[list[EventKey]] = relationship(cascade="all, delete-orphan")


class EventMember(Base):
    """A copy cluster's place in an event, and why it was joined (shown to analysts)."""

    __tablename__ = "conflict_event_members"

    cluster_id: Mapped[int] = mapped_column(ForeignKey("story_clusters.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("conflict_events.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    # an analyst's merge or split: never moved by the stage
    pinned_by: Mapped[str] = mapped_column(String(80), default="")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[ConflictEvent] = relationship(back_populates="members")


class EventKey(Base):
    """The matching index of events: one row per (kabupaten or "62", category) of an event."""

    __tablename__ = "conflict_event_keys"
    __table_args__ = (Index("ix_conflict_event_keys_place_category", "place", "category", "event_id"),)

    event_id: Mapped[int] = mapped_column(ForeignKey("conflict_events.id", ondelete="CASCADE"), primary_key=True)
    place: Mapped[str] = mapped_column(String(20), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)


class Alert(Base):
    """A deteksi dini alert: one conflict event in or about Kalimantan Tengah (keyed by the event's anchor cluster)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("story_clusters.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(30), default="baru", index=True)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    kabupaten: Mapped[list] = mapped_column(JSON, default=list)
    kecamatan: Mapped[list] = mapped_column(JSON, default=list)
    desa: Mapped[list] = mapped_column(JSON, default=list)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    severity: Mapped[list] = mapped_column(JSON, default=list)
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(Text, default="")
    n_sources: Mapped[int] = mapped_column(Integer, default=1)
    plan_gap: Mapped[bool] = mapped_column(Boolean, default=False)
    model_version: Mapped[str] = mapped_column(String(100), default="")
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    first_seen_day: Mapped[date | None] = mapped_column(Date, index=True)  # in WIB, joins the day's levels
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the lowercased titles of the story's reports, one a line, as of the last refresh: the alert list's text search
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # an analyst's correction {"categories": [...], "kabupaten": [...]}:
    # the alert stage keeps it over the model's reading
    correction: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    events: Mapped[list[AlertEvent]] = relationship(back_populates="alert", order_by="AlertEvent.id",
                                                      cascade="all, delete-orphan")
    place_rows: Mapped[list[AlertPlace]] = relationship(cascade="all, delete-orphan")
    category_rows: Mapped[list[AlertCategory]] = relationship(cascade="all, delete-orphan")


class PlanLink(Base):
    """A story linked to a plan action: as a threat the action addresses, or as evidence of realisation."""

    __tablename__ = "plan_links"
    __table_args__ = (UniqueConstraint("cluster_id", "action_id", name="uq_plan_links_cluster_action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("story_clusters.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # alert | realisasi
    matched_on: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertEvent(Base):
    """Audit trail of an alert: who changed what, when, and why."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    alert: Mapped[Alert] = relationship(back_populates="events")


class LabelCorrection(Base):
    """An analyst's label for an article (correction or 'bukan konflik'), kept for retraining."""

    __tablename__ = "label_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    kabupaten: Mapped[list] = mapped_column(JSON, default=list)
    kalteng: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")


class EscalationLevel(Base):
    """The level of one kabupaten (and optionally one category) on one day, with the reason."""

    __tablename__ = "escalation_levels"
    __table_args__ = (UniqueConstraint("day", "kabupaten", "category", name="uq_levels_day_place_category"),
                      Index("ix_levels_place_category_day", "kabupaten", "category", "day"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    kabupaten: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40), default="")  # "" = all categories
    level: Mapped[str] = mapped_column(String(10))  # normal | waspada | siaga | awas
    previous_level: Mapped[str | None] = mapped_column(String(10))
    changed: Mapped[bool] = mapped_column(Boolean, default=False)
    count: Mapped[int] = mapped_column(Integer, default=0)
    baseline: Mapped[float] = mapped_column(Float, default=0.0)
    p_value: Mapped[float] = mapped_column(Float, default=1.0)
    severity: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertPlace(Base):
    """Index of an alert's kabupaten and first day, so the alert list filters in SQL (kept in step with the alert)."""

    __tablename__ = "alert_places"
    __table_args__ = (Index("ix_alert_places_code_alert", "code", "alert_id"),
                      # the level filter: a kabupaten's raised days -> its alerts of those days
                      Index("ix_alert_places_code_day", "code", "first_seen_day", "alert_id"))

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    first_seen_day: Mapped[date | None] = mapped_column(Date)  # the alert's, in WIB


class AlertCategory(Base):
    """Index of an alert's categories (kept in step with `Alert.categories`)."""

    __tablename__ = "alert_categories"
    __table_args__ = (Index("ix_alert_categories_category_alert", "category", "alert_id"),)

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)


class StageMark(Base):
    """When a stage last finished (e.g. 'levels'), so the next pass knows what changed since, across processes."""

    __tablename__ = "stage_marks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class User(Base):
    """A person who signs in to the web app, with one role."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    role: Mapped[str] = mapped_column(String(20))  # staff | operator | analyst | admin
    region_code: Mapped[str] = mapped_column(String(20), default="62")  # the province or one kabupaten/kota
    password_hash: Mapped[str] = mapped_column(Text)  # argon2
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Every change made through a front door: who, when, what, on which record."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))  # e.g. alert.status, feed.add, user.role
    target: Mapped[str] = mapped_column(String(120), default="")  # e.g. alert:12, feed:antara-kalteng
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str] = mapped_column(String(64), default="")  # client address for web changes


class LoginFailure(Base):
    """A failed sign-in, for throttling by account and by client address across processes."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)


class SetupToken(Base):
    """A one-time set-up link for the first admin (only its sha256 is stored)."""

    __tablename__ = "setup_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestSubscription(Base):
    """Which kabupaten and categories a user's daily digest covers (empty lists mean all)."""

    __tablename__ = "digest_subscriptions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    kabupaten: Mapped[list] = mapped_column(JSON, default=list)
    categories: Mapped[list] = mapped_column(JSON, default=list)


class ApiToken(Base):
    """A user's token for the read-only JSON API: only its sha256 is stored; its scope is a role."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))  # the token's first characters, so people can tell tokens apart
    role: Mapped[str] = mapped_column(String(20))  # the scope: at most the user's role (checked on every request)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DigestDelivery(Base):
    """One user's digest of one day: claimed once (unique), then sent, retried and recorded."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_digest_deliveries_user_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="menunggu")  # menunggu | terkirim | gagal
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)



class ModelVersion(Base):
    """A trained category model known to the registry: where it is, its checksum and card, and its status.

    At most one row is `active`; the monitor reads with it (else WASPADA_MODEL_DIR or the shipped model).
    """

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(100), unique=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))  # of model.skops, checked on every load
    card: Mapped[dict] = mapped_column(JSON, default=dict)
    evaluation: Mapped[dict] = mapped_column(JSON, default=dict)  # the comparison made when it was trained
    trained_label_ids: Mapped[list] = mapped_column(JSON, default=list)  # articles whose analyst labels it learned
    status: Mapped[str] = mapped_column(String(20), default="candidate", index=True)  # candidate | active | retired
    created_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted_by: Mapped[str | None] = mapped_column(String(80))
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Job(Base):
    """A background job (retrain, rescore) with its progress, run by a worker thread of the web process."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # latih | skor_ulang
    status: Mapped[str] = mapped_column(String(20), default="menunggu", index=True)  # menunggu|berjalan|selesai|gagal
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LabelSkip(Base):
    """A story an analyst skipped in the labeling queue (it leaves that analyst's queue)."""

    __tablename__ = "label_skips"

    cluster_id: Mapped[int] = mapped_column(ForeignKey("story_clusters.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Report(Base):
    """An operator's RAD-PKS period report (B04, B08, B12) of a kabupaten/kota or the province, one version.

    A draft (status draf) is edited through its rows; submitting (diajukan) freezes the whole content in
    `snapshot`, which every later view and export reads. A correction is a new version (a new row)."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("region_code", "year", "period", "version", name="uq_reports_region_period_version"),
        # at most one draft per region and period, also under concurrent requests
        Index("uq_reports_one_draft", "region_code", "year", "period", unique=True,
              postgresql_where=text("status = 'draf'"), sqlite_where=text("status = 'draf'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    region_code: Mapped[str] = mapped_column(String(20))  # "62" or a kabupaten/kota code
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(3))  # B04 | B08 | B12
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="draf")  # draf | diajukan
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(Text, default="")  # the narrative's opening (pengantar)
    signer_name: Mapped[str] = mapped_column(Text, default="")
    signer_title: Mapped[str] = mapped_column(Text, default="")
    signer_nip: Mapped[str] = mapped_column(String(40), default="")
    signed_place: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_by: Mapped[str | None] = mapped_column(String(80))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snapshot: Mapped[dict | None] = mapped_column(JSON)  # the frozen content, set once at submission

    alerts: Mapped[list[ReportAlert]] = relationship(cascade="all, delete-orphan", order_by="ReportAlert.alert_id")
    actions: Mapped[list[ReportAction]] = relationship(cascade="all, delete-orphan",
                                                         order_by="ReportAction.action_id")


class ReportAlert(Base):
    """An alert attached to a draft report (pre-filled from the period's linked alerts, or by an operator)."""

    __tablename__ = "report_alerts"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True, index=True)
    prefilled: Mapped[bool] = mapped_column(Boolean, default=False)
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportAction(Base):
    """A report's follow-up (tindak lanjut) and realisation of one plan action in the report's period."""

    __tablename__ = "report_actions"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"), primary_key=True,
                                           index=True)
    tindak_lanjut: Mapped[str] = mapped_column(Text, default="")
    realisasi: Mapped[str] = mapped_column(Text, default="")
    capaian_persen: Mapped[float | None] = mapped_column(Float)
    kendala: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list] = mapped_column(JSON, default=list)  # links (URLs) to data dukung
    updated_by: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


WIB_OFFSET = timedelta(hours=7)


def _sync_rows(rows: list, wanted: set[str], attribute: str, make) -> None:
    """Make the index rows exactly `wanted`: keep the ones still wanted, drop the rest, add the missing."""
    have = {getattr(row, attribute) for row in rows}
    rows[:] = [row for row in rows if getattr(row, attribute) in wanted] + [make(v) for v in sorted(wanted - have)]


@event.listens_for(Session, "before_flush")
def _index_alerts(session: Session, _context, _instances) -> None:
    """Keep each alert's WIB first day and its place and category index rows in step, wherever it changes."""
    for alert in [obj for obj in (*session.new, *session.dirty) if isinstance(obj, Alert)]:
        state = inspect(alert)
        changed = lambda name: state.pending or state.attrs[name].history.has_changes()  # noqa: E731, B023 - used in this iteration only
        if changed("first_seen_at") and alert.first_seen_at is not None:
            alert.first_seen_day = (alert.first_seen_at.astimezone(UTC) + WIB_OFFSET).date()
        if changed("kabupaten"):
            _sync_rows(alert.place_rows, set(alert.kabupaten or []), "code", lambda c: AlertPlace(code=c))
        if changed("kabupaten") or changed("first_seen_day"):
            for row in alert.place_rows:
                row.first_seen_day = alert.first_seen_day
        if changed("categories"):
            _sync_rows(alert.category_rows, set(alert.categories or []), "category",
                       lambda c: AlertCategory(category=c))
