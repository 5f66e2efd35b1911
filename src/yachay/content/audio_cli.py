"""`yachay audio ...`: render speech offline for the languages Twilio cannot speak.

Registered on the main CLI with ``cli.add_command(audio)``.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from pathlib import Path

import click

from yachay.config import load_settings
from yachay.content.audio import VOICES, AudioError, AudioStore
from yachay.content.prompts import PromptError, Prompts

__all__ = ["TWILIO_LANGUAGES", "audio", "prompt_texts", "templated_prompts"]

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


@click.group()
def audio() -> None:
    """Offline speech for languages with no Twilio voice (Quechua, Aymara)."""


@audio.command("render")
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
def render(languages: tuple[str, ...], content_dir: Path | None, progress: bool) -> None:
    """Render every prompt to 8 kHz WAV, skipping those already rendered."""
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

    items = prompt_texts(prompts, chosen)
    skipped = templated_prompts(prompts, chosen)
    store = AudioStore(settings.audio_dir)
    try:
        report = store.render_many(items, progress=progress)
    except AudioError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"rendered {report.rendered}, already cached {report.cached}, "
        f"skipped {skipped} with placeholders, in {report.seconds:.1f} s "
        f"({', '.join(chosen) or 'no languages'} -> {store.root})"
    )
