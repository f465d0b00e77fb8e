"""Runtime settings, read from the environment (secrets never live in files)."""
from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from classifiers.layout import data_dir, make_private_folders, shipped_path, source_checkout
from classifiers.paths import candidates_root

_TRUE = ("1", "true", "yes", "on", "ya")
_FALSE = ("0", "false", "no", "off", "tidak")


class SettingsError(ValueError):
    """A WASPADA_* variable holds an unusable value; the Indonesian message names it and what is expected."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    word = value.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise SettingsError(f"{name} harus salah satu dari {', '.join(_TRUE)} (hidup) atau {', '.join(_FALSE)} (mati), "
                        f"bukan '{value}'")


def _env_float(name: str, default: float, minimum: float, unit: str) -> float:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < minimum:
        raise SettingsError(f"{name} harus angka >= {minimum:g} ({unit}; bawaannya {default:g}), bukan '{value}'")
    return number


def _env_int(name: str, default: int, minimum: int, unit: str) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise SettingsError(f"{name} harus bilangan bulat >= {minimum} ({unit}; bawaannya {default}), bukan '{value}'")
    return number


def masked_url(url: str) -> str:
    """A database URL fit to print or log: the password is replaced by ***."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(alamat basis data tidak terbaca)"


def default_database_url() -> str:
    """SQLite file in the data folder (classifiers.layout.data_dir), the embedded default store."""
    return f"sqlite:///{data_dir() / 'waspada.db'}"


def feeds_file() -> Path:
    """WASPADA_FEEDS; else the repository's feeds.yaml in a source checkout; when installed, feeds.yaml in
    the data folder, written from the shipped one the first time, so that sources added there are the
    user's and survive an upgrade of the package."""
    configured = os.environ.get("WASPADA_FEEDS", "").strip()
    if configured:
        return Path(configured)
    if source_checkout() is not None:
        return shipped_path("feeds.yaml")
    own = data_dir() / "feeds.yaml"
    if not own.exists():
        _copy_once(shipped_path("feeds.yaml"), own)
    return own


