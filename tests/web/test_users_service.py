"""The users service on SQLite and PostgreSQL: accounts, roles, sign-in throttling, set-up tokens,
subscriptions, and the audit entry of every change."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from monitor.config import WebSettings
from monitor.db.models import AuditEntry, LoginFailure, SetupToken, User
from monitor.db.session import open_database, session_scope
from monitor.service import users
from monitor.service.users import PERMISSIONS, UserError

PASSWORD = "sandi-yang-cukup-panjang"
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)  # 09:00 WIB


def _actions(engine) -> list[tuple[str, str, str]]:
    with session_scope(engine) as session:
        return [(e.actor, e.action, e.target) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_roles_are_nested_and_the_map_is_data():
    assert PERMISSIONS["staff"] == {users.READ}
    assert PERMISSIONS["staff"] < PERMISSIONS["operator"] < PERMISSIONS["analyst"] < PERMISSIONS["admin"]
    assert users.can("operator", users.ALERT_STATUS) and users.can("operator", users.PLANS_IMPORT)
    assert not users.can("operator", users.LABELS_CORRECT) and users.can("analyst", users.LABELS_CORRECT)
    assert not users.can("analyst", users.SOURCES_MANAGE) and users.can("admin", users.USERS_MANAGE)
    assert not users.can("tamu", users.READ) and not users.can(None, users.READ)
    assert set(users.PERMISSION_NAMES) == PERMISSIONS["admin"]


def test_accounts_are_created_changed_and_audited(engine):
    with session_scope(engine) as session:
        created = users.create_user(session, "kepala", " Sari.Dewi ", PASSWORD, "operator", email="sari@kalteng.go.id",
                                    region_code="62.02", address="10.0.0.5")
    assert (created.username, created.role, created.region_code, created.active) == ("sari.dewi", "operator", "62.02", True)
    with session_scope(engine) as session:
        stored = session.scalar(select(User).where(User.username == "sari.dewi"))
        assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
        users.create_user(session, "kepala", "kepala", PASSWORD, "admin")
        users.set_role(session, "kepala", "sari.dewi", "analyst")
        users.set_password(session, "kepala", "sari.dewi", "sandi-baru-yang-panjang")
        users.set_active(session, "kepala", "sari.dewi", False)
        users.set_active(session, "kepala", "sari.dewi", True)
        assert [(u.username, u.role, u.active) for u in users.list_users(session)] == [
            ("kepala", "admin", True), ("sari.dewi", "analyst", True)]
    assert _actions(engine) == [
        ("kepala", "user.create", "user:sari.dewi"), ("kepala", "user.create", "user:kepala"),
        ("kepala", "user.role", "user:sari.dewi"), ("kepala", "user.password", "user:sari.dewi"),
        ("kepala", "user.disable", "user:sari.dewi"), ("kepala", "user.enable", "user:sari.dewi")]
    with session_scope(engine) as session:
        details = session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create")).details
        assert details["role"] == "operator" and "password" not in str(details) and PASSWORD not in str(details)


@pytest.mark.parametrize("field,kwargs,message", [
    ("username", {"username": "A"}, "Nama pengguna 2-80 karakter"),
    ("username", {"username": "budi budi"}, "Nama pengguna 2-80 karakter"),
    ("password", {"password": "pendek"}, "Kata sandi minimal 10 karakter."),
    ("password", {"password": "x" * 1025}, "Kata sandi maksimal 1024 karakter."),
    ("role", {"role": "root"}, "Peran harus salah satu dari: staff, operator, analyst, admin."),
    ("email", {"email": "bukan surel"}, "Alamat surel tidak sah"),
    ("region_code", {"region_code": "63.01"}, "Wilayah harus 62"),
])
def test_bad_values_are_refused_with_the_field_named(tmp_path, field, kwargs, message):
    engine = open_database(f"sqlite:///{tmp_path / 'u.db'}")
    values = {"username": "budi", "password": PASSWORD, "role": "staff", **kwargs}
    with pytest.raises(UserError) as refused, session_scope(engine) as session:
        users.create_user(session, "admin", values.pop("username"), values.pop("password"), values.pop("role"), **values)
    assert refused.value.field == field and refused.value.message.startswith(message)
    with session_scope(engine) as session:
        assert users.count_users(session) == 0


def test_a_username_is_taken_once(engine):
    with session_scope(engine) as session:
        users.create_user(session, "admin", "budi", PASSWORD, "staff")
    with pytest.raises(UserError, match="sudah dipakai"), session_scope(engine) as session:
        users.create_user(session, "admin", "BUDI", PASSWORD, "staff")


def test_the_last_active_admin_keeps_the_role_and_stays_active(engine):
    with session_scope(engine) as session:
        users.create_user(session, "cli", "kepala", PASSWORD, "admin")
        users.create_user(session, "cli", "wakil", PASSWORD, "staff")
    for change in (lambda s: users.set_role(s, "cli", "kepala", "staff"),
                   lambda s: users.set_active(s, "cli", "kepala", False)):
        with pytest.raises(UserError, match="setidaknya satu admin aktif"), session_scope(engine) as session:
            change(session)
    with session_scope(engine) as session:
        users.set_role(session, "cli", "wakil", "admin")
        users.set_active(session, "cli", "kepala", False)  # now another admin remains
        assert not users.find_user(session, "kepala").active


def test_sign_in_checks_the_password_and_records_failures(engine):
    with session_scope(engine) as session:
        users.create_user(session, "cli", "budi", PASSWORD, "staff")
    with session_scope(engine) as session:
        wrong = users.authenticate(session, "budi", "salah", "10.0.0.7", now=NOW)
        unknown = users.authenticate(session, "siapa", PASSWORD, "10.0.0.7", now=NOW)
        right = users.authenticate(session, " BUDI", PASSWORD, "10.0.0.7", now=NOW)
    assert (wrong.ok, wrong.message) == (False, "Nama pengguna atau kata sandi salah.")
    assert (unknown.ok, unknown.message) == (False, "Nama pengguna atau kata sandi salah.")
    assert right.ok and right.user.username == "budi"
    with session_scope(engine) as session:
        assert [(f.username, f.address) for f in session.scalars(select(LoginFailure).order_by(LoginFailure.id))] == [
            ("budi", "10.0.0.7"), ("siapa", "10.0.0.7")]
        assert session.scalar(select(User.last_login_at).where(User.username == "budi")) == NOW


def test_an_outdated_hash_is_replaced_at_sign_in(engine):
    with session_scope(engine) as session:
        users.create_user(session, "cli", "budi", PASSWORD, "staff")
        weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
        session.scalar(select(User).where(User.username == "budi")).password_hash = weak
    with session_scope(engine) as session:
        assert users.authenticate(session, "budi", PASSWORD, "127.0.0.1").ok
    with session_scope(engine) as session:
        rehashed = session.scalar(select(User.password_hash).where(User.username == "budi"))
    assert rehashed != weak and not PasswordHasher().check_needs_rehash(rehashed)


def test_five_failures_of_a_username_lock_it_for_the_window_even_from_another_process(engine, db_url):
    with session_scope(engine) as session:
        users.create_user(session, "cli", "budi", PASSWORD, "staff")
    for minute in range(5):
        with session_scope(engine) as session:
            assert not users.authenticate(session, "budi", "tebakan", f"10.0.0.{minute}",
                                          now=NOW + timedelta(minutes=minute)).ok
    other_process = open_database(db_url)  # its own engine and connections: only the database is shared
    try:
        with session_scope(other_process) as session:
            refused = users.authenticate(session, "budi", PASSWORD, "10.9.9.9", now=NOW + timedelta(minutes=5))
            # the window holds five failures until the first (minute 0) leaves it at minute 15 = 09:15 WIB
            assert refused.message == "Terlalu banyak percobaan masuk yang gagal. Coba lagi setelah pukul 09:15 WIB."
            assert refused.retry_after == NOW + timedelta(minutes=15)
            assert not users.authenticate(session, "budi", PASSWORD, "10.9.9.9", now=NOW + timedelta(minutes=14)).ok
            assert users.authenticate(session, "budi", PASSWORD, "10.9.9.9", now=NOW + timedelta(minutes=15, seconds=1)).ok
            # a refused attempt is not counted again (it checked nothing)
            assert session.scalar(select(func.count()).select_from(LoginFailure)) == 5
    finally:
        other_process.dispose()


def test_twenty_failures_from_one_address_refuse_every_username_from_it(engine):
    with session_scope(engine) as session:
        users.create_user(session, "cli", "budi", PASSWORD, "staff")
        for number in range(20):
            users.authenticate(session, f"tebak{number}", "x", "203.0.113.5", now=NOW)
    with session_scope(engine) as session:
        assert not users.authenticate(session, "budi", PASSWORD, "203.0.113.5", now=NOW).ok
        assert users.authenticate(session, "budi", PASSWORD, "198.51.100.1", now=NOW).ok


def test_limits_are_settings(engine):
    strict = WebSettings(max_failures_per_user=2, failure_window_minutes=1)
    with session_scope(engine) as session:
        users.create_user(session, "cli", "budi", PASSWORD, "staff")
        for _ in range(2):
            users.authenticate(session, "budi", "x", "10.0.0.1", limits=strict, now=NOW)
        assert not users.authenticate(session, "budi", PASSWORD, "10.0.0.1", limits=strict, now=NOW).ok
        assert users.authenticate(session, "budi", PASSWORD, "10.0.0.1", limits=strict,
                                  now=NOW + timedelta(minutes=1, seconds=1)).ok


def test_a_set_up_token_is_stored_hashed_used_once_and_expires(engine):
    with session_scope(engine) as session:
        stale = users.create_setup_token(session, now=NOW)
        token = users.create_setup_token(session, now=NOW)  # a new link replaces the unused one
        assert session.scalar(select(func.count()).select_from(SetupToken)) == 1
        assert token not in {row.token_sha256 for row in session.scalars(select(SetupToken))}
        assert not users.setup_token_usable(session, stale, now=NOW)
        assert users.setup_token_usable(session, token, now=NOW + timedelta(minutes=59))
        assert not users.setup_token_usable(session, token, now=NOW + timedelta(minutes=60))
    with pytest.raises(UserError, match="tidak berlaku"), session_scope(engine) as session:
        users.create_first_admin(session, token, "kepala", PASSWORD, now=NOW + timedelta(minutes=61))
    with pytest.raises(UserError) as short, session_scope(engine) as session:
        users.create_first_admin(session, token, "kepala", "pendek", now=NOW)
    assert short.value.field == "password"
    with session_scope(engine) as session:  # a refused form did not use the token up
        admin = users.create_first_admin(session, token, "kepala", PASSWORD, address="127.0.0.1", now=NOW)
    assert admin.role == "admin"
    with pytest.raises(UserError), session_scope(engine) as session:
        users.create_first_admin(session, token, "kedua", PASSWORD, now=NOW)
    with session_scope(engine) as session:
        assert [u.username for u in users.list_users(session)] == ["kepala"]
    assert ("kepala", "user.setup", "user:kepala") in _actions(engine)


def test_a_set_up_token_is_useless_once_a_user_exists(engine):
    with session_scope(engine) as session:
        token = users.create_setup_token(session)
        users.create_user(session, "cli", "budi", PASSWORD, "admin")
    with session_scope(engine) as session:
        assert not users.setup_token_usable(session, token)
    with pytest.raises(UserError, match="Sudah ada pengguna"), session_scope(engine) as session:
        users.create_first_admin(session, token, "kepala", PASSWORD)


def test_digest_subscriptions(engine):
    with session_scope(engine) as session:
        users.create_user(session, "cli", "budi", PASSWORD, "staff")
        assert users.subscription(session, "budi") == users.SubscriptionRecord("budi", True, [], [])
        saved = users.set_subscription(session, "admin", "budi", ["62.03", "62.02", "62.02"],
                                       ["unjuk_rasa", "lahan"], False, address="10.0.0.1")
    assert saved == users.SubscriptionRecord("budi", False, ["62.02", "62.03"], ["lahan", "unjuk_rasa"])
    with session_scope(engine) as session:
        assert users.subscription(session, "budi") == saved
    for kabupaten, categories, field in ((["99.01"], [], "kabupaten"), ([], ["<script>"], "categories")):
        with pytest.raises(UserError) as refused, session_scope(engine) as session:
            users.set_subscription(session, "admin", "budi", kabupaten, categories, True)
        assert refused.value.field == field
    assert _actions(engine)[-1] == ("admin", "user.subscription", "user:budi")
    choices = users.subscription_choices()
    assert len(choices.kabupaten) == 14 and choices.kabupaten["62.02"] == "Kabupaten Kotawaringin Timur"
    assert "perkebunan" in choices.categories
