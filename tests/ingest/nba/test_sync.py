"""``sync`` and ``refresh`` against a local fake of the NBA stats API, through the real nba_api
client (pointed at the fake by NBA_STATS_BASE_URL only) and the real CLI, on real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.fake_stats import FakeStats
from tests.helpers.syncharness import digest, log_lines, rows, run_cli, scalar, start_cli

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def fake() -> Iterator[FakeStats]:
    server = FakeStats().start()
    yield server
    server.stop()


def _sync(db: str, fake: FakeStats, *args: str, **env: str) -> Any:
    done = run_cli(db, fake, "sync", "--season", str(fake.season), *args, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _gid(fake: FakeStats, n: int) -> str:
    return f"002{fake.season % 100:02d}{n:05d}"


def test_first_sync_fills_teams_players_finals_and_schedule(migrated_db_url: str,
                                                            fake: FakeStats) -> None:
    done = _sync(migrated_db_url, fake)
    lines = log_lines(done)
    calls = [x for x in lines if x.get("event") == "nba stats call"]
    assert [c["endpoint"] for c in calls] == ["leaguegamelog[T]", "leaguegamelog[P]",
                                              "scheduleleaguev2", "playerindex"]
    assert all(isinstance(c["rows"], int) and c["rows"] > 0 and "seconds" in c for c in calls)
    summary = next(x for x in lines if x.get("event") == "sync complete")
    assert (summary["games_inserted"], summary["games_updated"], summary["final_games"],
            summary["scheduled_games"], summary["player_lines"]) == (6, 0, 3, 3, 18)

    games = {r.external_id: r for r in rows(
        migrated_db_url, "SELECT g.*, h.abbreviation AS home, a.abbreviation AS away "
        "FROM games g JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id")}
    assert set(games) == {_gid(fake, n) for n in range(1, 7)}  # no preseason, no All-Star
    assert [games[_gid(fake, n)].status for n in range(1, 7)] == ["final"] * 3 + ["scheduled"] * 3
    late = games[_gid(fake, 2)]  # 22:30 Eastern: already the next day in UTC
    assert late.date == fake.first_day
    assert late.tipoff_at.astimezone(dt.UTC).date() == fake.first_day + dt.timedelta(days=1)
    assert (late.home, late.away) == ("LAL", "GSW")
    assert all(games[_gid(fake, n)].tipoff_at is not None for n in range(1, 7))

    names = {r[0] for r in rows(migrated_db_url,
                                "SELECT first_name || ' ' || last_name FROM players")}
    assert {"Luka Dončić", "Gary Payton II", "Karl-Anthony Towns", "LeBron James"} <= names
    assert scalar(migrated_db_url, "SELECT count(*) FROM players") == 12
    luka = rows(migrated_db_url, "SELECT position, jersey_number, height_cm FROM players "
                                 "WHERE external_id = '1629029'")  # from the player index
    assert [tuple(r) for r in luka] == [("F", 3, 191)]
    assert scalar(migrated_db_url, "SELECT count(*) FROM team_game_stats") == 6
    assert scalar(migrated_db_url, "SELECT count(*) FROM player_game_stats") == 18
    # Box scores: players' points add up to the team line, team rebounds may exceed them.
    assert rows(migrated_db_url, """
        SELECT t.game_id FROM team_game_stats t JOIN player_game_stats p
          ON p.game_id = t.game_id AND p.team_id = t.team_id
        GROUP BY t.game_id, t.team_id, t.points, t.rebounds
        HAVING sum(p.points) <> t.points OR sum(p.rebounds) > t.rebounds""") == []
    # Analytics followed in the same run: features and both models for every game.
    assert scalar(migrated_db_url, "SELECT count(*) FROM game_features") == 12
    assert scalar(migrated_db_url, "SELECT count(*) FROM predictions") == 12


def test_second_sync_changes_nothing_not_even_the_data_version(migrated_db_url: str,
                                                               fake: FakeStats) -> None:
    _sync(migrated_db_url, fake)
    before = digest(migrated_db_url)
    done = _sync(migrated_db_url, fake)
    summary = next(x for x in log_lines(done) if x.get("event") == "sync complete")
    assert (summary["games_inserted"], summary["games_updated"], summary["games_unchanged"],
            summary["player_lines_written"]) == (0, 0, 6, 0)
    assert summary["data_version"] is None
    assert digest(migrated_db_url) == before


def test_game_goes_final_in_place_keeps_its_prediction_and_counts(migrated_db_url: str,
                                                                  fake: FakeStats) -> None:
    _sync(migrated_db_url, fake)
    gid = _gid(fake, 4)
    before = rows(migrated_db_url, "SELECT g.id, p.model, p.home_win_prob, p.id AS pid "
                  "FROM games g JOIN predictions p ON p.game_id = g.id "
                  "WHERE g.external_id = :e ORDER BY p.model", e=gid)
    assert len(before) == 2
    fake.finish(gid)
    _sync(migrated_db_url, fake)
    after = rows(migrated_db_url, "SELECT g.id, p.model, p.home_win_prob, p.id AS pid, g.status, "
                 "p.was_correct FROM games g JOIN predictions p ON p.game_id = g.id "
                 "WHERE g.external_id = :e ORDER BY p.model", e=gid)
    assert [(r.id, r.model, r.home_win_prob, r.pid) for r in after] == \
        [(r.id, r.model, r.home_win_prob, r.pid) for r in before]
    assert all(r.status == "final" and r.was_correct is not None for r in after)
    assert scalar(migrated_db_url, "SELECT count(*) FROM player_game_stats ps JOIN games g "
                  "ON g.id = ps.game_id WHERE g.external_id = :e", e=gid) == 6

    from sports_analytics.analytics.predictions import accuracy_report
    from tests.helpers.syncharness import engine

    eng = engine(migrated_db_url)
    with eng.connect() as conn:
        report = {m["model"]: m for m in accuracy_report(conn, fake.season)}
    eng.dispose()
    assert set(report) == {"elo_v1", "home_always"}
    assert all(m["games"] == 4 for m in report.values())


def test_rescheduled_game_moves_to_its_new_date(migrated_db_url: str, fake: FakeStats) -> None:
    _sync(migrated_db_url, fake)
    gid = _gid(fake, 5)
    old_id = scalar(migrated_db_url, "SELECT id FROM games WHERE external_id = :e", e=gid)
    new_day = fake.game(gid).day + dt.timedelta(days=2)
    fake.move(gid, new_day)
    _sync(migrated_db_url, fake)
    moved = rows(migrated_db_url, "SELECT id, date FROM games WHERE external_id = :e", e=gid)
    assert [(r.id, r.date) for r in moved] == [(old_id, new_day)]


def _negative(fake: FakeStats) -> None:
    fake.overrides[(_gid(fake, 1), "1628369")] = {"REB": -1, "OREB": 0, "DREB": -1}


def _disagree(fake: FakeStats) -> None:
    line = fake.box(fake.game(_gid(fake, 1)))["BOS"][1][0]
    fake.overrides[(_gid(fake, 1), "1628369")] = {"FGM": line["FGM"] + 1, "FGA": line["FGA"] + 1,
                                                  "PTS": line["PTS"] + 2}


FAULTS = {
    "http-500-until-retries-run-out": (lambda f: f.faults.extend(
        [("scheduleleaguev2", "status", 500)] * 10), "scheduleleaguev2", "HTTP 500"),
    "hang-past-timeout": (lambda f: f.faults.extend(
        [("leaguegamelog[P]", "hang", 3)] * 3), "leaguegamelog[P]", "timed out"),
    "truncated-json": (lambda f: f.faults.append(("leaguegamelog[T]", "truncate", None)),
                       "leaguegamelog[T]", "not valid JSON"),
    "missing-header-column": (lambda f: f.drop_columns.update({"T": {"FGA"}}),
                              "leaguegamelog[T]", "missing column(s): FGA"),
    "negative-count": (_negative, "leaguegamelog[P]", "between 0 and"),
    "player-sum-disagrees": (_disagree, "leaguegamelog[P]", "players' PTS sum"),
}  # a failing player index does not fail the sync: tests/ingest/nba/test_player_enrichment.py


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_exits_non_zero_in_one_json_line_and_changes_nothing(
        migrated_db_url: str, fake: FakeStats, fault: str) -> None:
    _sync(migrated_db_url, fake)
    fake.finish(_gid(fake, 4))  # something new upstream that must not half-arrive
    before = digest(migrated_db_url)
    inject, endpoint, reason = FAULTS[fault]
    inject(fake)
    done = run_cli(migrated_db_url, fake, "sync", "--season", str(fake.season))
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output and "command crashed" not in output, output
    errors = [x for x in log_lines(done) if x.get("level") in {"error", "critical"}]
    assert len(errors) == 1, output
    assert errors[0]["event"] == "command failed"
    assert errors[0]["error"].startswith(endpoint) and reason in errors[0]["error"], errors[0]
    assert digest(migrated_db_url) == before


def test_429_with_retry_after_is_waited_out(migrated_db_url: str, fake: FakeStats) -> None:
    fake.faults.append(("leaguegamelog[T]", "status", (429, {"Retry-After": "1"})))
    _sync(migrated_db_url, fake)
    calls = [r for r in fake.requests if r["endpoint"] == "leaguegamelog"]
    assert len(calls) == 3  # T refused, T again, then P
    assert calls[1]["at"] - calls[0]["at"] >= 0.95  # honoured Retry-After
    assert scalar(migrated_db_url, "SELECT count(*) FROM games") == 6


def test_refresh_twice_at_once_runs_once(migrated_db_url: str, fake: FakeStats) -> None:
    fake.faults.append(("leaguegamelog[T]", "hang", 5))  # keeps the first run busy
    args = ("refresh", "--season", str(fake.season))
    first = start_cli(migrated_db_url, fake, *args, NBA_STATS_TIMEOUT_SECONDS="30")
    time.sleep(0.2)
    deadline = time.monotonic() + 20
    while not scalar(migrated_db_url, "SELECT count(*) FROM refresh_runs") \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    second = run_cli(migrated_db_url, fake, *args)
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, out1 + err1
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already running" in second.stdout + second.stderr
    runs = rows(migrated_db_url, "SELECT outcome FROM refresh_runs")
    assert [r.outcome for r in runs] == ["success"]
    assert scalar(migrated_db_url, "SELECT count(*) FROM games") == 6
    assert scalar(migrated_db_url, "SELECT count(*) FROM predictions") == 12


def test_refresh_with_nothing_new_bumps_no_data_version(migrated_db_url: str,
                                                        fake: FakeStats) -> None:
    for _ in range(2):
        done = run_cli(migrated_db_url, fake, "refresh", "--season", str(fake.season))
        assert done.returncode == 0, done.stdout + done.stderr
    runs = rows(migrated_db_url, "SELECT outcome, data_version, counts, finished_at "
                "FROM refresh_runs ORDER BY id")
    assert [r.outcome for r in runs] == ["success", "success"]
    assert runs[0].data_version == runs[1].data_version
    assert runs[1].counts["games_unchanged"] == 6 and runs[1].counts["games_inserted"] == 0
    assert runs[1].data_version == scalar(migrated_db_url,
                                          "SELECT max(version) FROM data_versions")


def test_failed_refresh_is_recorded_and_leaves_data_alone(migrated_db_url: str,
                                                          fake: FakeStats) -> None:
    before = digest(migrated_db_url)
    fake.faults.extend([("scheduleleaguev2", "status", 503)] * 10)
    done = run_cli(migrated_db_url, fake, "refresh", "--season", str(fake.season))
    assert done.returncode != 0
    runs = rows(migrated_db_url, "SELECT outcome, error, finished_at FROM refresh_runs")
    assert len(runs) == 1 and runs[0].outcome == "failed"
    assert runs[0].error.startswith("scheduleleaguev2: HTTP 503")
    assert runs[0].finished_at is not None
    assert digest(migrated_db_url) == before


def test_killed_refresh_is_closed_as_interrupted_by_the_next(migrated_db_url: str,
                                                              fake: FakeStats) -> None:
    fake.faults.append(("leaguegamelog[T]", "hang", 30))
    proc = start_cli(migrated_db_url, fake, "refresh", "--season", str(fake.season),
                     NBA_STATS_TIMEOUT_SECONDS="60")
    deadline = time.monotonic() + 20
    while not scalar(migrated_db_url, "SELECT count(*) FROM refresh_runs") \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.kill()
    proc.communicate(timeout=30)
    fake.faults.clear()
    done = run_cli(migrated_db_url, fake, "refresh", "--season", str(fake.season))
    assert done.returncode == 0, done.stdout + done.stderr
    runs = rows(migrated_db_url, "SELECT outcome, error FROM refresh_runs ORDER BY id")
    assert [r.outcome for r in runs] == ["failed", "success"]
    assert runs[0].error.startswith("interrupted")


def test_refresh_skips_checks_only_for_identical_documents(migrated_db_url: str,
                                                            fake: FakeStats) -> None:
    args = ("refresh", "--season", str(fake.season))
    for _ in range(2):
        assert run_cli(migrated_db_url, fake, *args).returncode == 0
    fake.finish(_gid(fake, 4))
    assert run_cli(migrated_db_url, fake, *args).returncode == 0
    runs = rows(migrated_db_url, "SELECT counts FROM refresh_runs ORDER BY id")
    assert [r.counts["upstream_unchanged"] for r in runs] == [False, True, False]
    assert runs[2].counts["games_updated"] == 1
    assert scalar(migrated_db_url, "SELECT status FROM games WHERE external_id = :e",
                  e=_gid(fake, 4)) == "final"
    # Another writer since the last run: the documents are checked and written again.
    _sync(migrated_db_url, fake, "--full")
    assert run_cli(migrated_db_url, fake, *args).returncode == 0
    last = rows(migrated_db_url, "SELECT counts FROM refresh_runs ORDER BY id DESC LIMIT 1")[0]
    assert last.counts["upstream_unchanged"] is False


def test_sync_refuses_to_overlap_the_demo_season(seeded_db_url: str) -> None:
    from tests.helpers.fake_stats import FakeGame

    demo = rows(seeded_db_url, "SELECT g.date, h.abbreviation AS home, a.abbreviation AS away "
                "FROM games g JOIN teams h ON h.id = g.home_team_id "
                "JOIN teams a ON a.id = g.away_team_id ORDER BY g.id LIMIT 1")[0]
    fake = FakeStats(first_day=demo.date, games=[
        FakeGame("0022500001", demo.date, dt.time(19, 30), demo.home, demo.away, False, 1)]).start()
    try:
        before = digest(seeded_db_url)
        done = run_cli(seeded_db_url, fake, "sync", "--season", str(fake.season))
        assert done.returncode == 65, done.stdout + done.stderr
        [error] = [x for x in log_lines(done) if x.get("level") == "error"]
        assert "demo season" in error["error"] and "DEMO-" in error["error"]
        assert digest(seeded_db_url) == before
    finally:
        fake.stop()


def test_playoffs_season_type_imports_only_playoff_games(migrated_db_url: str,
                                                         fake: FakeStats) -> None:
    from tests.helpers.fake_stats import FakeGame

    yy = f"{fake.season % 100:02d}"
    day = fake.first_day + dt.timedelta(days=1)
    fake.games += [FakeGame(f"004{yy}00101", day, dt.time(20, 0), "BOS", "NYK", True, 41),
                   FakeGame(f"004{yy}00102", day + dt.timedelta(days=3), dt.time(20, 0),
                            "NYK", "BOS", False, 42)]
    _sync(migrated_db_url, fake, "--season-type", "playoffs")
    got = rows(migrated_db_url, "SELECT external_id, status FROM games ORDER BY external_id")
    assert [(r.external_id, r.status) for r in got] == [
        (f"004{yy}00101", "final"), (f"004{yy}00102", "scheduled")]
    params = [r["params"] for r in fake.requests if r["endpoint"] == "leaguegamelog"]
    assert {p["SeasonType"] for p in params} == {"Playoffs"}


def test_refresh_wait_runs_after_the_first_finishes(migrated_db_url: str,
                                                    fake: FakeStats) -> None:
    fake.faults.append(("leaguegamelog[T]", "hang", 3))
    args = ("refresh", "--season", str(fake.season))
    first = start_cli(migrated_db_url, fake, *args, NBA_STATS_TIMEOUT_SECONDS="30")
    deadline = time.monotonic() + 20
    while not scalar(migrated_db_url, "SELECT count(*) FROM refresh_runs") \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    second = run_cli(migrated_db_url, fake, *args, "--wait")
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0 and second.returncode == 0, out1 + err1 + second.stderr
    runs = rows(migrated_db_url, "SELECT outcome, started_at, finished_at, counts "
                "FROM refresh_runs ORDER BY id")
    assert [r.outcome for r in runs] == ["success", "success"]
    assert runs[1].started_at >= runs[0].finished_at  # never two at once
    assert runs[1].counts["upstream_unchanged"] is True
    assert scalar(migrated_db_url, "SELECT count(*) FROM games") == 6
