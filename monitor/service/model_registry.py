"""The model registry: which category model is active (recorded in the database), candidates, promotion, rollback.

The monitor reads with the registry's active model; when none is active it falls back to
WASPADA_MODEL_DIR or the shipped models/default (the behaviour before the registry). Every load checks
the model file's sha256 against the registry row (and, in classifiers.artifacts, against its card).
Promotion and rollback are audited; a candidate worse on the frozen set needs an override with a reason.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from classifiers.artifacts import ARTIFACT_NAME, CARD_NAME, LoadedModel, ModelIntegrityError, load_model, sha256_of
from classifiers.paths import default_model_dir
from classifiers.service import Classifier, load_classifier
from monitor.db.models import ModelVersion, utcnow
from monitor.db.session import session_scope
from monitor.service import audit
from monitor.service.model_quality import worse_reasons

CANDIDATE, ACTIVE, RETIRED = "candidate", "active", "retired"
STATUS_NAMES = {CANDIDATE: "kandidat", ACTIVE: "aktif", RETIRED: "pensiun"}
MAX_REASON = 2000


class RegistryError(ValueError):
    """A registry change that is refused (Indonesian message)."""


class PromotionRefused(RegistryError):
    """The candidate scores worse on the frozen set and no override was given."""

    def __init__(self, version: str, reasons: list[str]):
        self.reasons = reasons
        super().__init__(f"kandidat {version} lebih buruk pada set evaluasi beku ({'; '.join(reasons)}); "
                         "promosi hanya dengan paksa dan alasan")


@dataclass(frozen=True)
class ModelRecord:
    """A registry row as front doors show it."""

    version: str
    path: str
    sha256: str
    status: str
    card: dict
    evaluation: dict
    trained_label_ids: list = field(default_factory=list)
    created_by: str = ""
    created_at: datetime | None = None
    promoted_by: str | None = None
    promoted_at: datetime | None = None

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, self.status)


def _record(row: ModelVersion) -> ModelRecord:
    return ModelRecord(row.version, row.path, row.sha256, row.status, dict(row.card or {}), dict(row.evaluation or {}),
                       list(row.trained_label_ids or []), row.created_by, row.created_at, row.promoted_by,
                       row.promoted_at)


def register(session: Session, folder: Path, card: dict, evaluation: dict, trained_label_ids: list[int],
             actor: str) -> ModelRecord:
    """Add a freshly trained model as a candidate (its file's sha256 is taken now and checked on every load)."""
    row = ModelVersion(version=card["version"], path=str(Path(folder).resolve()),
                       sha256=sha256_of(Path(folder) / card.get("artifact", ARTIFACT_NAME)), card=card,
                       evaluation=evaluation, trained_label_ids=sorted(trained_label_ids), status=CANDIDATE,
                       created_by=actor)
    session.add(row)
    session.flush()
    return _record(row)


def list_models(session: Session) -> list[ModelRecord]:
    """Every registered model, newest first."""
    return [_record(r) for r in session.scalars(select(ModelVersion).order_by(ModelVersion.id.desc()))]


def get_model(session: Session, version: str) -> ModelRecord | None:
    row = session.scalar(select(ModelVersion).where(ModelVersion.version == version))
    return _record(row) if row else None


def active_model(session: Session) -> ModelRecord | None:
    """The registry's active model, or None (then WASPADA_MODEL_DIR or the shipped model is used)."""
    row = session.scalar(select(ModelVersion).where(ModelVersion.status == ACTIVE))
    return _record(row) if row else None


def verified_dir(record: ModelRecord) -> str:
    """The model's folder after checking its file against the registry's sha256 (ModelIntegrityError if not)."""
    artifact = Path(record.path) / record.card.get("artifact", ARTIFACT_NAME)
    try:
        actual = sha256_of(artifact)
    except OSError as exc:
        raise ModelIntegrityError(f"berkas model {artifact} tidak terbaca: {exc}") from exc
    if actual != record.sha256:
        raise ModelIntegrityError(f"sha256 {artifact} ({actual}) tidak cocok dengan registri ({record.sha256}); "
                                  "berkas ditolak")
    return record.path


def active_model_dir(engine: Engine) -> str | None:
    """The verified folder of the registry's active model, or None when the registry names none."""
    with session_scope(engine) as session:
        record = active_model(session)
    return verified_dir(record) if record else None


def active_classifier(engine: Engine) -> Classifier:
    """The classifier the monitor reads with: the registry's active model, else WASPADA_MODEL_DIR / models/default."""
    return load_classifier(active_model_dir(engine) or str(default_model_dir()))  # the folder named: env read now


def active_loaded(session: Session) -> tuple[LoadedModel, list]:
    """The active model (registry first, else the default folder) and the article ids of labels it learned."""
    record = active_model(session)
    if record is None:
        return load_model(default_model_dir()), []
    return load_model(Path(verified_dir(record))), record.trained_label_ids


def active_card(session: Session) -> dict:
    """The active model's card (only the card is read, for its version and thresholds)."""
    record = active_model(session)
    return record.card if record is not None else _default_card()


def _default_card() -> dict:
    """The card of the model used when the registry has no active one (WASPADA_MODEL_DIR or models/default)."""
    path = default_model_dir() / CARD_NAME
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"kartu model {path} tidak terbaca: {exc}") from exc
    if not isinstance(card, dict):
        raise ModelIntegrityError(f"kartu model {path} harus berupa objek JSON")
    return card


