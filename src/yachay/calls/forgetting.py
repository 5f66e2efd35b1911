"""A call without a parent's consent teaches, and forgets (Ley 29733).

While the call lasts its answers are stored as usual, so the tutor adapts within the call
and a retried request is still recognised; when the call ends (its final status callback)
the answers and recorded questions of that call are deleted, unless a parent consented
(`yachay.db.consent.has_consent`, by keypad in this very call or in the console). The
lesson position stays, so a dropped lesson still resumes where it stopped.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete
from sqlalchemy.orm import Session

from yachay.db import models as m
from yachay.db.consent import has_consent

log = logging.getLogger(__name__)


def forget_unconsented(session: Session, call_sid: str) -> int:
    """Delete what the call kept of a child without consent; how many rows went."""
    call = session.get(m.Call, call_sid)
    if call is None or call.student_id is None or has_consent(session, call.student_id):
        return 0
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
