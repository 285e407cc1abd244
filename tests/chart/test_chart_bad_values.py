"""Bad values are rejected before anything reaches a cluster, with messages a person can act on."""

from __future__ import annotations

from typing import Any

import helm_python
import pytest

from tests.helpers.chartlib import NAMESPACE, RELEASE, renderer

ESO = {"enabled": True, "secretStoreRef": {"name": "vault"},
       "remoteRefs": {"postgresPassword": {"key": "db"}}}

BAD: dict[str, tuple[dict[str, Any], list[str]]] = {
    "two secret modes": (
        {"externalSecret": ESO},
        ["exactly one secret source", 'secrets.existingSecret="sports-analytics-secrets"',
         "externalSecret.enabled=true"],
    ),
    "three secret modes": (
        {"externalSecret": ESO, "secrets": {"create": True, "values": {"postgresPassword": "x"}}},
        ["exactly one secret source may be active, found 3"],
    ),
    "no secret mode": (
        {"secrets": {"existingSecret": ""}},
        ["no secret source is active"],
    ),
    "hooks without existingSecret (ESO)": (
        {"secrets": {"existingSecret": ""}, "externalSecret": ESO, "migrations": {"useHelmHooks": True}},
        ["migrations.useHelmHooks=true requires secrets.existingSecret", "pre-install hook"],
    ),
    "hooks without existingSecret (create)": (
        {"secrets": {"existingSecret": "", "create": True, "values": {"postgresPassword": "x"}},
         "migrations": {"useHelmHooks": True}},
        ["migrations.useHelmHooks=true requires secrets.existingSecret"],
    ),
    "wrong type": (
        {"replicaCount": "two"},
        ["/replicaCount", "got string, want integer"],
    ),
    "unknown key": (
        {"replicas": 3},
        ["additional properties 'replicas' not allowed"],
    ),
    "bad enum": (
        {"config": {"logLevel": "LOUD"}},
        ["/config/logLevel", "value must be one of"],
    ),
    "verify-full without a CA bundle": (
        {"database": {"sslMode": "verify-full"}},
        ["database.sslMode=verify-full needs the CA bundle", "database.tls.caConfigMap.name"],
    ),
    "two CA sources": (
        {"database": {"tls": {"caSecret": {"name": "a"}, "caConfigMap": {"name": "b"}}}},
        ["set either caSecret.name or caConfigMap.name, not both"],
    ),
    "tracing without an endpoint": (
        {"otel": {"enabled": True}},
        ["otel.enabled=true needs otel.endpoint", "otel.existingConfigMap.name"],
    ),
    "sampling ratio above 1": (
        {"otel": {"samplerArg": 2}},
        ["/otel/samplerArg"],
    ),
    "unknown sampler": (
        {"otel": {"sampler": "sometimes"}},
        ["/otel/sampler", "value must be one of"],
    ),
    "endpoint without a scheme": (
        {"otel": {"endpoint": "collector:4318"}},
        ["/otel/endpoint"],
    ),
    "latest tag": (
        {"image": {"tag": "latest"}},
        ['image.tag: "latest" is not allowed'],
    ),
    "malformed digest": (
        {"image": {"digest": "sha256:nothex"}},
        ["/image/digest"],
    ),
    "dev secret without password": (
        {"secrets": {"existingSecret": "", "create": True}},
        ["secrets.create=true needs secrets.values.postgresPassword"],
    ),
    "ESO without a store": (
        {"secrets": {"existingSecret": ""}, "externalSecret": {"enabled": True}},
        ["externalSecret.enabled=true needs externalSecret.secretStoreRef.name"],
    ),
    "ESO with gemini but no key": (
        {"secrets": {"existingSecret": ""}, "externalSecret": ESO, "gemini": {"enabled": True}},
        ["remoteRefs.geminiApiKey.key"],
    ),
    "HTTPRoute without a gateway": (
        {"httpRoute": {"enabled": True}},
        ["httpRoute.enabled=true needs httpRoute.parentRefs"],
    ),
    "zero probe period": (
        {"probes": {"readiness": {"periodSeconds": 0}}},
        ["/probes/readiness/periodSeconds", "minimum"],
    ),
    "resources without limits": (
        {"resources": {"limits": None}},
        ["/resources"],
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_values_fail_with_a_readable_message(name: str) -> None:
    values, fragments = BAD[name]
    with pytest.raises((helm_python.HelmRenderError, helm_python.HelmValuesError)) as caught:
        renderer.render(values, release=RELEASE, namespace=NAMESPACE)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "runtime error" not in message and "nil pointer" not in message


def test_schema_rejects_the_wrong_type_before_rendering() -> None:
    with helm_python.Chart.load(str(renderer.CHART_DIR)) as chart:
        with pytest.raises(helm_python.HelmValuesError, match="replicaCount"):
            chart.validate_schema({"replicaCount": "two"})
        chart.validate_schema({"replicaCount": 3})
