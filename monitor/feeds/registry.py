"""feeds.yaml: loading, validation with line numbers, adding a source safely, and syncing sources into the database."""
from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers import safe_yaml
from monitor.db.models import Feed

FIELD_ORDER = ("id", "name", "url", "outlet", "region", "interval_minutes", "enabled", "verified", "notes")
REQUIRED_FIELDS = ("id", "name", "url", "outlet", "region")
KNOWN_FIELDS = set(FIELD_ORDER)
TEXT_FIELDS = ("id", "name", "url", "outlet", "region", "notes")
REGION_PATTERN = re.compile(r"^62(\.\d{2})?$")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")
MIN_INTERVAL_MINUTES = 10


class FeedsFileError(Exception):
    """feeds.yaml is unusable; `problems` lists every problem found (in Indonesian), each with its line."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


@dataclass(frozen=True)
class FeedSource:
    """One configured source."""

    id: str
    name: str
    url: str
    outlet: str
    region: str
    interval_minutes: int = 60
    enabled: bool = True
    verified: bool = False
    notes: str = ""


# (line or None, message) before "baris N: " is put in front
_Problem = tuple[int | None, str]


def load_feeds(path: Path) -> list[FeedSource]:
    """Read and validate a feeds file; raise FeedsFileError naming line and field of each problem."""
    path = Path(path)
    sources, problems = _check(_read(path))
    if problems:
        raise FeedsFileError(path, [_say(line, message) for line, message in problems])
    return sources


def _say(line: int | None, message: str) -> str:
    return f"baris {line}: {message}" if line else message


def _read(path: Path) -> str:
    try:
        return safe_yaml.read_bytes(path).decode("utf-8")
    except safe_yaml.YamlLimitError as exc:
        raise FeedsFileError(path, [str(exc)]) from exc
    except OSError as exc:
        raise FeedsFileError(path, [f"berkas tidak dapat dibaca ({exc.strerror or exc})"]) from exc
    except UnicodeDecodeError as exc:
        raise FeedsFileError(path, [f"bukan teks UTF-8 (bita ke-{exc.start + 1}); simpan ulang sebagai UTF-8"]) from exc


def _compose(text: str) -> tuple[yaml.Node | None, list[_Problem]]:
    try:
        return safe_yaml.compose(text), []
    except safe_yaml.YamlLimitError as exc:
        return None, [(exc.line, str(exc))]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return None, [(mark.line + 1 if mark else None, f"bukan YAML yang sah ({exc.problem or exc.context})")]
    except yaml.YAMLError as exc:
        return None, [(None, f"bukan YAML yang sah ({exc})")]


def _check(text: str) -> tuple[list[FeedSource], list[_Problem]]:
    """The sources of a feeds file's text and every problem found in it."""
    root, problems = _compose(text)
    if problems:
        return [], problems
    if not isinstance(root, yaml.MappingNode):
        return [], [(1, "isi berkas harus berupa pemetaan dengan daftar 'feeds'")]
    feeds_node = next((v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "feeds"), None)
    if not isinstance(feeds_node, yaml.SequenceNode):
        return [], [(root.start_mark.line + 1, "daftar 'feeds' tidak ada")]
    sources: list[FeedSource] = []
    seen_ids: dict[str, int] = {}
    for item in feeds_node.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            problems.append((line, "setiap sumber harus berupa pemetaan isian (id, name, url, outlet, region, ...)"))
            continue
        lines, values, item_problems = _read_fields(item)
        item_problems += _validate_fields(values, lines, line, seen_ids)
        problems.extend(item_problems)
        if not item_problems:
            seen_ids[values["id"]] = line
            sources.append(FeedSource(**{k: v for k, v in values.items() if k in KNOWN_FIELDS}))
    return sources, problems


def _read_fields(item: yaml.MappingNode) -> tuple[dict[str, int], dict, list[_Problem]]:
    """Line of each field, the values that could be read, and the problems of the others."""
    lines: dict[str, int] = {}
    values: dict = {}
    problems: list[_Problem] = []
    for key_node, value_node in item.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            problems.append((line, "nama isian harus berupa teks"))
            continue
        name = key_node.value
        if name in lines:
            problems.append((line, f"isian '{name}' ditulis dua kali (pertama di baris {lines[name]})"))
            continue
        lines[name] = line
        try:
            value = safe_yaml.construct(value_node)  # refuses Python tags and the like
        except yaml.YAMLError as exc:
            problems.append((line, f"isian '{name}': {getattr(exc, 'problem', None) or exc}"))
            continue
        if name in TEXT_FIELDS and value is not None:
            if not isinstance(value_node, yaml.ScalarNode):
                problems.append((line, f"isian '{name}' harus berupa teks, bukan daftar atau pemetaan"))
                continue
            # the text as written: YAML would read region 62.10 as the float 62.1, a name 2024 as a number
            value = value_node.value
        values[name] = value
    return lines, values, problems


