"""``refresh`` runs the forecast after the predictions when the data changed, and only then."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tests.helpers.fake_stats import FakeStats
from tests.helpers.syncharness import refresh_season, round_robin_stats, rows, run_cli, scalar

pytestmark = pytest.mark.timeout(300)

FIRST_DAY = dt.date(2026, 10, 20)
NIGHTS, FINAL_NIGHTS = 12, 8  # 15 games a night: 120 final, 60 scheduled


@pytest.fixture
def fake() -> Iterator[FakeStats]:
    with round_robin_stats(FIRST_DAY, NIGHTS, FINAL_NIGHTS) as server:
        yield server


def _refresh(db: str, fake: FakeStats) -> None:
    refresh_season(db, fake, 2026, timeout=240)


def test_refresh_stores_a_forecast_when_data_changed(migrated_db_url: str,
                                                     fake: FakeStats) -> None:
    _refresh(migrated_db_url, fake)
    runs = rows(migrated_db_url, "SELECT season, sims, games_remaining, data_version "
                                 "FROM forecast_runs ORDER BY id")
    assert [(r.season, r.sims, r.games_remaining) for r in runs] == [(2026, 10_000, 60)]
    assert scalar(migrated_db_url, "SELECT count(*) FROM forecast_teams") == 30
    counts = rows(migrated_db_url, "SELECT counts FROM refresh_runs ORDER BY id")[-1].counts
    assert counts["forecast"]["games_remaining"] == 60 and counts["forecast"]["sims"] == 10_000

    version = scalar(migrated_db_url, "SELECT max(version) FROM data_versions")
    _refresh(migrated_db_url, fake)  # nothing new upstream: no new run, no new data version
    assert scalar(migrated_db_url, "SELECT count(*) FROM forecast_runs") == 1
    assert scalar(migrated_db_url, "SELECT max(version) FROM data_versions") == version
    counts = rows(migrated_db_url, "SELECT counts FROM refresh_runs ORDER BY id")[-1].counts
    assert "skipped" in counts["forecast"]

    for g in fake.games:  # one more night goes final
        if g.day == FIRST_DAY + dt.timedelta(days=FINAL_NIGHTS):
            fake.finish(g.game_id)
    _refresh(migrated_db_url, fake)
    latest = rows(migrated_db_url, "SELECT games_remaining FROM forecast_runs ORDER BY id")
    assert [r.games_remaining for r in latest] == [60, 45]


TEAM_HEADER = ("season,game_date,game_id,team,opponent,home_away,pts,fgm,fga,fg3m,fg3a,ftm,fta,"
               "oreb,reb,ast,stl,blk,tov,pf,min")


def test_refresh_from_csv_on_the_demo_adds_a_forecast(seeded_db_url: str, tmp_path) -> None:
    """The demo cut back to March, then one scheduled game arrives final in a CSV directory."""
    import sqlalchemy as sa

    from tests.forecast.conftest import reopen_from
    from tests.helpers.pgharness import make_settings

    engine = sa.create_engine(make_settings(seeded_db_url).sqlalchemy_url)
    try:
        left = reopen_from(engine, dt.date(2026, 3, 1))
        with engine.connect() as conn:
            game = conn.execute(sa.text(
                "SELECT g.external_id, g.date, h.abbreviation AS home, a.abbreviation AS away "
                "FROM games g JOIN teams h ON h.id = g.home_team_id "
                "JOIN teams a ON a.id = g.away_team_id WHERE g.status = 'scheduled' "
                "ORDER BY g.date, g.id LIMIT 1")).one()
    finally:
        engine.dispose()
    (tmp_path / "night.csv").write_text("\n".join([
        TEAM_HEADER,
        f"2025,{game.date},{game.external_id},{game.home},{game.away},H,"
        "110,41,85,12,33,16,20,9,44,25,8,5,12,18,240",
        f"2025,{game.date},{game.external_id},{game.away},{game.home},A,"
        "101,38,88,10,35,15,19,10,42,22,6,4,14,20,240"]) + "\n")
    done = run_cli(seeded_db_url, None, "refresh", "--from-csv", str(tmp_path), timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    runs = rows(seeded_db_url, "SELECT season, games_remaining FROM forecast_runs")
    assert [(r.season, r.games_remaining) for r in runs] == [(2025, left - 1)]
