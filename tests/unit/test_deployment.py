"""Dockerfile, compose file and dashboard: linted, schema-valid, and in step with the code."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft201909Validator
from pydantic import ValidationError

from service.config import MemorySettings, env_variable_names
from service.observability.metrics import ServiceMetrics

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SCHEMA = json.loads(
    (ROOT / "tests" / "fixtures" / "compose-spec" / "compose-spec.json").read_text()
)
DASHBOARD = json.loads(
    (ROOT / "monitoring" / "grafana" / "dashboards" / "claim-edit.json").read_text()
)


def test_hadolint_passes() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    done = subprocess.run(
        [str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_image_is_multi_stage_pinned_non_root_with_a_readiness_healthcheck() -> None:
    bases = re.findall(r"^FROM (\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert len(bases) >= 2
    assert all(re.search(r":\d+\.\d+\.\d+-", base) for base in bases), bases
    users = re.findall(r"^USER (\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert users and not users[-1].startswith(("root", "0"))
    assert "HEALTHCHECK" in DOCKERFILE and "/health/ready" in DOCKERFILE


def test_compose_file_follows_the_compose_specification() -> None:
    errors = sorted(Draft201909Validator(SCHEMA).iter_errors(COMPOSE), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_compose_uses_apache_kafka_in_kraft_mode_and_creates_the_topics() -> None:
    kafka = COMPOSE["services"]["kafka"]
    assert kafka["image"] == "apache/kafka:4.3.1"
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    init = "\n".join(COMPOSE["services"]["kafka-init"]["command"])
    for topic in ("claims.submitted", "claims.enriched", "claims.rejected", "claims.dlq"):
        assert topic in init
    assert set(COMPOSE["services"]["prometheus"]["profiles"]) == {"monitoring"}
    assert set(COMPOSE["services"]["grafana"]["profiles"]) == {"monitoring"}


def test_compose_gives_the_service_a_claim_memory_on_postgresql_and_no_default_secret() -> None:
    service = COMPOSE["services"]["claim-edit"]
    assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    url = urlsplit(service["environment"]["CLAIM_EDIT_MEMORY_URL"])
    database = COMPOSE["services"]["postgres"]["environment"]
    assert (url.scheme, url.hostname, url.username, url.path) == (
        "postgresql",
        "postgres",
        database["POSTGRES_USER"],
        "/" + database["POSTGRES_DB"],
    )
    # from the operator's .env, never a default of the file's own: ${NAME:?...} would make
    # compose refuse every command (down, logs, ps) without it, so the service refuses instead
    assert service["environment"]["CLAIM_EDIT_MEMORY_SECRET"] == "${CLAIM_EDIT_MEMORY_SECRET:-}"
    assert "ports" not in COMPOSE["services"]["postgres"]


def test_the_service_refuses_to_start_with_a_memory_and_no_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_URL", "postgresql://claim_edit@postgres/claim_memory")
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_SECRET", "")  # what compose passes when .env lacks it
    with pytest.raises(ValidationError, match="at least 16 characters"):
        MemorySettings()


def test_every_setting_in_compose_and_dockerfile_is_one_the_service_reads() -> None:
    compose_names = set(COMPOSE["services"]["claim-edit"]["environment"])
    docker_names = set(re.findall(r"\b((?:CLAIM_EDIT|KAFKA)_[A-Z_]+)=", DOCKERFILE))
    assert compose_names <= env_variable_names(), compose_names - env_variable_names()
    assert docker_names <= env_variable_names(), docker_names - env_variable_names()


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in env_variable_names() if f"`{name}`" not in readme)
    assert not missing, missing


def test_dashboard_queries_only_metrics_the_service_exports() -> None:
    exported = {
        sample.name for family in ServiceMetrics().registry.collect() for sample in family.samples
    } | {family.name for family in ServiceMetrics().registry.collect()}
    exported |= {name + suffix for name in exported for suffix in ("_bucket", "_total")}
    queried = {
        name
        for panel in DASHBOARD["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bclaim_edit_[a-z_]+", target["expr"])
    }
    assert queried and queried <= exported, queried - exported
    titles = " ".join(p["title"] for p in DASHBOARD["panels"]).lower()
    for subject in ("throughput", "outcomes", "edit id", "dead-letter", "lag"):
        assert subject in titles


def test_prometheus_scrapes_the_service_port() -> None:
    scrape = yaml.safe_load((ROOT / "monitoring" / "prometheus.yml").read_text())
    targets = scrape["scrape_configs"][0]["static_configs"][0]["targets"]
    port = COMPOSE["services"]["claim-edit"]["environment"]["CLAIM_EDIT_HTTP_PORT"]
    assert targets == [f"claim-edit:{port}"]
