"""What every forecast must satisfy: sums across teams, win ranges, certainty once decided,
reproducibility, and agreement with the standings' clinched and eliminated marks."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
import sqlalchemy as sa

from sports_analytics.forecast.odds import exact_seeds
from sports_analytics.forecast.run import run_forecast
from sports_analytics.forecast.store import read_season
from sports_analytics.standings.marks import CLINCHED_PLAYOFFS, Record, league_marks
from tests.forecast.conftest import DEMO_SEASON, reopen_from, stored_odds

SIMS = 4_000
# Expected sum across teams of each probability, and of the mean wins (games in the season).
SUMS = {"p_top6": 12, "p_playin": 8, "p_playoffs": 16, "p_first_seed": 2, "p_conf_finals": 4,
        "p_title": 1}
PROBABILITIES = tuple(SUMS)


def _left(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("""
            SELECT t.abbreviation, count(g.id) FROM teams t
            LEFT JOIN games g ON g.status = 'scheduled'
                 AND t.id IN (g.home_team_id, g.away_team_id)
            GROUP BY t.abbreviation"""))
        return {a: int(n) for a, n in rows}


def test_mid_season_sums_and_win_ranges(engine: sa.Engine) -> None:
    assert reopen_from(engine, dt.date(2026, 1, 15)) > 400
    run = run_forecast(engine, DEMO_SEASON, sims=SIMS, seed=11)
    odds = stored_odds(engine, run["run_id"])
    left = _left(engine)
    assert len(odds) == 30
    # The sums are exact per simulation (every simulated season has 12 top-6 seeds, one
    # champion...), so they hold to rounding; mean wins add up to the 1,230 games.
    assert sum(o["mean_wins"] for o in odds.values()) == pytest.approx(1230, abs=1e-6)
    for name, total in SUMS.items():
        assert sum(o[name] for o in odds.values()) == pytest.approx(total, abs=1e-9), name
    for team, o in odds.items():
        assert o["wins"] <= o["wins_p10"] <= o["mean_wins"] <= o["wins_p90"] \
            <= o["wins"] + left[team], team
        assert all(0 <= o[p] <= 1 for p in PROBABILITIES)
        assert o["p_playoffs"] >= o["p_top6"] and o["p_top6"] + o["p_playin"] <= 1 + 1e-12
        assert o["p_title"] <= o["p_conf_finals"] <= o["p_playoffs"]
    # Not a degenerate run: the race is still open for some teams.
    assert any(0.05 < o["p_playoffs"] < 0.95 for o in odds.values())
    assert any(0 < o["p_title"] < 1 for o in odds.values())


def test_sums_hold_within_simulation_error_per_team(engine: sa.Engine) -> None:
    """Two runs with different seeds agree within a few standard errors, team by team."""
    reopen_from(engine, dt.date(2026, 2, 15))
    a = stored_odds(engine, run_forecast(engine, DEMO_SEASON, sims=SIMS, seed=1)["run_id"])
    b = stored_odds(engine, run_forecast(engine, DEMO_SEASON, sims=SIMS, seed=2)["run_id"])
    for team in a:
        for p in PROBABILITIES:
            mean = (a[team][p] + b[team][p]) / 2
            error = math.sqrt(2 * mean * (1 - mean) / SIMS)
            assert abs(a[team][p] - b[team][p]) <= 5 * error + 1e-9, (team, p)


def test_fixed_seed_gives_identical_output(engine: sa.Engine) -> None:
    reopen_from(engine, dt.date(2026, 3, 1))
    first = stored_odds(engine, run_forecast(engine, DEMO_SEASON, sims=3_000, seed=7)["run_id"])
    again = stored_odds(engine, run_forecast(engine, DEMO_SEASON, sims=3_000, seed=7)["run_id"])
    other = stored_odds(engine, run_forecast(engine, DEMO_SEASON, sims=3_000, seed=8)["run_id"])

    def values(odds: dict[str, dict]) -> dict[str, tuple]:
        return {t: tuple(v for k, v in o.items() if k != "run_id") for t, o in odds.items()}

    assert values(first) == values(again)
    assert values(first) != values(other)


def test_clinched_and_eliminated_marks_agree(engine: sa.Engine) -> None:
    """Late in the season some teams are marked; the odds must agree with every mark."""
    from sports_analytics.standings.tiebreak import Season, Team, seed_league

    reopen_from(engine, dt.date(2026, 3, 25))
    data, _ = read_season(engine, DEMO_SEASON, lock_wait=None)
    left = np.bincount(data.home, minlength=30) + np.bincount(data.away, minlength=30)
    ids = [int(t) for t in data.team_ids]
    records = {ids[i]: Record(int(data.wins[i]), int(data.losses[i]), int(left[i]))
               for i in range(30)}
    teams = [Team(ids[i], ("East", "West")[data.conference[i]], str(data.division[i]))
             for i in range(30)]
    pair_wins = {(ids[i], ids[j]): int(data.h2h[i, j]) for i in range(30) for j in range(30)}
    seeds = seed_league(Season.from_pair_wins(teams, pair_wins, {}))
    marks = league_marks(records, seeds)
    odds = {o["team_id"]: o for o in stored_odds(
        engine, run_forecast(engine, DEMO_SEASON, sims=SIMS, seed=5)["run_id"]).values()}
    clinched = [t for t, m in marks.items() if m.clinched == CLINCHED_PLAYOFFS]
    in_postseason = [t for t, m in marks.items() if m.clinched is not None]
    eliminated = [t for t, m in marks.items() if m.eliminated]
    assert clinched and eliminated, "the fixture date should leave some teams marked"
    for t in clinched:
        assert odds[t]["p_playoffs"] == 1.0 and odds[t]["p_top6"] == 1.0, t
    for t in in_postseason:
        assert odds[t]["p_top6"] + odds[t]["p_playin"] == pytest.approx(1.0), t
    for t in eliminated:
        assert odds[t]["p_playoffs"] == 0.0 and odds[t]["p_playin"] == 0.0, t


def test_finished_regular_season_is_certain_and_matches_the_standings(
        engine: sa.Engine) -> None:
    run = run_forecast(engine, DEMO_SEASON, sims=2_000, seed=3)
    assert run["games_remaining"] == 0
    odds = stored_odds(engine, run["run_id"])
    data, _ = read_season(engine, DEMO_SEASON, lock_wait=None)
    order = {c: [data.abbreviations[i] for i in seeds]
             for c, seeds in zip(("East", "West"), exact_seeds(data), strict=True)}
    for conference, teams in order.items():
        for position, team in enumerate(teams, start=1):
            o = odds[team]
            assert o["conference"] == conference
            assert o["mean_wins"] == o["wins_p10"] == o["wins_p90"] == o["wins"]
            assert o["p_first_seed"] == (position == 1)
            assert o["p_top6"] == (position <= 6)
            assert o["p_playin"] == (7 <= position <= 10)
            if position <= 6 or position > 10:
                assert o["p_playoffs"] == (position <= 6)
            if position > 10:
                assert o["p_conf_finals"] == o["p_title"] == 0


def _add_postseason(engine: sa.Engine, games: list[tuple[str, int, int, bool]]) -> None:
    """Insert final post-season games: (prefix, home id, away id, home won), one a day."""
    with engine.begin() as conn:
        next_id = int(conn.execute(sa.text("SELECT max(id) FROM games")).scalar_one()) + 1
        for k, (prefix, home, away, home_won) in enumerate(games):
            conn.execute(sa.text(
                "INSERT INTO games (id, season, date, home_team_id, away_team_id, home_score, "
                "away_score, status, external_id) VALUES (:id, :s, :d, :h, :a, :hs, :as_, "
                "'final', :ext)"),
                {"id": next_id + k, "s": DEMO_SEASON, "d": dt.date(2026, 4, 14)
                 + dt.timedelta(days=k), "h": home, "a": away, "hs": 110 if home_won else 100,
                 "as_": 100 if home_won else 110, "ext": f"{prefix}25{k:05d}"})


def _sweep(high: int, low: int) -> list[tuple[str, int, int, bool]]:
    """``high`` wins a series 4-0 (2-2 home games)."""
    return [("004", high, low, True), ("004", high, low, True),
            ("004", low, high, False), ("004", low, high, False)]


def test_finished_season_with_postseason_results_is_certain(engine: sa.Engine) -> None:
    data, _ = read_season(engine, DEMO_SEASON, lock_wait=None)
    ids = [[int(data.team_ids[i]) for i in order] for order in exact_seeds(data)]
    games: list[tuple[str, int, int, bool]] = []
    for s in ids:  # 7 beats 8, 10 beats 9, then 8 beats 10: the field is seeds 1-8
        games += [("005", s[6], s[7], True), ("005", s[8], s[9], False),
                  ("005", s[7], s[9], True)]
        for high, low in ((0, 7), (3, 4), (2, 5), (1, 6), (0, 3), (1, 2), (0, 1)):
            games += _sweep(s[high], s[low])
    games += _sweep(ids[1][0], ids[0][0])  # the West's first seed beats the East's
    _add_postseason(engine, games)
    run = run_forecast(engine, DEMO_SEASON, sims=1_000, seed=4)
    assert run["games_remaining"] == 0
    odds = {o["team_id"]: o for o in stored_odds(engine, run["run_id"]).values()}
    for seeds in ids:
        for position, team in enumerate(seeds, start=1):
            o = odds[team]
            assert o["p_playoffs"] == (position <= 8), (position, o)
            assert o["p_conf_finals"] == (position <= 2), (position, o)
            assert o["p_title"] == (team == ids[1][0]), (position, o)
            assert all(o[p] in (0.0, 1.0) for p in PROBABILITIES)
            assert o["mean_wins"] == o["wins"]  # post-season games are not regular-season wins
