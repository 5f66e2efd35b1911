from __future__ import annotations

import pytest
from twilio.request_validator import HMAC_SHA256, RequestValidator

from tests.phone.conftest import SHARED_KEY_ID, SHARED_SECRET, TOKEN, TwimlServer
from yachay.phone.keys import KeyPrompt, ScriptedKeys, as_key_source, parse_key, parse_script
from yachay.phone.signing import Signer, with_query


@pytest.mark.parametrize(
    ("token", "kind", "detail"),
    [
        ("1", "digits", "1"),
        ("12#", "digits", "12#"),
        ("*", "digits", "*"),
        ("s", "silence", None),
        ("H", "hangup", None),
        ("r", "record", 5),
        ("r7", "record", 7),
        ("v:sí, claro", "speech", "sí, claro"),
    ],
)
def test_key_grammar(token: str, kind: str, detail: object) -> None:
    parsed = parse_key(token)
    assert parsed.kind == kind
    if kind == "digits":
        assert parsed.digits == detail
    if kind == "record":
        assert parsed.seconds == detail
    if kind == "speech":
        assert parsed.speech == detail


@pytest.mark.parametrize("token", ["", "x", "1a", "rr", "v:", "12 3"])
def test_bad_keys_say_what_is_accepted(token: str) -> None:
    with pytest.raises(ValueError, match="digits"):
        parse_key(token)


def test_recordings_last_at_least_a_second() -> None:
    with pytest.raises(ValueError, match="at least 1 second"):
        parse_key("r0")


def test_scripts_are_comma_separated_and_checked() -> None:
    assert parse_script("1, 3,s ,r5,h") == ["1", "3", "s", "r5", "h"]
    assert parse_script("") == []
    with pytest.raises(ValueError, match="#2 .* empty"):
        parse_script("1,,2")
    with pytest.raises(ValueError, match="'q'"):
        parse_script("1,q")


def test_key_sources() -> None:
    prompt = KeyPrompt("gather", {}, "http://x/voice")
    scripted = as_key_source("1,s")
    assert isinstance(scripted, ScriptedKeys)
    assert [scripted.next_key(prompt) for _ in range(3)] == ["1", "s", None]
    assert as_key_source(lambda p: "9").next_key(prompt) == "9"
    assert as_key_source(iter(["2"])).next_key(prompt) == "2"
    with pytest.raises(ValueError):
        as_key_source(["1", "nope"])


def test_signature_matches_the_twilio_library_vector() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    headers = Signer("12345").headers("https://mycompany.com/myapp.php?foo=1&bar=2", params)
    assert headers == {"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="}


def test_sha256_signature_announces_its_key() -> None:
    url, params = "https://example.org/voice", {"CallSid": "CA1"}
    headers = Signer(SHARED_SECRET, "sha256", SHARED_KEY_ID).headers(url, params)
    assert headers["X-Twilio-Webhooks-Signature-Settings"] == (
        f"key={SHARED_KEY_ID},algorithm=HMAC_SHA256"
    )
    validator = RequestValidator(SHARED_SECRET)
    assert validator.validate(url, params, headers["X-Twilio-Signature"], HMAC_SHA256)


def test_signer_refuses_incomplete_settings() -> None:
    with pytest.raises(ValueError, match="shared_key_id"):
        Signer("secret", "sha256")
    with pytest.raises(ValueError, match="token"):
        Signer("")
    with pytest.raises(ValueError, match="sha1"):
        Signer("secret", "md5")  # type: ignore[arg-type]


def test_get_parameters_join_an_existing_query() -> None:
    assert with_query("http://x/a", {"From": "+51 1"}) == "http://x/a?From=%2B51+1"
    assert with_query("http://x/a?step=2", {"B": "1"}) == "http://x/a?step=2&B=1"


def test_every_request_is_signed_for_the_server(server: TwimlServer) -> None:
    server.add("/voice", '<Gather action="/menu?step=2"><Say>Marca</Say></Gather>')
    server.add("/menu", "<Hangup/>")
    server.simulator().call(["1"])
    assert server.paths() == ["POST /voice", "POST /menu", "POST /voice/status"]
    assert all(seen.signed for seen in server.seen)
    assert server.seen[1].url.endswith("/menu?step=2")


def test_sha256_mode_reaches_a_server_that_checks_it(server: TwimlServer) -> None:
    server.add("/voice", "<Say>Hola</Say>")
    simulator = server.simulator(
        auth_token=SHARED_SECRET, signature_mode="sha256", shared_key_id=SHARED_KEY_ID
    )
    simulator.call([])
    assert [(s.signed, s.algorithm) for s in server.seen] == [(True, HMAC_SHA256)] * 2


def test_a_wrong_token_is_refused_with_a_clear_error(server: TwimlServer) -> None:
    server.add("/voice", "<Say>Hola</Say>")
    transcript = server.simulator(auth_token=TOKEN + "x").call([], strict=False)
    assert transcript.ended_by == "error"
    assert "11200" in transcript.errors[0]
    assert "answered 403" in transcript.errors[0]
    assert f"POST {server.url}/voice" in transcript.errors[0]
    assert "bad signature" in transcript.errors[0]
