"""`yachay call` as a person uses it: a terminal, keys typed at a prompt, the dev token."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

from tests.conftest import start_server, stop_server


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory):  # noqa: ANN001, ANN201
    """A server with no TWILIO_AUTH_TOKEN: it creates the development token under var/."""
    server = start_server(tmp_path_factory.mktemp("dev"), extra_env={"TWILIO_AUTH_TOKEN": ""})
    yield server
    stop_server(server)


class Terminal:
    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
        )
        os.close(slave)
        self.screen = ""

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{text!r} never appeared; the screen:\n{self.screen}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk and self.process.poll() is not None:
                    raise AssertionError(f"exited before {text!r}; the screen:\n{self.screen}")
                self.screen += chunk.decode(errors="replace")
        return self.screen

    def type(self, line: str) -> None:
        os.write(self.master, f"{line}\n".encode())

    def close(self) -> int:
        try:
            return self.process.wait(timeout=20)
        finally:
            os.close(self.master)


def test_an_interactive_call_with_the_development_token(dev_server):
    token_file = dev_server.var_dir / "twilio_auth_token"
    assert token_file.exists() and oct(token_file.stat().st_mode)[-3:] == "600"
    env = {k: v for k, v in os.environ.items() if k != "TWILIO_AUTH_TOKEN"}
    env.update(YACHAY_VAR_DIR=str(dev_server.var_dir), TERM="dumb", NO_COLOR="1")
    term = Terminal(
        [sys.executable, "-m", "yachay", "call", "--url", dev_server.url, "--from", "+51955500001"],
        env,
    )
    term.wait_for("Para español, marca 1.")
    term.wait_for("> ")
    term.type("1")
    term.wait_for("¿En qué grado estás?")
    term.screen = ""
    term.type("")  # Enter: stay silent until the timeout
    term.wait_for("No escuché ninguna tecla.")
    term.type("3")
    term.wait_for("Si estás de acuerdo, marca 1.")
    term.wait_for("> ")
    term.type("1")
    term.wait_for("Para seguir con tu lección, marca 1.")
    term.type("h")
    screen = term.wait_for("completed")
    assert term.close() == 0, screen
