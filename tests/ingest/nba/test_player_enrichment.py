"""The player index is optional: when stats.nba.com answers PlayerIndex with 404, ``sync`` and
``refresh`` still commit the games, lines and schedule, and a later sync fills the details in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.fake_stats import FakeStats
from tests.helpers.syncharness import log_lines, rows, run_cli, scalar

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def fake() -> Iterator[FakeStats]:
    server = FakeStats().start()
    yield server
    server.stop()


FAILURES = {
    "http-404": (lambda f: f.unavailable.add("playerindex"), "404"),
    "missing-column": (lambda f: f.drop_columns.update({"index": {"POSITION"}}),
                       "missing column(s): POSITION"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_player_index_failure_still_commits_core_data_and_a_later_sync_fills_it_in(
        migrated_db_url: str, fake: FakeStats, failure: str) -> None:
    inject, reason = FAILURES[failure]
    inject(fake)
    done = run_cli(migrated_db_url, fake, "refresh", "--season", str(fake.season))
    assert done.returncode == 0, done.stdout + done.stderr
    warning = [x for x in log_lines(done) if x.get("event") == "player enrichment unavailable"]
    assert warning and warning[0]["level"] == "warning" and reason in warning[0]["reason"]
    assert scalar(migrated_db_url, "SELECT count(*) FROM games") == 6
    assert scalar(migrated_db_url, "SELECT count(*) FROM team_game_stats") == 6
    assert scalar(migrated_db_url, "SELECT count(*) FROM player_game_stats") == 18
    assert scalar(migrated_db_url, "SELECT count(*) FROM game_features") == 12
    [luka] = rows(migrated_db_url, "SELECT first_name, last_name, position, height_cm "
                                   "FROM players WHERE external_id = '1629029'")
    assert tuple(luka) == ("Luka", "Dončić", None, None)  # named from the game log
    [run] = rows(migrated_db_url, "SELECT outcome, counts FROM refresh_runs")
    assert run.outcome == "success"
    assert run.counts["player_enrichment"] == "unavailable"

    fake.unavailable.clear()
    fake.drop_columns.clear()
    done = run_cli(migrated_db_url, fake, "refresh", "--season", str(fake.season))
    assert done.returncode == 0, done.stdout + done.stderr
    [luka] = rows(migrated_db_url, "SELECT position, jersey_number, height_cm FROM players "
                                   "WHERE external_id = '1629029'")
    assert tuple(luka) == ("F", 3, 191)
    last = rows(migrated_db_url, "SELECT counts FROM refresh_runs ORDER BY id DESC LIMIT 1")
    assert last[0].counts["player_enrichment"] == "complete"


def test_core_documents_stay_all_or_nothing(migrated_db_url: str, fake: FakeStats) -> None:
    fake.unavailable.add("scheduleleaguev2")
    done = run_cli(migrated_db_url, fake, "sync", "--season", str(fake.season))
    assert done.returncode == 69, done.stdout + done.stderr
    assert scalar(migrated_db_url, "SELECT count(*) FROM games") == 0
    assert scalar(migrated_db_url, "SELECT count(*) FROM players") == 0
