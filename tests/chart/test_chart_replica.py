"""The chart's read replica settings: a CloudNativePG cluster's -rw / -ro services, a DSN from
the Secret, and the batch deadline."""

from __future__ import annotations

import base64

import helm_python
import pytest

from tests.helpers.chartlib import NAMESPACE, RELEASE, by_kind, one, rendered, renderer


def _config(objects: list[dict]) -> dict[str, str]:
    maps = [m for m in by_kind(objects, "ConfigMap") if "POSTGRES_HOST" in (m.get("data") or {})]
    assert len(maps) == 1
    return maps[0]["data"]


def _api_env(objects: list[dict]) -> dict[str, str]:
    container = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def test_cloudnativepg_example_reads_from_ro_and_writes_to_rw() -> None:
    objects = rendered("cloudnativepg-values")
    config = _config(objects)
    assert config["POSTGRES_HOST"] == "pg-rw" and config["POSTGRES_READ_HOST"] == "pg-ro"
    assert config["POSTGRES_DB"] == "app" and config["POSTGRES_USER"] == "app"
    env = _api_env(objects)
    assert env["POSTGRES_PASSWORD_FILE"].endswith("/password")  # the operator's app Secret
    assert "DATABASE_READ_URL_FILE" not in env


def test_defaults_read_from_the_primary_with_the_batch_deadline() -> None:
    config = _config(rendered("defaults"))
    assert "POSTGRES_READ_HOST" not in config
    assert config["JOB_STATEMENT_TIMEOUT_MS"] == "1800000"


def test_read_url_comes_from_the_secret() -> None:
    values = {"database": {"readUrl": True, "readHost": "ignored-ro"},
              "secrets": {"create": True, "existingSecret": "", "databaseCredential": "password",
                          "values": {"postgresPassword": "dev-only-pw",
                                     "databaseReadUrl": "postgresql://r:pw@replica/sa"}}}
    objects = renderer.render(values, release=RELEASE, namespace=NAMESPACE)
    env = _api_env(objects)
    assert env["DATABASE_READ_URL_FILE"].endswith("/database-read-url")
    assert "POSTGRES_READ_HOST" not in _config(objects)  # the DSN wins
    secret = next(s for s in by_kind(objects, "Secret") if "database-read-url" in s["data"])
    assert base64.b64decode(secret["data"]["database-read-url"]).decode().endswith("@replica/sa")


def test_read_url_without_a_value_fails_readably() -> None:
    values = {"database": {"readUrl": True},
              "secrets": {"create": True, "existingSecret": "",
                          "values": {"postgresPassword": "dev-only-pw"}}}
    with pytest.raises(helm_python.HelmRenderError, match="databaseReadUrl"):
        renderer.render(values, release=RELEASE, namespace=NAMESPACE)


def test_schema_types_the_read_settings() -> None:
    with helm_python.Chart.load(str(renderer.CHART_DIR)) as chart:
        with pytest.raises(helm_python.HelmValuesError, match="readUrl"):
            chart.validate_schema({"database": {"readUrl": "yes"}})
        chart.validate_schema({"database": {"readHost": "pg-ro", "readUrl": False}})