def _row(session: Session, version: str) -> ModelVersion:
    row = session.scalar(select(ModelVersion).where(ModelVersion.version == version))
    if row is None:
        raise RegistryError(f"versi model '{version}' tidak ada di registri")
    return row


def _current(session: Session) -> ModelVersion | None:
    return session.scalar(select(ModelVersion).where(ModelVersion.status == ACTIVE))


def _check_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON:
        raise RegistryError(f"alasan terlalu panjang (maksimal {MAX_REASON} karakter)")
    return reason


def promote(session: Session, version: str, actor: str, force: bool = False, reason: str = "",
            address: str = "") -> ModelRecord:
    """Make `version` the active model (the previous one retires), audited.

    Refused (PromotionRefused) when its stored comparison shows it worse on the frozen set than the model it
    was compared with, unless `force` with a reason; an override is recorded with its reason. A comparison made
    against another model than the one active now is out of date: retrain or compare again first.
    """
    reason = _check_reason(reason)
    row = _row(session, version)
    if row.status == ACTIVE:
        raise RegistryError(f"versi {version} sudah aktif")
    current = _current(session)
    current_version = current.version if current else str(_default_card().get("version", ""))
    evaluation = row.evaluation or {}
    reasons = worse_reasons(evaluation.get("frozen", {}).get("candidate", {}),
                            evaluation.get("frozen", {}).get("active", {}))
    if evaluation.get("against") != current_version and not force:
        raise RegistryError(f"perbandingan kandidat {version} dibuat terhadap model "
                            f"'{evaluation.get('against', '-')}', bukan model aktif sekarang '{current_version}'; "
                            "latih ulang atau promosikan dengan paksa dan alasan")
    if reasons and not force:
        raise PromotionRefused(version, reasons)
    if force and not reason:
        raise RegistryError("promosi dengan paksa wajib disertai alasan")
    if current is not None:
        current.status = RETIRED
        session.flush()  # at most one active row at any moment
    row.status, row.promoted_by, row.promoted_at = ACTIVE, actor, utcnow()
    audit.record(session, actor, "model.promote", f"model:{version}", {
        "from": current_version, "to": version, "override": bool(force), "reason": reason,
        "worse_on_frozen": reasons, "compared_with": evaluation.get("against"),
    }, address)
    return _record(row)


def rollback(session: Session, actor: str, reason: str = "", address: str = "") -> ModelRecord | None:
    """Retire the active model and reactivate the one promoted before it (None: back to the default model)."""
    reason = _check_reason(reason)
    current = _current(session)
    if current is None:
        raise RegistryError("tidak ada model aktif di registri; model bawaan sudah dipakai")
    previous = session.scalar(select(ModelVersion)
                              .where(ModelVersion.status == RETIRED, ModelVersion.promoted_at.is_not(None),
                                     ModelVersion.promoted_at < current.promoted_at)
                              .order_by(ModelVersion.promoted_at.desc(), ModelVersion.id.desc()).limit(1))
    current.status = RETIRED
    session.flush()
    if previous is not None:
        previous.status = ACTIVE
    back_to = previous.version if previous else str(_default_card().get("version", ""))
    audit.record(session, actor, "model.rollback", f"model:{current.version}",
                 {"from": current.version, "to": back_to, "reason": reason}, address)
    return _record(previous) if previous else None

