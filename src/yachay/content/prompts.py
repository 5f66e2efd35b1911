"""Menu prompts per language, loaded from `content/prompts/<language>.yaml`."""

from __future__ import annotations

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
        """Keys missing in a language, or placeholders that differ from Spanish."""
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
