"""The npm-locked browser tools (tools/browser): exact versions, every package with an integrity
hash, and no registry host or download URL in the lock (its .npmrc omits them)."""

from __future__ import annotations

import json

from tests.browser.conftest import REPO

TOOLS = REPO / "tools" / "browser"


def test_versions_are_exact() -> None:
    wanted = json.loads((TOOLS / "package.json").read_text())["devDependencies"]
    assert wanted["lighthouse"] == "12.2.3"
    assert all(version[0].isdigit() for version in wanted.values()), wanted
    locked = json.loads((TOOLS / "package-lock.json").read_text())["packages"]
    for name, version in wanted.items():
        assert locked[f"node_modules/{name}"]["version"] == version


def test_lock_has_hashes_and_no_registry() -> None:
    text = (TOOLS / "package-lock.json").read_text()
    packages = json.loads(text)["packages"]
    installed = {k: v for k, v in packages.items() if k.startswith("node_modules/")}
    assert installed
    assert [k for k, v in installed.items() if not v.get("integrity", "").startswith("sha512-")] == []
    assert [k for k, v in installed.items() if "resolved" in v] == []
    assert "registry" not in text.lower()
    assert "omit-lockfile-registry-resolved=true" in (TOOLS / ".npmrc").read_text()
