"""Mail over STARTTLS and implicit TLS with a login, against a local server whose certificate a test CA signed."""
from __future__ import annotations

import dataclasses
import logging
from datetime import date

import pytest
import trustme
from aiosmtpd.smtp import AuthResult

from monitor.digest.send import send_digests
from tests.digest.conftest import SmtpServer, add_user

DAY = date(2026, 11, 15)
SECRET = "sandi-SMTP-rahasia-5521"


@pytest.fixture
def certificate_authority(tmp_path, monkeypatch):
    """A CA the client trusts through SSL_CERT_FILE (as an operator's CA bundle would), and its server cert."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return ca


def _server_context(ca):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def _login(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=auth_data.login == b"waspada" and auth_data.password == SECRET.encode(), handled=False)


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_login_sends_and_never_shows_the_password(engine, mail_settings, certificate_authority, caplog,
                                                           security):
    caplog.set_level(logging.DEBUG)
    context = _server_context(certificate_authority)
    options = {"authenticator": _login}
    # aiosmtpd offers AUTH only after its own STARTTLS, so behind implicit TLS it is told the line is safe
    options.update({"tls_context": context, "require_starttls": True} if security == "starttls"
                   else {"ssl_context": context, "auth_require_tls": False})
    server = SmtpServer(options=options).start()
    try:
        add_user(engine, "pimpinan", "pimpinan@kesbangpol.example")
        settings = dataclasses.replace(mail_settings, port=server.port, security=security, user="waspada",
                                       password=SECRET)
        [outcome] = send_digests(engine, DAY, settings)
        assert (outcome.status, outcome.attempts) == ("terkirim", 1), outcome.error
        assert len(server.messages) == 1

        add_user(engine, "kedua", "kedua@kesbangpol.example")
        wrong = dataclasses.replace(settings, password="salah")
        [outcome] = send_digests(engine, DAY, wrong, username="kedua")
        assert outcome.status == "gagal" and "535" in outcome.error and outcome.attempts == 1
        assert SECRET not in caplog.text and "salah" not in outcome.error
    finally:
        server.stop()


def test_an_untrusted_certificate_is_refused_not_bypassed(engine, mail_settings, certificate_authority, monkeypatch):
    server = SmtpServer(options={"tls_context": _server_context(certificate_authority),
                                 "require_starttls": True}).start()
    monkeypatch.delenv("SSL_CERT_FILE")  # the client no longer trusts the test CA
    try:
        add_user(engine, "pimpinan", "pimpinan@kesbangpol.example")
        settings = dataclasses.replace(mail_settings, port=server.port, security="starttls")
        [outcome] = send_digests(engine, DAY, settings)
        assert outcome.status == "gagal" and "CERTIFICATE_VERIFY_FAILED" in outcome.error
        assert outcome.attempts == 1 and not server.messages
    finally:
        server.stop()
