"""Packaging holds together: one version, the Docker image built from the wheel, the
Kubernetes manifests and ArgusAI's own workflow (no Docker engine or cluster here:
structure, and the schemas that ship inside kubernetes-validate and check-jsonschema)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import argusai
from argusai.cli import app as cli
from argusai.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
KUBE = ROOT / "deploy" / "kubernetes"


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_version_lives_in_one_place() -> None:
    project = pyproject()
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "src/argusai/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?", argusai.__version__)
    assert version("argusai") == argusai.__version__
    result = CliRunner().invoke(cli, ["--version"])
    assert result.output == f"argus {argusai.__version__}\n"
    kustomization = yaml.safe_load((KUBE / "kustomization.yaml").read_text())
    assert kustomization["images"][0]["newTag"] == argusai.__version__


def test_build_tools_are_in_the_dev_extra() -> None:
    dev = pyproject()["project"]["optional-dependencies"]["dev"]
    names = {re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0] for requirement in dev}
    assert {"build", "kubernetes-validate", "check-jsonschema"} <= names
    sdist = pyproject()["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    assert "/src" in sdist and "/README.md" in sdist  # README is the package's readme


# ---- Dockerfile -----------------------------------------------------------------------


def stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), one list per stage."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found: list[list[str]] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line or line.startswith("#"):
            continue
        if line.startswith("FROM "):
            found.append([])
        if found:
            found[-1].append(line)
    return found


def test_the_image_is_built_from_the_wheel() -> None:
    build, final = stages()
    base = re.fullmatch(r"FROM python:(\d+)\.(\d+)-slim AS build", build[0])
    assert base is not None
    assert final[0] == f"FROM python:{base[1]}.{base[2]}-slim"  # one Python in both stages
    requires = pyproject()["project"]["requires-python"]
    assert requires == f">={base[1]}.{base[2]}"  # the image runs the oldest Python supported
    assert "RUN python -m build --wheel --outdir /dist" in build
    assert "COPY src ./src" in build
    # the final stage has the wheel and the pins, never the source tree
    assert "COPY --from=build /dist/ /tmp/dist/" in final
    installs = [i for i in final if i.startswith("RUN pip install")]
    assert installs == [
        "RUN pip install /tmp/dist/argusai-*.whl -c /tmp/constraints.txt "
        "&& rm -rf /tmp/dist /tmp/constraints.txt"
    ]
    assert not any(i.startswith(("COPY src", "ADD")) for i in final)
    assert not any("pip install ." in i for stage in (build, final) for i in stage)
    # non-root after the install, health on /healthz, argus serve by default
    user = final.index("USER argus")
    assert user > final.index(installs[0])
    assert any(i.startswith("RUN useradd") and "--uid 10001" in i for i in final)
    assert any(i.startswith("HEALTHCHECK") and "/healthz" in i for i in final)
    assert final[-1].startswith('CMD ["argus", "serve", "--host", "0.0.0.0"')


def test_what_the_build_stage_copies_exists_and_is_not_docker_ignored() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for stage in stages():
        for line in stage:
            if line.startswith("COPY") and "--from=" not in line:
                *sources, _ = shlex.split(line)[1:]
                for source in sources:
                    assert (ROOT / source).exists(), source
                    assert source not in ignored and source.split("/")[0] not in ignored
    assert ".env" in ignored and "*.pem" in ignored


# ---- Kubernetes -----------------------------------------------------------------------


def manifests() -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) → object, from every file kustomization.yaml lists."""
    kustomization = yaml.safe_load((KUBE / "kustomization.yaml").read_text())
    objects = {}
    for name in kustomization["resources"]:
        for doc in yaml.safe_load_all((KUBE / name).read_text()):
            objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def pod(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def test_kustomization_lists_every_manifest_but_the_secret_placeholders() -> None:
    listed = set(yaml.safe_load((KUBE / "kustomization.yaml").read_text())["resources"])
    files = {p.name for p in KUBE.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == files - {"secrets.example.yaml"}


def test_web_worker_and_migration() -> None:
    objects = manifests()
    web = objects[("Deployment", "argus-web")]
    worker = objects[("Deployment", "argus-worker")]
    job = objects[("Job", "argus-migrate")]
    (web_c,) = pod(web)["containers"]
    (worker_c,) = pod(worker)["containers"]
    (job_c,) = pod(job)["containers"]
    assert web_c["command"][:3] == ["argus", "serve", "--no-worker"]
    assert web_c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert web_c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert worker_c["command"] == ["argus", "worker"]
    assert job_c["command"] == ["argus", "db", "upgrade"]
    assert pod(job)["restartPolicy"] == "Never"
    # the workers scale on their own: their own Deployment, selector and replica count
    assert web["spec"]["selector"] != worker["spec"]["selector"]
    assert worker["spec"]["replicas"] >= 1
    # the Service sends traffic to the web pods only, on the port they name
    service = objects[("Service", "argus-web")]
    assert service["spec"]["selector"] == web["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] in {p["name"] for p in web_c["ports"]}
    assert (
        objects[("PodDisruptionBudget", "argus-web")]["spec"]["selector"] == web["spec"]["selector"]
    )


def test_every_pod_gets_the_settings_and_the_app_key_the_same_way() -> None:
    objects = manifests()
    config = objects[("ConfigMap", "argus-config")]["data"]
    secrets = {
        doc["metadata"]["name"]: doc
        for doc in yaml.safe_load_all((KUBE / "secrets.example.yaml").read_text())
    }
    assert set(secrets) == {"argus-secrets", "argus-github-app"}
    for key in (*config, *secrets["argus-secrets"]["stringData"]):
        field = key.removeprefix("ARGUS_").lower()
        assert key.startswith("ARGUS_") and field in Settings.model_fields, key
    # URLs with passwords and every credential are Secrets, never the ConfigMap
    assert not {"ARGUS_DATABASE_URL", "ARGUS_QUEUE_URL", "ARGUS_SECRET_KEY"} & set(config)
    assert config["ARGUS_READY_REQUIRES_WORKER"] == "false"
    for name in (
        ("Deployment", "argus-web"),
        ("Deployment", "argus-worker"),
        ("Job", "argus-migrate"),
    ):
        spec = pod(objects[name])
        (container,) = spec["containers"]
        assert container["image"] == "argusai"
        refs = [next(iter(ref.values()))["name"] for ref in container["envFrom"]]
        assert refs == ["argus-config", "argus-secrets"]
        key_path = {e["name"]: e["value"] for e in container["env"]}[
            "ARGUS_GITHUB_PRIVATE_KEY_PATH"
        ]
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["github-app"]["secret"]["secretName"] == "argus-github-app"
        assert key_path == f"{mounts['github-app']}/private-key.pem"
        assert "private-key.pem" in secrets["argus-github-app"]["stringData"]
        assert volumes["github-app"]["secret"]["defaultMode"] == 0o440  # the fsGroup reads it
        assert spec["securityContext"]["runAsUser"] == spec["securityContext"]["fsGroup"] == 10001
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert mounts["data"] == config["ARGUS_DATA_DIR"] and "tmp" in mounts


def _tool(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip(module)
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_manifests_match_the_kubernetes_schemas() -> None:
    files = sorted(str(p) for p in KUBE.glob("*.yaml") if p.name != "kustomization.yaml")
    result = _tool("kubernetes_validate", "--strict", "--quiet", *files)
    assert result.returncode == 0, result.stdout + result.stderr


# ---- ArgusAI's own workflow -----------------------------------------------------------


def test_the_workflow_runs_the_ci_script_with_its_services_and_builds_the_image() -> None:
    path = ROOT / ".github" / "workflows" / "ci.yml"
    workflow = yaml.safe_load(path.read_text())
    assert workflow["permissions"] == {"contents": "read"}
    test = workflow["jobs"]["test"]
    assert {"postgres", "redis"} == set(test["services"])
    assert test["services"]["postgres"]["ports"] == ["5432:5432"]
    assert test["services"]["redis"]["ports"] == ["6379:6379"]
    assert any(step.get("run") == "bash .ci/run" for step in test["steps"])
    image = workflow["jobs"]["image"]
    assert any("docker build" in step.get("run", "") for step in image["steps"])
    result = _tool("check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
