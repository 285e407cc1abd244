"""Secure defaults of the chart: NetworkPolicies on by default (every pod covered, off with one
value), the database CA bundle mounted wherever the database is used, and the OpenTelemetry
block (standard OTEL_* variables, collector egress only when tracing is on)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.chartlib import NAMESPACE, RELEASE, by_kind, one, rendered, renderer

FULLNAME = f"{RELEASE}-sports-analytics"
CA = {"database": {"sslMode": "verify-full",
                   "tls": {"caConfigMap": {"name": "rds-ca", "key": "global-bundle.pem"}}}}
OTEL = {"otel": {"enabled": True, "endpoint": "http://collector.obs.svc:4318",
                 "resourceAttributes": {"deployment.environment.name": "production"}}}


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    return renderer.render(values, release=RELEASE, namespace=NAMESPACE)


def pod_template(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "Pod":
        return obj
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]
    return obj["spec"]["template"]


def pods(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] in {"Deployment", "Job", "Pod", "CronJob"}]


def db_pods(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every workload that talks to the database (all but the `helm test` pod)."""
    return [o for o in pods(objects) if o["kind"] != "Pod"]


def selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = policy["spec"]["podSelector"].get("matchLabels", {})
    return wanted.items() <= labels.items()


def env_of(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    container = pod_template(obj)["spec"]["containers"][0]
    return {e["name"]: e for e in container.get("env", [])}


def egress_ports(policy: dict[str, Any]) -> set[int]:
    return {p["port"] for rule in policy["spec"]["egress"] for p in rule.get("ports", [])}


# ---------------------------------------------------------------------------------------------
# NetworkPolicy


def test_policies_are_on_by_default_and_select_every_pod() -> None:
    objects = render({"refresh": {"enabled": True}} if _has_refresh() else {})
    policies = by_kind(objects, "NetworkPolicy")
    assert len(policies) >= 3
    for obj in pods(objects):
        labels = pod_template(obj)["metadata"]["labels"]
        covering = [p["metadata"]["name"] for p in policies if selects(p, labels)]
        assert covering, f"{obj['kind']} {obj['metadata']['name']} is not selected by any NetworkPolicy"
        assert all("Ingress" in p["spec"]["policyTypes"] and "Egress" in p["spec"]["policyTypes"]
                   for p in policies if p["metadata"]["name"] in covering)


def test_default_ingress_is_open_to_any_source_on_the_http_port_only() -> None:
    api = next(p for p in by_kind(rendered("defaults"), "NetworkPolicy")
               if p["metadata"]["name"] == FULLNAME)
    assert api["spec"]["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}]
    assert egress_ports(api) == {53, 5432}


def test_allow_external_false_admits_only_the_named_sources() -> None:
    objects = render({"networkPolicy": {"allowExternal": False}})
    api = next(p for p in by_kind(objects, "NetworkPolicy") if p["metadata"]["name"] == FULLNAME)
    sources = api["spec"]["ingress"][0]["from"]
    assert len(sources) == 3 and all(sources)
    test_pod = one(objects, "Pod")
    pod_source = next(s for s in sources if "podSelector" in s and "namespaceSelector" not in s)
    assert pod_source["podSelector"]["matchLabels"].items() <= test_pod["metadata"]["labels"].items()


def test_helm_test_pod_reaches_only_dns_and_the_api_port() -> None:
    objects = rendered("defaults")
    pod = one(objects, "Pod")
    policy = next(p for p in by_kind(objects, "NetworkPolicy")
                  if selects(p, pod["metadata"]["labels"]))
    # a test hook like the pod, created before it, and never in the plain manifests
    assert policy["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert int(policy["metadata"]["annotations"]["helm.sh/hook-weight"]) < 0
    assert policy["spec"]["ingress"] == []
    assert egress_ports(policy) == {53, 8000}
    api_rule = next(r for r in policy["spec"]["egress"] if r["ports"][0]["port"] == 8000)
    deploy = one(objects, "Deployment")
    assert api_rule["to"][0]["podSelector"]["matchLabels"] == deploy["spec"]["selector"]["matchLabels"]


def test_one_value_turns_every_policy_off() -> None:
    values: dict[str, Any] = {"networkPolicy": {"enabled": False}, **OTEL}
    if _has_refresh():
        values["refresh"] = {"enabled": True}
    assert not by_kind(render(values), "NetworkPolicy")


def test_collector_egress_opens_only_with_tracing() -> None:
    off = by_kind(rendered("defaults"), "NetworkPolicy")
    assert all(4318 not in egress_ports(p) for p in off)
    on = [p for p in by_kind(render(OTEL), "NetworkPolicy")
          if "helm.sh/hook" not in (p["metadata"].get("annotations") or {})]
    assert on and all(4318 in egress_ports(p) for p in on)
    narrowed = by_kind(rendered("everything-on-values"), "NetworkPolicy")
    rule = next(r for r in narrowed[0]["spec"]["egress"] if r["ports"][0]["port"] == 4318)
    assert rule["to"][0]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "observability"}


# ---------------------------------------------------------------------------------------------
# Database TLS


@pytest.mark.parametrize("source", ["caConfigMap", "caSecret"])
def test_ca_bundle_reaches_every_pod_that_talks_to_the_database(source: str) -> None:
    values: dict[str, Any] = {"database": {"sslMode": "verify-full",
                                           "tls": {source: {"name": "db-ca", "key": "bundle.pem"}}}}
    if _has_refresh():
        values["refresh"] = {"enabled": True}
    for hooks in (False, True):
        values["migrations"] = {"useHelmHooks": hooks}
        objects = render(values)
        workloads = db_pods(objects)
        assert {o["kind"] for o in workloads} >= {"Deployment", "Job"}
        for obj in workloads:
            spec = pod_template(obj)["spec"]
            volume = next(v for v in spec["volumes"] if v["name"] == "db-ca")
            kind = "configMap" if source == "caConfigMap" else "secret"
            ref = volume[kind].get("name") or volume[kind].get("secretName")
            assert ref == "db-ca" and volume[kind]["items"] == [{"key": "bundle.pem", "path": "bundle.pem"}]
            mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == "db-ca")
            assert mount["readOnly"] is True
            env = env_of(obj)
            assert env["PGSSLROOTCERT"]["value"] == f"{mount['mountPath']}/bundle.pem"
        config = next(o for o in by_kind(objects, "ConfigMap"))["data"]
        assert config["PGSSLMODE"] == "verify-full"


def test_no_ca_no_volume() -> None:
    for obj in db_pods(rendered("defaults")):
        assert "db-ca" not in {v["name"] for v in pod_template(obj)["spec"]["volumes"]}
        assert "PGSSLROOTCERT" not in env_of(obj)


def test_production_example_verifies_the_server() -> None:
    objects = rendered("everything-on-values")
    config = next(o for o in by_kind(objects, "ConfigMap")
                  if not o["metadata"]["name"].endswith("-dashboard"))["data"]
    assert config["PGSSLMODE"] == "verify-full"
    for obj in db_pods(objects):
        assert env_of(obj)["PGSSLROOTCERT"]["value"].endswith("/global-bundle.pem")


@pytest.mark.parametrize(("values", "message"), [
    ({"database": {"sslMode": "verify-full"}}, "needs the CA bundle"),
    ({"database": {"sslMode": "verify-ca"}}, "database.tls.caSecret.name"),
    ({"database": {"tls": {"caSecret": {"name": "a"}, "caConfigMap": {"name": "b"}}}}, "not both"),
    ({"otel": {"enabled": True}}, "otel.enabled=true needs otel.endpoint"),
])
def test_unusable_tls_or_otel_values_fail_with_a_message(values: dict[str, Any], message: str) -> None:
    with pytest.raises(Exception, match=message):
        render(values)


def test_verify_full_with_an_operator_supplied_root_cert_is_accepted() -> None:
    values = {"database": {"sslMode": "verify-full"},
              "config": {"extra": {"PGSSLROOTCERT": "/etc/extra/ca.pem"}}}
    assert one(render(values), "Deployment")


# ---------------------------------------------------------------------------------------------
# OpenTelemetry


def test_otel_sets_the_standard_variables_on_every_workload() -> None:
    values: dict[str, Any] = dict(OTEL)
    if _has_refresh():
        values["refresh"] = {"enabled": True}
    for obj in db_pods(render(values)):
        env = env_of(obj)
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"] == "http://collector.obs.svc:4318"
        assert env["OTEL_EXPORTER_OTLP_PROTOCOL"]["value"] == "http/protobuf"
        assert env["OTEL_SERVICE_NAME"]["value"] == "sports-analytics"
        assert env["OTEL_TRACES_SAMPLER"]["value"] == "parentbased_traceidratio"
        # no ratio by default: the service keeps a tenth of request traces, every command's
        assert "OTEL_TRACES_SAMPLER_ARG" not in env
        attrs = dict(kv.split("=", 1) for kv in env["OTEL_RESOURCE_ATTRIBUTES"]["value"].split(","))
        assert attrs["deployment.environment.name"] == "production"
        assert attrs["k8s.namespace.name"] == NAMESPACE
        assert attrs["k8s.pod.name"] == "$(OTEL_K8S_POD_NAME)"
        names = list(env)
        # Kubernetes expands $(VAR) only from variables defined earlier in the list
        assert names.index("OTEL_K8S_POD_NAME") < names.index("OTEL_RESOURCE_ATTRIBUTES")


def test_otel_endpoint_from_an_existing_configmap() -> None:
    objects = rendered("csi-values")
    env = env_of(one(objects, "Deployment"))
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"]["valueFrom"]["configMapKeyRef"] == {
        "name": "otel-endpoint", "key": "OTEL_EXPORTER_OTLP_ENDPOINT"}


def test_tracing_is_off_by_default() -> None:
    for obj in pods(rendered("defaults")):
        assert not [n for n in env_of(obj) if n.startswith("OTEL_")]


def notes(values: dict[str, Any]) -> str:
    text = renderer.render_templates(values, release=RELEASE, namespace=NAMESPACE)
    return next(v for k, v in text.items() if k.endswith("NOTES.txt"))


def test_notes_say_what_is_isolated_verified_and_traced() -> None:
    plain = notes({})
    assert "NetworkPolicies on (API ingress from any source" in plain
    assert "sslmode prefer does not verify the server" in plain
    assert "Tracing:  off" in plain
    full = notes({**CA, **OTEL, "networkPolicy": {"allowExternal": False}})
    assert "CA bundle from ConfigMap rds-ca at /etc/sports-analytics/db-ca" in full
    assert "OTLP/HTTP to http://collector.obs.svc:4318" in full
    assert "from the ingress controller, monitoring and the test pod only" in full
    assert "no NetworkPolicy" in notes({"networkPolicy": {"enabled": False}})


def _has_refresh() -> bool:
    return (renderer.CHART_DIR / "templates" / "refresh-cronjob.yaml").is_file()
