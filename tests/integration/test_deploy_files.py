"""The files under deploy/ parse, and keep the invariants the code relies on: probes and health
checks ask routes that exist, workers run as a non-root user on a read-only root filesystem,
every SITROOM_ setting they name exists, and the proxy never buffers the live streams.

No container engine or cluster is needed: the files are read as data.
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from sitroom.config import ENV_VARS, load_settings
from sitroom.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTING = re.compile(r"\bSITROOM_[A-Z_]+\b")
# Names that are not settings of sitroom itself: the image to run, the compose host name.
NOT_SETTINGS = {"SITROOM_IMAGE", "SITROOM_HOSTNAME"}


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    data_dir = tmp_path_factory.mktemp("var")
    app = create_app(load_settings({"SITROOM_DATA_DIR": str(data_dir)}))
    return set(app.openapi()["paths"])


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _settings_named(text: str) -> set[str]:
    return set(SETTING.findall(text)) - NOT_SETTINGS


def test_every_setting_named_under_deploy_exists() -> None:
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        unknown = _settings_named(path.read_text(encoding="utf-8")) - set(ENV_VARS)
        assert not unknown, f"{path.relative_to(ROOT)} names unknown settings: {sorted(unknown)}"


def _path_of(url_check: str) -> str:
    found = re.search(r"http://127\.0\.0\.1:8000(/[^'\" ]*)", url_check)
    assert found, url_check
    return found.group(1)


def test_compose_runs_two_hardened_workers_behind_nginx(routes: set[str]) -> None:
    compose = _yaml(DEPLOY / "compose.yaml")
    services = compose["services"]
    assert {"sitroom-1", "sitroom-2", "postgres", "redis", "nginx"} <= set(services)
    nginx_address = services["nginx"]["networks"]["backend"]["ipv4_address"]
    for name in ("sitroom-1", "sitroom-2"):
        worker = services[name]
        assert worker["read_only"] is True
        assert not str(worker["user"]).startswith("0"), "workers run as a non-root user"
        assert worker["cap_drop"] == ["ALL"]
        env = worker["environment"]
        assert env["SITROOM_DATABASE_URL"].startswith("postgresql://")
        assert env["SITROOM_REDIS_URL"].startswith("redis://")
        assert env["SITROOM_TRUSTED_PROXIES"] == nginx_address
        assert "/tmp" in worker["tmpfs"]
        assert any(v.endswith(":" + env["SITROOM_DATA_DIR"]) for v in worker["volumes"])
        assert _path_of(" ".join(worker["healthcheck"]["test"])) in routes
        assert (ROOT / worker["build"]["dockerfile"]).is_file()
    assert services["sitroom-1"]["environment"] == services["sitroom-2"]["environment"]
    for volume in services["nginx"]["volumes"]:
        source = volume.split(":")[0]
        if source != "./certs":
            assert (DEPLOY / source).is_file(), volume


def test_the_image_runs_as_a_user_and_checks_readiness(routes: set[str]) -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    user = re.search(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert user and not user.group(1).startswith(("0", "root"))
    assert _path_of(dockerfile.split("HEALTHCHECK", 1)[1]) in routes


def _kustomize_documents(folder: Path) -> list[dict[str, Any]]:
    kustomization = _yaml(folder / "kustomization.yaml")
    documents = []
    for resource in kustomization["resources"]:
        target = folder / resource
        if target.is_dir():
            documents += _kustomize_documents(target)
        else:
            documents += [d for d in yaml.safe_load_all(target.read_text()) if d]
    return documents


def test_kubernetes_workers_are_non_root_read_only_and_probe_real_routes(
    routes: set[str],
) -> None:
    documents = _kustomize_documents(DEPLOY / "k8s" / "overlays" / "production")
    kinds = {d["kind"] for d in documents}
    assert {"Deployment", "Service", "Ingress", "PodDisruptionBudget"} <= kinds
    (deployment,) = [d for d in documents if d["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    ports = {p["name"] for p in container["ports"]}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        check = container[probe]["httpGet"]
        assert check["path"] in routes, f"{probe} asks {check['path']}, which no route serves"
        assert check["port"] in ports
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/ready"
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/tmp" in mounts  # the only writable places on a read-only root
    base = _yaml(DEPLOY / "k8s" / "base" / "kustomization.yaml")
    literals = dict(line.split("=", 1) for line in base["configMapGenerator"][0]["literals"])
    assert literals["SITROOM_DATA_DIR"] in mounts
    grace = int(literals["SITROOM_SHUTDOWN_GRACE"])
    prestop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pod["terminationGracePeriodSeconds"] > prestop + grace
    (ingress,) = [d for d in documents if d["kind"] == "Ingress"]
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 60


def test_the_nginx_rules_never_buffer_live_streams() -> None:
    rules = (DEPLOY / "nginx" / "sitroom-proxy.conf").read_text(encoding="utf-8")
    stream = re.search(r"location ~ \^/api/runs/\[\^/\]\+/events\$ \{(.*?)\}", rules, re.DOTALL)
    assert stream, "no location for the event streams"
    assert re.search(r"proxy_buffering off;", stream.group(1))
    timeout = re.search(r"proxy_read_timeout (\d+)h;", stream.group(1))
    assert timeout and int(timeout.group(1)) >= 1
    assert re.search(r"^location = /metrics \{\s*return 404;", rules, re.MULTILINE)
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "Host"):
        assert f"proxy_set_header {header} " in rules


def test_the_systemd_unit_stops_gracefully_as_an_unprivileged_user() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "systemd" / "sitroom@.service")
    service = unit["Service"]
    assert service["User"] not in ("", "root")
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) > 3 + 1
    assert service["ProtectSystem"] == "strict" and service["NoNewPrivileges"] == "yes"
    assert "--port %i" in service["ExecStart"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_finds_nothing_wrong_but_the_missing_install(tmp_path: Path) -> None:
    unit = tmp_path / "sitroom@8001.service"
    unit.write_text((DEPLOY / "systemd" / "sitroom@.service").read_text(encoding="utf-8"))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        check=False,
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "/opt/sitroom/venv/bin/sitroom" not in line
    ]
    assert not problems, problems


def test_the_deployment_guide_walks_every_file() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        name = path.relative_to(ROOT).as_posix()
        assert name in guide, f"docs/deploy.md does not mention {name}"
