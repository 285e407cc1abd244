"""The PrometheusRule's rules, once extracted, pass `promtool check rules` and fire when they should
(`promtool test rules`). Skipped only when promtool is absent and RUN_E2E is unset."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers.chartlib import NAMESPACE, RELEASE, one, renderer

JOB = f"{RELEASE}-sports-analytics"
SEL = f'namespace="{NAMESPACE}",job="{JOB}"'


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    objects = renderer.render({"metrics": {"prometheusRule": {"enabled": True}}},
                              release=RELEASE, namespace=NAMESPACE)
    rule = one(objects, "PrometheusRule")
    path = tmp_path_factory.mktemp("rules") / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}, sort_keys=False))
    return path


def run(promtool: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def test_promtool_check_rules(promtool: str, rules_file: Path) -> None:
    result = run(promtool, "check", "rules", str(rules_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 rules found" in result.stdout


def test_promtool_rejects_a_broken_rule(promtool: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [
        {"alert": "Broken", "expr": "sum(rate(http_requests_total[5m]) >"}]}]}))
    assert run(promtool, "check", "rules", str(bad)).returncode != 0


def test_alerts_fire_on_the_right_series(promtool: str, rules_file: Path) -> None:
    def series(name: str, labels: str, values: str) -> dict[str, str]:
        return {"series": f"{name}{{{SEL}{',' + labels if labels else ''}}}", "values": values}

    tests = [
        {   # half the requests fail: the 5xx alert fires after 10 minutes; a healthy run stays quiet
            "interval": "1m",
            "input_series": [
                series("http_requests_total", 'method="GET",route="/api/v1/teams",status="200"', "0+60x30"),
                series("http_requests_total", 'method="GET",route="/api/v1/teams",status="500"', "0+60x30"),
            ],
            "alert_rule_test": [
                {"eval_time": "5m", "alertname": "SportsAnalyticsHigh5xxRatio", "exp_alerts": []},
                {"eval_time": "20m", "alertname": "SportsAnalyticsHigh5xxRatio", "exp_alerts": [{
                    "exp_labels": {"severity": "critical"},
                    "exp_annotations": {
                        "summary": "More than 5% of sports-analytics requests fail with 5xx",
                        "description": "50% of requests answered 5xx over the last 5 minutes.",
                    },
                }]},
            ],
        },
        {
            "interval": "1m",
            "input_series": [
                series("http_requests_total", 'method="GET",route="/healthz",status="200"', "0+60x30"),
            ],
            "alert_rule_test": [
                {"eval_time": "20m", "alertname": "SportsAnalyticsHigh5xxRatio", "exp_alerts": []},
            ],
        },
        {   # a failed migration Job alerts at once
            "interval": "1m",
            "input_series": [{
                "series": f'kube_job_failed{{namespace="{NAMESPACE}",job_name="{JOB}-migrate-0123abcd",condition="true"}}',
                "values": "0 1 1 1",
            }],
            "alert_rule_test": [{
                "eval_time": "2m", "alertname": "SportsAnalyticsMigrationJobFailed", "exp_alerts": [{
                    "exp_labels": {"severity": "critical", "namespace": NAMESPACE,
                                   "job_name": f"{JOB}-migrate-0123abcd", "condition": "true"},
                    "exp_annotations": {
                        "summary": "The sports-analytics migration Job failed",
                        "description": f"Job {JOB}-migrate-0123abcd failed; new pods stay unready until "
                                       f"the schema is at head. Read its logs with kubectl logs job/{JOB}-migrate-0123abcd.",
                    },
                }],
            }],
        },
        {   # slow requests: every observation lands in the 2.5 s bucket
            "interval": "1m",
            "input_series": [
                series("http_request_duration_seconds_bucket", 'method="GET",route="/api/v1/games",le="0.5"', "0x30"),
                series("http_request_duration_seconds_bucket", 'method="GET",route="/api/v1/games",le="2.5"', "0+60x30"),
                series("http_request_duration_seconds_bucket", 'method="GET",route="/api/v1/games",le="+Inf"', "0+60x30"),
            ],
            "alert_rule_test": [{
                "eval_time": "20m", "alertname": "SportsAnalyticsHighP99Latency", "exp_alerts": [{
                    "exp_labels": {"severity": "warning"},
                    "exp_annotations": {
                        "summary": "sports-analytics p99 latency is above 1s",
                        "description": "p99 request latency is 2.48s.",
                    },
                }],
            }],
        },
    ]
    test_file = rules_file.parent / "rules_test.yaml"
    test_file.write_text(yaml.safe_dump({"rule_files": [rules_file.name], "evaluation_interval": "1m",
                                         "tests": tests}, sort_keys=False))
    result = run(promtool, "test", "rules", test_file.name, cwd=rules_file.parent)
    assert result.returncode == 0, result.stdout + result.stderr
