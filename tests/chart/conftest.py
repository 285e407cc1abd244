"""Fixtures shared by the chart tests."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def promtool() -> str:
    """promtool's path; CI (RUN_E2E=1) installs it, so there a missing one fails."""
    path = shutil.which("promtool")
    if not path:
        if os.environ.get("RUN_E2E"):
            pytest.fail("promtool is not installed (apt-get install prometheus)")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return path
