"""Versions of the tutor model: MLflow's model registry, and the pointer serving reads.

MLflow is the system of record: each trained model is a version of the registered model
``yachay-tutor`` (its checkpoint is an artifact of the training run), with tags for its
data fingerprint, answers and holdout AUC, and the version in production carries the alias
``production`` (aliases, not MLflow's deprecated stages). The registered model's tag
``yachay.production_history`` keeps the versions that were in production, oldest first, so
:meth:`Registry.rollback` returns to the one before.

Serving does not ask MLflow. Every promotion or rollback also writes
``var/tutor/production.json`` (atomically, with ``os.replace``) naming the version and a
local copy of its checkpoint, ``var/tutor/models/vN.pt``; a web worker stats that file at
most once a second and reloads when it changes. Why a file rather than polling MLflow:
checking costs a ``stat`` (microseconds) in the request path instead of a query to a
database or a tracking server; web workers neither import MLflow (seconds, and a
dependency tree) nor fail when the tracking server is down; and the checkpoint is already on
local disk when the pointer names it. The cost: a change made in MLflow itself (the alias
moved in its UI) reaches serving only through ``yachay tutor sync``, and several hosts
need the var folder shared, or ``yachay tutor sync`` run on each (e.g. from cron).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yachay.config import Settings

if TYPE_CHECKING:
    from mlflow import MlflowClient

__all__ = [
    "MODEL_NAME",
    "PRODUCTION",
    "NothingToRollBack",
    "Pointer",
    "Registry",
    "RegistryError",
    "TutorVersion",
    "UnknownVersion",
    "pointer_path",
    "read_pointer",
    "write_pointer",
]

log = logging.getLogger(__name__)

MODEL_NAME = "yachay-tutor"
PRODUCTION = "production"
HISTORY_TAG = "yachay.production_history"
#: Production versions remembered for rollback.
HISTORY_LENGTH = 50
CHECKPOINT_ARTIFACT = "checkpoint"
CHECKPOINT_FILE = "model.pt"


class RegistryError(Exception):
    """A registry operation that cannot be done; the message says why."""


class UnknownVersion(RegistryError):
    pass


class NothingToRollBack(RegistryError):
    pass


# --- the pointer file (no MLflow here: serving imports this) ------------------------------


@dataclass(frozen=True)
class Pointer:
    """The production model as serving sees it."""

    version: int
    #: The checkpoint, relative to the tutor folder (``models/v3.pt``).
    checkpoint: str
    model_name: str = ""
    fingerprint: str = ""
    promoted_at: str = ""


def pointer_path(tutor_dir: Path) -> Path:
    return tutor_dir / "production.json"


def read_pointer(tutor_dir: Path) -> Pointer | None:
    """The production pointer, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(pointer_path(tutor_dir).read_text())
        return Pointer(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):
        return None


def write_pointer(tutor_dir: Path, pointer: Pointer) -> None:
    """Replace the pointer atomically: a reader sees the old file or the new one."""
    tutor_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=tutor_dir, prefix=".production.", suffix=".json")
    with os.fdopen(fd, "w") as out:
        json.dump(asdict(pointer), out, indent=2)
        out.write("\n")
    os.chmod(tmp, 0o644)  # mkstemp makes it private; web workers may run as another user
    os.replace(tmp, pointer_path(tutor_dir))


# --- versions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TutorVersion:
    version: int
    created: datetime
    run_id: str
    model_name: str
    fingerprint: str
    answers: int | None
    holdout_auc: float | None
    production: bool
    tags: dict[str, str]
    #: The holdout AUC of the skill filter it carries (what decides; None: none).
    filter_holdout_auc: float | None = None

    @property
    def deciding_auc(self) -> float | None:
        """The holdout AUC of what decides on the phone: the filter, else the model. The
        live predictions are that predictor's, so live quality is compared with it."""
        return self.filter_holdout_auc if self.filter_holdout_auc is not None else self.holdout_auc


def _version(mv: Any, production: int | None) -> TutorVersion:
    tags = dict(mv.tags or {})

    def number(key: str, kind: type) -> Any:
        try:
            return kind(tags[key])
        except (KeyError, ValueError):
            return None

    return TutorVersion(
        version=int(mv.version),
        created=datetime.fromtimestamp(mv.creation_timestamp / 1000, UTC),
        run_id=mv.run_id or "",
        model_name=tags.get("model_name", ""),
        fingerprint=tags.get("fingerprint", ""),
        answers=number("answers", int),
        holdout_auc=number("holdout_auc", float),
        filter_holdout_auc=number("filter_holdout_auc", float),
        production=production is not None and int(mv.version) == production,
        tags=tags,
    )


