"""Games that leave the league schedule (postponed or cancelled) and come back with a new date,
against the fake stats API speaking the real schedule document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tests.helpers.fake_stats import FakeStats
from tests.helpers.pgharness import make_settings
from tests.helpers.syncharness import rows, run_cli, scalar

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def fake() -> Iterator[FakeStats]:
    server = FakeStats().start()
    yield server
    server.stop()


def _sync(db: str, fake: FakeStats) -> None:
    done = run_cli(db, fake, "sync", "--season", str(fake.season))
    assert done.returncode == 0, done.stdout + done.stderr


def _status(db: str, external_id: str) -> tuple[int, str, dt.date]:
    [row] = rows(db, "SELECT id, status, date FROM games WHERE external_id = :e", e=external_id)
    return row.id, row.status, row.date


def _predictions(db: str, game_id: int) -> list[tuple]:
    return [tuple(r) for r in rows(db, "SELECT model, home_win_prob, home_rating, away_rating "
                                       "FROM predictions WHERE game_id = :g ORDER BY model",
                                   g=game_id)]


def _upcoming(db: str) -> set[int]:
    from fastapi.testclient import TestClient

    from sports_analytics.app import create_app

    with TestClient(create_app(make_settings(db))) as client:
        body = client.get("/api/v1/games/upcoming", params={"days": 14}).json()
    return {g["game_id"] for g in body["items"]}


def test_dropped_game_is_postponed_then_comes_back_under_the_same_id(migrated_db_url: str,
                                                                     fake: FakeStats) -> None:
    db = migrated_db_url
    _sync(db, fake)
    gone = fake.games[4].game_id  # scheduled, four days after the first finals
    final = fake.games[0].game_id
    game_id, status, day = _status(db, gone)
    assert status == "scheduled" and game_id in _upcoming(db)
    predicted = scalar(db, "SELECT count(*) FROM predictions WHERE game_id = :g", g=game_id)

    fake.drop(gone)
    fake.drop(final)  # a final that leaves the schedule is never removed or demoted
    _sync(db, fake)
    assert _status(db, gone) == (game_id, "postponed", day)
    assert _status(db, final)[1] == "final"
    assert game_id not in _upcoming(db)
    # no new predictions while postponed (the old ones stay, never counted in accuracy)
    before = _predictions(db, game_id)
    fake.finish(fake.games[3].game_id)  # an earlier game goes final: the ratings move on
    _sync(db, fake)
    assert len(_predictions(db, game_id)) == predicted
    assert _predictions(db, game_id) == before
    later = scalar(db, "SELECT id FROM games WHERE external_id = :e", e=fake.games[5].game_id)
    assert _predictions(db, later) != [], "the other scheduled games are still predicted"

    new_day = day + dt.timedelta(days=5)
    fake.restore(gone, new_day)
    _sync(db, fake)
    assert _status(db, gone) == (game_id, "scheduled", new_day)
    assert game_id in _upcoming(db)


def test_schedule_marks_postponed_and_cancelled(migrated_db_url: str, fake: FakeStats) -> None:
    db = migrated_db_url
    _sync(db, fake)
    fake.postpone(fake.games[4].game_id, postponed_status="A", status_text="PPD")
    fake.postpone(fake.games[5].game_id, postponed_status="A", status_text="Cancelled")
    _sync(db, fake)
    assert _status(db, fake.games[4].game_id)[1] == "postponed"
    assert _status(db, fake.games[5].game_id)[1] == "cancelled"
    # the postponedStatus flag alone marks a game when it singles it out
    fake.restore(fake.games[4].game_id, fake.games[4].day)
    fake.postpone(fake.games[3].game_id, postponed_status="Y",
                  status_text=fake.games[3].status_text or "7:00 PM ET")
    _sync(db, fake)
    assert _status(db, fake.games[3].game_id)[1] == "postponed"
    assert _status(db, fake.games[4].game_id)[1] == "scheduled"
    accuracy_games = scalar(db, """
        SELECT count(*) FROM predictions p JOIN games g ON g.id = p.game_id
        WHERE g.status IN ('postponed', 'cancelled') AND p.was_correct IS NOT NULL""")
    assert accuracy_games == 0
