"""HTTP retrieval of feeds (httpx AsyncClient), polite and defensive.

Every call returns a FetchResult whatever happens, so one bad feed never stops a cycle
(the pattern of lemon24/reader's RetrieveResult). Redirects are followed by hand so that each
hop's address is checked and a permanent redirect can update the stored feed URL.

Each hop's host name is resolved once, by the check, and the request is sent to a checked
address (the URL's host replaced by that address, the Host header and the TLS server name kept
as the name, so certificates are still verified against it). The HTTP client never resolves a
name itself, so a name that answers differently a moment later (DNS rebinding) cannot move the
connection to an address that was not checked.

A malformed address, configured or in a redirect's Location (a port above 65535, a broken IPv6
literal, no host, another scheme, spaces or control characters, more than `max_url_length`
characters), is the 'bad_url' error of that feed alone.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.config import FetchSettings

log = logging.getLogger("waspada.fetch")

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
PERMANENT_REDIRECTS = {301, 308}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]


def is_public_address(address: IPAddress) -> bool:
    """The default address policy: only globally reachable addresses may be fetched."""
    return address.is_global


class FetchError(Exception):
    """A fetch failed; `kind` is a stable machine name, the message is for users (Indonesian)."""

    def __init__(self, kind: str, message: str, status: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = status


@dataclass(frozen=True)
class FetchResult:
    """Outcome of one fetch: a body, a 'not modified', or an error, with the response facts."""

    url: str
    outcome: str  # ok | not_modified | gone | rate_limited | error
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    error_kind: str | None = None
    error_message: str | None = None
    permanent_redirect: str | None = None
    retry_after: datetime | None = None

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as seconds or an HTTP date, to an aware UTC time (None when absent or unreadable)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when.astimezone(UTC), now)


class HostLimiter:
    """At most N requests at once per host, and a minimum gap between request starts to one host."""

    def __init__(self, per_host: int, min_gap: float):
        self.per_host = per_host
        self.min_gap = min_gap
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._last_start: dict[str, float] = {}

    def semaphore(self, host: str) -> asyncio.Semaphore:
        return self._semaphores.setdefault(host, asyncio.Semaphore(self.per_host))

    async def wait_turn(self, host: str) -> None:
        """Sleep until the gap since the last request to `host` has passed."""
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            last = self._last_start.get(host)
            if last is not None:
                delay = self.min_gap - (time.monotonic() - last)
                if delay > 0:
                    await asyncio.sleep(delay)
            self._last_start[host] = time.monotonic()


@dataclass(frozen=True)
class CheckedAddress:
    """A feed address that passed the checks, and the resolved addresses it may be fetched from."""

    url: httpx.URL
    addresses: tuple[IPAddress, ...]  # in the resolver's order of preference, never empty


def _text_problem(text: str, max_length: int) -> str | None:
    if len(text) > max_length:
        return f"terlalu panjang, {len(text)} karakter > batas {max_length}"
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        return "berisi spasi atau karakter kendali"
    return None


def address_problem(url: str, max_length: int) -> str | None:
    """What is wrong with a feed address (in Indonesian), or None for a well-formed http(s) URL."""
    problem = _text_problem(url, max_length)
    if problem:
        return problem
    try:
        parts = urlsplit(url)
        if "[" in parts.netloc:
            ipaddress.IPv6Address(parts.hostname)
    except ValueError:
        return "alamat IPv6 dalam [ ] rusak" if "[" in url else "bagian host rusak"
    if parts.scheme.lower() not in ("http", "https"):
        return "skema harus http atau https"
    if not parts.hostname:
        return "tanpa nama host"
    try:
        port = parts.port
    except ValueError:  # not a number, or above 65535
        port = -1
    if port is not None and not 1 <= port <= 65535:
        return "nomor port harus 1-65535"
    try:
        httpx.URL(url).host  # noqa: B018 - the host is decoded (IDNA) only when read
    except (httpx.InvalidURL, ValueError):  # what is left for httpx to refuse is the host (IDNA, IPv4 form)
        return "nama host tidak sah"
    return None


def _shown(text: str, limit: int = 200) -> str:
    """An address as it may appear in a message: cut to `limit` characters, control characters escaped."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in cut)


