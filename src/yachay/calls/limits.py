"""What one phone number may do, so a robodialer cannot fill the database or poison the
tutor's training data: how long a call lasts, how many answers a minute it sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.flows.resume import Keys, Resume
from yachay.flows.state import CallState


@dataclass(frozen=True)
class Limits:
    max_call_minutes: int = 45
    #: A child hears each question read out before answering: a few a minute at most.
    max_answers_per_minute: int = 20


def masked(number: str | None) -> str:
    """A phone number fit for a log line: its first three and last two characters."""
    value = (number or "").strip()
    if not value:
        return "(withheld)"
    return value[:3] + "*" * max(0, len(value) - 5) + value[-2:]


def refusal(
    session: Session, limits: Limits, call: m.Call, state: CallState, resume: Resume
) -> str | None:
    """Why this turn must not run (a short reason for the log), or None."""
    if resume.at - call.started_at > timedelta(minutes=limits.max_call_minutes):
        return f"call longer than {limits.max_call_minutes} minutes"
    if isinstance(resume, Keys) and state.node == "question" and call.phone:
        if answers_in_last_minute(session, call.phone, resume.at) >= limits.max_answers_per_minute:
            return f"more than {limits.max_answers_per_minute} answers a minute"
    return None


def answers_in_last_minute(session: Session, phone: str, now: datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(m.Answer)
            .join(m.Call, m.Call.sid == m.Answer.call_sid)
            .where(m.Call.phone == phone, m.Answer.answered_at > now - timedelta(minutes=1))
        )
        or 0
    )
