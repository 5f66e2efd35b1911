"""`yachay content import`, run as an administrator would, on a temporary SQLite database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import func, select

from yachay.cli import cli
from yachay.content.loader import load_pack
from yachay.db import models as m
from yachay.db.database import Database

HERE = Path(__file__).parent
PACKS = HERE.parents[1] / "content" / "packs"
CONTEO = HERE / "packs_for_stats" / "conteo"
BROKEN = HERE / "broken"


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'yachay.db'}"
    monkeypatch.setenv("YACHAY_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("YACHAY_DATABASE_URL", url)
    return url


@pytest.fixture
def db(database_url: str):  # noqa: ANN201
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def packs(tmp_path: Path) -> Path:
    """A folder of packs to edit, with the small pack of the stats tests."""
    folder = tmp_path / "packs"
    shutil.copytree(CONTEO, folder / "conteo")
    return folder


@pytest.fixture
def with_shipped(packs: Path) -> Path:
    """The same folder with the shipped mathematics pack too."""
    shutil.copytree(PACKS / "matematica-primaria", packs / "matematica-primaria")
    return packs


def run_import(path: Path):
    return CliRunner().invoke(cli, ["content", "import", str(path)])


def summaries(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": skills: " in line]


def edit(path: Path, change) -> None:  # noqa: ANN001
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_import_into_a_fresh_database(with_shipped: Path, db: Database, database_url: str) -> None:
    packs = with_shipped
    result = run_import(packs)
    assert result.exit_code == 0, result.output
    shipped = load_pack(packs / "matematica-primaria")
    conteo = load_pack(packs / "conteo")
    generated = sum(len(e.generated) for e in shipped.lessons)
    assert summaries(result.output) == [
        "conteo: skills: +3 ~0 -0, lessons: +3 ~0 -0, questions: +3 ~0 -0, generated: +4 ~0 -0",
        f"matematica-primaria: skills: +{len(shipped.pack.skills)} ~0 -0, "
        f"lessons: +{len(shipped.lessons)} ~0 -0, questions: +{len(shipped.questions)} ~0 -0, "
        f"generated: +{generated} ~0 -0",
    ]
    added = (
        (3 + 3 + 3 + 4)  # conteo: skills, lessons, questions, generated
        + len(shipped.pack.skills)
        + len(shipped.lessons)
        + len(shipped.questions)
        + generated
    )
    assert result.output.splitlines()[-1] == (
        f"imported 2 packs into {database_url}: {added} added, 0 updated, 0 retired"
    )
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(m.ContentPack)) == 2
        lesson = session.get(m.Lesson, "g1-contar")
        assert (lesson.kind, lesson.languages) == ("lesson", ["es", "qu"])
        assert lesson.translations == {
            "qu": {
                "reviewed_by_native_speaker": False,
                "note": "test draft",
                "variety": "collao",
                "loans": [],
                "doubts": ["test draft"],
            }
        }
        assert lesson.segments[0]["audio"] == {"qu": "conteo/audio/g1-contar-1-qu.wav"}
        assert session.get(m.Lesson, "g1-cuento").kind == "listening"
        items = session.scalars(
            select(m.Question).where(m.Question.template_id == "g3-corrales")
        ).all()
        assert len(items) == len(conteo.lessons[2].generated) == 4
        assert all(q.lesson_id == "g3-multiplicar" and q.grade == 3 for q in items)


def test_reimport_changes_nothing(with_shipped: Path, db: Database, database_url: str) -> None:
    packs = with_shipped
    assert run_import(packs).exit_code == 0
    with db.session() as session:
        before = {q.id: (q.stem, q.position) for q in session.scalars(select(m.Question))}
    again = run_import(packs)
    assert again.exit_code == 0, again.output
    assert all(line.endswith("+0 ~0 -0") for line in summaries(again.output))
    assert again.output.splitlines()[-1] == (
        f"imported 2 packs into {database_url}: nothing changed"
    )
    with db.session() as session:
        after = {q.id: (q.stem, q.position) for q in session.scalars(select(m.Question))}
    assert after == before


def test_a_changed_pack_updates_in_place_and_keeps_progress(packs: Path, db: Database) -> None:
    assert run_import(packs).exit_code == 0
    lessons = packs / "conteo" / "lessons"

    # A student is halfway through g1-contar, has answered its question and a practice item,
    # and has finished the story.
    with db.session() as session:
        student = m.Student(phone="+51900000001", language="qu", grade=1)
        session.add(student)
        session.flush()
        session.add_all(
            [
                m.LessonProgress(student_id=student.id, lesson_id="g1-contar", segment=1),
                m.LessonProgress(
                    student_id=student.id,
                    lesson_id="g1-cuento",
                    segment=1,
                    question=1,
                    answered=1,
                    right=1,
                    completed_at=m.utcnow(),
                ),
            ]
        )
        session.flush()
        for step, (question, lesson) in enumerate(
            [
                ("g1-contar-q1", "g1-contar"),
                ("g1-cuento-q1", "g1-cuento"),
                ("g3-corrales-3-5", None),
            ]
        ):
            session.add(
                m.Answer(
                    student_id=student.id,
                    question_id=question,
                    lesson_id=lesson,
                    choice=2,
                    correct=True,
                    call_sid="CA-import",
                    step=step,
                )
            )
        student_id = student.id

    # The author rewords a segment, takes out the story and its question, drops the
    # template to 2 items, and adds a question.
    def reword(data: dict) -> None:
        data["segments"][1]["text"]["es"] = "Uno, dos, tres, cuatro y cinco: cinco papas."
        data["questions"].append(
            {
                **data["questions"][0],
                "id": "g1-contar-q2",
                "stem": {"es": "¿Qué número va después del cuatro?", "qu": "Tawa qhipanpi?"},
            }
        )

    edit(lessons / "g1-contar.yaml", reword)
    edit(
        packs / "conteo" / "pack.yaml",
        lambda data: data["units"][0]["lessons"].remove("lessons/g1-cuento.yaml"),
    )
    (lessons / "g1-cuento.yaml").unlink()
    edit(lessons / "g3-multiplicar.yaml", lambda data: data["templates"][0].update(count=2))

    result = run_import(packs)
    assert result.exit_code == 0, result.output
    assert len(summaries(result.output)) == 1
    kept = sorted(e.id for e in load_pack(packs / "conteo").lessons[1].generated)
    assert len(kept) == 2
    # g1-contar is reworded and g3-multiplicar moves up a place: both updated. The items
    # a template keeps may move up too, so how many of those are updated varies.
    summary = summaries(result.output)[0]
    assert summary.startswith(
        "conteo: skills: +0 ~0 -0, lessons: +0 ~2 -1, questions: +1 ~0 -1, generated: +0 ~"
    )
    assert summary.endswith(" -2")
    assert result.output.splitlines()[-1].endswith(" retired")

    with db.session() as session:
        progress = session.scalars(
            select(m.LessonProgress)
            .where(m.LessonProgress.student_id == student_id)
            .order_by(m.LessonProgress.lesson_id)
        ).all()
        assert [(p.lesson_id, p.segment, p.completed_at is not None) for p in progress] == [
            ("g1-contar", 1, False),
            ("g1-cuento", 1, True),
        ]
        answers = session.scalars(
            select(m.Answer.question_id).where(m.Answer.student_id == student_id)
        ).all()
        assert sorted(answers) == ["g1-contar-q1", "g1-cuento-q1", "g3-corrales-3-5"]
        assert session.get(m.Lesson, "g1-cuento").retired
        assert session.get(m.Question, "g1-cuento-q1").retired
        assert not session.get(m.Question, "g1-contar-q1").retired
        lesson = session.get(m.Lesson, "g1-contar")
        assert lesson.segments[1]["text"]["es"].startswith("Uno, dos, tres, cuatro y cinco")
        generated = session.scalars(
            select(m.Question).where(m.Question.template_id == "g3-corrales")
        ).all()
        assert sorted(q.id for q in generated if not q.retired) == kept
        assert len([q for q in generated if q.retired]) == 2

    # Putting the story back brings the same rows back to life.
    shutil.copy(CONTEO / "lessons" / "g1-cuento.yaml", lessons / "g1-cuento.yaml")
    shutil.copy(CONTEO / "pack.yaml", packs / "conteo" / "pack.yaml")
    result = run_import(packs)
    assert result.exit_code == 0, result.output
    assert summaries(result.output)[0] == (
        "conteo: skills: +0 ~0 -0, lessons: +0 ~2 -0, questions: +0 ~1 -0, generated: +0 ~0 -0"
    )
    with db.session() as session:
        assert not session.get(m.Lesson, "g1-cuento").retired
        assert (
            session.scalar(
                select(func.count())
                .select_from(m.LessonProgress)
                .where(m.LessonProgress.student_id == student_id)
            )
            == 2
        )


def test_a_pack_with_a_problem_imports_nothing(
    packs: Path, db: Database, database_url: str
) -> None:
    assert run_import(packs / "conteo").exit_code == 0
    edit(
        packs / "conteo" / "lessons" / "g1-contar.yaml",
        lambda data: data["title"].update(es="Otro título"),
    )
    shutil.copytree(BROKEN / "answer-out-of-range", packs / "answer-out-of-range")
    result = run_import(packs)
    assert result.exit_code == 1
    assert result.output == (
        "answer-out-of-range/lessons/g1-contar.yaml:13: question g1-contar-q1: answer is 3, "
        "but there are only 2 choices: use a number from 1 to 2\n"
    )
    with db.session() as session:
        assert session.get(m.Lesson, "g1-contar").title["es"] == "Contamos papas"
        assert session.scalar(select(func.count()).select_from(m.ContentPack)) == 1


def test_nothing_is_written_when_the_only_pack_is_broken(tmp_path: Path, database_url: str):
    result = run_import(BROKEN / "answer-out-of-range")
    assert result.exit_code == 1
    assert not (tmp_path / "var" / "yachay.db").exists()


def test_an_id_of_another_pack_is_refused(packs: Path, db: Database) -> None:
    assert run_import(packs / "conteo").exit_code == 0
    other = packs.parent / "other" / "otro"
    shutil.copytree(CONTEO, other)
    edit(other / "pack.yaml", lambda data: data.update(id="otro"))
    result = run_import(other)
    assert result.exit_code == 1
    assert "otro: skill id 'contar' belongs to pack 'conteo' in the database" in result.output
    assert "otro: lesson id 'g1-contar' belongs to pack 'conteo'" in result.output
    assert "otro: question id 'g3-corrales-2-4' belongs to pack 'conteo'" in result.output
    with db.session() as session:
        assert session.get(m.ContentPack, "otro") is None
        assert session.get(m.Lesson, "g1-contar").pack_id == "conteo"
