"""Registering, promoting and rolling back tutor models in a real (temporary) MLflow store,
and the production pointer serving reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tutor.tutor_db import fake_version, make_database, mlflow_store
from yachay.app import create_app
from yachay.config import Settings
from yachay.tutor.cli import tutor
from yachay.tutor.registry import (
    MODEL_NAME,
    PRODUCTION,
    NothingToRollBack,
    Pointer,
    Registry,
    RegistryError,
    UnknownVersion,
    pointer_path,
    read_pointer,
    write_pointer,
)


@pytest.fixture
def settings(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path / "var"
    mlflow_store(tmp_path_factory, var)
    return Settings(var_dir=var)


@pytest.fixture
def registry(settings: Settings) -> Registry:
    return Registry(settings)


def production(settings: Settings) -> int | None:
    pointer = read_pointer(settings.tutor_dir)
    return pointer.version if pointer else None


def test_an_empty_registry(registry, settings):
    assert registry.versions() == [] and registry.production() is None
    assert registry.history() == [] and registry.sync() is None
    with pytest.raises(UnknownVersion, match="no tutor model version 1 .versions: none yet"):
        registry.promote(1)
    with pytest.raises(NothingToRollBack, match="no production model"):
        registry.rollback()
    assert production(settings) is None


def test_promote_and_rollback_switch_production(registry, settings, tmp_path):
    for seed in (1, 2, 3):
        assert fake_version(registry, settings, seed, tmp_path) == seed
    assert [v.version for v in registry.versions()] == [3, 2, 1]
    assert production(settings) is None  # registering does not promote

    for version in (1, 2, 3):
        assert registry.promote(version).production
        assert production(settings) == version
        assert registry.production().version == version
    assert registry.history() == [1, 2, 3]
    assert [v.production for v in registry.versions()] == [True, False, False]

    old, new = registry.rollback()
    assert (old.version, new.version) == (3, 2) and production(settings) == 2
    old, new = registry.rollback()
    assert (old.version, new.version) == (2, 1) and production(settings) == 1
    with pytest.raises(NothingToRollBack, match="version 1 is the only model"):
        registry.rollback()
    assert production(settings) == 1

    # Promoting again and rolling back returns to the one before, not to the newest.
    registry.promote(3)
    registry.promote(3)  # twice is once
    assert registry.history() == [1, 3]
    assert registry.rollback()[1].version == 1


def test_the_pointer_names_a_local_checkpoint_and_tracks_mlflow_on_sync(
    registry, settings, tmp_path
):
    fake_version(registry, settings, 1, tmp_path)
    fake_version(registry, settings, 2, tmp_path)
    registry.promote(1)
    pointer = read_pointer(settings.tutor_dir)
    assert pointer.checkpoint == "models/v1.pt"
    assert (settings.tutor_dir / pointer.checkpoint).is_file()
    assert pointer.fingerprint == f"{1:064d}" and pointer.model_name == "dkt+f"
    assert oct(pointer_path(settings.tutor_dir).stat().st_mode)[-3:] == "644"

    # Someone moves the alias in MLflow's UI (and this host has no copy of v2 yet).
    registry.checkpoint_path(2).unlink()
    registry.client.set_registered_model_alias(MODEL_NAME, PRODUCTION, "2")
    assert production(settings) == 1  # serving does not ask MLflow ...
    assert registry.sync().version == 2  # ... until sync
    assert production(settings) == 2 and registry.checkpoint_path(2).is_file()
    # and rollback goes back to the version before it
    assert registry.rollback()[1].version == 1


def test_a_checkpoint_serving_could_not_use_is_not_promoted(registry, settings, tmp_path):
    fake_version(registry, settings, 1, tmp_path, metadata={"dataset": "assist2009"})
    with pytest.raises(RegistryError, match="v.*1 cannot be served.*question mapping"):
        registry.promote(1)
    assert registry.production() is None and production(settings) is None


def test_pointer_files_are_replaced_whole_and_garbage_reads_as_none(tmp_path):
    assert read_pointer(tmp_path) is None
    write_pointer(tmp_path, Pointer(version=4, checkpoint="models/v4.pt"))
    assert read_pointer(tmp_path) == Pointer(version=4, checkpoint="models/v4.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["production.json"]  # no temp file left
    pointer_path(tmp_path).write_text("{not json")
    assert read_pointer(tmp_path) is None
    pointer_path(tmp_path).write_text(json.dumps({"versio": 4}))
    assert read_pointer(tmp_path) is None


def test_the_commands(settings, tmp_path):
    url, db = make_database(settings.var_dir)
    registry = Registry(settings)
    app = create_app({"var_dir": settings.var_dir, "database_url": url})
    runner = app.test_cli_runner()

    result = runner.invoke(tutor, ["rollback"])
    assert result.exit_code == 1
    assert "Error: there is no production model to roll back from" in result.output

    for seed in (1, 2):
        fake_version(registry, settings, seed, tmp_path)
    result = runner.invoke(tutor, ["promote", "7"])
    assert result.exit_code == 1
    assert "Error: there is no tutor model version 7 (versions: 2, 1)" in result.output

    result = runner.invoke(tutor, ["promote", "1"])
    assert result.exit_code == 0 and "production: the cold-start prior -> v1" in result.output
    result = runner.invoke(tutor, ["rollback"])
    assert result.exit_code == 1 and "nothing to roll back to" in result.output
    result = runner.invoke(tutor, ["promote", "2"])
    assert result.exit_code == 0 and "production: v1 -> v2" in result.output

    listing = json.loads(runner.invoke(tutor, ["models", "--json"]).output)
    assert [(v["version"], v["production"]) for v in listing] == [(2, True), (1, False)]
    assert listing[0]["answers"] == 200 and listing[0]["holdout_auc"] == 0.7
    table = runner.invoke(tutor, ["models"]).output
    assert "v2" in table and "production" in table and "v1" in table

    result = runner.invoke(tutor, ["rollback"])
    assert result.exit_code == 0 and "production: v2 -> v1" in result.output
    assert runner.invoke(tutor, ["sync"]).output.strip() == "production: v1"
    db.dispose()
