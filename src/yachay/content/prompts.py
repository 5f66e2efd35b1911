"""Menu prompts per language, loaded from `content/prompts/<language>.yaml`."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from yachay.content.numbers import spoken_number

#: The language every other one is checked against, and the fallback for a missing text.
BASE_LANGUAGE = "es"


class PromptError(ValueError):
    pass


@dataclass(frozen=True)
class PromptLanguage:
    code: str
    name: str
    reviewed_by_native_speaker: bool
    texts: Mapping[str, str]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


#: Prompts read once per choice, one after another: the end of one touches the next.
REPEATED_PROMPTS = frozenset({"choice"})
_WORD = re.compile(r"[^\W\d_]{2,}")


def key_clash(key: str, template: str) -> str | None:
    """Why a prompt that says a key and an answer (``{key}`` and ``{text}``) lets a child
    take a number in the answer for the key, or None.

    A young child presses the number heard: in "1: 3 papas. 2: 5 papas." the 3 sounds
    like the key of the first choice and 2 and 5 run together. So the answer comes first
    and the key last ("Si tu respuesta es 3 papas, marca 1."), with words between them,
    and, for a prompt read once per choice, words between one key and the next answer.
    """
    parts = list(string.Formatter().parse(template))
    names = [name for _, name, _, _ in parts if name]
    if "key" not in names or "text" not in names:
        return None
    if names.index("key") < names.index("text"):
        return (
            "says the key before the answer, so the number heard last is the answer's: say "
            'the answer first and the key last, like "Si tu respuesta es {text}, marca {key}."'
        )
    between = "".join(literal for literal, _ in _literals_between(parts, "text", "key"))
    if not _WORD.search(between):
        return (
            "puts the key right after the answer, so a number in the answer runs into the "
            'key: put words between them, like "Si tu respuesta es {text}, marca {key}."'
        )
    if key in REPEATED_PROMPTS:
        wrap = "".join(literal for literal, _ in _literals_between(parts, "key", None))
        wrap += "".join(literal for literal, _ in _literals_between(parts, None, "text"))
        if not _WORD.search(wrap):
            return (
                "is read once per choice, and the key of one choice runs into the answer of "
                'the next: start the prompt with words, like "Si tu respuesta es {text}, '
                'marca {key}."'
            )
    return None


def _literals_between(
    parts: list[tuple[str, str | None, str | None, str | None]],
    start: str | None,
    stop: str | None,
) -> list[tuple[str, str | None]]:
    """The literal texts after placeholder `start` (None: the beginning) up to placeholder
    `stop` (None: the end), with the name of the placeholder each comes before."""
    found: list[tuple[str, str | None]] = []
    started = start is None
    for literal, name, _, _ in parts:
        if started:
            found.append((literal, name))
            if name is not None and name == stop:
                return found
        if name is not None and name == start:
            started = True
    return found


class Prompts:
    def __init__(self, languages: Mapping[str, PromptLanguage]):
        if BASE_LANGUAGE not in languages:
            raise PromptError(f"the prompts have no {BASE_LANGUAGE!r} file")
        self._languages = dict(languages)

    @classmethod
    def load(cls, directory: Path) -> Prompts:
        languages: dict[str, PromptLanguage] = {}
        for path in sorted(directory.glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            try:
                code = data["language"]
                texts = {str(k): str(v).strip() for k, v in data["prompts"].items()}
                languages[code] = PromptLanguage(
                    code=code,
                    name=str(data["name"]),
                    reviewed_by_native_speaker=bool(data["reviewed_by_native_speaker"]),
                    texts=texts,
                )
            except (KeyError, TypeError, AttributeError) as exc:
                raise PromptError(
                    f"{path}: needs 'language', 'name', 'reviewed_by_native_speaker' "
                    f"and a 'prompts' mapping ({exc})"
                ) from exc
        prompts = cls(languages)
        problems = prompts.problems()
        if problems:
            raise PromptError("; ".join(problems))
        return prompts

    def problems(self) -> list[str]:
        """Keys missing in a language, placeholders that differ from Spanish, and prompts
        that let a key run into an answer (`key_clash`)."""
        base = self._languages[BASE_LANGUAGE].texts
        found = []
        for code, lang in sorted(self._languages.items()):
            for key, text in base.items():
                if key not in lang.texts:
                    found.append(f"prompt {key!r} is missing in {code}")
                elif _placeholders(lang.texts[key]) != _placeholders(text):
                    found.append(
                        f"prompt {key!r} in {code} has placeholders "
                        f"{sorted(_placeholders(lang.texts[key]))}, "
                        f"expected {sorted(_placeholders(text))}"
                    )
            for key in sorted(set(lang.texts) - set(base)):
                found.append(f"prompt {key!r} in {code} is not in {BASE_LANGUAGE}")
            for key, text in sorted(lang.texts.items()):
                if clash := key_clash(key, text):
                    found.append(f"prompt {key!r} in {code} {clash}")
        return found

    @property
    def languages(self) -> Mapping[str, PromptLanguage]:
        return self._languages

    def only(self, languages: Iterable[str]) -> Prompts:
        """These prompts in the given languages alone (Spanish always stays)."""
        keep = {*languages, BASE_LANGUAGE}
        return Prompts({code: lang for code, lang in self._languages.items() if code in keep})

    def keys(self) -> list[str]:
        return sorted(self._languages[BASE_LANGUAGE].texts)

    def text(self, key: str, language: str, /, **values: object) -> str:
        lang = self._languages.get(language, self._languages[BASE_LANGUAGE])
        template = lang.texts[key]
        spoken = {
            name: spoken_number(value, lang.code) if isinstance(value, int) else value
            for name, value in values.items()
        }
        return template.format(**spoken)


#: How many folders above a validated path are searched for ``prompts/`` (``content/packs``
#: finds ``content/prompts``).
_PROMPTS_SEARCH_DEPTH = 3


def find_prompts(path: Path) -> Path | None:
    """The ``prompts`` folder beside or above a pack path, or None."""
    start = Path(path).resolve()
    for folder in [start, *start.parents][:_PROMPTS_SEARCH_DEPTH]:
        if (folder / "prompts").is_dir():
            return folder / "prompts"
    return None


def prompt_file_problems(directory: Path) -> list[str]:
    """Every problem of the prompt files in `directory` as ``prompts/<file>:line: message``
    (for ``yachay content validate``): files that do not load, and prompts that let a key
    run into an answer, at the line of the prompt."""
    shown = Path(directory.name)
    found: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines()
        try:
            data = yaml.safe_load("\n".join(lines)) or {}
            texts = {str(k): str(v) for k, v in data["prompts"].items()}
        except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
            found.append(f"{(shown / path.name).as_posix()}:1: cannot read the prompts ({exc})")
            continue
        for key, text in texts.items():
            clash = key_clash(key, text)
            if clash is None:
                continue
            line = next(
                (n for n, raw in enumerate(lines, 1) if re.match(rf"\s*{re.escape(key)}\s*:", raw)),
                1,
            )
            found.append(f"{(shown / path.name).as_posix()}:{line}: prompt {key!r} {clash}")
    return found
