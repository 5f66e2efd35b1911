"""The one call every caller makes: students, parents and teachers, assembled from their
nodes. Who is calling decides the way through it (`yachay.flows.callers.Start`)."""

from __future__ import annotations

from yachay.flows.adults import ChangeAdultLanguage, PinEntry
from yachay.flows.consent import AskConsent
from yachay.flows.engine import Engine, Node
from yachay.flows.parent_menu import PARENT_MENU, CallTime, ChildrenProgress, TeacherCallback
from yachay.flows.placed_call import PlacedCall
from yachay.flows.student_call import NODES as STUDENT_NODES
from yachay.flows.teacher_menu import (
    TEACHER_MENU,
    BridgedCall,
    ChooseClass,
    ClassSummary,
    NextQuestion,
    QuestionOptions,
    RecordForClass,
    RecordLesson,
)
from yachay.flows.weekly_call import WeeklyMore

NODES: list[Node] = [
    *STUDENT_NODES,
    PlacedCall(),
    WeeklyMore(),
    AskConsent(),
    PinEntry(),
    ChangeAdultLanguage(),
    PARENT_MENU,
    ChildrenProgress(),
    CallTime(),
    TeacherCallback(),
    TEACHER_MENU,
    ClassSummary(),
    NextQuestion(),
    QuestionOptions(),
    BridgedCall(),
    RecordLesson(),
    ChooseClass(),
    RecordForClass(),
]

CALL = Engine({node.name: node for node in NODES}, start_node="start")
