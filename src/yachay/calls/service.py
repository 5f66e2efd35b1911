"""Runs one turn of a call: load its state, ask the flow engine, store what happened.

The voice adapter calls this with a renderer that turns events into its provider's markup;
the rendered reply is stored with the turn so a retried request gets the same answer and
nothing is recorded twice.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from yachay.calls.forgetting import forget_unconsented, forget_unfinished
from yachay.calls.limits import Limits, masked, refusal
from yachay.calls.recorder import EventRecorder, TurnContext
from yachay.calls.sql_catalog import SqlCatalog
from yachay.calls.turn_tutor import Predictors, TurnTutor
from yachay.content.prompts import Prompts
from yachay.db import models as m
from yachay.db.database import Database
from yachay.db.upsert import insert_if_absent
from yachay.flows.call import CALL
from yachay.flows.engine import Engine, FlowContext, Timing, TurnResult
from yachay.flows.events import Event, Hangup, Speak
from yachay.flows.resume import Resume
from yachay.flows.state import CallState

log = logging.getLogger(__name__)

#: (events of the turn, the step the reply's resume URLs must carry) -> reply body
Renderer = Callable[[Sequence[Event], int], str]

#: Statuses after which a call is over.
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})

#: A turn that failed on the database is tried again while this much time has passed since
#: it began (the caller is waiting; every wait inside is bounded, see db.database).
RETRY_WITHIN_S = 2.0
ATTEMPTS = 3

T = TypeVar("T")


class UnknownCall(LookupError):
    pass


class TurnFailed(RuntimeError):
    """The database could not run the turn nor replay its question: only an apology is left."""


def is_transient(exc: BaseException) -> bool:
    """A failure that another try may not meet: a lost or refused connection, a lock or
    statement timeout, a deadlock, a serialization failure, a unique row another call
    created first, an exhausted pool."""
    if isinstance(exc, PoolTimeout | OperationalError | IntegrityError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


@dataclass(frozen=True)
class IncomingCall:
    sid: str
    phone: str
    direction: str = "inbound"
    #: A call we placed for one student, and what for (`CallState.placed_for`, `purpose`).
    placed_for: int | None = None
    purpose: str = ""


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
        limits: Limits | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.db = db
        self.tutor = tutor
        self.prompts = prompts
        self.timing = timing
        self.engine = engine
        #: Teachers may be bridged to students (the school's caller id is configured).
        self.bridged_calls = bridged_calls
        #: Called with every event of a stored turn (metrics hang off here).
        self.listeners: list[Callable[[object], None]] = []

    def incoming(
        self,
        call: IncomingCall,
        render: Renderer,
        now: datetime,
        lead: Sequence[Speak] = (),
    ) -> str:
        """The call's first turn. ``lead``: what the adapter says before it (the parents'
        weekly call: the week, read as the call is answered)."""

        def first_turn() -> str:
            with self.db.session(bounded=True) as session:
                new = insert_if_absent(
                    session,
                    m.Call,
                    {
                        "sid": call.sid,
                        "phone": call.phone,
                        "direction": call.direction,
                        "started_at": now,
                    },
                    ["sid"],
                )
                row = self._locked(session, call.sid)
                if row.last_reply is not None:
                    return row.last_reply  # Twilio retried the first request
                if new:
                    forget_unfinished(session, call.phone, now)
                state = CallState(
                    call_sid=call.sid,
                    phone=call.phone,
                    placed_for=call.placed_for,
                    purpose=call.purpose,
                )
                result = self.engine.start(state, self._context(session, call.sid), now)
                if lead:
                    result = dataclasses.replace(result, events=[*lead, *result.events])
                reply = self._store(session, row, result, step=0, now=now, render=render)
            self._notify(result.events)
            return reply

        return self._with_retries(call.sid, 0, first_turn)

    def resume(self, call_sid: str, step: int, resume: Resume, render: Renderer) -> str:
        """Run the turn `step` of the call; a replayed step gets its stored reply. A turn the
        database fails (after retries) replays the question it answers: the caller hears it
        again and the call goes on, nothing half stored."""

        def turn() -> str:
            with self.db.session(bounded=True) as session:
                row = self._locked(session, call_sid)
                if row.last_reply is None:
                    raise UnknownCall(call_sid)
                if step != row.step:
                    log.info("call %s: step %s replayed (now at %s)", call_sid, step, row.step)
                    return row.last_reply
                if row.ended_at is not None:
                    # Twilio sends nothing after <Hangup>: a forged or stray request.
                    log.info("call %s: input after the call ended", call_sid)
                    return row.last_reply
                state = CallState.from_dict(row.state)
                refused = refusal(session, self.limits, row, state, resume)
                if refused is not None:
                    log.warning(
                        "call %s from %s: refused, %s", call_sid, masked(row.phone), refused
                    )
                    result = self._goodbye(state)
                else:
                    context = self._context(session, call_sid)
                    result = self.engine.resume(state, resume, context, resume.at)
                reply = self._store(session, row, result, step=step, now=resume.at, render=render)
            self._notify(result.events)
            return reply

        return self._with_retries(call_sid, step, turn)

    def _locked(self, session: Session, call_sid: str) -> m.Call:
        # FOR UPDATE: the turns of one call queue here, so each step runs exactly once.
        row = session.scalar(select(m.Call).where(m.Call.sid == call_sid).with_for_update())
        if row is None:
            raise UnknownCall(call_sid)
        return row

    def _with_retries(self, call_sid: str, step: int, turn: Callable[[], T]) -> T | str:
        started = time.monotonic()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return turn()
            except SQLAlchemyError as exc:
                if not is_transient(exc):
                    raise
                elapsed = time.monotonic() - started
                log.warning(
                    "call %s: step %s failed on the database (try %s, %.1f s): %s",
                    call_sid,
                    step,
                    attempt,
                    elapsed,
                    type(exc.orig if isinstance(exc, DBAPIError) else exc).__name__,
                )
                if attempt == ATTEMPTS or elapsed > RETRY_WITHIN_S:
                    break
        return self._replay(call_sid)

    def _replay(self, call_sid: str) -> str:
        """The reply stored for the step the call waits at: its question, asked again."""
        try:
            with self.db.read_session(bounded=True) as session:
                row = session.get(m.Call, call_sid)
                reply = row.last_reply if row is not None else None
        except SQLAlchemyError as exc:
            raise TurnFailed(f"call {call_sid}: the database is unavailable") from exc
        if reply is None:
            raise TurnFailed(f"call {call_sid}: no reply stored to replay")
        return reply

    def status(self, update: StatusUpdate, now: datetime) -> bool:
        """Record a status callback; False when it was a duplicate and changed nothing.

        Callbacks of one call may arrive at once and in any order: each is stored once, the
        call's status only moves forward (by SequenceNumber), and a final one is never lost
        nor overwritten by a later non-final one."""
        u = update
        with self.db.session(bounded=True) as session:
            new = insert_if_absent(
                session,
                m.CallStatusEvent,
                {
                    "call_sid": u.call_sid,
                    "sequence_number": u.sequence_number,
                    "status": u.status,
                    "duration_seconds": u.duration_seconds,
                    "timestamp": u.timestamp,
                    "received_at": now,
                },
                ["call_sid", "sequence_number", "status"],
            )
            if not new:
                return False
            insert_if_absent(
                session,
                m.Call,
                {"sid": u.call_sid, "phone": u.phone, "direction": u.direction, "started_at": now},
                ["sid"],
            )
            call = m.Call.sid == u.call_sid
            not_over = m.Call.status.not_in(FINAL_STATUSES)
            newer = m.Call.status_sequence < u.sequence_number
            final = u.status in FINAL_STATUSES
            # One conditional UPDATE each: the row lock makes them atomic against the others.
            session.execute(
                sql_update(m.Call)
                .where(call, (newer | not_over) if final else (newer & not_over))
                .values(status=u.status, status_sequence=u.sequence_number, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if final:
                session.execute(
                    sql_update(m.Call)
                    .where(call, m.Call.ended_at.is_(None))
                    .values(ended_at=now)
                    .execution_options(synchronize_session=False)
                )
            if u.duration_seconds is not None:
                session.execute(
                    sql_update(m.Call)
                    .where(call)
                    .values(duration_seconds=u.duration_seconds)
                    .execution_options(synchronize_session=False)
                )
            if final:
                forget_unconsented(session, u.call_sid)
            return True

    def _goodbye(self, state: CallState) -> TurnResult:
        language = state.language if state.language in self.prompts.languages else "es"
        goodbye = Speak(self.prompts.text("goodbye", language), language)
        return TurnResult([goodbye, Hangup()], state)

    def _notify(self, events: Sequence[Event]) -> None:
        """Listeners hear a turn's events once it is committed, so a retried turn counts once."""
        for event in events:
            for listener in self.listeners:
                listener(event)

    def language_of(self, call_sid: str) -> str:
        """The call's language, or Spanish when it is unknown or the database cannot say."""
        try:
            with self.db.read_session(bounded=True) as session:
                row = session.get(m.Call, call_sid)
                if row is None or not row.state:
                    return "es"
                return str(row.state.get("language", "es"))
        except SQLAlchemyError:
            log.warning("call %s: language unknown, the database is unavailable", call_sid)
            return "es"

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
        state = recorder.record(result.events, result.state)
        row.step = step + 1
        row.state = state.to_dict()
        if isinstance(result.wait, Hangup) and row.ended_at is None:
            row.ended_at = now
        row.last_reply = render(result.events, row.step)
        return row.last_reply
