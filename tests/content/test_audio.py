import re
import shutil
import stat

import pytest
from click.testing import CliRunner

from yachay.content import audio as audio_module
from yachay.content.audio import (
    AudioError,
    AudioStore,
    UnknownAudio,
    audio_key,
    speech_text,
    wav_info,
)
from yachay.content.audio_cli import audio, prompt_texts
from yachay.content.prompts import Prompts

needs_tools = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng and sox are not on PATH (apt-get install espeak-ng sox); CI installs them",
)

QU_TEXT = "Runasimipaq, iskayta ñit'iy."


def test_keys_are_stable_short_hex():
    key = audio_key("qu", QU_TEXT)
    assert re.fullmatch(r"[0-9a-f]{20}", key)
    assert audio_key("qu", QU_TEXT) == key


def test_keys_differ_by_language_and_text():
    keys = {
        audio_key("qu", QU_TEXT),
        audio_key("ay", QU_TEXT),
        audio_key("qu", QU_TEXT + " "),
        audio_key("qu", "Chayllam."),
    }
    assert len(keys) == 4


def test_keys_change_with_voice_and_renderer(monkeypatch):
    key = audio_key("ay", QU_TEXT)
    monkeypatch.setitem(audio_module.VOICES, "ay", "ay-real-voice")
    assert audio_key("ay", QU_TEXT) != key
    monkeypatch.undo()
    monkeypatch.setattr(audio_module, "RENDERER_VERSION", "next")
    assert audio_key("ay", QU_TEXT) != key


def test_speech_text_fixes_spelling_the_voice_misreads():
    assert speech_text("qu", "ch'usaq t'anta") == "chusaq t'anta"
    assert speech_text("qu", "Ch’usaq") == "Chusaq"
    assert speech_text("ay", "suxta ch'usa") == "sujta chusa"


def test_remember_writes_the_text_once(tmp_path):
    store = AudioStore(tmp_path)
    key = store.remember("qu", QU_TEXT)
    text_file = tmp_path / "qu" / f"{key}.txt"
    assert text_file.read_text(encoding="utf-8") == QU_TEXT
    before = text_file.stat().st_mtime_ns
    assert store.remember("qu", QU_TEXT) == key
    assert text_file.stat().st_mtime_ns == before
    assert [p.name for p in (tmp_path / "qu").iterdir()] == [f"{key}.txt"]  # no temp files


@pytest.mark.parametrize(
    ("language", "key"),
    [("qu", "0" * 19), ("qu", "../" + "0" * 17), ("../qu", "0" * 20), ("qu", "G" * 20)],
)
def test_malformed_keys_are_refused(tmp_path, language, key):
    store = AudioStore(tmp_path)
    with pytest.raises(ValueError):
        store.path(language, key)
    with pytest.raises(KeyError):
        store.render_key(language, key)


def test_render_key_of_unknown_key_is_a_key_error(tmp_path):
    with pytest.raises(UnknownAudio, match="no text remembered"):
        AudioStore(tmp_path).render_key("qu", "0" * 20)


def test_missing_tools_give_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    store = AudioStore(tmp_path / "audio")
    assert not store.available()
    with pytest.raises(AudioError, match="install espeak-ng and sox: apt-get install"):
        store.render("qu", QU_TEXT)
    with pytest.raises(AudioError, match="install espeak-ng and sox"):
        store.render_many([("qu", QU_TEXT)], progress=False)