def _copy_once(source: Path, target: Path) -> None:
    """Copy `source` to `target` unless a file appears there first; no reader ever sees a partial file."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        make_private_folders(target.parent)
        try:
            shutil.copyfile(source, temporary)
            os.link(temporary, target)
        except FileExistsError:
            pass  # another process wrote it first
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as exc:
        raise SettingsError(f"Tidak dapat membuat {target} dari feeds.yaml bawaan ({exc.strerror or exc}); atur "
                            "WASPADA_DATA_DIR ke folder yang dapat ditulis, atau WASPADA_FEEDS ke berkas sumber."
                            ) from exc


@dataclass(frozen=True)
class FetchSettings:
    """Politeness and safety limits of the fetcher (named after Miniflux's settings)."""

    user_agent: str = "Waspada/0.1 (+https://github.com/waspada; deteksi dini konflik sosial)"
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 90.0
    max_body_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    max_url_length: int = 2048  # longer feed or redirect addresses are refused as malformed
    global_concurrency: int = 20
    per_host_concurrency: int = 2
    per_host_min_gap: float = 1.0
    allow_private_networks: bool = False


@dataclass(frozen=True)
class ParseSettings:
    """Limits on what one fetched document may cost to parse, sanitise and store."""

    max_items_per_document: int = 500  # the first N items in document order are kept
    max_item_html_chars: int = 100_000  # longer markup of one field is cut before sanitising
    max_item_html_depth: int = 64  # tags nested deeper are dropped (their text kept) before sanitising
    # a near-duplicate joins a copy cluster only within this many days of the cluster's reports; a text
    # that returns later starts a new cluster that follows the old one (its own event, year and status)
    cluster_window_days: int = 14
    # documents fetched while others were being stored are stored together, this many per transaction at
    # most (each in a savepoint of its own): fewer commits, and a write lock held for one batch at most
    documents_per_transaction: int = 20
    # processes that parse fetched documents while the storing thread writes (see monitor/feeds/read_ahead.py);
    # 0 parses in the storing thread
    parse_processes: int = 1


@dataclass(frozen=True)
class PollSettings:
    """Bounds of adaptive polling and of error back-off."""

    floor_seconds: int = 600
    ceiling_seconds: int = 24 * 3600
    target_new_items_per_poll: float = 2.0
    error_backoff_base_seconds: int = 900
    max_consecutive_failures: int = 10
    jitter: float = 0.2
    # a process claims due feeds in batches and holds each claim this long: another worker takes a
    # feed over only when the claim ran out (its holder died), so no feed is fetched twice in a cycle
    claim_batch: int = 50
    claim_lease_seconds: int = 900


@dataclass(frozen=True)
class StageSettings:
    """Limits of the deteksi dini stage (classify, alert, level)."""

    # an article the classifier fails on is tried this many times per model version, then left
    # aside (its failure stays recorded) until a new model version reads it
    classify_max_attempts: int = 3
    # a story or event the alert stage fails on is tried on this many passes, then left aside (recorded)
    alert_max_attempts: int = 3

    @classmethod
    def from_env(cls) -> StageSettings:
        """Read WASPADA_CLASSIFY_MAX_ATTEMPTS and WASPADA_ALERT_MAX_ATTEMPTS (at least 1)."""
        return cls(classify_max_attempts=_env_int("WASPADA_CLASSIFY_MAX_ATTEMPTS", cls.classify_max_attempts, 1,
                                                  "percobaan"),
                   alert_max_attempts=_env_int("WASPADA_ALERT_MAX_ATTEMPTS", cls.alert_max_attempts, 1, "percobaan"))


@dataclass(frozen=True)
class EventSettings:
    """When reports of different outlets are one conflict event (peristiwa): see monitor/alerts/events.py."""

    window_days: int = 4  # a report joins an event up to this many days after (or before) its reports
    min_similarity: float = 0.2  # content similarity needed when the report and the event share an actor
    min_similarity_without_actor: float = 0.45  # ... when they share none (one of them names no actor)
    follow_days: int = 365  # a closed event this recent that the report matches is linked as its forerunner
    linking: bool = True  # off: one event per copy cluster (the alert stage before events; for comparison)

    @classmethod
    def from_env(cls) -> EventSettings:
        """Read WASPADA_EVENT_WINDOW_DAYS, WASPADA_EVENT_MIN_SIMILARITY, WASPADA_EVENT_MIN_SIMILARITY_NO_ACTOR,
        WASPADA_EVENT_FOLLOW_DAYS and WASPADA_EVENT_LINKING."""
        return cls(
            window_days=_env_int("WASPADA_EVENT_WINDOW_DAYS", cls.window_days, 0, "hari"),
            min_similarity=_env_float("WASPADA_EVENT_MIN_SIMILARITY", cls.min_similarity, 0, "kemiripan 0..1"),
            min_similarity_without_actor=_env_float("WASPADA_EVENT_MIN_SIMILARITY_NO_ACTOR",
                                                    cls.min_similarity_without_actor, 0, "kemiripan 0..1"),
            follow_days=_env_int("WASPADA_EVENT_FOLLOW_DAYS", cls.follow_days, 0, "hari"),
            linking=_env_bool("WASPADA_EVENT_LINKING", cls.linking),
        )


@dataclass(frozen=True)
class WebSettings:
    """The web app: where it listens, session limits, and sign-in throttling."""

    host: str = "127.0.0.1"
    port: int = 8080
    idle_minutes: int = 30  # a session unused this long must sign in again
    secure_cookies: bool = False  # set when the app is reached over HTTPS (cookies then only travel encrypted)
    max_failures_per_user: int = 5  # failed sign-ins of one username within the window before refusing it
    max_failures_per_address: int = 20  # failed sign-ins from one client address within the window
    failure_window_minutes: int = 15
    min_password_length: int = 10
    max_password_length: int = 1024  # longer ones are refused before hashing
    setup_token_minutes: int = 60  # lifetime of the one-time link that creates the first admin
    max_upload_bytes: int = 10 * 1024 * 1024  # a plan file uploaded from the browser (the XLSX guard's own bound)

    @classmethod
    def from_env(cls) -> WebSettings:
        """Read WASPADA_WEB_HOST, WASPADA_WEB_PORT, WASPADA_WEB_IDLE_MINUTES (at least 1), WASPADA_WEB_SECURE_COOKIES,
        WASPADA_WEB_MAX_UPLOAD_BYTES."""
        return cls(
            host=os.environ.get("WASPADA_WEB_HOST") or cls.host,
            port=_env_int("WASPADA_WEB_PORT", cls.port, 0, "nomor port; 0: port bebas mana pun"),
            idle_minutes=_env_int("WASPADA_WEB_IDLE_MINUTES", cls.idle_minutes, 1, "menit"),
            secure_cookies=_env_bool("WASPADA_WEB_SECURE_COOKIES", cls.secure_cookies),
            max_upload_bytes=_env_int("WASPADA_WEB_MAX_UPLOAD_BYTES", cls.max_upload_bytes, 1024, "jumlah bita"),
        )



@dataclass(frozen=True)
class TrainingSettings:
    """Retraining from the product: where candidates go, how many items to learn from, the fresh evaluation."""

    models_root: Path = field(default_factory=candidates_root)
    max_items: int = 0  # 0: every training item; a smaller number trains on an even spread of that many (tests)
    newest_labels_share: int = 20  # percent of analysts' labels, newest first, kept out of training to evaluate on
    newest_labels_max: int = 200

    @classmethod
    def from_env(cls) -> TrainingSettings:
        """Read WASPADA_MODELS_ROOT, WASPADA_TRAIN_MAX_ITEMS, WASPADA_NEWEST_LABELS_PERCENT (0-90),
        WASPADA_NEWEST_LABELS_MAX."""
        share = _env_int("WASPADA_NEWEST_LABELS_PERCENT", cls.newest_labels_share, 0, "persen")
        if share > 90:
            raise SettingsError(f"WASPADA_NEWEST_LABELS_PERCENT harus 0 sampai 90 (persen), bukan '{share}'")
        return cls(
            models_root=candidates_root(),
            max_items=_env_int("WASPADA_TRAIN_MAX_ITEMS", cls.max_items, 0, "jumlah item; 0: semua"),
            newest_labels_share=share,
            newest_labels_max=_env_int("WASPADA_NEWEST_LABELS_MAX", cls.newest_labels_max, 0, "jumlah label"),
        )

@dataclass(frozen=True)
class Settings:
    """All settings; build with `Settings.from_env()`."""

    database_url: str
    feeds_path: Path
    fetch: FetchSettings = field(default_factory=FetchSettings)
    poll: PollSettings = field(default_factory=PollSettings)
    check_seconds: float = 60.0  # how often the monitor looks for due feeds (each feed keeps its own interval)
    parse: ParseSettings = field(default_factory=ParseSettings)
    web: WebSettings = field(default_factory=WebSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)

    @classmethod
    def from_env(cls) -> Settings:
        """Read WASPADA_* variables, falling back to safe defaults; raise SettingsError for an unusable value."""
        fetch = FetchSettings(
            user_agent=os.environ.get("WASPADA_USER_AGENT", FetchSettings.user_agent),
            connect_timeout=_env_float("WASPADA_CONNECT_TIMEOUT", FetchSettings.connect_timeout, 0.1, "detik"),
            read_timeout=_env_float("WASPADA_READ_TIMEOUT", FetchSettings.read_timeout, 0.1, "detik"),
            total_timeout=_env_float("WASPADA_TOTAL_TIMEOUT", FetchSettings.total_timeout, 0.1, "detik"),
            max_body_bytes=_env_int("WASPADA_MAX_BODY_BYTES", FetchSettings.max_body_bytes, 1, "jumlah bita"),
            max_url_length=_env_int("WASPADA_MAX_URL_LENGTH", FetchSettings.max_url_length, 16, "karakter"),
            global_concurrency=_env_int("WASPADA_CONCURRENCY", FetchSettings.global_concurrency, 1,
                                        "jumlah permintaan serentak"),
            per_host_concurrency=_env_int("WASPADA_PER_HOST_CONCURRENCY", FetchSettings.per_host_concurrency, 1,
                                          "jumlah permintaan serentak"),
            per_host_min_gap=_env_float("WASPADA_PER_HOST_MIN_GAP", FetchSettings.per_host_min_gap, 0, "detik"),
            allow_private_networks=_env_bool("WASPADA_ALLOW_PRIVATE_NETWORKS", False),
        )
        poll = PollSettings(
            floor_seconds=max(600, _env_int("WASPADA_POLL_FLOOR_SECONDS", PollSettings.floor_seconds, 1, "detik")),
            ceiling_seconds=_env_int("WASPADA_POLL_CEILING_SECONDS", PollSettings.ceiling_seconds, 600, "detik"),
            max_consecutive_failures=_env_int("WASPADA_MAX_FAILURES", PollSettings.max_consecutive_failures, 1,
                                              "kegagalan beruntun"),
            claim_batch=_env_int("WASPADA_CLAIM_BATCH", PollSettings.claim_batch, 1, "jumlah feed"),
            claim_lease_seconds=_env_int("WASPADA_CLAIM_LEASE_SECONDS", PollSettings.claim_lease_seconds, 1, "detik"),
        )
        parse = ParseSettings(
            max_items_per_document=_env_int("WASPADA_MAX_ITEMS_PER_DOCUMENT", ParseSettings.max_items_per_document, 1,
                                            "jumlah item"),
            max_item_html_chars=_env_int("WASPADA_MAX_ITEM_HTML_CHARS", ParseSettings.max_item_html_chars, 1000,
                                         "karakter"),
            max_item_html_depth=_env_int("WASPADA_MAX_ITEM_HTML_DEPTH", ParseSettings.max_item_html_depth, 4,
                                         "tingkat"),
            cluster_window_days=_env_int("WASPADA_CLUSTER_WINDOW_DAYS", ParseSettings.cluster_window_days, 1, "hari"),
            documents_per_transaction=_env_int("WASPADA_DOCUMENTS_PER_TRANSACTION",
                                               ParseSettings.documents_per_transaction, 1, "jumlah dokumen"),
            parse_processes=_env_int("WASPADA_PARSE_PROCESSES", ParseSettings.parse_processes, 0, "jumlah proses"),
        )
        return cls(
            database_url=os.environ.get("WASPADA_DATABASE_URL") or default_database_url(),
            feeds_path=feeds_file(),
            fetch=fetch,
            poll=poll,
            check_seconds=_env_float("WASPADA_CHECK_SECONDS", cls.check_seconds, 0.1, "detik"),
            parse=parse,
            web=WebSettings.from_env(),
            training=TrainingSettings.from_env(),
        )
