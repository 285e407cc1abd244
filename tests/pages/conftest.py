"""Fixtures for the HTML pages: the demo season with features and predictions, served by the
real application on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sports_analytics.analytics.features import compute_features
from sports_analytics.analytics.predictions import run_predictions
from tests.helpers.pgharness import make_settings


@dataclass
class Site:
    client: TestClient
    engine: sa.Engine

    def scalar(self, sql: str, **params: object) -> object:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()


@pytest.fixture(scope="module")
def site(shared_seeded_db_url: str) -> Iterator[Site]:
    from sports_analytics.app import create_app

    engine = sa.create_engine(make_settings(shared_seeded_db_url).sqlalchemy_url)
    compute_features(engine)
    run_predictions(engine)
    with TestClient(create_app(make_settings(shared_seeded_db_url))) as client:
        yield Site(client, engine)
    engine.dispose()
