"""``refresh`` trains after new results, and does nothing when the data did not change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tests.helpers.fake_stats import FakeStats
from tests.helpers.syncharness import refresh_season, round_robin_stats, rows, scalar

pytestmark = pytest.mark.timeout(600)

FIRST_DAY = dt.date(2026, 10, 20)
NIGHTS, FINAL_NIGHTS = 40, 30  # 15 games a night: 450 final, 150 scheduled


@pytest.fixture
def fake() -> Iterator[FakeStats]:
    with round_robin_stats(FIRST_DAY, NIGHTS, FINAL_NIGHTS) as server:
        yield server


def _refresh(db: str, fake: FakeStats) -> dict:
    return refresh_season(db, fake, 2026, timeout=500)["models"]


def _versions(db: str) -> list[tuple]:
    return [(r.model, r.version, r.is_current) for r in rows(
        db, "SELECT model, version, is_current FROM model_versions "
            "WHERE model IN ('elo_v2', 'logistic') ORDER BY model, version")]


def test_refresh_trains_after_new_results_only(migrated_db_url: str, fake: FakeStats) -> None:
    db = migrated_db_url
    first = _refresh(db, fake)
    assert first["elo_v2"]["action"] == first["logistic"]["action"] == "trained"
    assert _versions(db) == [("elo_v2", 1, True), ("logistic", 1, True)]
    scheduled = scalar(db, "SELECT count(*) FROM games WHERE status = 'scheduled'")
    per_model = rows(db, "SELECT p.model, count(*) AS n FROM predictions p JOIN games g "
                         "ON g.id = p.game_id WHERE g.status = 'scheduled' GROUP BY p.model")
    assert {r.model: r.n for r in per_model} == {
        m: scheduled for m in ("elo_v1", "home_always", "elo_v2", "logistic")}

    stamp = scalar(db, "SELECT max(created_at) FROM predictions")
    second = _refresh(db, fake)  # nothing new upstream
    assert "skipped" in second
    assert _versions(db) == [("elo_v2", 1, True), ("logistic", 1, True)]
    assert scalar(db, "SELECT max(created_at) FROM predictions") == stamp

    for g in fake.games:  # one more night goes final
        if g.day == FIRST_DAY + dt.timedelta(days=FINAL_NIGHTS):
            fake.finish(g.game_id)
    third = _refresh(db, fake)
    assert third["elo_v2"]["action"] == "trained" and third["elo_v2"]["version"] == 2
    assert ("logistic", 2, True) in _versions(db)
