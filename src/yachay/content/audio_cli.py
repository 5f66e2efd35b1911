"""`yachay audio ...`: render speech offline for the languages Twilio cannot speak.

Registered on the main CLI with ``cli.add_command(audio)``.

``yachay audio render [PATH]`` renders the prompts and every lesson text of the packs in
PATH (default: the packs of the configured content dir), in each language with no Twilio
voice, exactly as a call will ask for them, so that the server finds them already on disk.
A segment with a recording in a language is never rendered in it: recorded audio wins.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import click

from yachay.config import load_settings
from yachay.content.audio import VOICES, AudioError, AudioStore
from yachay.content.cli import load_or_exit
from yachay.content.loader import LoadedPack
from yachay.content.prompts import PromptError, Prompts
from yachay.content.schema import Question

__all__ = [
    "TWILIO_LANGUAGES",
    "LessonTexts",
    "audio",
    "lesson_texts",
    "prompt_texts",
    "templated_prompts",
]

#: Languages Twilio's <Say> speaks; every other prompt language is played from audio files.
TWILIO_LANGUAGES = frozenset({"es"})


def _has_placeholders(template: str) -> bool:
    return any(name is not None for _, name, _, _ in string.Formatter().parse(template))


def prompt_texts(prompts: Prompts, languages: Iterable[str]) -> list[tuple[str, str]]:
    """(language, text) for every prompt without placeholders, in the given languages.

    The texts are exactly what `Prompts.text` gives the server, so the audio keys match.
    Prompts with placeholders are left out: the server renders those on demand.
    """
    items: list[tuple[str, str]] = []
    for language in languages:
        texts = prompts.languages[language].texts
        for key in prompts.keys():
            if not _has_placeholders(texts[key]):
                items.append((language, prompts.text(key, language)))
    return items


def templated_prompts(prompts: Prompts, languages: Iterable[str]) -> int:
    """How many prompts in these languages have placeholders (and so can't be pre-rendered)."""
    return sum(
        1
        for language in languages
        for key in prompts.keys()
        if _has_placeholders(prompts.languages[language].texts[key])
    )


@dataclass
class LessonTexts:
    """What the calls will say of the packs' lessons, in the languages asked for."""

    #: (language, text) exactly as the server names it for `AudioStore.remember`.
    items: list[tuple[str, str]] = field(default_factory=list)
    #: Segment texts left out because a recording of them in that language exists.
    recorded: int = 0


def _question_texts(
    question: Question, language: str, prompts: Prompts
) -> Iterable[tuple[str, str]]:
    """A question as `yachay.flows.lessons.Question` says it: the stem as written, each
    choice through the ``choice`` prompt ("Si tu respuesta es ..., marca 1."), and the
    explanation as written."""
    if language in question.stem:
        yield language, question.stem[language]
    for key, choice in enumerate(question.choices, start=1):
        if language in choice:
            yield language, prompts.text("choice", language, key=key, text=choice[language])
    if language in question.explanation:
        yield language, question.explanation[language]


def lesson_texts(
    packs: Sequence[LoadedPack], prompts: Prompts, languages: Iterable[str]
) -> LessonTexts:
    """The texts of the packs' lessons in each of `languages` that has prompts: segments
    (unless recorded in that language), and the questions and practice items of templates.

    Only what a lesson has a text for in that language is rendered. A caller in another
    language hears the rest in Spanish (Twilio speaks it), except the choices, read
    through the caller's ``choice`` prompt: those the server renders on demand, like the
    prompts with placeholders.
    """
    found = LessonTexts()
    chosen = [language for language in languages if language in prompts.languages]
    for loaded in packs:
        for entry in loaded.lessons:
            lesson = entry.lesson
            for language in chosen:
                for segment in lesson.segments:
                    if language not in segment.text:
                        continue
                    if language in segment.audio:
                        found.recorded += 1
                    else:
                        found.items.append((language, segment.text[language]))
                for question in (*lesson.questions, *entry.generated):
                    found.items.extend(_question_texts(question, language, prompts))
    return found


@click.group()
def audio() -> None:
    """Offline speech for languages with no Twilio voice (Quechua, Aymara)."""


@audio.command("render")
@click.argument(
    "path", required=False, type=click.Path(exists=True, path_type=Path), metavar="[PATH]"
)
@click.option(
    "--language",
    "-l",
    "languages",
    multiple=True,
    metavar="LANG",
    help="Language to render (repeatable). Default: every prompt language Twilio cannot speak.",
)
@click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Content folder holding prompts/ (default: the configured content dir).",
)
@click.option(
    "--progress/--no-progress", default=True, show_default=True, help="Show a progress bar."
)
def render(
    path: Path | None, languages: tuple[str, ...], content_dir: Path | None, progress: bool
) -> None:
    """Render every prompt, and every lesson text of the packs in PATH (a pack folder or a
    folder of packs; default: the content dir's packs), to 8 kHz mono WAV for the phone.

    Texts already rendered are skipped (the cache is keyed by a hash of the text), and so
    are lesson segments recorded in that language: a person's recording always wins."""
    settings = load_settings()
    content_dir = content_dir if content_dir is not None else settings.content_dir
    try:
        prompts = Prompts.load(content_dir / "prompts")
    except (PromptError, OSError) as exc:
        raise click.ClickException(f"cannot load the prompts: {exc}") from exc

    if languages:
        chosen = list(dict.fromkeys(languages))
        for language in chosen:
            if language not in prompts.languages:
                raise click.BadParameter(
                    f"no prompts in {language!r}; found: {', '.join(sorted(prompts.languages))}",
                    param_hint="--language",
                )
            if language not in VOICES:
                raise click.BadParameter(
                    f"no voice for {language!r}; voices: {', '.join(sorted(VOICES))}",
                    param_hint="--language",
                )
    else:
        chosen = [code for code in sorted(prompts.languages) if code not in TWILIO_LANGUAGES]

    if path is None and (content_dir / "packs").is_dir():
        path = content_dir / "packs"
    packs = load_or_exit(path) if path is not None else []
    lessons = lesson_texts(packs, prompts, chosen)

    items = prompt_texts(prompts, chosen) + lessons.items
    skipped = templated_prompts(prompts, chosen)
    store = AudioStore(settings.audio_dir)
    try:
        report = store.render_many(items, progress=progress)
    except AudioError as exc:
        raise click.ClickException(str(exc)) from exc
    pack_count = f"{len(packs)} pack" + ("" if len(packs) == 1 else "s")
    click.echo(
        f"rendered {report.rendered}, already cached {report.cached}, "
        f"skipped {skipped} with placeholders and {lessons.recorded} recorded, "
        f"in {report.seconds:.1f} s "
        f"({', '.join(chosen) or 'no languages'}, prompts and {pack_count} -> {store.root})"
    )
