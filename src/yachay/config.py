"""One typed settings object, read from the environment. Nothing else reads os.environ."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import partial
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: This package's folder; in a source checkout it sits at ``<checkout>/src/yachay``.
PACKAGE_DIR = Path(__file__).resolve().parent
#: Packs and prompts shipped with the code.
DEFAULT_CONTENT_DIR = PACKAGE_DIR.parents[1] / "content"
#: The SQLite file in the var folder when no database URL is set.
DATABASE_FILE = "yachay.db"
#: How log lines are written (YACHAY_LOG_FORMAT).
LOG_FORMATS = ("text", "json")


def checkout_root(package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The source checkout this package runs from (src layout), or None when installed."""
    src = package_dir.parent
    if src.name == "src" and (src.parent / "pyproject.toml").is_file():
        return src.parent
    return None


def default_var_dir(
    environ: Mapping[str, str] | None = None, package_dir: Path = PACKAGE_DIR
) -> Path:
    """Where runtime files live when YACHAY_VAR_DIR is not set: ``var/`` of the checkout,
    else the user's data folder (``$XDG_DATA_HOME/yachay``, ``~/.local/share/yachay``).

    Never the current directory: a command started from another folder must find the same
    database, token and audio as the server."""
    root = checkout_root(package_dir)
    if root is not None:
        return root / "var"
    env = os.environ if environ is None else environ
    data_home = env.get("XDG_DATA_HOME", "")
    if not Path(data_home).is_absolute():  # the XDG spec says to ignore relative values
        home = env.get("HOME")
        data_home = str((Path(home) if home else Path.home()) / ".local" / "share")
    return Path(data_home) / "yachay"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def pin_sqlite_url(url: str) -> str:
    """A SQLite URL whose file path is relative, made absolute against the current folder
    (once, here); any other URL unchanged."""
    if not url.startswith("sqlite"):
        return url
    parsed = make_url(url)
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return url
    if Path(database).is_absolute():
        return url
    return parsed.set(database=str(Path(database).resolve())).render_as_string(hide_password=False)


