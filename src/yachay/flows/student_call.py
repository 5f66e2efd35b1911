"""The student's nodes. The call every caller makes, these and the adults' and consent
nodes, is `yachay.flows.call.CALL`; `STUDENT_CALL` alone cannot route a parent or teacher."""

from __future__ import annotations

from yachay.flows.callers import ChooseGrade, ChooseLanguage, Start, WhoIsCalling
from yachay.flows.class_messages import ClassMessages
from yachay.flows.engine import Engine, Node
from yachay.flows.lessons import Question, Segment, StartLesson, StoryAgain
from yachay.flows.student_menu import (
    MAIN_MENU,
    AskTeacher,
    ChangeLanguage,
    Goodbye,
    Practice,
    Progress,
)

NODES: list[Node] = [
    Start(),
    WhoIsCalling(),
    ChooseLanguage(),
    ChooseGrade(),
    ClassMessages(),
    MAIN_MENU,
    StartLesson(),
    Segment(),
    StoryAgain(),
    Question(),
    Practice(),
    Progress(),
    AskTeacher(),
    ChangeLanguage(),
    Goodbye(),
]

STUDENT_CALL = Engine({node.name: node for node in NODES}, start_node="start")
