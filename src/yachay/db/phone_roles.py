"""What parents' and teachers' calls store: keypad PIN lockouts, the time of each child's
daily lesson call, parents' callback requests, and teachers' recorded lessons awaiting
review and which students heard them. Every change here needs an Alembic migration (0004
made these tables, 0009 `recordings_heard`)."""

from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from yachay.db.models import Base, utcnow

_hasher = PasswordHasher()


class PinLockout(Base):
    """Wrong keypad PINs from one number in a row, across calls, and the lock they caused."""

    __tablename__ = "pin_lockouts"

    phone: Mapped[str] = mapped_column(String(32), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallbackRequest(Base):
    """A parent asked the teacher of a child to call back; status "new", then "done"."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    #: The child's teacher when asked (None: the child is in no class with a teacher yet).
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="new")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClassRecording(Base):
    """A lesson or announcement a teacher recorded by phone for a class. Students hear it
    only once approved: status "pending", then "approved" or "rejected"."""

    __tablename__ = "class_recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"), index=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    recording_url: Mapped[str] = mapped_column(String(500))
    duration_seconds: Mapped[int]
    call_sid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]


class RecordingHeard(Base):
    """A student heard (or skipped) an approved class recording: it is not played again.
    Kept without a parent's consent too: it is about the teacher's message, not the
    child's answers (0009 made this table)."""

    __tablename__ = "recordings_heard"

    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), primary_key=True)
    recording_id: Mapped[int] = mapped_column(
        ForeignKey("class_recordings.id"), primary_key=True, index=True
    )
    skipped: Mapped[bool] = mapped_column(default=False)
    call_sid: Mapped[str] = mapped_column(String(64))
    heard_at: Mapped[datetime] = mapped_column(default=utcnow)


def pin_matches(pin_hash: str | None, pin: str) -> bool:
    """True when `pin` matches the stored argon2 hash; False for a wrong one or none."""
    if not pin_hash:
        return False
    try:
        return _hasher.verify(pin_hash, pin)
    except (VerificationError, InvalidHashError):
        return False


def mask_phone(phone: str | None) -> str:
    """What a log may say of a number: country code and last two digits."""
    if not phone:
        return "-"
    return phone[:3] + "*" * max(len(phone) - 5, 0) + phone[-2:]


#: What a review decides, and the status it leaves.
REVIEW_STATUSES = {True: "approved", False: "rejected"}


class ReviewError(ValueError):
    pass


def review_class_recording(
    session: Session, recording_id: int, reviewer_id: int, approve: bool
) -> ClassRecording:
    """Approve or reject a teacher's recorded lesson once; only pending ones are reviewed."""
    recording = session.get(ClassRecording, recording_id)
    if recording is None:
        raise ReviewError(f"no recorded lesson {recording_id}")
    if recording.status != "pending":
        raise ReviewError(f"recorded lesson {recording_id} was already {recording.status}")
    recording.status = REVIEW_STATUSES[approve]
    recording.reviewed_by = reviewer_id
    recording.reviewed_at = utcnow()
    return recording


def pending_class_recordings(session: Session) -> list[ClassRecording]:
    """Teachers' recorded lessons waiting for review, oldest first."""
    return list(
        session.scalars(
            select(ClassRecording)
            .where(ClassRecording.status == "pending")
            .order_by(ClassRecording.created_at, ClassRecording.id)
        )
    )
