"""`yachay content ...`: commands for the people who write content packs.

- ``validate PATH``: every problem as ``file:line: message`` (exit 1), or a one-line summary.
- ``import PATH``: the packs into the database (:mod:`yachay.cli.content_import`).
- ``stats PATH [--json]``: what the packs hold, as tables or as one JSON object.
- ``coverage PATH [--json]``: what the lessons cover of the curriculum registry
  (``content/curriculum.yaml``): grade x competency, and the desempeños no lesson teaches.

PATH is a pack folder (or its ``pack.yaml``) or a folder whose subfolders are packs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from yachay.content.loader import PACK_FILE, LoadedPack, PackError, load_pack, load_packs

PACK_PATH = click.Path(exists=True, path_type=Path)


@click.group("content")
def content() -> None:
    """Content packs: lessons, questions and skills."""


def load_path(path: Path) -> list[LoadedPack]:
    """The pack in `path`, or every pack in its subfolders; `PackError` if any is wrong."""
    if path.name == PACK_FILE or (path / PACK_FILE).is_file():
        return [load_pack(path)]
    return load_packs(path)


def load_or_exit(path: Path) -> list[LoadedPack]:
    """`load_path`, or print each problem as ``file:line: message`` and exit with 1."""
    try:
        return load_path(path)
    except PackError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        raise SystemExit(1) from None


@content.command("validate")
@click.argument("path", type=PACK_PATH)
def validate(path: Path) -> None:
    """Check the pack in PATH (a pack folder or its pack.yaml), or every pack in the
    subfolders of PATH, and print each problem as file:line: message."""
    packs = load_or_exit(path)
    _exit_on_prompt_problems(path)
    lessons = sum(len(pack.lessons) for pack in packs)
    questions = sum(len(pack.questions) for pack in packs)
    skills = sum(len(pack.pack.skills) for pack in packs)
    templates = sum(len(entry.lesson.templates) for pack in packs for entry in pack.lessons)
    generated = sum(len(entry.generated) for pack in packs for entry in pack.lessons)
    warnings = [warning for pack in packs for warning in pack.warnings]
    for warning in warnings:
        click.echo(f"{warning.file.as_posix()}:{warning.line}: warning: {warning.message}")
    summary = f"ok: {lessons} lessons, {questions} questions"
    if templates:
        noun = "template" if templates == 1 else "templates"
        summary += f" (and {generated} practice items from {templates} {noun})"
    summary += f", {skills} skills"
    if len(packs) > 1:
        summary += f" in {len(packs)} packs"
    if warnings:
        summary += f"; {len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
    click.echo(summary)


def _exit_on_prompt_problems(path: Path) -> None:
    """The menu prompts beside the packs (``content/prompts`` for ``content/packs``) are
    validated too: a choice prompt that lets a key run into an answer is refused."""
    from yachay.content.prompts import find_prompts, prompt_file_problems

    folder = find_prompts(path.parent if path.name == PACK_FILE else path)
    problems = prompt_file_problems(folder) if folder is not None else []
    for problem in problems:
        click.echo(problem)
    if problems:
        raise SystemExit(1)


@content.command("stats")
@click.argument("path", type=PACK_PATH)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
def stats_command(path: Path, as_json: bool) -> None:
    """What the pack(s) in PATH hold: lessons, questions (hand-written and generated),
    skills, templates, estimated listening minutes, per grade and per language."""
    from yachay.content.stats import pack_stats

    numbers = pack_stats(load_or_exit(path))
    if as_json:
        click.echo(json.dumps(numbers, ensure_ascii=False, indent=2))
        return
    _print_tables(numbers)


@content.command("coverage")
@click.argument("path", type=PACK_PATH)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option(
    "--curriculum",
    "curriculum_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The registry to report on (default: the curriculum.yaml the packs use).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 if a grade and competency has no lesson or a desempeño is taught by none.",
)
def coverage_command(path: Path, as_json: bool, curriculum_file: Path | None, strict: bool) -> None:
    """What the lessons of the pack(s) in PATH cover of the CNEB curriculum: per grade and
    competency the lessons, questions, templates and minutes taught, and the desempeños no
    lesson teaches."""
    from yachay.content.coverage import coverage, coverage_text
    from yachay.content.curriculum import find_curriculum, load_curriculum

    packs = load_or_exit(path)
    try:
        curriculum = load_curriculum(curriculum_file or find_curriculum(packs[0].folder))
    except PackError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        raise SystemExit(1) from None
    report = coverage(packs, curriculum)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(coverage_text(report))
    empty = any(not c["lessons"] for row in report["cells"].values() for c in row.values())
    if strict and (empty or report["untaught"]):
        raise SystemExit(1)


def _print_tables(numbers: dict[str, Any]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)

    def table(title: str, *columns: str) -> Table:
        made = Table(
            title=title,
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            collapse_padding=True,
        )
        made.add_column(columns[0])
        for name in columns[1:]:
            made.add_column(name, justify="right")
        return made

    totals = table(f"Content: {', '.join(numbers['packs'])}", "", "total")
    for label, value in (
        ("lessons", numbers["lessons"]),
        ("  stories (listening)", numbers["listening_lessons"]),
        ("questions", numbers["questions"]),
        ("  hand-written", numbers["hand_written_questions"]),
        ("  generated", numbers["generated_questions"]),
        ("templates", numbers["templates"]),
        ("skills", numbers["skills"]),
        ("segments", numbers["segments"]),
        ("minutes", f"{numbers['minutes']:.1f}"),
    ):
        totals.add_row(label, str(value))
    console.print(totals)

    grades = table(
        "Per grade",
        "grade",
        "lessons",
        "stories",
        "questions",
        "generated",
        "templates",
        "skills",
        "minutes",
    )
    for number, row in numbers["grades"].items():
        grades.add_row(
            number,
            *(
                str(row[name])
                for name in (
                    "lessons",
                    "listening_lessons",
                    "hand_written_questions",
                    "generated_questions",
                    "templates",
                    "skills",
                )
            ),
            f"{row['minutes']:.1f}",
        )
    console.print(grades)

    languages = table(
        "Per language", "language", "lessons", "segments", "recorded", "questions", "minutes"
    )
    for code, row in numbers["languages"].items():
        languages.add_row(
            code,
            str(row["lessons"]),
            f"{row['segments_with_text']}/{numbers['segments']}",
            str(row["segments_with_audio"]),
            str(row["questions_with_text"]),
            f"{row['minutes']:.1f}",
        )
    console.print(languages)
    rates = sorted(set(numbers["words_per_second"].values()))
    console.print(
        "Per grade, questions are the hand-written ones; generated: practice items from "
        "templates; stories: listening lessons.\n"
        "Per language: lessons in it, segments with a text in it, segments recorded in it "
        "(recordings win over synthesis), questions with a text in it.\n"
        f"Minutes are estimated at {' to '.join(f'{rate:g}' for rate in rates)} words a "
        "second (stories slower): every segment, and every hand-written question with its "
        "choices."
    )