class Registry:
    """Register, list, promote and roll back tutor model versions."""

    def __init__(
        self,
        settings: Settings,
        client: MlflowClient | None = None,
    ) -> None:
        self.settings = settings
        self.tutor_dir = settings.tutor_dir
        self._client = client

    @property
    def client(self) -> MlflowClient:
        if self._client is None:
            from yachay.tutor.tracking import mlflow_client

            self._client = mlflow_client(self.settings)
        return self._client

    # -- reading --

    def versions(self) -> list[TutorVersion]:
        """All versions, newest first."""
        if not self._model_exists():
            return []
        production = self._production_number()
        found = self.client.search_model_versions(f"name='{MODEL_NAME}'")
        return sorted((_version(mv, production) for mv in found), key=lambda v: -v.version)

    def get(self, version: int) -> TutorVersion:
        from mlflow.exceptions import MlflowException

        try:
            mv = self.client.get_model_version(MODEL_NAME, str(version))
        except MlflowException:
            known = ", ".join(str(v.version) for v in self.versions()) or "none yet"
            raise UnknownVersion(
                f"there is no tutor model version {version} (versions: {known})"
            ) from None
        return _version(mv, self._production_number())

    def production(self) -> TutorVersion | None:
        number = self._production_number()
        return None if number is None else self.get(number)

    def history(self) -> list[int]:
        """Versions that were in production, oldest first."""
        if not self._model_exists():
            return []
        raw = self.client.get_registered_model(MODEL_NAME).tags.get(HISTORY_TAG, "[]")
        try:
            return [int(v) for v in json.loads(raw)]
        except (ValueError, TypeError):
            return []

    # -- writing --

    def register(
        self,
        checkpoint: Path,
        run_id: str,
        artifact_uri: str,
        tags: dict[str, Any],
        description: str = "",
    ) -> TutorVersion:
        """A new version from a run whose checkpoint is logged at ``artifact_uri``."""
        if not self._model_exists():
            self.client.create_registered_model(
                MODEL_NAME, description="Knowledge tracing: P(right) of each next question."
            )
        mv = self.client.create_model_version(
            MODEL_NAME,
            source=artifact_uri,
            run_id=run_id,
            tags={k: str(v) for k, v in tags.items()},
            description=description,
        )
        local = self.checkpoint_path(int(mv.version))
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(checkpoint, local)
        return _version(mv, self._production_number())

    def promote(self, version: int) -> TutorVersion:
        """Make ``version`` the production model (and tell serving)."""
        target = self.get(version)
        path = self.ensure_checkpoint(target)
        _check_loadable(path, version)
        self.client.set_registered_model_alias(MODEL_NAME, PRODUCTION, str(version))
        history = self.history()
        if not history or history[-1] != version:
            history.append(version)
        self._save_history(history)
        return self._publish(version)

    def rollback(self) -> tuple[TutorVersion, TutorVersion]:
        """Go back to the production model before the current one: (from, to)."""
        current = self._production_number()
        if current is None:
            raise NothingToRollBack("there is no production model to roll back from")
        history = self.history()
        if not history or history[-1] != current:  # the alias was moved outside yachay
            history.append(current)
        if len(history) < 2:
            raise NothingToRollBack(
                f"version {current} is the only model that has been in production; "
                "there is nothing to roll back to"
            )
        history.pop()
        target = self.get(history[-1])
        path = self.ensure_checkpoint(target)
        _check_loadable(path, target.version)
        self.client.set_registered_model_alias(MODEL_NAME, PRODUCTION, str(target.version))
        self._save_history(history)
        return self.get(current), self._publish(target.version)

    def sync(self) -> TutorVersion | None:
        """Rewrite the local pointer from MLflow's alias (after a change made in MLflow, or
        on another host); returns the production version, None if there is none."""
        number = self._production_number()
        if number is None:
            return None
        self.ensure_checkpoint(self.get(number))
        return self._publish(number)

    # -- checkpoints --

    def checkpoint_path(self, version: int) -> Path:
        return self.tutor_dir / "models" / f"v{version}.pt"

    def ensure_checkpoint(self, version: TutorVersion) -> Path:
        """The local copy of a version's checkpoint, downloaded from MLflow if missing."""
        path = self.checkpoint_path(version.version)
        if path.is_file():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
            try:
                folder = self.client.download_artifacts(version.run_id, CHECKPOINT_ARTIFACT, tmp)
            except Exception as exc:
                raise RegistryError(
                    f"cannot fetch the checkpoint of version {version.version} from MLflow: {exc}"
                ) from exc
            os.replace(Path(folder) / CHECKPOINT_FILE, path)
        return path

    # -- internals --

    def _model_exists(self) -> bool:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(MODEL_NAME)
        except MlflowException:
            return False
        return True

    def _production_number(self) -> int | None:
        from mlflow.exceptions import MlflowException

        try:
            return int(self.client.get_model_version_by_alias(MODEL_NAME, PRODUCTION).version)
        except MlflowException:
            return None

    def _save_history(self, history: list[int]) -> None:
        self.client.set_registered_model_tag(
            MODEL_NAME, HISTORY_TAG, json.dumps(history[-HISTORY_LENGTH:])
        )

    def _publish(self, version: int) -> TutorVersion:
        info = self.get(version)
        pointer = Pointer(
            version=version,
            checkpoint=self.checkpoint_path(version).relative_to(self.tutor_dir).as_posix(),
            model_name=info.model_name,
            fingerprint=info.fingerprint,
            promoted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        write_pointer(self.tutor_dir, pointer)
        return info


def _check_loadable(path: Path, version: int) -> None:
    """Refuse to promote a checkpoint serving could not load."""
    from yachay.tutor.answer_log import Vocabulary
    from yachay.tutor.checkpoint import CheckpointError, load_checkpoint

    try:
        Vocabulary.from_metadata(load_checkpoint(path).metadata)
    except (CheckpointError, ValueError, OSError) as exc:
        raise RegistryError(f"version {version} cannot be served: {exc}") from exc
