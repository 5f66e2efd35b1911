"""``yachay call``: dial the local server from a terminal, or run a scripted call."""

from __future__ import annotations

import json
import os
import sys
from typing import Any
from urllib.parse import urlsplit

import click

from yachay.phone.keys import KeyPrompt, parse_key, parse_script
from yachay.phone.simulator import PhoneSimulator

_GATHER_HELP = "digits/*/#, Enter or s = stay silent, h = hang up"
_RECORD_HELP = "r = speak 5 s, r7 = speak 7 s, s = stay silent, h = hang up"


def resolve_token(token: str | None, shared_key_id: str | None) -> str:
    """``--token``, else $TWILIO_AUTH_TOKEN, else the development server's token file."""
    if token:
        return token
    if os.environ.get("TWILIO_AUTH_TOKEN"):
        return os.environ["TWILIO_AUTH_TOKEN"]
    from yachay.config import load_settings

    try:
        settings = load_settings()
    except ValueError as exc:
        raise click.UsageError(f"cannot read the settings: {exc}") from None
    if shared_key_id:
        secret = settings.twilio_shared_keys.get(shared_key_id)
        if not secret:
            raise click.UsageError(
                f"no secret for shared key {shared_key_id!r}: pass --token SECRET "
                "or set TWILIO_SHARED_KEYS=keyid:secret"
            )
        return secret
    path = settings.var_dir / "twilio_auth_token"
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    raise click.UsageError(
        f"no auth token: {path} does not exist. Start the server first (`make run`), "
        "which creates it, or pass --token (or set TWILIO_AUTH_TOKEN)."
    )


def _short(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Display:
    """Prints the call as it happens: 🗣 what is said, ▶ what is played."""

    def __init__(self, show_keys: bool = True) -> None:
        # At a terminal the person just typed the key: echoing it again is noise.
        self.show_keys = show_keys

    def __call__(self, event: str, data: Any) -> None:
        if event == "request":
            line = f"→ {data['method']} {_short(data['url'])}  {data['status']}"
            click.echo(click.style(f"{line}  {data['latency_ms']:.1f} ms", dim=True))
        elif event == "verb":
            self.verb(data)
        elif event == "key" and self.show_keys:
            click.echo(click.style(f"⌨  {data}", fg="cyan"))
        elif event == "error":
            click.echo(click.style(f"✗ {data}", fg="red"), err=True)

    def verb(self, verb: dict[str, Any]) -> None:
        name = verb["verb"]
        if name == "Say":
            click.echo(f"🗣  {verb['text']}")
        elif name == "Play":
            said = f"  «{verb['text']}»" if verb.get("text") else ""
            click.echo(f"▶  {verb['url'] or 'digits ' + verb.get('digits', '')}{said}")
        elif name == "Pause":
            click.echo(click.style(f"…  pause {verb['seconds']} s", dim=True))
        elif name == "Redirect":
            method = verb.get("method", "POST")
            click.echo(click.style(f"↪  {method} {_short(verb['url'])}", dim=True))
        elif name == "Dial":
            shown = f" showing {verb['callerId']}" if verb.get("callerId") else ""
            click.echo(f"☎  dial {verb['number']}{shown}")
        elif name == "Hangup":
            click.echo("☎  the server hung up")
        elif name == "Reject":
            click.echo(f"☎  rejected ({verb['reason']})")


class TerminalKeys:
    """Asks the person at the terminal for each key; Ctrl-D or Ctrl-C hangs up."""

    def next_key(self, prompt: KeyPrompt) -> str | None:
        if prompt.kind == "record":
            label, allowed = f"record [{_RECORD_HELP}]", {"record", "silence", "hangup"}
        else:
            label, allowed = f"keys [{_GATHER_HELP}]", {"silence", "hangup"}
            if "digits" in prompt.accepts:
                allowed.add("digits")
            if "v:words" in prompt.accepts:
                allowed.add("speech")
                label = label[:-1] + ", v:words = speak]"
        while True:
            try:
                raw = click.prompt(label, default="", show_default=False, prompt_suffix="> ")
            except click.Abort:
                click.echo()
                return "h"
            raw = raw.strip() or "s"
            try:
                token = parse_key(raw)
            except ValueError as exc:
                click.echo(click.style(str(exc), fg="yellow"))
                continue
            if token.kind in allowed:
                return raw
            click.echo(click.style(f"{raw!r} does not fit here: {label}", fg="yellow"))


@click.command("call")
@click.option(
    "--url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Base URL of the server; the call starts at --path.",
)
@click.option("--path", default="/voice", show_default=True, help="Voice URL path.")
@click.option("--from", "from_number", default="+51987654321", show_default=True)
@click.option("--to", "to_number", default="+5116409999", show_default=True)
@click.option("--keys", help="Scripted caller, comma-separated: digits, s, h, r/r7, v:words.")
@click.option("--json", "as_json", is_flag=True, help="Print the transcript as JSON.")
@click.option("--token", help="Auth token [default: $TWILIO_AUTH_TOKEN, else var/ token].")
@click.option(
    "--shared-key-id", help="Sign with HMAC-SHA256 and this shared key (secret: --token)."
)
@click.option("--fallback-path", help="Request this path with ErrorCode when an answer fails.")
@click.option("--no-status", is_flag=True, help="Do not send the status callback.")
def call(
    url: str,
    path: str,
    from_number: str,
    to_number: str,
    keys: str | None,
    as_json: bool,
    token: str | None,
    shared_key_id: str | None,
    fallback_path: str | None,
    no_status: bool,
) -> None:
    """Dial the server as Twilio would, interactively or with a --keys script.

    \b
    Keys (comma-separated in --keys, one at a time at the prompt):
      1, 12, *, 12#   type keys at a <Gather>
      s               stay silent until the timeout (Enter at the prompt)
      h               hang up
      r, r7           speak 5 (or 7) seconds at a <Record>, then press #
      v:words         say words to a speech <Gather>

    Exits with status 1 when the call had errors (each names its URL).
    """
    if keys is not None:
        try:
            source: Any = parse_script(keys)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--keys") from None
    elif sys.stdin.isatty():
        source = TerminalKeys()
    else:
        raise click.UsageError(
            "stdin is not a terminal: pass a script with --keys, e.g. --keys '1,3,s,r5,h'"
        )
    simulator = PhoneSimulator(
        base_url=url,
        auth_token=resolve_token(token, shared_key_id),
        from_number=from_number,
        to_number=to_number,
        voice_path=path,
        signature_mode="sha256" if shared_key_id else "sha1",
        shared_key_id=shared_key_id,
        fallback_path=fallback_path,
        strict=False,
        send_status=not no_status,
    )
    transcript = simulator.call(source, listener=None if as_json else Display(keys is not None))
    if as_json:
        click.echo(json.dumps(transcript.to_json(), indent=2, ensure_ascii=False))
        for error in transcript.errors:
            click.echo(click.style(f"error: {error}", fg="red"), err=True)
    else:
        click.echo(transcript.summary().split("\n", 1)[0])
        for line in transcript.summary().splitlines()[1:]:
            if not line.startswith("error:"):  # errors were printed as they happened
                click.echo(click.style(line, fg="yellow"))
    if transcript.errors:
        raise click.exceptions.Exit(1)
