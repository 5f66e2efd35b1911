"""Parents' consent to keep a child's data beyond the call (Ley 29733): given by keypad or in
the console, withdrawn on request. A call asks `has_consent` before it stores answers."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from yachay.db.models import utcnow
from yachay.db.people import Consent

VIA = ("keypad", "console")


def current_consent(session: Session, student_id: int) -> Consent | None:
    """The consent in force for the student: the latest one given and not withdrawn."""
    return session.scalar(
        select(Consent)
        .where(Consent.student_id == student_id, Consent.withdrawn_at.is_(None))
        .order_by(Consent.given_at.desc(), Consent.id.desc())
        .limit(1)
    )


def has_consent(session: Session, student_id: int) -> bool:
    return current_consent(session, student_id) is not None


def give_consent(
    session: Session,
    student_id: int,
    via: str,
    parent_id: int | None = None,
    recorded_by: int | None = None,
) -> Consent:
    if via not in VIA:
        raise ValueError(f"consent is given by {' or '.join(VIA)}, not {via!r}")
    consent = Consent(student_id=student_id, parent_id=parent_id, via=via, recorded_by=recorded_by)
    session.add(consent)
    session.flush()
    return consent


def withdraw_consent(session: Session, student_id: int) -> int:
    """Withdraw every consent in force for the student; how many there were."""
    result = session.execute(
        update(Consent)
        .where(Consent.student_id == student_id, Consent.withdrawn_at.is_(None))
        .values(withdrawn_at=utcnow())
    )
    return result.rowcount or 0
