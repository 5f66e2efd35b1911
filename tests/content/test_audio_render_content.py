"""`yachay audio render PATH`: the lesson texts of packs, as the calls will ask for them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from yachay.content.audio import audio_key, wav_info
from yachay.content.audio_cli import audio, lesson_texts
from yachay.content.loader import load_pack
from yachay.content.prompts import Prompts

HERE = Path(__file__).parent
CONTEO = HERE / "packs_for_stats" / "conteo"
ROOT = HERE.parents[1]

needs_tools = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng and sox are not on PATH (apt-get install espeak-ng sox); CI installs them",
)

PROMPTS = {
    "es": ("español", {"hello": "Hola.", "choice": "Si es {text}, marca {key}."}),
    "qu": ("runasimi", {"hello": "Napaykullayki.", "choice": "{text} kaptinqa, {key}ta ñit'iy."}),
    "ay": ("aymar aru", {"hello": "Kamisaki.", "choice": "{text} jaysäwitaki, {key}ru ñit'im."}),
}

#: What a Quechua call says of lesson g1-contar, segment 1 aside: it is recorded.
CONTEO_QU = [
    "Huk, iskay, kimsa, tawa, pichqa. Pichqa papam kachkan.",
    "Hayka papataq kachkan?",
    "kimsa papa kaptinqa, hukta ñit'iy.",
    "pichqa papa kaptinqa, iskayta ñit'iy.",
    "tawa papa kaptinqa, kimsata ñit'iy.",
    "Pichqa papam.",
]


def write_prompts(folder: Path) -> None:
    folder.mkdir(parents=True)
    for language, (name, texts) in PROMPTS.items():
        lines = [f"language: {language}", f"name: {name}", "reviewed_by_native_speaker: false"]
        lines += ["prompts:", *(f'  {key}: "{value}"' for key, value in texts.items())]
        (folder / f"{language}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    write_prompts(content / "prompts")
    return content


def test_lesson_texts_are_what_the_call_says(content_dir: Path) -> None:
    prompts = Prompts.load(content_dir / "prompts")
    found = lesson_texts([load_pack(CONTEO)], prompts, ["qu", "ay"])
    assert found.items == [("qu", text) for text in CONTEO_QU]
    assert found.recorded == 1
    # Choices go through the `choice` prompt, numbers said in the caller's language.
    assert prompts.text("choice", "qu", key=3, text="tawa papa") == CONTEO_QU[4]


def test_the_shipped_prompts_read_choices_the_same_way() -> None:
    prompts = Prompts.load(ROOT / "content" / "prompts")
    found = lesson_texts([load_pack(CONTEO)], prompts, ["qu"])
    expected = prompts.text("choice", "qu", key=1, text="kimsa papa")
    assert ("qu", expected) in found.items


def test_spanish_is_left_to_twilio(content_dir: Path) -> None:
    prompts = Prompts.load(content_dir / "prompts")
    assert lesson_texts([load_pack(CONTEO)], prompts, ["ay"]).items == []


@needs_tools
def test_render_a_pack_then_everything_is_cached(tmp_path: Path, content_dir: Path) -> None:
    env = {"YACHAY_VAR_DIR": str(tmp_path / "var"), "YACHAY_CONTENT_DIR": str(content_dir)}
    runner = CliRunner()

    first = runner.invoke(audio, ["render", str(CONTEO), "--no-progress"], env=env)
    assert first.exit_code == 0, first.output
    # 2 prompts (hello in qu and ay) and 6 lesson texts; choice has placeholders.
    assert first.output.startswith(
        "rendered 8, already cached 0, skipped 2 with placeholders and 1 recorded, in "
    )
    assert "(ay, qu, prompts and 1 pack -> " in first.output
    root = tmp_path / "var" / "audio"
    expected = {f"qu/{audio_key('qu', text)}.wav" for text in CONTEO_QU}
    expected |= {f"qu/{audio_key('qu', 'Napaykullayki.')}.wav"}
    expected |= {f"ay/{audio_key('ay', 'Kamisaki.')}.wav"}
    assert {p.relative_to(root).as_posix() for p in root.glob("*/*.wav")} == expected
    assert all(wav_info(root / name)[:3] == (8000, 1, 2) for name in expected)
    recorded = "Kunan papakunata yupasun, mamaykiq hurqusqan papankunata."
    assert not (root / "qu" / f"{audio_key('qu', recorded)}.wav").exists()

    again = runner.invoke(audio, ["render", str(CONTEO)], env=env)
    assert again.exit_code == 0, again.output
    assert again.output.startswith(
        "rendered 0, already cached 8, skipped 2 with placeholders and 1 recorded, in "
    )


def test_the_default_is_the_content_dirs_packs(tmp_path: Path, content_dir: Path) -> None:
    shutil.copytree(CONTEO, content_dir / "packs" / "conteo")
    env = {"YACHAY_VAR_DIR": str(tmp_path / "var"), "YACHAY_CONTENT_DIR": str(content_dir)}
    # Only Aymara: nothing of the pack is in Aymara, and its prompt is rendered already.
    root = tmp_path / "var" / "audio" / "ay"
    root.mkdir(parents=True)
    (root / f"{audio_key('ay', 'Kamisaki.')}.wav").write_bytes(b"")
    result = CliRunner().invoke(audio, ["render", "-l", "ay"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "rendered 0, already cached 1, skipped 1 with placeholders and 0 recorded, in "
    )
    assert "(ay, prompts and 1 pack -> " in result.output


def test_a_broken_pack_renders_nothing(tmp_path: Path, content_dir: Path) -> None:
    env = {"YACHAY_VAR_DIR": str(tmp_path / "var"), "YACHAY_CONTENT_DIR": str(content_dir)}
    broken = HERE / "broken" / "answer-out-of-range"
    result = CliRunner().invoke(audio, ["render", str(broken)], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("answer-out-of-range/lessons/g1-contar.yaml:13: ")
    assert not (tmp_path / "var" / "audio").exists()
