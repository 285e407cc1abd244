"""The chart README's parameter table is generated from values.yaml and must match it."""

from __future__ import annotations

import importlib.util
import sys

import pytest
import yaml

from tests.helpers.chartlib import CHART_DIR, REPO

spec = importlib.util.spec_from_file_location("chart_values_table", REPO / "scripts" / "chart_values_table.py")
assert spec and spec.loader
values_table = importlib.util.module_from_spec(spec)
sys.modules["chart_values_table"] = values_table
spec.loader.exec_module(values_table)


def test_readme_table_matches_values_yaml() -> None:
    readme = (CHART_DIR / "README.md").read_text()
    assert readme == values_table.readme_with_table(readme, values_table.table()), (
        "charts/sports-analytics/README.md is out of date: run make chart-docs"
    )
    assert values_table.main(["--check"]) == 0


def test_every_value_is_documented_and_in_the_table() -> None:
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    readme = (CHART_DIR / "README.md").read_text()
    for top in values:
        assert f"| `{top}" in readme, top


def test_checker_catches_an_undocumented_key(tmp_path) -> None:
    text = (CHART_DIR / "values.yaml").read_text() + "\nsneaky: true\n"
    path = tmp_path / "values.yaml"
    path.write_text(text)
    with pytest.raises(values_table.ValuesDocError, match="sneaky"):
        values_table.table(path)


def test_checker_catches_a_stale_default(tmp_path) -> None:
    text = (CHART_DIR / "values.yaml").read_text().replace("replicaCount: 2", "replicaCount: 3")
    path = tmp_path / "values.yaml"
    path.write_text(text)
    readme = (CHART_DIR / "README.md").read_text()
    assert values_table.readme_with_table(readme, values_table.table(path)) != readme


def test_values_keys_are_camel_case() -> None:
    import re

    def walk(node, path=""):
        if isinstance(node, dict):
            for key, value in node.items():
                here = f"{path}.{key}" if path else key
                # free-form maps (labels, annotations, selectors, env) may hold any key
                if path.split(".")[-1] in {"commonLabels", "extra", "annotations", "labels",
                                           "matchLabels", "jobAnnotations", "podAnnotations",
                                           "podLabels", "nodeSelector", "parameters",
                                           "additionalAlertLabels"}:
                    continue
                assert re.fullmatch(r"[a-z][A-Za-z0-9]*", key), here
                walk(value, here)

    walk(yaml.safe_load((CHART_DIR / "values.yaml").read_text()))
