"""MLflow, the system of record for tutor models: training runs and the model registry.

Where: ``Settings.mlflow_tracking_uri`` — ``YACHAY_MLFLOW_URI`` (a tracking server,
``http://mlflow:5000``, or a database URL), by default a SQLite store in the var folder,
``sqlite:///var/mlflow.db``, with run artifacts under ``var/tutor/mlartifacts``.

We use ``MlflowClient`` with explicit URIs, never the fluent ``mlflow.*`` API with its
process-wide active run and tracking URI, so two stores (tests, or a server and a CLI in one
process) never meet. MLflow is imported only here and only when a command needs it (it
takes seconds); serving never imports it (see :mod:`yachay.tutor.registry`).

Two things are set before MLflow is imported:

- MLflow's usage telemetry is off unless ``MLFLOW_DISABLE_TELEMETRY`` says otherwise: a
  school district's server does not report to a third party by default. So are its
  artifact download progress bars (``MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR``).
- The one deprecation warning MLflow's SQLAlchemy store raises on import with SQLAlchemy 2.1
  (its models use the ``noload`` loader strategy) is silenced, narrowly, for that import.
"""

from __future__ import annotations

import functools
import logging
import os
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from yachay.config import Settings
from yachay.tutor.train import Callback, Trainer

if TYPE_CHECKING:
    from mlflow import MlflowClient

__all__ = ["EXPERIMENT", "EpochLogger", "experiment_id", "mlflow_client", "uses_local_store"]

EXPERIMENT = "yachay-tutor"

log = logging.getLogger(__name__)


@functools.cache
def _mlflow() -> ModuleType:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    # Its download progress bars would land in the middle of a command's output.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r"The ``noload`` loader strategy is deprecated",
            category=DeprecationWarning,
        )
        import mlflow
        import mlflow.store.model_registry.sqlalchemy_store  # noqa: F401
        import mlflow.store.tracking.sqlalchemy_store  # noqa: F401
    return mlflow


def uses_local_store(uri: str) -> bool:
    """A database or file store we open ourselves (not a tracking server)."""
    return not uri.startswith(("http://", "https://", "databricks"))


def mlflow_client(settings: Settings) -> MlflowClient:
    """A client on the configured tracking store (also the model registry)."""
    mlflow = _mlflow()
    uri = settings.mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        path = uri.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def experiment_id(client: MlflowClient, settings: Settings, name: str = EXPERIMENT) -> str:
    """The id of the tutor experiment (or another one, ``name``), created on first use.

    With a local store, run artifacts (the checkpoints) go under ``var/tutor/mlartifacts``
    rather than MLflow's default ``./mlruns`` of whatever folder the command ran in; a
    tracking server keeps its own artifact root.
    """
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    location = None
    if uses_local_store(settings.mlflow_tracking_uri):
        location = str((settings.tutor_dir / "mlartifacts").resolve())
    return client.create_experiment(name, artifact_location=location)


def log_values(
    client: MlflowClient,
    run_id: str,
    *,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, Any] | None = None,
    step: int = 0,
) -> None:
    """Log params, metrics and tags of a run in one batch (values are stringified)."""
    entities = _mlflow().entities
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[entities.Metric(k, float(v), now, step) for k, v in (metrics or {}).items()],
        params=[entities.Param(k, str(v)[:6000]) for k, v in (params or {}).items()],
        tags=[entities.RunTag(k, str(v)) for k, v in (tags or {}).items()],
    )


class EpochLogger(Callback):
    """Log each epoch's training loss and validation metrics to the run, by epoch."""

    def __init__(self, client: MlflowClient, run_id: str) -> None:
        self.client = client
        self.run_id = run_id

    def on_epoch_end(self, trainer: Trainer, logs: dict[str, float]) -> None:
        metrics = {k: v for k, v in logs.items() if k != "epoch"}
        log_values(self.client, self.run_id, metrics=metrics, step=int(logs["epoch"]))
