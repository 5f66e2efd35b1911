"""Runs one turn of a call: load its state, ask the flow engine, store what happened.

The voice adapter calls this with a renderer that turns events into its provider's markup;
the rendered reply is stored with the turn so a retried request gets the same answer and
nothing is recorded twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yachay.calls.forgetting import forget_unconsented, forget_unfinished
from yachay.calls.recorder import EventRecorder, TurnContext
from yachay.calls.sql_catalog import SqlCatalog
from yachay.calls.turn_tutor import Predictors, TurnTutor
from yachay.content.prompts import Prompts
from yachay.db import models as m
from yachay.db.database import Database
from yachay.flows.call import CALL
from yachay.flows.engine import Engine, FlowContext, Timing, TurnResult
from yachay.flows.events import Event
from yachay.flows.resume import Resume
from yachay.flows.state import CallState

log = logging.getLogger(__name__)

#: (events of the turn, the step the reply's resume URLs must carry) -> reply body
Renderer = Callable[[Sequence[Event], int], str]

#: Statuses after which a call is over.
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


class UnknownCall(LookupError):
    pass


@dataclass(frozen=True)
class IncomingCall:
    sid: str
    phone: str
    direction: str = "inbound"


@dataclass(frozen=True)
class StatusUpdate:
    call_sid: str
    status: str
    sequence_number: int
    phone: str = ""
    direction: str = "inbound"
    duration_seconds: int | None = None
    timestamp: str | None = None


class CallService:
    def __init__(
        self,
        db: Database,
        prompts: Prompts,
        timing: Timing,
        tutor: Predictors | None = None,
        engine: Engine = CALL,
        bridged_calls: bool = False,
    ) -> None:
        self.db = db
        self.tutor = tutor
        self.prompts = prompts
        self.timing = timing
        self.engine = engine
        #: Teachers may be bridged to students (the school's caller id is configured).
        self.bridged_calls = bridged_calls
        #: Called with every event of a stored turn (metrics hang off here).
        self.listeners: list[Callable[[object], None]] = []

    def incoming(self, call: IncomingCall, render: Renderer, now: datetime) -> str:
        try:
            with self.db.session() as session:
                existing = session.get(m.Call, call.sid)
                if existing is not None and existing.last_reply is not None:
                    return existing.last_reply  # Twilio retried the first request
                row = existing or m.Call(
                    sid=call.sid, phone=call.phone, direction=call.direction, started_at=now
                )
                if existing is None:
                    session.add(row)
                    session.flush()
                    forget_unfinished(session, call.phone, now)
                state = CallState(call_sid=call.sid, phone=call.phone)
                result = self.engine.start(state, self._context(session, call.sid), now)
                return self._store(session, row, result, step=0, now=now, render=render)
        except IntegrityError:
            log.info("call %s: concurrent duplicate of the first request", call.sid)
            return self._last_reply(call.sid)

    def resume(self, call_sid: str, step: int, resume: Resume, render: Renderer) -> str:
        try:
            with self.db.session() as session:
                row = session.scalar(select(m.Call).where(m.Call.sid == call_sid).with_for_update())
                if row is None or row.last_reply is None:
                    raise UnknownCall(call_sid)
                if step != row.step:
                    log.info("call %s: step %s replayed (now at %s)", call_sid, step, row.step)
                    return row.last_reply
                state = CallState.from_dict(row.state)
                context = self._context(session, call_sid)
                result = self.engine.resume(state, resume, context, resume.at)
                return self._store(session, row, result, step=step, now=resume.at, render=render)
        except IntegrityError:
            log.info("call %s: concurrent duplicate of step %s", call_sid, step)
            return self._last_reply(call_sid)

    def status(self, update: StatusUpdate, now: datetime) -> bool:
        """Record a status callback; False when it was a duplicate and changed nothing."""
        try:
            with self.db.session() as session:
                duplicate = session.scalar(
                    select(m.CallStatusEvent.id).where(
                        m.CallStatusEvent.call_sid == update.call_sid,
                        m.CallStatusEvent.sequence_number == update.sequence_number,
                        m.CallStatusEvent.status == update.status,
                    )
                )
                if duplicate is not None:
                    return False
                session.add(
                    m.CallStatusEvent(
                        call_sid=update.call_sid,
                        sequence_number=update.sequence_number,
                        status=update.status,
                        duration_seconds=update.duration_seconds,
                        timestamp=update.timestamp,
                        received_at=now,
                    )
                )
                row = session.get(m.Call, update.call_sid)
                if row is None:
                    row = m.Call(
                        sid=update.call_sid,
                        phone=update.phone,
                        direction=update.direction,
                        started_at=now,
                        # The column's default comes only at the INSERT: compared below.
                        status_sequence=-1,
                    )
                    session.add(row)
                # An older callback arriving late must not undo a newer one.
                if update.sequence_number > row.status_sequence:
                    row.status = update.status
                    row.status_sequence = update.sequence_number
                if update.status in FINAL_STATUSES and row.ended_at is None:
                    row.ended_at = now
                if update.status in FINAL_STATUSES:
                    forget_unconsented(session, update.call_sid)
                if update.duration_seconds is not None:
                    row.duration_seconds = update.duration_seconds
                return True
        except IntegrityError:
            return False

    def language_of(self, call_sid: str) -> str:
        with self.db.session() as session:
            row = session.get(m.Call, call_sid)
            if row is None or not row.state:
                return "es"
            return str(row.state.get("language", "es"))

    def _context(self, session: Session, call_sid: str) -> FlowContext:
        return FlowContext(
            catalog=SqlCatalog(session),
            tutor=TurnTutor(session, self.tutor, call_sid),
            prompts=self.prompts,
            timing=self.timing,
            bridged_calls=self.bridged_calls,
        )

    def _store(
        self,
        session: Session,
        row: m.Call,
        result: TurnResult,
        step: int,
        now: datetime,
        render: Renderer,
    ) -> str:
        recorder = EventRecorder(session, TurnContext(call_sid=row.sid, step=step, now=now))
        recorder.listeners.extend(self.listeners)
        state = recorder.record(result.events, result.state)
        row.step = step + 1
        row.state = state.to_dict()
        row.last_reply = render(result.events, row.step)
        return row.last_reply

    def _last_reply(self, call_sid: str) -> str:
        with self.db.session() as session:
            row = session.get(m.Call, call_sid)
            if row is None or row.last_reply is None:
                raise UnknownCall(call_sid)
            return row.last_reply
