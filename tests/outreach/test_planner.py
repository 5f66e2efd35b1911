"""The day's calls: inside each household's window, at the learned time, once a day; a
review call when reviews are due; the parents' call on Sundays."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from tests.outreach.conftest import add_student, lima, outreach_settings
from yachay.db import models as m
from yachay.outreach.best_time import Observation, choose_minute, window_slots
from yachay.outreach.hours import Window
from yachay.outreach.service import Outreach
from yachay.outreach.simulation import simulate


def set_window(db, student_id: int, start: int, end: int, every_day: bool = True) -> None:  # noqa: ANN001
    with db.session() as session:
        session.add(
            m.CallWindow(
                student_id=student_id, start_minute=start, end_minute=end, every_day=every_day
            )
        )


def planned(db) -> list[m.OutboundCall]:  # noqa: ANN001
    with db.session() as session:
        return list(session.scalars(select(m.OutboundCall).order_by(m.OutboundCall.id)))


def make(tmp_path, database, twilio_api, due=frozenset()):  # noqa: ANN001, ANN201
    return Outreach(
        database,
        outreach_settings(tmp_path, database, twilio_api),
        due_students=lambda session, now: set(due),
    )


def test_a_daily_call_is_planned_once_inside_the_window(tmp_path, database, twilio_api):
    ana = add_student(database, "+51987333001", "Ana")
    set_window(database, ana, 16 * 60, 18 * 60)
    outreach = make(tmp_path, database, twilio_api)
    asked = []
    outreach.due_students = lambda session, now: asked.append(now) or set()
    morning = lima("2026-12-08", "09:00")  # a Tuesday
    assert len(outreach.plan(morning)) == 1
    assert outreach.plan(morning + timedelta(minutes=5)) == []
    assert asked == [morning], "once planned, the reviews are not read again that day"
    (row,) = planned(database)
    assert row.kind == "lesson" and row.student_id == ana
    assert lima("2026-12-08", "16:00") <= row.next_try_at < lima("2026-12-08", "18:00")
    assert row.not_after == lima("2026-12-08", "18:00")
    # The next day brings the next call; a window already over today brings none.
    assert len(outreach.plan(lima("2026-12-09", "09:00"))) == 1
    assert outreach.plan(lima("2026-12-10", "18:30")) == []


def test_a_student_with_reviews_due_gets_a_review_call(tmp_path, database, twilio_api):
    ana = add_student(database, "+51987333002")
    luis = add_student(database, "+51987333003")
    set_window(database, ana, 15 * 60, 17 * 60, every_day=False)
    set_window(database, luis, 15 * 60, 17 * 60, every_day=False)
    outreach = make(tmp_path, database, twilio_api, due={luis})
    outreach.plan(lima("2026-12-08", "09:00"))
    assert [(r.kind, r.student_id) for r in planned(database)] == [("review", luis)]


def test_parents_get_one_progress_call_a_week_on_sunday(tmp_path, database, twilio_api):
    phone = "+51987333004"
    for name in ("Ana", "Luis"):
        set_window(database, add_student(database, phone, name), 16 * 60, 18 * 60)
    outreach = make(tmp_path, database, twilio_api)
    outreach.plan(lima("2026-12-12", "09:00"))  # Saturday
    assert [r.kind for r in planned(database)] == ["lesson", "lesson"]
    outreach.plan(lima("2026-12-13", "09:00"))  # Sunday
    outreach.plan(lima("2026-12-13", "10:00"))
    kinds = [r.kind for r in planned(database)]
    assert kinds.count("parent_progress") == 1 and kinds.count("lesson") == 4


def test_a_retry_never_starts_after_the_window(tmp_path, database, twilio_api):
    ana = add_student(database, "+51987333005")
    set_window(database, ana, 16 * 60, 17 * 60)
    outreach = make(tmp_path, database, twilio_api)
    outreach.plan(lima("2026-12-08", "16:55"))
    assert outreach.tick(lima("2026-12-08", "16:55")) == 1
    with database.session() as session:
        attempt = session.scalars(select(m.OutboundAttempt)).one()
    outreach.calls.status(
        attempt.id, attempt.call_sid, "no-answer", 2, 0, lima("2026-12-08", "16:56")
    )
    assert outreach.tick(lima("2026-12-08", "17:06")) == 0
    (row,) = planned(database)
    assert (row.state, row.outcome) == ("gave_up", "window-passed")


def test_the_learned_time_follows_the_answers_and_stays_in_the_window():
    window = Window.parse("15:00-19:00")
    # This family answers at 17:30 and never at 15:00-16:30.
    seen = [Observation(17 * 60 + 35, True) for _ in range(8)]
    seen += [Observation(m, False) for m in (15 * 60, 15 * 60 + 40, 16 * 60 + 10) for _ in range(4)]
    rng = random.Random(3)
    picks = [choose_minute(seen, window, rng) for _ in range(200)]
    assert all(window.start <= p < window.end for p in picks)
    assert sum(17 * 60 <= p <= 18 * 60 for p in picks) > 180  # the answered slot and its neighbours
    assert max(set(picks), key=picks.count) == 17 * 60 + 30
    assert sum(p < 16 * 60 + 30 for p in picks) < 10
    assert window_slots(Window.parse("16:10-17:00")) == [33]  # 16:30, the one slot inside


def test_best_time_answers_more_calls_than_a_fixed_hour_in_the_simulation():
    results = {r.policy: r for r in simulate(households=60, days=40, seed=5)}
    learned, oracle = results["learned"], results["oracle"]
    for fixed in (results["fixed start"], results["fixed middle"]):
        assert learned.answer_rate > fixed.answer_rate + 0.1
        assert learned.reached_rate > fixed.reached_rate
    assert learned.answer_rate < oracle.answer_rate  # the hidden truth still does better


def test_no_call_is_planned_in_quiet_hours_even_inside_the_window(tmp_path, database, twilio_api):
    ana = add_student(database, "+51987333006")
    luis = add_student(database, "+51987333007")
    set_window(database, ana, 20 * 60, 21 * 60 + 30)  # quiet from 20:30
    set_window(database, luis, 21 * 60, 22 * 60)  # all of it quiet
    outreach = make(tmp_path, database, twilio_api)
    for day in range(8, 15):
        outreach.plan(lima(f"2026-12-{day:02d}", "09:00"))
    rows = planned(database)
    assert {(r.kind, r.student_id) for r in rows} == {("lesson", ana), ("parent_progress", None)}
    assert {r.phone for r in rows} == {"+51987333006"}
    assert all(outreach.clock.minute_of_day(r.next_try_at) == 20 * 60 for r in rows)


def test_the_tutors_due_reviews_turn_the_days_call_into_a_review_call(tmp_path, twilio_api):
    """The real `tutor.reports.due_for_review`: Ana practised adding well three weeks ago,
    so reviews are due; Luis has answered nothing, so he has none."""
    from tests.tutor.tutor_db import answer_row, make_database

    _, db = make_database(tmp_path / "var")
    ana = add_student(db, "+51987333010", "Ana")
    luis = add_student(db, "+51987333011", "Luis")
    for student in (ana, luis):
        set_window(db, student, 16 * 60, 18 * 60)
    now = lima("2026-12-08", "09:00")
    with db.session() as session:
        for i in range(6):
            at = now - timedelta(days=21, minutes=-i)
            session.add(
                answer_row(
                    ana, f"sumar-q{i}", True, at, call_sid="CA-ana", step=i, response_ms=4000
                )
            )
    outreach = Outreach(db, outreach_settings(tmp_path, db, twilio_api))
    outreach.plan(now)
    assert {(r.student_id, r.kind) for r in planned(db)} == {(ana, "review"), (luis, "lesson")}
    db.dispose()
