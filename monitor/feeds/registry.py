"""feeds.yaml: loading, validation with line numbers, and syncing sources into the database."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db.models import Feed

REQUIRED_FIELDS = ("id", "name", "url", "outlet", "region")
KNOWN_FIELDS = {"id", "name", "url", "outlet", "region", "interval_minutes", "enabled", "verified", "notes"}
REGION_PATTERN = re.compile(r"^62(\.\d{2})?$")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")
MIN_INTERVAL_MINUTES = 10


class FeedsFileError(Exception):
    """feeds.yaml is unusable; `problems` lists every problem found, each with its line."""

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


def _scalar(node: yaml.Node):
    return yaml.safe_load(yaml.serialize(node)) if node is not None else None


def load_feeds(path: Path) -> list[FeedSource]:
    """Read and validate a feeds file; raise FeedsFileError naming line and field of each problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FeedsFileError(path, [f"cannot read file: {exc}"]) from exc
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "unknown line"
        raise FeedsFileError(path, [f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from exc
    problems: list[str] = []
    if root is None or not isinstance(root, yaml.MappingNode):
        raise FeedsFileError(path, ["line 1: expected a mapping with a 'feeds' list"])
    feeds_node = next((v for k, v in root.value if k.value == "feeds"), None)
    if not isinstance(feeds_node, yaml.SequenceNode):
        raise FeedsFileError(path, [f"line {root.start_mark.line + 1}: missing list 'feeds'"])
    sources: list[FeedSource] = []
    seen_ids: dict[str, int] = {}
    for item in feeds_node.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            problems.append(f"line {line}: each feed must be a mapping of fields")
            continue
        fields = {k.value: (v, k.start_mark.line + 1) for k, v in item.value}
        values = {name: _scalar(node) for name, (node, _) in fields.items()}
        if isinstance(fields.get("region", (None,))[0], yaml.ScalarNode):
            # keep the code as written: YAML would read 62.10 as the float 62.1
            values["region"] = fields["region"][0].value
        item_problems = _validate_fields(values, fields, line, seen_ids)
        problems.extend(item_problems)
        if not item_problems:
            seen_ids[values["id"]] = line
            sources.append(FeedSource(**{k: v for k, v in values.items() if k in KNOWN_FIELDS}))
    if problems:
        raise FeedsFileError(path, problems)
    return sources


def _validate_fields(values: dict, fields: dict, line: int, seen_ids: dict[str, int]) -> list[str]:
    problems = []

    def where(name: str) -> int:
        return fields[name][1] if name in fields else line

    for name in fields:
        if name not in KNOWN_FIELDS:
            problems.append(f"line {where(name)}: unknown field '{name}'")
    for name in REQUIRED_FIELDS:
        if values.get(name) in (None, ""):
            problems.append(f"line {line}: field '{name}' is required")
    feed_id = values.get("id")
    if isinstance(feed_id, str) and feed_id:
        if not ID_PATTERN.match(feed_id):
            problems.append(f"line {where('id')}: field 'id' must be lower-case letters, digits, '-' or '_'")
        elif feed_id in seen_ids:
            problems.append(f"line {where('id')}: field 'id' '{feed_id}' repeats line {seen_ids[feed_id]}")
    url = values.get("url")
    if url is not None:
        parts = urlsplit(str(url))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"line {where('url')}: field 'url' must be an http(s) address, got '{url}'")
    region = values.get("region")
    if region is not None and not REGION_PATTERN.match(str(region)):
        problems.append(f"line {where('region')}: field 'region' must be 62 or a kabupaten code like 62.02")
    if region is not None:
        values["region"] = str(region)
    interval = values.get("interval_minutes", 60)
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < MIN_INTERVAL_MINUTES:
        problems.append(
            f"line {where('interval_minutes')}: field 'interval_minutes' must be a whole number >= {MIN_INTERVAL_MINUTES}"
        )
    for flag in ("enabled", "verified"):
        if flag in values and not isinstance(values[flag], bool):
            problems.append(f"line {where(flag)}: field '{flag}' must be true or false")
    if values.get("notes") is None:
        values["notes"] = ""
    return problems


def sync_feeds(session: Session, sources: list[FeedSource], disable_missing: bool = True) -> None:
    """Upsert configured sources into the feeds table, keeping each feed's polling state."""
    now = datetime.now(timezone.utc)
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
    """Append one source to a feeds file, keeping what is already written."""
    block = yaml.safe_dump([asdict(source)], allow_unicode=True, sort_keys=False)
    # indent like the list already in the file ("- id:" at column 0 in the shipped feeds.yaml);
    # a different indentation would end the list and break the file
    column = _list_item_column(Path(path).read_text(encoding="utf-8"))
    indented = "".join(" " * column + line if line.strip() else line for line in block.splitlines(keepends=True))
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write("\n" + indented)


def _list_item_column(text: str) -> int:
    """Column of the '-' of the items of the 'feeds' list (2 when the list is empty or unreadable)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return 2
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "feeds" and isinstance(value, yaml.SequenceNode) and value.value:
                return value.start_mark.column
    return 2
