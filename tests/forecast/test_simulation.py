"""The simulation's parts on an in-memory league: the game model, rating updates inside a
simulated season, waves, seeding and the post-season's use of results already known."""

from __future__ import annotations

import numpy as np
import pytest

from sports_analytics.analytics.elo import home_win_probability
from sports_analytics.forecast.odds import simulate_odds
from sports_analytics.forecast.postseason import PostSeason
from sports_analytics.forecast.season import _waves
from sports_analytics.forecast.simulate import simulate_regular_season
from tests.forecast.synthetic import league, ratings


def test_game_model_matches_elo_v1_and_conserves_rating_points() -> None:
    source = ratings()
    home, away = np.array([1600.0, 1500.0]), np.array([1500.0, 1600.0])
    no = np.zeros(2, bool)
    expected = [home_win_probability(1600, 1500), home_win_probability(1500, 1600)]
    assert source.p_home(home, away, no) == pytest.approx(expected)
    assert source.p_home(home[:1], home[:1], np.ones(1, bool)) == pytest.approx([0.5])
    won, shift = source.play(home, away, no, np.array([0.0, 0.0]))  # both home sides win
    assert won.all() and (shift > 0).all()
    assert shift[0] < shift[1]  # the favourite's win moves ratings less than the upset


def test_ratings_move_after_every_simulated_result() -> None:
    data = league()
    source = ratings()
    season = simulate_regular_season(data, source, 200, np.random.default_rng(0))
    start = np.array([source.rating(int(t)) for t in data.team_ids])
    assert not np.allclose(season.ratings, start[:, None])
    # Points move from loser to winner: the pool is the same in every simulation.
    assert season.ratings.sum(axis=0) == pytest.approx(np.full(200, start.sum()))
    assert (season.wins.sum(axis=0) == len(data.home)).all()


def test_waves_never_hold_a_team_twice() -> None:
    home, away = [1, 3, 1, 5, 7, 8], [2, 4, 6, 9, 1, 3]
    waves = _waves(home, away)
    assert waves == [slice(0, 2), slice(2, 4), slice(4, 6)]
    for wave in waves:
        teams = home[wave] + away[wave]
        assert len(teams) == len(set(teams))


def test_full_season_sums_and_strength_order() -> None:
    data = league()
    odds = simulate_odds(data, ratings(spread=150), 2_000, seed=9)
    assert sum(o.mean_wins for o in odds) == pytest.approx(1230)
    for name, total in (("p_top6", 12), ("p_playin", 8), ("p_playoffs", 16),
                        ("p_first_seed", 2), ("p_conf_finals", 4), ("p_title", 1)):
        assert sum(getattr(o, name) for o in odds) == pytest.approx(total), name
    source = ratings(spread=150)
    best = max(odds, key=lambda o: source.rating(o.team_id))
    worst = min(odds, key=lambda o: source.rating(o.team_id))
    assert best.p_title > worst.p_title and best.mean_wins > worst.mean_wins + 10


def test_a_series_in_progress_continues_from_its_score() -> None:
    data = league()
    source = ratings(spread=0)
    sims = 4_000
    flat = np.full((30, sims), 1500.0)
    high, low = np.zeros(sims, np.intp), np.ones(sims, np.intp)
    even = PostSeason(data, source, flat.copy(), flat / 3000, np.random.default_rng(1))
    share_even = (even.series(high, low) == 0).mean()
    data.series_wins[1, 0] = 3  # the lower side leads 3-0
    behind = PostSeason(data, source, flat.copy(), flat / 3000, np.random.default_rng(1))
    share_behind = (behind.series(high, low) == 0).mean()
    data.series_wins[0, 1] = 4  # a finished series is not drawn again
    done = PostSeason(data, source, flat.copy(), flat / 3000, np.random.default_rng(1))
    assert (done.series(high, low) == 0).all()
    assert 0.5 < share_even < 0.6  # equal teams: home court in four of seven games
    assert share_behind < 0.2


def test_neutral_site_games_are_marked_for_the_simulation() -> None:
    from tests.forecast.synthetic import schedule

    rows = schedule(games=600)
    rows[0] = (*rows[0][:6], True, rows[0][7])
    data = league(rows)
    assert data.neutral[0] and not data.neutral[1:].any()


def test_seasons_that_cannot_be_forecast_say_why() -> None:
    from sports_analytics.exceptions import CommandFailed
    from sports_analytics.forecast.season import build_season
    from tests.forecast.synthetic import TEAMS, schedule

    only_playoffs = [(*row[:7], "004") for row in schedule(games=40)]
    with pytest.raises(CommandFailed, match="no regular-season schedule"):
        build_season(2025, 1, TEAMS, only_playoffs)
    small = [t for t in TEAMS if t[0] not in range(1, 9)]  # 7 East teams left
    rows = [r for r in schedule(games=300) if r[0] > 8 and r[1] > 8]
    with pytest.raises(CommandFailed, match="the East conference has fewer than 10 teams"):
        build_season(2025, 1, small, rows)