def _validate_fields(values: dict, lines: dict[str, int], line: int, seen_ids: dict[str, int]) -> list[_Problem]:
    problems: list[_Problem] = []

    def where(name: str) -> int:
        return lines.get(name, line)

    for name in lines:
        if name not in KNOWN_FIELDS:
            problems.append((where(name),
                             f"isian '{name}' tidak dikenal (isian yang dikenal: {', '.join(FIELD_ORDER)})"))
    for name in REQUIRED_FIELDS:
        if name not in values and name in lines:
            continue  # already reported as unreadable
        if values.get(name) in (None, ""):
            problems.append((line, f"isian '{name}' wajib diisi"))
    feed_id = values.get("id")
    if feed_id:
        if not ID_PATTERN.match(feed_id):
            problems.append((where("id"), "isian 'id' hanya boleh berisi huruf kecil, angka, '-' dan '_' "
                                          "(2 sampai 100 karakter, diawali huruf kecil atau angka)"))
        elif feed_id in seen_ids:
            problems.append((where("id"), f"isian 'id' '{feed_id}' sudah dipakai di baris {seen_ids[feed_id]}"))
    url = values.get("url")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append((where("url"), f"isian 'url' harus alamat http(s), bukan '{url}'"))
    region = values.get("region")
    if region and not REGION_PATTERN.match(region):
        problems.append((where("region"), f"isian 'region' harus 62 atau kode kabupaten/kota seperti 62.02, "
                                          f"bukan '{region}'"))
    interval = values.get("interval_minutes", 60)
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < MIN_INTERVAL_MINUTES:
        problems.append((where("interval_minutes"),
                         f"isian 'interval_minutes' harus bilangan bulat >= {MIN_INTERVAL_MINUTES}"))
    for flag in ("enabled", "verified"):
        if flag in values and not isinstance(values[flag], bool):
            problems.append((where(flag), f"isian '{flag}' harus true atau false"))
    if values.get("notes") is None:
        values["notes"] = ""
    return problems


def sync_feeds(session: Session, sources: list[FeedSource], disable_missing: bool = True) -> None:
    """Upsert configured sources into the feeds table, keeping each feed's polling state."""
    now = datetime.now(UTC)
    existing = {feed.id: feed for feed in session.scalars(select(Feed))}
    for source in sources:
        feed = existing.pop(source.id, None)
        if feed is None:
            feed = Feed(
                id=source.id,
                current_interval_seconds=source.interval_minutes * 60,
                next_check_at=now,
                error_count=0,
            )
            session.add(feed)
        was_enabled = feed.enabled
        if feed.configured_url != source.url:
            # a new URL in the file wins; an unchanged one keeps any permanent redirect learnt since
            feed.url = feed.configured_url = source.url
        feed.name, feed.outlet, feed.region = source.name, source.outlet, source.region
        feed.poll_interval_seconds = source.interval_minutes * 60
        feed.verified, feed.notes = source.verified, source.notes
        # a feed the fetcher disabled (410, repeated failures) stays disabled until its reason is cleared
        feed.enabled = source.enabled and not feed.disabled_reason
        if feed.enabled and not was_enabled:
            feed.next_check_at = now
    if disable_missing:
        for feed in existing.values():
            feed.enabled = False


def append_feed(path: Path, source: FeedSource) -> None:
    """Add one source at the end of a feeds file, keeping what is written. The whole new file is
    validated first and then written atomically, so a refused or failed add leaves the file as it was.

    Raises FeedsFileError: problems of the new source start with "sumber baru:"."""
    path = Path(path)
    text = _read(path)
    _, problems = _check(text)
    if problems:
        raise FeedsFileError(path, [_say(line, message) for line, message in problems])
    block = yaml.safe_dump([asdict(source)], allow_unicode=True, sort_keys=False)
    # indent like the list already in the file ("- id:" at column 0 in the shipped feeds.yaml);
    # a different indentation would end the list and break the file
    column = _list_item_column(text)
    indented = "".join(" " * column + line if line.strip() else line for line in block.splitlines(keepends=True))
    new_text = text + "\n" + indented
    _, problems = _check(new_text)
    if problems:
        last_old_line = len(text.splitlines())
        raise FeedsFileError(path, [f"sumber baru: {message}" if line and line > last_old_line else _say(line, message)
                                    for line, message in problems])
    _replace_file(path, new_text)


def _replace_file(path: Path, text: str) -> None:
    """Write `text` to a temporary file in the same folder, fsync it and rename it over `path`, keeping its
    mode: readers see the old file or the new one, never a part. (The stdlib recipe on purpose: the
    atomicwrites package that packaged it is no longer maintained.)"""
    target = Path(os.path.realpath(path))  # a symlinked feeds.yaml keeps its link
    mode = stat.S_IMODE(target.stat().st_mode)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    if os.name == "posix":  # make the rename itself durable
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _list_item_column(text: str) -> int:
    """Column of the '-' of the items of the 'feeds' list (2 when the list is empty)."""
    root, _ = _compose(text)
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "feeds" and isinstance(value, yaml.SequenceNode) and value.value:
                return value.start_mark.column
    return 2
