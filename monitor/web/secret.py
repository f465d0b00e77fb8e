"""The key that signs session cookies and CSRF tokens.

WASPADA_SECRET_KEY wins. Without it, the embedded (SQLite) install generates one key once and keeps
it in WASPADA_DATA_DIR/secret_key (owner-only, 0600), so sessions survive a restart; a PostgreSQL
install serves several machines or processes that must share one key, so it must be given.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from classifiers.layout import make_private_folders

KEY_FILE_NAME = "secret_key"
MIN_KEY_LENGTH = 32


class SecretKeyError(RuntimeError):
    """No usable key; the message is Indonesian and says what to do."""


def resolve_secret_key(database_url: str, data_dir: Path, environ: Mapping[str, str] | None = None) -> str:
    """The session key: WASPADA_SECRET_KEY, else (SQLite only) the key file in `data_dir`, made once."""
    environ = os.environ if environ is None else environ
    given = (environ.get("WASPADA_SECRET_KEY") or "").strip()
    if given:
        if len(given) < MIN_KEY_LENGTH:
            raise SecretKeyError(f"WASPADA_SECRET_KEY terlalu pendek: minimal {MIN_KEY_LENGTH} karakter acak "
                                 "(buat dengan: python3 -c 'import secrets; print(secrets.token_urlsafe(48))').")
        return given
    if not database_url.startswith("sqlite"):
        raise SecretKeyError("WASPADA_SECRET_KEY belum diatur. Dengan PostgreSQL, aplikasi web membutuhkan kunci sesi "
                             "yang sama untuk setiap proses: atur WASPADA_SECRET_KEY ke string acak minimal "
                             f"{MIN_KEY_LENGTH} karakter (buat dengan: python3 -c 'import secrets; "
                             "print(secrets.token_urlsafe(48))'), lalu jalankan lagi.")
    return _key_file(Path(data_dir) / KEY_FILE_NAME)


def _key_file(path: Path) -> str:
    """Read the key file, or create it atomically (first writer wins) with owner-only permissions."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # a copy or an umask may have widened it
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= MIN_KEY_LENGTH:
            return key
        raise SecretKeyError(f"Berkas kunci sesi {path} rusak atau terlalu pendek. Hapus berkas itu agar dibuat "
                             "ulang (semua pengguna harus masuk lagi), atau atur WASPADA_SECRET_KEY.")
    make_private_folders(path.parent)
    key = secrets.token_urlsafe(48)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
        os.chmod(temporary, 0o600)
        os.link(temporary, path)  # fails if another process made the key first: then use theirs
    except FileExistsError:
        return _key_file(path)
    finally:
        temporary.unlink(missing_ok=True)
    return key
