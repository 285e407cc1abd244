"""Policy assertions on every rendered workload, and the behaviour the values promise."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from tests.helpers.chartlib import CASES, NAMESPACE, RELEASE, by_kind, one, rendered, renderer

SECRETISH = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEY|DATABASE_URL|DSN)", re.I)
WORKLOAD_KINDS = {"Deployment", "Job", "Pod"}


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"] if obj["kind"] == "Pod" else obj["spec"]["template"]["spec"]


def workloads(case: str) -> list[dict[str, Any]]:
    return [o for o in rendered(case) if o["kind"] in WORKLOAD_KINDS]


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(obj)
    return spec.get("initContainers", []) + spec["containers"]


def config_data(case: str) -> dict[str, str]:
    return next(o for o in by_kind(rendered(case), "ConfigMap")
                if not o["metadata"]["name"].endswith("-dashboard"))["data"]


ALL_WORKLOADS = [(case, i) for case in sorted(CASES) for i in range(len(workloads(case)))]


@pytest.fixture(params=ALL_WORKLOADS, ids=lambda p: f"{p[0]}-{workloads(p[0])[p[1]]['kind']}")
def workload(request: pytest.FixtureRequest) -> dict[str, Any]:
    case, index = request.param
    return workloads(case)[index]


def test_requests_and_limits_are_set(workload: dict[str, Any]) -> None:
    for c in containers(workload):
        for section in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                assert c["resources"][section][resource], (c["name"], section, resource)


def test_runs_as_non_root_with_read_only_root(workload: dict[str, Any]) -> None:
    spec = pod_spec(workload)
    pod_sc = spec.get("securityContext", {})
    assert pod_sc.get("runAsNonRoot") is True
    assert pod_sc.get("runAsUser") == 10001 and pod_sc.get("runAsGroup") == 10001
    assert pod_sc.get("seccompProfile", {}).get("type") == "RuntimeDefault"
    assert spec.get("automountServiceAccountToken") is False
    for c in containers(workload):
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] == 10001
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        assert sc["seccompProfile"]["type"] == "RuntimeDefault"


def test_image_is_pinned(workload: dict[str, Any]) -> None:
    for c in containers(workload):
        image = c["image"]
        assert "@sha256:" in image or re.search(r":[\w][\w.-]*$", image), image
        assert not image.endswith(":latest")
        assert c["imagePullPolicy"] == "IfNotPresent"


def test_no_secret_in_env(workload: dict[str, Any]) -> None:
    for c in containers(workload):
        for env in c.get("env", []):
            assert "secretKeyRef" not in env.get("valueFrom", {}), env["name"]
            if SECRETISH.search(env["name"]):
                assert env["name"].endswith("_FILE"), f"{env['name']} looks like a secret in env"
        for source in c.get("envFrom", []):
            assert "secretRef" not in source


def test_api_pod_has_all_probes_and_a_graceful_shutdown() -> None:
    for case in CASES:
        deploy = one(rendered(case), "Deployment")
        api = pod_spec(deploy)["containers"][0]
        startup, ready, live = api["startupProbe"], api["readinessProbe"], api["livenessProbe"]
        assert ready["httpGet"] == {"path": "/readyz", "port": "http"}
        assert live["httpGet"] == {"path": "/healthz", "port": "http"}
        assert startup["httpGet"]["port"] == "http"
        assert ready != live
        assert [p["name"] for p in api["ports"]] == ["http"]
        pre_stop = api["lifecycle"]["preStop"]
        sleep = int(pre_stop["exec"]["command"][1]) if "exec" in pre_stop else pre_stop["sleep"]["seconds"]
        graceful = int(config_data(case)["GRACEFUL_TIMEOUT"])
        assert pod_spec(deploy)["terminationGracePeriodSeconds"] >= sleep + graceful + 1
        assert deploy["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_default_shutdown_numbers() -> None:
    api = pod_spec(one(rendered("defaults"), "Deployment"))
    assert api["containers"][0]["lifecycle"]["preStop"] == {"exec": {"command": ["/bin/sleep", "5"]}}
    assert api["terminationGracePeriodSeconds"] == 30  # 5 + 20 + 5
    native = pod_spec(one(rendered("everything-on-values"), "Deployment"))
    assert native["containers"][0]["lifecycle"]["preStop"] == {"sleep": {"seconds": 5}}


def test_default_resources_match_compose() -> None:
    api = pod_spec(one(rendered("defaults"), "Deployment"))["containers"][0]
    assert api["resources"] == {"requests": {"cpu": "250m", "memory": "256Mi"},
                                "limits": {"cpu": "1000m", "memory": "512Mi"}}


def test_tmp_is_an_empty_dir_and_secrets_are_read_only_files() -> None:
    for case in CASES:
        for obj in by_kind(rendered(case), "Deployment") + by_kind(rendered(case), "Job"):
            spec = pod_spec(obj)
            volumes = {v["name"]: v for v in spec["volumes"]}
            c = spec["containers"][0]
            mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]["name"]]
            file_envs = {e["name"]: e["value"] for e in c["env"] if e["name"].endswith("_FILE")}
            assert file_envs, "no *_FILE variable"
            for name, path in file_envs.items():
                directory = path.rsplit("/", 1)[0]
                assert directory in mounts, (name, path)
                assert mounts[directory]["readOnly"] is True
                volume = volumes[mounts[directory]["name"]]
                assert "secret" in volume or "csi" in volume


def test_migration_job_matches_the_deployment() -> None:
    for case in CASES:
        objects = rendered(case)
        deploy, job = one(objects, "Deployment"), one(objects, "Job")
        api, migrate = pod_spec(deploy)["containers"][0], pod_spec(job)["containers"][0]
        assert migrate["image"] == api["image"]
        assert migrate["command"] == ["sports-analytics"] and migrate["args"] == ["migrate"]
        assert api["command"] == ["sports-analytics"] and api["args"] == ["serve"]
        assert migrate["securityContext"] == api["securityContext"]
        assert pod_spec(job)["securityContext"] == pod_spec(deploy)["securityContext"]
        assert [e for e in migrate["env"] if e["name"].endswith("_FILE")] == \
               [e for e in api["env"] if e["name"].endswith("_FILE")]
        secret_volumes = lambda spec: [v for v in spec["volumes"] if v["name"] == "secrets"]  # noqa: E731
        assert secret_volumes(pod_spec(job)) == secret_volumes(pod_spec(deploy))
        assert job["spec"]["backoffLimit"] >= 0
        assert job["spec"]["activeDeadlineSeconds"] > 0
        assert job["spec"]["ttlSecondsAfterFinished"] >= 0
        assert pod_spec(job)["restartPolicy"] == "Never"


def test_migration_job_name_is_hash_of_image_and_chart_version() -> None:
    fullname = f"{RELEASE}-sports-analytics"
    names = set()
    for case in CASES:
        objects = rendered(case)
        job = one(objects, "Job")
        image = pod_spec(job)["containers"][0]["image"]
        assert re.fullmatch(rf"{fullname}-migrate-[0-9a-f]{{8}}", job["metadata"]["name"])
        assert job["metadata"]["name"] == renderer.migration_job_name(image, fullname=fullname)
        names.add((image, job["metadata"]["name"]))
    # a different image gives a different Job; so does a different chart version
    tagged = renderer.render({"image": {"tag": "9.9.9"}}, release=RELEASE, namespace=NAMESPACE)
    assert one(tagged, "Job")["metadata"]["name"] != one(rendered("defaults"), "Job")["metadata"]["name"]
    image = pod_spec(one(rendered("defaults"), "Job"))["containers"][0]["image"]
    assert renderer.migration_job_name(image, version="0.1.0") != \
        renderer.migration_job_name(image, version="0.1.1")
    long = renderer.render({"fullnameOverride": "x" * 63}, release=RELEASE, namespace=NAMESPACE)
    assert len(one(long, "Job")["metadata"]["name"]) <= 63


def test_digest_wins_over_tag() -> None:
    objects = rendered("everything-on-values")
    image = pod_spec(one(objects, "Deployment"))["containers"][0]["image"]
    assert image == "ghcr.io/sports-analytics/sports-analytics@" + CASES["everything-on-values"]["image"]["digest"]
    assert pod_spec(one(rendered("defaults"), "Deployment"))["containers"][0]["image"].endswith(":0.1.0")


def test_selectors_use_only_name_and_instance() -> None:
    selector = {"app.kubernetes.io/name": "sports-analytics", "app.kubernetes.io/instance": RELEASE}
    for case in CASES:
        objects = rendered(case)
        assert one(objects, "Deployment")["spec"]["selector"]["matchLabels"] == selector
        assert one(objects, "Service")["spec"]["selector"] == selector
        for pdb in by_kind(objects, "PodDisruptionBudget"):
            assert pdb["spec"]["selector"]["matchLabels"] == selector
        # the migration and test pods never match the API selectors
        for obj in by_kind(objects, "Job") + by_kind(objects, "Pod"):
            labels = obj["spec"]["template"]["metadata"]["labels"] if obj["kind"] == "Job" \
                else obj["metadata"]["labels"]
            assert not selector.items() <= labels.items(), obj["metadata"]["name"]
        for obj in objects:
            labels = obj["metadata"]["labels"]
            for key in ("app.kubernetes.io/instance", "app.kubernetes.io/managed-by",
                        "app.kubernetes.io/version", "helm.sh/chart"):
                assert key in labels, (obj["kind"], key)


def test_config_and_secret_checksums_roll_the_pods() -> None:
    def annotations(values: dict[str, Any]) -> dict[str, str]:
        deploy = one(renderer.render(values, release=RELEASE, namespace=NAMESPACE), "Deployment")
        return deploy["spec"]["template"]["metadata"]["annotations"]

    base = annotations(CASES["dev-create-secret-values"])
    changed_config = annotations({**CASES["dev-create-secret-values"], "config": {"logLevel": "ERROR"}})
    changed_secret = annotations({**CASES["dev-create-secret-values"],
                                  "secrets": {**CASES["dev-create-secret-values"]["secrets"],
                                              "values": {"postgresPassword": "another-dev-password"}}})
    assert changed_config["checksum/config"] != base["checksum/config"]
    assert changed_config["checksum/secret"] == base["checksum/secret"]
    assert changed_secret["checksum/secret"] != base["checksum/secret"]
    # the Job template carries no checksum (a Job's template is immutable)
    job = one(rendered("defaults"), "Job")
    assert "annotations" not in job["spec"]["template"]["metadata"]


def test_configmap_holds_the_settings() -> None:
    data = config_data("defaults")
    for key in ("APP_ENV", "LOG_LEVEL", "WEB_CONCURRENCY", "POSTGRES_HOST", "POSTGRES_PORT",
                "POSTGRES_DB", "POSTGRES_USER", "GRACEFUL_TIMEOUT", "PORT"):
        assert key in data
    assert data["APP_ENV"] == "production" and data["PORT"] == "8000"
    assert all(isinstance(v, str) for v in data.values())
    assert not any(SECRETISH.search(k) for k in data)


def test_hpa_replaces_replicas() -> None:
    assert "replicas" not in one(rendered("everything-on-values"), "Deployment")["spec"]
    hpa = one(rendered("everything-on-values"), "HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert {m["resource"]["name"] for m in hpa["spec"]["metrics"]} == {"cpu", "memory"}
    assert one(rendered("defaults"), "Deployment")["spec"]["replicas"] == 2


def test_pdb_defaults() -> None:
    pdb = one(rendered("defaults"), "PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"


def test_service_account() -> None:
    sa = one(rendered("everything-on-values"), "ServiceAccount")
    assert sa["automountServiceAccountToken"] is False
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    assert pod_spec(one(rendered("everything-on-values"), "Deployment"))["serviceAccountName"] == \
        sa["metadata"]["name"]


def test_networkpolicy_openings() -> None:
    policies = {p["metadata"]["name"]: p for p in by_kind(rendered("everything-on-values"), "NetworkPolicy")}
    api = policies[f"{RELEASE}-sports-analytics"]
    migrate = policies[f"{RELEASE}-sports-analytics-migrate"]
    assert set(api["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    sources = api["spec"]["ingress"][0]["from"]
    assert {"kubernetes.io/metadata.name": "ingress-nginx"} in [
        s.get("namespaceSelector", {}).get("matchLabels") for s in sources]
    assert {"kubernetes.io/metadata.name": "monitoring"} in [
        s.get("namespaceSelector", {}).get("matchLabels") for s in sources]

    def ports(policy: dict[str, Any]) -> set[int]:
        return {p["port"] for rule in policy["spec"]["egress"] for p in rule.get("ports", [])}

    assert {53, 5432, 443} <= ports(api)
    assert 443 not in ports(migrate) and {53, 5432} <= ports(migrate)
    assert migrate["spec"]["ingress"] == []
    db_rule = next(r for r in api["spec"]["egress"] if r["ports"][0]["port"] == 5432)
    assert db_rule["to"] == [{"ipBlock": {"cidr": "10.20.0.0/16"}}]
    gemini = next(r for r in api["spec"]["egress"] if r["ports"][0]["port"] == 443)
    assert "169.254.0.0/16" in gemini["to"][0]["ipBlock"]["except"]
    # the migration policy selects the migration pods
    job = one(rendered("everything-on-values"), "Job")
    assert migrate["spec"]["podSelector"]["matchLabels"].items() <= \
        job["spec"]["template"]["metadata"]["labels"].items()


def test_ingress_and_httproute() -> None:
    objects = rendered("everything-on-values")
    ingress = one(objects, "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"][0]["secretName"] == "sports-analytics-tls"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": f"{RELEASE}-sports-analytics", "port": {"name": "http"}}
    route = one(objects, "HTTPRoute")
    assert route["spec"]["parentRefs"][0]["name"] == "public"
    assert route["spec"]["rules"][0]["backendRefs"][0]["port"] == 80


def test_monitoring_objects() -> None:
    objects = rendered("everything-on-values")
    sm = one(objects, "ServiceMonitor")
    assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert sm["spec"]["endpoints"][0]["port"] == "http"
    assert sm["spec"]["endpoints"][0]["path"] == "/metrics"
    rule = one(objects, "PrometheusRule")
    alerts = {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]}
    assert {"SportsAnalyticsHigh5xxRatio", "SportsAnalyticsHighP99Latency",
            "SportsAnalyticsPodsNotReady", "SportsAnalyticsMigrationJobFailed",
            "SportsAnalyticsGeminiErrors"} <= alerts
    dashboard = next(o for o in by_kind(objects, "ConfigMap") if o["metadata"]["name"].endswith("-dashboard"))
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    import json

    assert json.loads(dashboard["data"]["sports-analytics.json"])["panels"]


def test_external_secret_feeds_the_mounted_secret() -> None:
    objects = rendered("everything-on-values")
    es = one(objects, "ExternalSecret")
    assert es["apiVersion"] == "external-secrets.io/v1"
    assert es["spec"]["refreshInterval"] == "30m"
    assert es["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "aws-secrets-manager"}
    assert {d["secretKey"] for d in es["spec"]["data"]} == {"postgres-password", "gemini-api-key"}
    volume = next(v for v in pod_spec(one(objects, "Deployment"))["volumes"] if v["name"] == "secrets")
    assert volume["secret"]["secretName"] == es["spec"]["target"]["name"]
    assert not by_kind(objects, "Secret")


def test_dev_mode_secret_and_loud_warning() -> None:
    objects = rendered("dev-create-secret-values")
    secret = one(objects, "Secret")
    assert base64.b64decode(secret["data"]["postgres-password"]).decode() == "dev-only-not-a-real-password"
    notes = renderer.render_templates(CASES["dev-create-secret-values"], release=RELEASE,
                                      namespace=NAMESPACE)["sports-analytics/templates/NOTES.txt"]
    assert "WARNING" in notes and "DEVELOPMENT ONLY" in notes
    for case in ("defaults", "everything-on-values"):
        notes = renderer.render_templates(CASES[case], release=RELEASE, namespace=NAMESPACE)
        assert "WARNING" not in notes["sports-analytics/templates/NOTES.txt"]


def test_csi_mode_mounts_the_driver() -> None:
    objects = rendered("csi-values")
    spc = one(objects, "SecretProviderClass")
    volume = next(v for v in pod_spec(one(objects, "Deployment"))["volumes"] if v["name"] == "secrets")
    assert volume["csi"]["driver"] == "secrets-store.csi.k8s.io"
    assert volume["csi"]["volumeAttributes"]["secretProviderClass"] == spc["metadata"]["name"]
    env = {e["name"]: e.get("value") for e in pod_spec(one(objects, "Deployment"))["containers"][0]["env"]}
    assert env["DATABASE_URL_FILE"] == "/run/secrets/sports-analytics/database-url"
    assert not {n for n in env if SECRETISH.search(n) and not n.endswith("_FILE")}


def test_hooks_mode() -> None:
    objects = rendered("hooks-existing-secret-values")
    job = one(objects, "Job")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert annotations["helm.sh/hook-weight"] == "-5"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    migrate = pod_spec(job)["containers"][0]
    # no ConfigMap yet at pre-install: the same settings are inline
    assert "envFrom" not in migrate
    inline = {e["name"]: e["value"] for e in migrate["env"]}
    assert config_data("hooks-existing-secret-values").items() <= inline.items()
    assert pod_spec(job)["serviceAccountName"] == "default"
    # the default mode is not a hook, and jobAnnotations merge in
    default_job = one(rendered("everything-on-values"), "Job")
    assert default_job["metadata"]["annotations"] == {"argocd.argoproj.io/sync-wave": "-1"}


def test_helm_test_pod_calls_readyz_through_the_service() -> None:
    pod = one(rendered("defaults"), "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    script = pod["spec"]["containers"][0]["args"][0]
    assert f"http://{RELEASE}-sports-analytics.{NAMESPACE}.svc:80/readyz" in script
    assert pod["spec"]["containers"][0]["image"] == \
        pod_spec(one(rendered("defaults"), "Deployment"))["containers"][0]["image"]
