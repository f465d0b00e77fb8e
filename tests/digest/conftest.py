"""A real SMTP server for the digest tests (aiosmtpd on 127.0.0.1, an ephemeral port), and subscribers.

`smtp_server` receives every message and keeps it parsed; `refuse_with(reply)` makes it answer
DATA with an SMTP error reply (e.g. 451) until `accept()`; `stop()` and `start()` take it down and
bring it back on the same port.
"""
from __future__ import annotations

import email
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from html.parser import HTMLParser

import pytest
from aiosmtpd.controller import Controller

from monitor.db.models import DigestSubscription, User
from monitor.db.session import session_scope
from monitor.digest.send import MailSettings


class _EphemeralController(Controller):
    """aiosmtpd's controller, bound to port 0 and then told which port it got."""

    def _create_server(self):
        async def bind():
            server = await self.loop.create_server(self._factory_invoker, host=self.hostname, port=self.port,
                                                   ssl=self.ssl_context)
            self.port = server.sockets[0].getsockname()[1]
            return server

        return bind()


@dataclass
class SmtpServer:
    messages: list[EmailMessage] = field(default_factory=list)
    data_commands: int = 0  # DATA commands received, accepted or refused
    delay: float = 0.0  # seconds to wait before answering DATA (makes concurrent runs overlap)
    _refusal: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: _EphemeralController | None = None
    port: int = 0
    options: dict = field(default_factory=dict)  # aiosmtpd SMTP and controller options (TLS, authenticator)

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.data_commands += 1
            refusal = self._refusal
        if self.delay:
            time.sleep(self.delay)
        if refusal:
            return refusal
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def refuse_with(self, reply: str) -> None:
        with self._lock:
            self._refusal = reply

    def accept(self) -> None:
        with self._lock:
            self._refusal = None

    def start(self) -> "SmtpServer":
        self._controller = _EphemeralController(self, hostname="127.0.0.1", port=self.port, **self.options)
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_settings(smtp_server) -> MailSettings:
    """Settings that send to the local server at once (no TLS, no back-off)."""
    return MailSettings(host="127.0.0.1", port=smtp_server.port, security="none",
                        mail_from="Waspada Kesbangpol <waspada@kesbangpol.example>",
                        base_url="https://waspada.kesbangpol.example", timeout=5.0, max_attempts=3,
                        retry_seconds=0.0)


def add_user(engine, username: str, email_address: str = "", kabupaten=(), categories=(), active: bool = True,
             subscribed: bool | None = True, display_name: str = "") -> int:
    """A user and (unless `subscribed` is None) their digest subscription; returns the user's id."""
    with session_scope(engine) as session:
        user = User(username=username, display_name=display_name or username.title(),
                    email=email_address if email_address is not None else "", role="staff",
                    password_hash="argon2-tidak-dipakai", active=active)
        session.add(user)
        session.flush()
        if subscribed is not None:
            session.add(DigestSubscription(user_id=user.id, enabled=subscribed, kabupaten=list(kabupaten),
                                           categories=list(categories)))
        return user.id


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def html_tags(html: str) -> list[tuple[str, dict]]:
    """Every start tag of an HTML text with its attributes, as a browser's tokenizer sees them."""
    parser = _Tags()
    parser.feed(html)
    return parser.tags