def masked_url(url: str) -> str:
    """A database URL fit to print: any password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


@dataclass(frozen=True)
class Settings:
    """Every path is absolute once built (relative ones are resolved against the current
    folder at that moment), so no file moves when a process changes folder and Flask's
    `send_file` never resolves one against the package."""

    #: SQLAlchemy URL; empty means the SQLite file `DATABASE_FILE` in the var folder.
    database_url: str = ""
    #: Twilio account auth token; signs every webhook (HMAC-SHA1).
    twilio_auth_token: str = ""
    #: Shared keys for HMAC-SHA256 webhook signatures, key id -> secret.
    twilio_shared_keys: Mapping[str, str] = field(default_factory=dict)
    #: Base URL Twilio uses to reach us, e.g. https://yachay.example.org, when behind a proxy.
    public_url: str = ""
    #: Addresses of the reverse proxies whose X-Forwarded-Proto/Host are believed; from
    #: anyone else those headers are ignored.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    #: Send each rendered audio's text in an X-Yachay-Text header (the phone simulator
    #: shows it): for development only, never for texts that name a child.
    audio_text_header: bool = False
    #: Limits on what one number can do: a call's length, and answers a minute.
    max_call_minutes: int = 45
    max_answers_per_minute: int = 20
    var_dir: Path = field(default_factory=default_var_dir)
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
    #: Where gunicorn's workers keep their metric values (prometheus_client multiprocess
    #: mode); empty for one process. prometheus_client reads the same variable itself.
    metrics_multiproc_dir: str = ""
    #: "text" (readable lines) or "json" (one object a line, with the CallSid); phone
    #: numbers are masked in both.
    log_format: str = "text"
    #: How often (seconds) a worker measures the tutor's live AUC and ECE for /metrics: it
    #: reads the recent predictions, so not on every scrape.
    live_quality_interval: float = 60.0
    #: Grafana's base URL (https://grafana.example.org), for the console's links to the
    #: dashboards; empty: the console says where the dashboards' files are.
    grafana_url: str = ""
    #: The school's phone number (E.164, a number of the Twilio account): the caller id a
    #: teacher's call to a student shows, never the teacher's own. Empty: no such calls.
    school_number: str = ""
    # -- outbound calls (yachay.outreach) --
    #: The Twilio account that places outbound calls; empty: no outbound calls.
    twilio_account_sid: str = ""
    #: The number outbound calls come from (E.164).
    twilio_from_number: str = ""
    #: Twilio's REST API base URL; another only for a test server standing in for it.
    twilio_api_url: str = "https://api.twilio.com"
    #: A call to this number (the webhook's To) is rejected unanswered and rung back.
    callback_number: str = ""
    #: Broker of the task queue (redis://...); empty: tasks run in the server's own process.
    redis_url: str = ""
    #: Outbound calls per second the Twilio account allows.
    calls_per_second: float = 1.0
    #: Local hours no outbound call is placed in ("HH:MM-HH:MM", may cross midnight).
    quiet_hours: str = "20:30-08:00"
    timezone: str = "America/Lima"
    #: Minutes between tries of an unanswered outbound call (one entry per retry).
    retry_minutes: tuple[int, ...] = (10, 30)
    #: A JSON file of per-minute call rates; empty: the built-in table (outreach/costs.py).
    call_rates_file: str = ""

    def __post_init__(self) -> None:
        pin = partial(object.__setattr__, self)  # frozen: set once, here
        pin("var_dir", Path(self.var_dir).resolve())
        pin("content_dir", Path(self.content_dir).resolve())
        pin("database_url", pin_sqlite_url(self.database_url) or self.default_database_url)
        pin("mlflow_uri", pin_sqlite_url(self.mlflow_uri))

    @property
    def default_database_url(self) -> str:
        return sqlite_url(self.var_dir / DATABASE_FILE)

    @property
    def audio_dir(self) -> Path:
        return self.var_dir / "audio"

    @property
    def tutor_dir(self) -> Path:
        """Checkpoints of the tutor model and the pointer to the production one."""
        return self.var_dir / "tutor"

    @property
    def mlflow_tracking_uri(self) -> str:
        return self.mlflow_uri or sqlite_url(self.var_dir / "mlflow.db")

    def with_overrides(self, overrides: Mapping[str, object]) -> Settings:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
        if (
            "var_dir" in overrides
            and "database_url" not in overrides
            and self.database_url == self.default_database_url
        ):
            # The default database follows the var folder, as YACHAY_VAR_DIR does.
            overrides = {**overrides, "database_url": ""}
        return replace(self, **overrides)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ValueError(f"{name} must be a number of seconds (0 or more), not {raw!r}")
    return value


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
    var_dir = env.get("YACHAY_VAR_DIR")
    settings = Settings(
        database_url=env.get("YACHAY_DATABASE_URL", ""),
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
        twilio_shared_keys=_parse_shared_keys(env.get("TWILIO_SHARED_KEYS", "")),
        public_url=env.get("YACHAY_PUBLIC_URL", "").rstrip("/"),
        var_dir=Path(var_dir) if var_dir else default_var_dir(env),
        content_dir=Path(env.get("YACHAY_CONTENT_DIR", str(DEFAULT_CONTENT_DIR))),
        say_voice=env.get("YACHAY_SAY_VOICE", Settings.say_voice),
        say_language=env.get("YACHAY_SAY_LANGUAGE", Settings.say_language),
        mlflow_uri=env.get("YACHAY_MLFLOW_URI", ""),
        secret_key=env.get("YACHAY_SECRET_KEY", ""),
        metrics_multiproc_dir=env.get("PROMETHEUS_MULTIPROC_DIR", ""),
        log_format=env.get("YACHAY_LOG_FORMAT", Settings.log_format),
        live_quality_interval=_seconds(
            env, "YACHAY_LIVE_QUALITY_INTERVAL", Settings.live_quality_interval
        ),
        grafana_url=env.get("YACHAY_GRAFANA_URL", "").rstrip("/"),
        school_number=env.get("YACHAY_SCHOOL_NUMBER", ""),
        **_outreach_settings(env),
        trusted_proxies=tuple(
            filter(
                None,
                (p.strip() for p in env.get("YACHAY_TRUSTED_PROXIES", "127.0.0.1,::1").split(",")),
            )
        ),
        audio_text_header=env.get("YACHAY_AUDIO_TEXT_HEADER", "") == "1",
        max_call_minutes=int(env.get("YACHAY_MAX_CALL_MINUTES", Settings.max_call_minutes)),
        max_answers_per_minute=int(
            env.get("YACHAY_MAX_ANSWERS_PER_MINUTE", Settings.max_answers_per_minute)
        ),
    )
    if settings.log_format not in LOG_FORMATS:
        raise ValueError(
            f"YACHAY_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, "
            f"not {settings.log_format!r}"
        )
    return settings


def _outreach_settings(env: Mapping[str, str]) -> dict[str, object]:
    read = {
        "twilio_account_sid": env.get("TWILIO_ACCOUNT_SID"),
        "twilio_from_number": env.get("TWILIO_FROM_NUMBER"),
        "twilio_api_url": (env.get("TWILIO_API_URL") or "").rstrip("/") or None,
        "callback_number": env.get("YACHAY_CALLBACK_NUMBER"),
        "redis_url": env.get("YACHAY_REDIS_URL"),
        "quiet_hours": env.get("YACHAY_QUIET_HOURS"),
        "timezone": env.get("YACHAY_TIMEZONE"),
        "call_rates_file": env.get("YACHAY_CALL_RATES_FILE"),
    }
    out: dict[str, object] = {k: v for k, v in read.items() if v is not None}
    if cps := env.get("YACHAY_CALLS_PER_SECOND"):
        try:
            out["calls_per_second"] = float(cps)
        except ValueError:
            raise ValueError(f"YACHAY_CALLS_PER_SECOND must be a number, not {cps!r}") from None
        if out["calls_per_second"] <= 0:  # type: ignore[operator]
            raise ValueError("YACHAY_CALLS_PER_SECOND must be above 0")
    if retries := env.get("YACHAY_RETRY_MINUTES"):
        try:
            out["retry_minutes"] = tuple(int(x) for x in retries.split(",") if x.strip())
        except ValueError:
            raise ValueError(
                f"YACHAY_RETRY_MINUTES must look like '10,30' (minutes), not {retries!r}"
            ) from None
    return out


def resolve_auth_token(settings: Settings) -> Settings:
    """Fill in the development token when no real one is configured."""
    if settings.twilio_auth_token:
        return settings
    return replace(settings, twilio_auth_token=development_token(settings.var_dir))
