"""One typed settings object, read from the environment. Nothing else reads os.environ."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

#: Where a checkout keeps its runtime files (database, generated token, audio cache).
DEFAULT_VAR_DIR = Path("var")
#: Packs and prompts shipped with the code.
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite:///{DEFAULT_VAR_DIR / 'yachay.db'}"
    #: Twilio account auth token; signs every webhook (HMAC-SHA1).
    twilio_auth_token: str = ""
    #: Shared keys for HMAC-SHA256 webhook signatures, key id -> secret.
    twilio_shared_keys: Mapping[str, str] = field(default_factory=dict)
    #: Base URL Twilio uses to reach us, e.g. https://yachay.example.org, when behind a proxy.
    public_url: str = ""
    var_dir: Path = DEFAULT_VAR_DIR
    content_dir: Path = DEFAULT_CONTENT_DIR
    #: Voice and language of <Say> for Spanish.
    say_voice: str = "Polly.Mia"
    say_language: str = "es-MX"
    #: Seconds a menu waits for a key, and a lesson segment before it goes on.
    menu_timeout: int = 6
    segment_timeout: int = 2
    question_timeout: int = 10
    record_max_seconds: int = 60
    #: MLflow tracking (and model registry) URI for the tutor model: a tracking server
    #: (http://...) or a database URL; empty means a SQLite store in the var folder.
    mlflow_uri: str = ""
    #: Signs the console's session cookies; empty means one generated into the var folder.
    secret_key: str = ""

    @property
    def audio_dir(self) -> Path:
        return self.var_dir / "audio"

    @property
    def tutor_dir(self) -> Path:
        """Checkpoints of the tutor model and the pointer to the production one."""
        return self.var_dir / "tutor"

    @property
    def mlflow_tracking_uri(self) -> str:
        return self.mlflow_uri or f"sqlite:///{self.var_dir / 'mlflow.db'}"

    def with_overrides(self, overrides: Mapping[str, object]) -> Settings:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
        return replace(self, **overrides)


def _parse_shared_keys(raw: str) -> dict[str, str]:
    keys: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key_id, sep, secret = item.partition(":")
        if not sep or not key_id or not secret:
            raise ValueError(
                "TWILIO_SHARED_KEYS must look like 'keyid:secret,keyid2:secret2'; "
                f"could not read {item!r}"
            )
        keys[key_id] = secret
    return keys


def development_token(var_dir: Path) -> str:
    """The auth token shared by a development server and the simulator, created once."""
    path = var_dir / "twilio_auth_token"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    var_dir = Path(env.get("YACHAY_VAR_DIR", str(DEFAULT_VAR_DIR)))
    settings = Settings(
        database_url=env.get("YACHAY_DATABASE_URL", f"sqlite:///{var_dir / 'yachay.db'}"),
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
        twilio_shared_keys=_parse_shared_keys(env.get("TWILIO_SHARED_KEYS", "")),
        public_url=env.get("YACHAY_PUBLIC_URL", "").rstrip("/"),
        var_dir=var_dir,
        content_dir=Path(env.get("YACHAY_CONTENT_DIR", str(DEFAULT_CONTENT_DIR))),
        say_voice=env.get("YACHAY_SAY_VOICE", Settings.say_voice),
        say_language=env.get("YACHAY_SAY_LANGUAGE", Settings.say_language),
        mlflow_uri=env.get("YACHAY_MLFLOW_URI", ""),
        secret_key=env.get("YACHAY_SECRET_KEY", ""),
    )
    return settings


def resolve_auth_token(settings: Settings) -> Settings:
    """Fill in the development token when no real one is configured."""
    if settings.twilio_auth_token:
        return settings
    return replace(settings, twilio_auth_token=development_token(settings.var_dir))
