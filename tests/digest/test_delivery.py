"""Deliveries: claimed once per user and day across concurrent runs, failures recorded and retried, never sent twice."""
from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from monitor.db.models import DigestDelivery
from monitor.db.session import session_scope
from monitor.digest.send import send_digests
from monitor.service.digest import deliveries
from tests.digest.conftest import add_user

DAY = date(2026, 11, 15)


def _rows(engine) -> dict[str, tuple]:
    with session_scope(engine) as session:
        return {r.username: (r.status, r.attempts, r.last_error) for r in deliveries(session, DAY)}


def test_two_concurrent_runs_mail_each_subscriber_exactly_once(engine, smtp_server, mail_settings):
    people = [f"staf{i}" for i in range(6)]
    for name in people:
        add_user(engine, name, f"{name}@kesbangpol.example")
    smtp_server.delay = 0.05  # each send takes a moment, so the two runs overlap user by user
    start = threading.Barrier(2)
    results: list = [None, None]

    def run(slot: int) -> None:
        start.wait()
        results[slot] = send_digests(engine, DAY, mail_settings)

    threads = [threading.Thread(target=run, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in results), "a run did not finish"

    assert sorted(str(m["To"]).split("<")[-1].rstrip(">") for m in smtp_server.messages) == sorted(
        f"{name}@kesbangpol.example" for name in people)
    for name in people:  # one run sent it, the other skipped it
        statuses = sorted(o.status for run in results for o in run if o.username == name)
        assert statuses == ["dilewati", "terkirim"], (name, statuses)
    assert _rows(engine) == {name: ("terkirim", 1, "") for name in people}


def test_a_refusing_or_stopped_server_is_recorded_and_a_later_run_sends_once(engine, smtp_server, mail_settings):
    add_user(engine, "pimpinan", "pimpinan@kesbangpol.example")
    smtp_server.refuse_with("451 4.3.0 Antrean penuh, coba lagi nanti")

    [outcome] = send_digests(engine, DAY, mail_settings)

    assert (outcome.status, outcome.attempts) == ("gagal", 3)  # retried within the run, bounded
    assert smtp_server.data_commands == 3 and not smtp_server.messages
    status, attempts, error = _rows(engine)["pimpinan"]
    assert (status, attempts) == ("gagal", 3)
    assert "451" in error and "Antrean penuh" in error

    # a permanent refusal is not retried within the run
    smtp_server.refuse_with("550 5.1.1 Kotak surat tidak ada")
    [outcome] = send_digests(engine, DAY, mail_settings)
    assert (outcome.status, outcome.attempts) == ("gagal", 1)
    assert _rows(engine)["pimpinan"][:2] == ("gagal", 4) and "550" in _rows(engine)["pimpinan"][2]

    smtp_server.stop()  # nobody listens on the port any more
    [outcome] = send_digests(engine, DAY, dataclasses.replace(mail_settings, max_attempts=2))
    assert (outcome.status, outcome.attempts) == ("gagal", 2)
    status, attempts, error = _rows(engine)["pimpinan"]
    assert (status, attempts) == ("gagal", 6) and "ConnectionRefusedError" in error

    smtp_server.accept()
    smtp_server.start()  # back, on the same port
    [outcome] = send_digests(engine, DAY, mail_settings)
    assert (outcome.status, outcome.attempts) == ("terkirim", 1)
    assert len(smtp_server.messages) == 1
    assert _rows(engine)["pimpinan"][:2] == ("terkirim", 7)

    [outcome] = send_digests(engine, DAY, mail_settings)  # and never again
    assert (outcome.status, outcome.error) == ("dilewati", "sudah terkirim")
    assert len(smtp_server.messages) == 1


def test_a_claim_left_by_a_dead_process_is_taken_over_but_a_fresh_one_is_not(engine, smtp_server, mail_settings):
    dead = add_user(engine, "ditinggal", "ditinggal@kesbangpol.example")
    busy = add_user(engine, "sedang", "sedang@kesbangpol.example")
    now = datetime.now(timezone.utc)
    with session_scope(engine) as session:
        session.add(DigestDelivery(user_id=dead, day=DAY, status="menunggu", attempts=1,
                                   claimed_at=now - timedelta(hours=2)))
        session.add(DigestDelivery(user_id=busy, day=DAY, status="menunggu", attempts=0,
                                   claimed_at=now - timedelta(minutes=1)))

    outcomes = {o.username: o for o in send_digests(engine, DAY, mail_settings)}

    assert outcomes["ditinggal"].status == "terkirim"
    assert (outcomes["sedang"].status, outcomes["sedang"].error) == ("dilewati", "sedang dikirim proses lain")
    assert [str(m["To"]) for m in smtp_server.messages] == ["Ditinggal <ditinggal@kesbangpol.example>"]
    assert _rows(engine) == {"ditinggal": ("terkirim", 2, ""), "sedang": ("menunggu", 0, "")}
    with session_scope(engine) as session:
        assert session.scalar(select(DigestDelivery.sent_at).where(DigestDelivery.user_id == busy)) is None


def test_the_password_is_never_logged_or_stored(engine, smtp_server, mail_settings, caplog):
    caplog.set_level(logging.DEBUG)
    add_user(engine, "pimpinan", "pimpinan@kesbangpol.example")
    secret = "rahasia-SMTP-8472"
    settings = dataclasses.replace(mail_settings, user="waspada", password=secret)  # the server offers no AUTH

    [outcome] = send_digests(engine, DAY, settings)

    assert outcome.status == "gagal" and "AUTH" in outcome.error
    assert outcome.attempts == 1  # a configuration problem is not retried
    assert secret not in caplog.text and secret not in repr(settings) and secret not in outcome.error
    assert secret not in _rows(engine)["pimpinan"][2]


def test_an_unusable_address_fails_that_user_only(engine, smtp_server, mail_settings):
    add_user(engine, "rusak", "bukan-alamat")
    add_user(engine, "baik", "baik@kesbangpol.example")

    outcomes = {o.username: o for o in send_digests(engine, DAY, mail_settings)}

    assert outcomes["rusak"].status == "gagal" and "alamat email tidak sah" in outcomes["rusak"].error
    assert outcomes["baik"].status == "terkirim" and len(smtp_server.messages) == 1
    assert _rows(engine)["rusak"][0] == "gagal"
