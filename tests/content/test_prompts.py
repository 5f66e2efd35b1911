import shutil
import string
from pathlib import Path

import pytest
from click.testing import CliRunner

from yachay.config import DEFAULT_CONTENT_DIR
from yachay.content.cli import content as content_cli
from yachay.content.prompts import PromptError, Prompts, key_clash

PROMPTS_DIR = DEFAULT_CONTENT_DIR / "prompts"
STATS_PACK = Path(__file__).parent / "packs_for_stats" / "conteo"


@pytest.fixture(scope="module")
def prompts():
    return Prompts.load(PROMPTS_DIR)


def test_all_languages_load_without_problems(prompts):
    assert set(prompts.languages) >= {"es", "qu", "ay"}
    assert prompts.problems() == []


@pytest.mark.parametrize("language", ["qu", "ay"])
def test_drafts_are_marked_unreviewed(prompts, language):
    assert prompts.languages[language].reviewed_by_native_speaker is False
    header = (PROMPTS_DIR / f"{language}.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("#") and "UNREVIEWED" in header


@pytest.mark.parametrize("language", ["qu", "ay"])
def test_same_keys_as_spanish(prompts, language):
    assert set(prompts.languages[language].texts) == set(prompts.languages["es"].texts)


def test_choice_uses_quechua_number_word(prompts):
    assert (
        prompts.text("choice", "qu", key=2, text="x") == "Kutichiyniyki x kaptinqa, iskayta ñit'iy."
    )


def test_choice_uses_aymara_number_word(prompts):
    assert prompts.text("choice", "ay", key=3, text="x") == "x jaysäwitaki, kimsaru ñit'im."


def test_spanish_keeps_digits(prompts):
    assert prompts.text("choice", "es", key=2, text="x") == "Si tu respuesta es x, marca 2."


def test_language_menu_entries_name_their_key_in_words(prompts):
    assert "iskay" in prompts.text("choose_language", "qu")
    assert "Runasimi" in prompts.text("choose_language", "qu")
    assert "kimsa" in prompts.text("choose_language", "ay")
    assert "Aymar" in prompts.text("choose_language", "ay")


@pytest.mark.parametrize("language", ["qu", "ay"])
def test_no_digits_in_played_prompts(prompts, language):
    # Quechua and Aymara prompts are spoken by an offline voice: numbers must be words.
    for key in prompts.keys():
        template = prompts.languages[language].texts[key]
        assert not any(ch.isdigit() for ch in template), (key, template)


#: Spanish loans the drafts keep (see the comments atop qu.yaml and ay.yaml): the only words
#: allowed an e or an o.
LOAN_STEMS = (
    "grado",
    "telefono",
    "tono",
    "menu",
    "semana",
    "tekla",
    "numeral",
    "asterisku",
    "hora",
    "minuto",
    "numero",
    "clave",
)


@pytest.mark.parametrize("language", ["qu", "ay"])
def test_official_alphabet_keeps_native_words_to_three_vowels(prompts, language):
    for key in prompts.keys():
        text = prompts.text(key, language, **_sample_values(prompts, key))
        for word in text.replace(",", " ").replace(".", " ").split():
            word = word.strip("¡!¿?:;").lower()
            if not any(stem in word for stem in LOAN_STEMS):
                assert not set(word) & set("eo"), (key, word)


NUMBER_FIELDS = {"key", "grade", "number", "right", "total", "lessons", "answered"}


def _sample_values(prompts, key):
    template = prompts.languages["es"].texts[key]
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return {name: 3 if name in NUMBER_FIELDS else "Ana" for name in names}


@pytest.mark.parametrize("language", ["qu", "ay"])
def test_every_prompt_formats(prompts, language):
    for key in prompts.keys():
        text = prompts.text(key, language, **_sample_values(prompts, key))
        assert text and "{" not in text


# --- choices a child cannot mishear ---------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("{key}: {text}.", "says the key before the answer"),
        ("Marca {key} si es {text}.", "says the key before the answer"),
        ("{text}: {key}.", "puts the key right after the answer"),
        ("{text}, 2 {key}.", "puts the key right after the answer"),
        ("{text} es la {key}", "is read once per choice"),
    ],
)
def test_a_choice_prompt_that_lets_a_key_touch_an_answer_is_refused(template, why):
    assert key_clash("choice", template).startswith(why)


@pytest.mark.parametrize(
    "template",
    [
        "Si tu respuesta es {text}, marca {key}.",
        "Kutichiyniyki {text} kaptinqa, {key}ta ñit'iy.",
        "{text} jaysäwitaki, {key}ru ñit'im.",
        "Marca {key}.",  # no answer in it
    ],
)
def test_answer_first_key_last_with_words_between_is_accepted(template):
    assert key_clash("choice", template) is None


def test_a_prompt_read_once_may_start_with_the_answer():
    # Only `choice` is read several times in a row.
    assert key_clash("answer_wrong", "{text} era la respuesta; la marcas con el {key}.") is None
    assert key_clash("choice", "{text} era la respuesta; la marcas con el {key}.") is not None


def test_every_shipped_prompt_reads_the_answer_before_its_key(prompts):
    for code, language in prompts.languages.items():
        for key, text in language.texts.items():
            assert key_clash(key, text) is None, (code, key)
        heard = prompts.text("choice", code, key=1, text="3 papas")
        key = "1" if code == "es" else {"qu": "hukta", "ay": "mayaru"}[code]
        assert heard.index("3 papas") < heard.index(key), (code, heard)


def test_loading_refuses_a_clashing_prompt(tmp_path):
    folder = tmp_path / "prompts"
    shutil.copytree(PROMPTS_DIR, folder)
    path = folder / "qu.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            'choice: "Kutichiyniyki {text} kaptinqa, {key}ta ñit\'iy."', 'choice: "{key}: {text}."'
        ),
        encoding="utf-8",
    )
    with pytest.raises(PromptError, match="prompt 'choice' in qu says the key before the answer"):
        Prompts.load(folder)


def test_validate_refuses_a_clashing_prompt_beside_the_packs(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(PROMPTS_DIR, content / "prompts")
    shutil.copytree(STATS_PACK, content / "packs" / "conteo")
    path = content / "prompts" / "es.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, raw in enumerate(lines, 1) if raw.startswith("  choice:"))
    lines[line - 1] = '  choice: "{key}: {text}."'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(content_cli, ["validate", str(content / "packs")])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"prompts/es.yaml:{line}: prompt 'choice' says the key before the answer, so the "
        "number heard last is the answer's: say the answer first and the key last, like "
        '"Si tu respuesta es {text}, marca {key}."'
    ]
    lines[line - 1] = '  choice: "Si es {text}, marca {key}."'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(content_cli, ["validate", str(content / "packs")])
    assert result.exit_code == 0, result.output
