"""`yachay content ...`: commands for the people who write content packs."""

from __future__ import annotations

from pathlib import Path

import click

from yachay.content.loader import PACK_FILE, LoadedPack, PackError, load_pack, load_packs


@click.group("content")
def content() -> None:
    """Content packs: lessons, questions and skills."""


@content.command("validate")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def validate(path: Path) -> None:
    """Check the pack in PATH (a pack folder or its pack.yaml), or every pack in the
    subfolders of PATH, and print each problem as file:line: message."""
    try:
        if path.name == PACK_FILE or (path / PACK_FILE).is_file():
            packs: list[LoadedPack] = [load_pack(path)]
        else:
            packs = load_packs(path)
    except PackError as exc:
        for problem in exc.problems:
            click.echo(str(problem))
        raise SystemExit(1) from None
    lessons = sum(len(pack.lessons) for pack in packs)
    questions = sum(len(pack.questions) for pack in packs)
    skills = sum(len(pack.pack.skills) for pack in packs)
    summary = f"ok: {lessons} lessons, {questions} questions, {skills} skills"
    if len(packs) > 1:
        summary += f" in {len(packs)} packs"
    click.echo(summary)
