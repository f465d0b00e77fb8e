"""Read fetched documents ahead in parse processes, so parsing uses another core while the storing thread writes.

feedparser is pure Python: in the fetching process it holds the interpreter lock, and a fetch cycle's
parsing and storing took turns on one core. A document is read ahead as soon as its fetch completes;
the storing thread then stores what was read instead of parsing it. The processes come from a
forkserver (a clean process with the parser imported), never forked from the fetching process and
its threads.

A document is read ahead only when it may hold something new: bytes a feed sent before, from which
nothing new was stored, are not parsed again when stored (see `monitor.pipeline`), so reading them
ahead would only cost a core. Whatever goes wrong ahead (a parse process that died, an error)
leaves the document to the storing thread, which parses it and records any failure as before.
"""
from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from types import TracebackType

from monitor.config import ParseSettings
from monitor.feeds.fetch import FetchResult
from monitor.feeds.parse import ParsedFeed, read_document
from monitor.feeds.store import body_digest


class ReadAhead:
    """A pool of `limits.parse_processes` parse processes (none: nothing is read ahead), for one fetch cycle."""

    def __init__(self, limits: ParseSettings):
        self._limits = limits
        self._executor: ProcessPoolExecutor | None = None
        if limits.parse_processes > 0:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["monitor.feeds.parse"])
            self._executor = ProcessPoolExecutor(limits.parse_processes, mp_context=context)

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    async def read(self, result: FetchResult, fetched_at: datetime,
                   unchanged_sha256: str | None = None) -> ParsedFeed | str | None:
        """The fetched document parsed (or why it is no feed), or None when it was not read ahead: no pool,
        no body, the bytes `unchanged_sha256` names (they gave nothing new last time), or a failure here."""
        if self._executor is None or result.outcome != "ok" or not result.body:
            return None
        if unchanged_sha256 is not None and body_digest(result.body) == unchanged_sha256:
            return None
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, read_document, result.body, result.headers,
                                              result.final_url or result.url, fetched_at, self._limits)
        except Exception:  # noqa: BLE001 - a broken pool or a parser error: the storing thread parses and records it
            return None
