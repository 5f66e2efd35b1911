from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.phone.conftest import SHARED_KEY_ID, SHARED_SECRET, TOKEN, TwimlServer
from yachay.phone.cli import TerminalKeys, call
from yachay.phone.keys import KeyPrompt


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def env(tmp_path: Path, **values: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = {
        "TWILIO_AUTH_TOKEN": None,
        "TWILIO_SHARED_KEYS": None,
        "YACHAY_VAR_DIR": str(tmp_path),
    }
    return {**base, **values}


def menu(server: TwimlServer) -> None:
    server.add("/voice", '<Gather action="/menu"><Say>Marca [1]</Say></Gather><Hangup/>')
    server.add("/menu", '<Play>/audio/x.wav</Play><Redirect method="GET">/bye</Redirect>')
    server.add("/audio/x.wav", lambda _r: ("RIFF", 200, {"Content-Type": "audio/wav"}))
    server.add("/bye", "<Say>Adiós</Say><Hangup/>")


def test_scripted_call_prints_what_is_heard(
    server: TwimlServer, runner: CliRunner, tmp_path: Path
) -> None:
    menu(server)
    result = runner.invoke(
        call, ["--url", server.url, "--keys", "1", "--token", TOKEN], env=env(tmp_path)
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "🗣  Marca [1]" in lines
    assert "⌨  1" in lines
    assert f"▶  {server.url}/audio/x.wav" in lines
    assert "🗣  Adiós" in lines
    assert "ended by hangup-verb" in lines[-1]
    assert all(seen.signed for seen in server.seen if not seen.path.startswith("/audio"))


def test_json_output(server: TwimlServer, runner: CliRunner, tmp_path: Path) -> None:
    menu(server)
    result = runner.invoke(
        call,
        ["--url", server.url, "--keys", "1", "--json", "--from", "+51900000001"],
        env=env(tmp_path, TWILIO_AUTH_TOKEN=TOKEN),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["from"] == "+51900000001" and data["ok"] is True
    assert [s["kind"] for s in data["steps"]] == ["voice", "action", "redirect", "status"]
    assert data["steps"][2]["method"] == "GET"
    assert data["steps"][0]["verbs"][0]["key"] == "1"


def test_errors_exit_non_zero_and_name_the_url(
    server: TwimlServer, runner: CliRunner, tmp_path: Path
) -> None:
    server.add("/voice", '<Gather action="/missing"/>')
    result = runner.invoke(
        call, ["--url", server.url, "--keys", "1", "--token", TOKEN], env=env(tmp_path)
    )
    assert result.exit_code == 1
    assert f"11200 HTTP retrieval failure: POST {server.url}/missing answered 404" in result.output

    result = runner.invoke(
        call, ["--url", server.url, "--keys", "1", "--json", "--token", TOKEN], env=env(tmp_path)
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout)["errors"][0].startswith("11200")
    assert "error: 11200" in result.stderr


def test_no_status_and_sha256(server: TwimlServer, runner: CliRunner, tmp_path: Path) -> None:
    server.add("/voice", "<Hangup/>")
    result = runner.invoke(
        call,
        ["--url", server.url, "--keys", "", "--no-status", "--shared-key-id", SHARED_KEY_ID],
        env=env(tmp_path, TWILIO_SHARED_KEYS=f"{SHARED_KEY_ID}:{SHARED_SECRET}"),
    )
    assert result.exit_code == 0, result.output
    assert server.paths() == ["POST /voice"]
    assert server.seen[0].signed and server.seen[0].algorithm == "HMAC_SHA256"


def test_token_from_the_development_file(
    server: TwimlServer, runner: CliRunner, tmp_path: Path
) -> None:
    server.add("/voice", "<Hangup/>")
    args = ["--url", server.url, "--keys", ""]
    result = runner.invoke(call, args, env=env(tmp_path))
    assert result.exit_code == 2
    assert "twilio_auth_token does not exist" in result.output
    assert "make run" in result.output and "--token" in result.output
    (tmp_path / "twilio_auth_token").write_text(TOKEN + "\n")
    result = runner.invoke(call, args, env=env(tmp_path))
    assert result.exit_code == 0, result.output


def test_bad_scripts_and_missing_terminal(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(call, ["--keys", "1,x", "--token", TOKEN], env=env(tmp_path))
    assert result.exit_code == 2 and "'x' is not understood" in result.output
    result = runner.invoke(call, ["--token", TOKEN], env=env(tmp_path))
    assert result.exit_code == 2 and "stdin is not a terminal: pass a script with --keys" in (
        result.output
    )


def test_terminal_keys_check_what_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["r5", "q", "", "12#"])
    monkeypatch.setattr("click.prompt", lambda *a, **k: next(answers))
    gather = KeyPrompt("gather", {}, "http://x/voice", accepts=("digits", "s", "h"))
    assert TerminalKeys().next_key(gather) == "s"  # r5 and q refused, Enter = silence
    assert TerminalKeys().next_key(gather) == "12#"
    answers = iter(["1", "r7"])
    record = KeyPrompt("record", {}, "http://x/voice", accepts=("r", "r7", "s", "h"))
    assert TerminalKeys().next_key(record) == "r7"
