"""A call without a parent's consent teaches, and forgets (Ley 29733).

While the call lasts its answers are stored as usual, so the tutor adapts within the call
and a retried request is still recognised; when the call ends (its final status callback)
the answers and recorded questions of that call are deleted, unless a parent consented
(`yachay.db.consent.has_consent`, by keypad in this very call or in the console). The
lesson position stays, so a dropped lesson still resumes where it stopped.

A call whose final status never came (a lost callback) is forgotten the next time its
number calls, once it is older than any call can last (`forget_unfinished`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db.consent import has_consent

log = logging.getLogger(__name__)

#: Longer than any Twilio call lasts: an unfinished call older than this is over.
LONGEST_CALL = timedelta(hours=24)


def forget_unconsented(session: Session, call_sid: str) -> int:
    """Delete what the call kept of a child without consent; how many rows went."""
    call = session.get(m.Call, call_sid)
    if call is None or call.student_id is None or has_consent(session, call.student_id):
        return 0
    # The tutor's predictions in the call point at its answers, and go with them.
    session.execute(delete(m.Prediction).where(m.Prediction.call_sid == call_sid))
    answers = session.execute(delete(m.Answer).where(m.Answer.call_sid == call_sid))
    questions = session.execute(
        delete(m.TeacherQuestion).where(m.TeacherQuestion.call_sid == call_sid)
    )
    gone = (answers.rowcount or 0) + (questions.rowcount or 0)
    if gone:
        log.info(
            "call %s: no parent's consent, %d answers and recordings forgotten", call_sid, gone
        )
    return gone


def forget_unfinished(session: Session, phone: str, now: datetime) -> int:
    """Forget what the number's calls without a final status kept of children without
    consent, for calls that must have ended by now."""
    stale = session.scalars(
        select(m.Call.sid).where(
            m.Call.phone == phone,
            m.Call.ended_at.is_(None),
            m.Call.student_id.is_not(None),
            m.Call.started_at < now - LONGEST_CALL,
        )
    ).all()
    return sum(forget_unconsented(session, sid) for sid in stale)