def redirect_target(base: str, location: str, status: int, max_length: int) -> str:
    """The absolute address a redirect's Location points to; a malformed one is a FetchError 'bad_url'."""
    problem = _text_problem(location, max_length)  # before urljoin, which silently drops tabs and newlines
    if problem is None:
        try:
            absolute = bool(urlsplit(location).scheme)
        except ValueError:
            absolute = True  # unsplittable: address_problem names what is wrong
        # an absolute Location must be well-formed as it is: urljoin would read 'http:///x' as relative
        target = location if absolute else urljoin(base, location)
        problem = address_problem(target, max_length)
    if problem:
        raise FetchError("bad_url", f"pengalihan HTTP {status} ke alamat tidak sah ({problem}): {_shown(location)}",
                         status)
    return target


async def check_address(url: str, allow_private: bool, is_allowed: AddressPolicy = is_public_address,
                        max_length: int = FetchSettings.max_url_length) -> CheckedAddress:
    """Resolve the URL's host once; refuse it if any address is one the policy refuses (by default any non-public
    one)."""
    problem = address_problem(url, max_length)
    if problem:
        raise FetchError("bad_url", f"alamat tidak sah ({problem}): {_shown(url)}")
    target = httpx.URL(url)
    host = target.raw_host.decode("ascii")  # the IDNA-encoded name (or address literal) the client would use
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, target.port or (443 if target.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except socket.gaierror as exc:
        raise FetchError("dns", f"nama host tidak ditemukan: {host} ({exc})") from exc
    addresses = tuple(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not addresses:
        raise FetchError("dns", f"nama host tidak ditemukan: {host} (tanpa alamat)")
    if not allow_private:
        for address in addresses:
            if not is_allowed(address):
                raise FetchError("private_address",
                                 f"alamat {address} milik jaringan privat/lokal, ditolak demi keamanan")
    return CheckedAddress(target, addresses)


class Fetcher:
    """Fetches feeds with one shared AsyncClient, a global and a per-host concurrency limit."""

    def __init__(self, settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None,
                 address_allowed: AddressPolicy = is_public_address):
        self.settings = settings
        self._transport = transport
        self._address_allowed = address_allowed
        self._client: httpx.AsyncClient | None = None
        self._global = asyncio.Semaphore(settings.global_concurrency)
        self._hosts = HostLimiter(settings.per_host_concurrency, settings.per_host_min_gap)

    async def __aenter__(self) -> Fetcher:
        timeout = httpx.Timeout(
            connect=self.settings.connect_timeout, read=self.settings.read_timeout, write=10.0, pool=None
        )
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            # Requests go to checked addresses, so the pool keys connections by address: no keep-alive,
            # lest a TLS connection verified for one name on a shared address serve another name.
            limits=httpx.Limits(max_keepalive_connections=0),
            # No proxy from the environment: a proxy would resolve the name again itself. The trusted
            # CA certificates still follow SSL_CERT_FILE / SSL_CERT_DIR when set.
            trust_env=False,
            verify=httpx.create_ssl_context(),
            headers={"User-Agent": self.settings.user_agent,
                     "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, "
                               "*/*;q=0.5"},
            transport=self._transport,
            event_hooks={"response": [self._refuse_malformed_redirect]},
        )
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """Fetch one feed URL; never raises (errors come back as outcome 'error')."""
        try:
            async with self._global:
                return await asyncio.wait_for(self._fetch(url, etag, last_modified), self.settings.total_timeout)
        except FetchError as exc:
            return FetchResult(url=url, outcome="error", status=exc.status, error_kind=exc.kind, error_message=str(exc))
        except (TimeoutError, httpx.TimeoutException) as exc:
            return FetchResult(url=url, outcome="error", error_kind="timeout",
                               error_message=f"waktu habis menunggu server ({type(exc).__name__})")
        except httpx.HTTPError as exc:
            return FetchResult(url=url, outcome="error", error_kind="network",
                               error_message=f"gagal terhubung: {type(exc).__name__}: {exc}")
        except Exception as exc:  # an unforeseen fault stays this feed's error instead of ending the cycle
            log.exception("unexpected failure fetching %s", _shown(url))
            return FetchResult(url=url, outcome="error", error_kind="internal",
                               error_message=f"galat tak terduga: {type(exc).__name__}: {exc}"[:500])

    async def _refuse_malformed_redirect(self, response: httpx.Response) -> None:
        """Response hook: httpx parses a redirect's Location even when not following it, and would raise its
        own protocol error for a malformed one; refuse it first, as this feed's 'bad_url' error."""
        location = response.headers.get("location")
        if response.status_code in REDIRECT_STATUSES and location:
            redirect_target(str(response.request.url), location, response.status_code, self.settings.max_url_length)

    async def _fetch(self, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        assert self._client is not None, "use Fetcher as an async context manager"
        conditional = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        current, visited, all_permanent = url, [url], True
        for _hop in range(self.settings.max_redirects + 1):
            checked = await check_address(
                current, self.settings.allow_private_networks, self._address_allowed, self.settings.max_url_length
            )
            host = urlsplit(current).netloc.lower()
            async with self._hosts.semaphore(host):
                await self._hosts.wait_turn(host)
                result = await self._request_checked(current, checked, conditional)
            if isinstance(result, FetchResult):
                permanent = current if all_permanent and current != url else None
                return replace(result, url=url, final_url=current, permanent_redirect=permanent)
            status, location = result
            all_permanent = all_permanent and status in PERMANENT_REDIRECTS
            current = redirect_target(current, location, status, self.settings.max_url_length)
            if current in visited:
                raise FetchError("redirect_loop", f"pengalihan berputar: {' -> '.join([*visited, current])}", status)
            visited.append(current)
        raise FetchError("too_many_redirects", f"terlalu banyak pengalihan (> {self.settings.max_redirects})")

    async def _request_checked(self, url: str, checked: CheckedAddress,
                               headers: dict[str, str]) -> FetchResult | tuple[int, str]:
        """Request `url` from its checked addresses in turn, moving on only when a connection cannot be made."""
        for address in checked.addresses[:-1]:
            try:
                return await self._request(url, checked.url, address, headers)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                continue
        return await self._request(url, checked.url, checked.addresses[-1], headers)

    async def _request(self, url: str, target: httpx.URL, address: IPAddress,
                       headers: dict[str, str]) -> FetchResult | tuple[int, str]:
        now = datetime.now(UTC)
        pinned = target.copy_with(host=str(address))
        headers = {**headers, "Host": target.netloc.decode("ascii")}
        server_name = {"sni_hostname": target.raw_host.decode("ascii")}  # TLS: SNI and certificate check use the name
        if self._client is None:
            raise RuntimeError("a Fetcher fetches inside `async with` only")
        async with self._client.stream("GET", pinned, headers=headers, extensions=server_name) as response:
            status = response.status_code
            response_headers = {k.lower(): v for k, v in response.headers.items()}
            if status in REDIRECT_STATUSES:
                location = response.headers.get("location")
                if not location:
                    raise FetchError("bad_redirect", f"pengalihan {status} tanpa Location", status)
                return status, location
            if status == 304:
                return FetchResult(url=url, outcome="not_modified", status=status, headers=response_headers)
            if status == 410:
                return FetchResult(url=url, outcome="gone", status=status, headers=response_headers, error_kind="gone",
                                   error_message="feed sudah dihapus permanen (HTTP 410)")
            if status in (429, 503):
                return FetchResult(
                    url=url, outcome="rate_limited", status=status, headers=response_headers,
                    error_kind=f"http_{status}",
                    error_message=f"server meminta menunggu (HTTP {status})",
                    retry_after=parse_retry_after(response.headers.get("retry-after"), now),
                )
            if status >= 400:
                return FetchResult(url=url, outcome="error", status=status, headers=response_headers,
                                   error_kind=f"http_{status}", error_message=f"server menjawab HTTP {status}")
            body = await self._read_limited(response)
            return FetchResult(url=url, outcome="ok", status=status, headers=response_headers, body=body)

    async def _read_limited(self, response: httpx.Response) -> bytes:
        limit = self.settings.max_body_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit and "content-encoding" not in response.headers:
            raise FetchError("too_large", f"isi terlalu besar ({declared} bita > batas {limit})", response.status_code)
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():  # decoded bytes: a gzip bomb is caught here too
            size += len(chunk)
            if size > limit:
                raise FetchError("too_large", f"isi terlalu besar (> batas {limit} bita)", response.status_code)
            chunks.append(chunk)
        return b"".join(chunks)