def test_failing_tool_gives_a_clear_error(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("espeak-ng", "sox"):
        script = bin_dir / tool
        script.write_text("#!/bin/sh\necho 'voice not found' >&2\nexit 3\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))
    store = AudioStore(tmp_path / "audio")
    with pytest.raises(AudioError, match="espeak-ng failed with exit code 3: voice not found"):
        store.render("qu", QU_TEXT)
    leftovers = [p.name for p in (tmp_path / "audio" / "qu").iterdir() if p.suffix != ".txt"]
    assert leftovers == []


def test_unknown_language_has_no_voice(tmp_path):
    with pytest.raises(AudioError, match="no espeak-ng voice"):
        AudioStore(tmp_path).render("xx", "hello")
    assert list(tmp_path.iterdir()) == []


@needs_tools
def test_render_makes_a_phone_wav_and_caches_it(tmp_path):
    store = AudioStore(tmp_path)
    wav = store.render("qu", QU_TEXT)
    assert wav == tmp_path / "qu" / f"{audio_key('qu', QU_TEXT)}.wav"
    rate, channels, width, seconds = wav_info(wav)
    assert (rate, channels, width) == (8000, 1, 2)
    assert seconds > 0.3
    mtime = wav.stat().st_mtime_ns
    assert store.render("qu", QU_TEXT) == wav
    assert wav.stat().st_mtime_ns == mtime
    assert sorted(p.suffix for p in wav.parent.iterdir()) == [".txt", ".wav"]


@needs_tools
def test_remember_then_render_key(tmp_path):
    store = AudioStore(tmp_path)
    text = "Aymar arutaki, kimsaru ñit'im."
    key = store.remember("ay", text)
    assert not store.path("ay", key).exists()
    wav = store.render_key("ay", key)
    assert wav == store.path("ay", key)
    assert wav_info(wav)[0] == 8000
    assert store.render_key("ay", key) == wav
    assert store.render("ay", text) == wav


@needs_tools
def test_render_many_skips_what_is_cached(tmp_path):
    store = AudioStore(tmp_path)
    items = [("qu", "Chayllam."), ("ay", "Walikiwa."), ("qu", "Chayllam.")]
    first = store.render_many(items, progress=False)
    assert (first.rendered, first.cached) == (2, 0)
    again = store.render_many(items, progress=True)
    assert (again.rendered, again.cached) == (0, 2)


def _write_prompts(folder, texts):
    folder.mkdir(parents=True)
    for language, (name, prompts) in texts.items():
        lines = [f"language: {language}", f"name: {name}", "reviewed_by_native_speaker: false"]
        lines.append("prompts:")
        lines += [f'  {key}: "{value}"' for key, value in prompts.items()]
        (folder / f"{language}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


TINY_PROMPTS = {
    "es": ("español", {"hello": "Hola.", "choice": "Si es {text}, marca {key}."}),
    "qu": ("runasimi", {"hello": "Napaykullayki.", "choice": "{text} kaptinqa, {key}ta ñit'iy."}),
    "ay": ("aymar aru", {"hello": "Kamisaki.", "choice": "{text} jaysäwitaki, {key}ru ñit'im."}),
}


def test_prompt_texts_leave_out_placeholders_and_spanish(tmp_path):
    _write_prompts(tmp_path / "prompts", TINY_PROMPTS)
    prompts = Prompts.load(tmp_path / "prompts")
    assert prompt_texts(prompts, ["qu", "ay"]) == [("qu", "Napaykullayki."), ("ay", "Kamisaki.")]


@needs_tools
def test_cli_renders_then_everything_is_cached(tmp_path):
    content = tmp_path / "content"
    _write_prompts(content / "prompts", TINY_PROMPTS)
    env = {"YACHAY_VAR_DIR": str(tmp_path / "var"), "YACHAY_CONTENT_DIR": str(content)}
    runner = CliRunner()

    first = runner.invoke(audio, ["render"], env=env)
    assert first.exit_code == 0, first.output
    assert "rendered 2, already cached 0, skipped 2 with placeholders" in first.output
    wavs = sorted((tmp_path / "var" / "audio").glob("*/*.wav"))
    assert [p.parent.name for p in wavs] == ["ay", "qu"]
    assert all(wav_info(p)[:3] == (8000, 1, 2) for p in wavs)

    again = runner.invoke(audio, ["render", "--no-progress"], env=env)
    assert again.exit_code == 0, again.output
    assert "rendered 0, already cached 2, skipped 2 with placeholders" in again.output

    only_qu = runner.invoke(
        audio, ["render", "--language", "qu", "--content", str(content)], env=env
    )
    assert only_qu.exit_code == 0, only_qu.output
    assert "rendered 0, already cached 1, skipped 1 with placeholders" in only_qu.output


def test_cli_refuses_an_unknown_language(tmp_path):
    content = tmp_path / "content"
    _write_prompts(content / "prompts", TINY_PROMPTS)
    env = {"YACHAY_VAR_DIR": str(tmp_path / "var"), "YACHAY_CONTENT_DIR": str(content)}
    result = CliRunner().invoke(audio, ["render", "-l", "xx"], env=env)
    assert result.exit_code == 2
    assert "no prompts in 'xx'" in result.output


def test_cli_reports_broken_prompts(tmp_path):
    content = tmp_path / "content"
    _write_prompts(content / "prompts", {"qu": TINY_PROMPTS["qu"]})
    env = {"YACHAY_VAR_DIR": str(tmp_path / "var"), "YACHAY_CONTENT_DIR": str(content)}
    result = CliRunner().invoke(audio, ["render"], env=env)
    assert result.exit_code == 1
    assert "cannot load the prompts" in result.output


def test_cli_without_tools_says_how_to_install(tmp_path, monkeypatch):
    content = tmp_path / "content"
    _write_prompts(content / "prompts", TINY_PROMPTS)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    env = {"YACHAY_VAR_DIR": str(tmp_path / "var"), "YACHAY_CONTENT_DIR": str(content)}
    result = CliRunner().invoke(audio, ["render"], env=env)
    assert result.exit_code == 1
    assert "apt-get install espeak-ng sox" in result.output
