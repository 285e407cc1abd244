"""NBA tie-breakers: each criterion in its place, multi-team ties, restarts, division ties.

Each two-team test makes the criterion under test favour one team and a *later* criterion
favour the other, so a rule applied out of order fails the test.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from sports_analytics.standings.tiebreak import (
    GameResult,
    Season,
    division_winners,
    seed_league,
)
from tests.standings.leagues import ABBR, ID, TEAMS, WEST, League, order_of, seeds


def vs_west(league: League, team: str, wins: int, losses: int, margin: int = 1) -> League:
    for k in range(wins):
        league.win(team, WEST[k % len(WEST)], margin=margin)
    for k in range(losses):
        league.win(WEST[(k + 7) % len(WEST)], team, margin=margin)
    return league


def test_real_example_new_york_over_cleveland_by_head_to_head() -> None:
    """2026-02-22: both 36-21, New York won both meetings: New York 3rd, Cleveland 4th."""
    lg = League()
    vs_west(lg, "DET", 42, 13)
    vs_west(lg, "BOS", 38, 18)
    lg.win("NYK", "CLE", 2)
    vs_west(lg, "NYK", 34, 21)
    # Cleveland is better on every later criterion: conference record, point differential.
    lg.win("CLE", "WAS", 10, margin=20).win("CLE", "CHA", 10, margin=20)
    vs_west(lg, "CLE", 16, 19)
    season = lg.season()
    assert (season.wins[ID["NYK"]], season.losses[ID["NYK"]]) == (36, 21)
    assert (season.wins[ID["CLE"]], season.losses[ID["CLE"]]) == (36, 21)
    assert seeds(season, "East")[:4] == ["DET", "BOS", "NYK", "CLE"]


def test_head_to_head_before_division_winner() -> None:
    lg = League().win("NYK", "CLE", 2)  # New York won the season series...
    vs_west(lg, "NYK", 8, 5)
    vs_west(lg, "CLE", 10, 3)  # ...Cleveland wins the Central, New York not the Atlantic
    vs_west(lg, "BOS", 12, 0)
    east = seeds(lg.season(), "East")
    assert order_of(["NYK", "CLE"], east) == ["NYK", "CLE"]


def test_division_winner_second() -> None:
    lg = League().win("BOS", "CLE").win("CLE", "BOS")  # series split
    vs_west(lg, "BOS", 9, 4)  # Atlantic winner
    lg.win("CLE", "CHI", 6)  # better conference record, but Detroit wins the Central
    vs_west(lg, "CLE", 3, 4)
    vs_west(lg, "DET", 12, 0)
    east = seeds(lg.season(), "East")
    assert division_winners(lg.season())["Atlantic"] == ID["BOS"]
    assert order_of(["BOS", "CLE"], east) == ["BOS", "CLE"]


def test_division_record_third_when_same_division() -> None:
    lg = League().win("NYK", "BOS").win("BOS", "NYK")
    lg.win("NYK", "TOR", 2)  # division games
    vs_west(lg, "NYK", 1, 1)
    lg.win("BOS", "MIA", 3, margin=15)  # conference (not division) games, big margins
    vs_west(lg, "BOS", 0, 1)
    vs_west(lg, "PHI", 10, 0)  # Philadelphia wins the Atlantic
    season = lg.season()
    assert season.record_vs(ID["BOS"], [ID["MIA"], ID["NYK"]]) == (4, 1)  # conference 4-1
    assert order_of(["NYK", "BOS"], seeds(season, "East")) == ["NYK", "BOS"]


def test_conference_record_fourth() -> None:
    lg = League().win("CHI", "ORL").win("ORL", "CHI")
    lg.win("CHI", "WAS", 2)
    vs_west(lg, "CHI", 2, 2)
    lg.win("ORL", "WAS").win("CHA", "ORL")
    vs_west(lg, "ORL", 3, 1, margin=20)
    vs_west(lg, "DET", 12, 0).win("ATL", "WAS", 12)  # division winners elsewhere
    assert order_of(["CHI", "ORL"], seeds(lg.season(), "East")) == ["CHI", "ORL"]


def _east_ladder(league: League, skip: tuple[str, ...]) -> list[str]:
    # New York and Atlanta on top, so neither tied team below wins its division
    rest = [t for t in ("NYK", "ATL", "DET", "PHI", "MIL", "IND", "CHI", "CLE", "TOR",
                        "BKN", "CHA", "WAS", "MIA", "ORL", "BOS") if t not in skip]
    league.ladder(rest)
    return rest


def test_playoff_eligible_own_conference_fifth() -> None:
    """Same conference record; Boston beat an eligible team, Orlando only non-eligible ones."""
    lg = League()
    ladder = _east_ladder(lg, ("BOS", "ORL"))  # 13 teams, 24 games each, 2-win spacing
    top, bottom = ladder[0], ladder[-5:]  # the last five finish 11th-15th: not eligible
    lg.win("BOS", top).win("BOS", bottom[4]).win("BOS", bottom[3])
    lg.win(bottom[2], "BOS").win(bottom[1], "BOS")
    lg.win("ORL", bottom[4], margin=30).win("ORL", bottom[3], margin=30)
    lg.win("ORL", bottom[2], margin=30).win(top, "ORL").win(ladder[1], "ORL")
    season = lg.season()
    east = seeds(season, "East")
    assert set(east[10:]) == set(bottom)  # the eligible set is what the test assumes
    assert order_of(["BOS", "ORL"], east) == ["BOS", "ORL"]


def test_playoff_eligible_other_conference_sixth() -> None:
    lg = League().ladder(WEST)  # West: top ten eligible, last five not
    lg.win("BOS", WEST[0]).win(WEST[14], "BOS")
    lg.win("ORL", WEST[14], margin=30).win(WEST[0], "ORL")
    vs_west(lg, "NYK", 3, 0).win("ATL", WEST[13], 3)  # they win Boston's and Orlando's divisions
    assert order_of(["BOS", "ORL"], seeds(lg.season(), "East")) == ["BOS", "ORL"]


def test_point_differential_seventh_then_a_seeded_draw() -> None:
    lg = League()
    vs_west(lg, "BOS", 2, 1, margin=3)
    vs_west(lg, "ORL", 2, 1, margin=2)
    vs_west(lg, "NYK", 3, 0).win("ATL", WEST[13], 3)
    assert order_of(["BOS", "ORL"], seeds(lg.season(), "East")) == ["BOS", "ORL"]

    even = League()
    vs_west(even, "BOS", 2, 1)
    vs_west(even, "ORL", 2, 1)
    vs_west(even, "NYK", 3, 0).win("ATL", WEST[13], 3)
    orders = {tuple(order_of(["BOS", "ORL"], seeds(even.season(), "East", s)))
              for s in range(20)}
    assert orders == {("BOS", "ORL"), ("ORL", "BOS")}  # a real draw...
    first = seeds(even.season(), "East", 7)
    assert all(seeds(even.season(), "East", 7) == first for _ in range(3))  # ...reproducible


def test_three_way_tie_division_winner_first_then_two_team_restart() -> None:
    """Boston wins the Atlantic; Cleveland and Miami then restart with the two-team list."""
    lg = League()
    lg.win("CLE", "MIA", 2).win("BOS", "CLE", 3).win("MIA", "BOS", 3)
    # Among all three Miami is best (3-2), so not restarting would put Miami before Cleveland.
    vs_west(lg, "BOS", 3, 1)
    vs_west(lg, "CLE", 4, 1)
    vs_west(lg, "MIA", 3, 2)
    vs_west(lg, "DET", 10, 0).win("ATL", WEST[13], 10)
    season = lg.season()
    assert {season.win_pct(ID[t]) for t in ("BOS", "CLE", "MIA")} == {Fraction(3, 5)}
    assert order_of(["BOS", "CLE", "MIA"], seeds(season, "East")) == ["BOS", "CLE", "MIA"]


def test_three_way_tie_by_record_among_the_tied_teams() -> None:
    lg = League()
    lg.win("MIA", "CLE", 2).win("CLE", "TOR", 2).win("TOR", "MIA")  # MIA 2-1, CLE 2-2, TOR 1-2
    vs_west(lg, "MIA", 4, 3, margin=1)
    vs_west(lg, "CLE", 4, 2, margin=9)  # the best point differential
    vs_west(lg, "TOR", 5, 2, margin=5)
    vs_west(lg, "DET", 10, 0).win("ATL", WEST[13], 10).win("BOS", WEST[12], 10)
    season = lg.season()
    assert {season.win_pct(ID[t]) for t in ("MIA", "CLE", "TOR")} == {Fraction(3, 5)}
    assert order_of(["MIA", "CLE", "TOR"], seeds(season, "East")) == ["MIA", "CLE", "TOR"]


def test_division_tie_is_broken_first_and_decides_the_division_winner() -> None:
    lg = League()
    lg.win("NYK", "BOS", 2).win("CLE", "NYK").win("BOS", "CLE", 2)  # BOS 2-2, NYK 2-1, CLE 1-2
    vs_west(lg, "BOS", 4, 2)
    vs_west(lg, "NYK", 4, 3)
    vs_west(lg, "CLE", 5, 2)
    vs_west(lg, "DET", 10, 0)
    season = lg.season()
    # Boston and New York tie atop the Atlantic; New York won the series: Atlantic winner.
    assert division_winners(season)["Atlantic"] == ID["NYK"]
    # Three-way conference tie: the division winner first, then Boston-Cleveland head-to-head.
    assert order_of(["BOS", "NYK", "CLE"], seeds(season, "East")) == ["NYK", "BOS", "CLE"]


def test_three_teams_of_one_division() -> None:
    lg = League()
    lg.win("BOS", "NYK", 2).win("NYK", "PHI", 2).win("PHI", "BOS", 1).win("BOS", "PHI")
    # BOS 3-1 among them, NYK 2-2, PHI 1-3; all 6-4 overall
    vs_west(lg, "BOS", 3, 3)
    vs_west(lg, "NYK", 4, 2)
    vs_west(lg, "PHI", 5, 1)
    season = lg.season()
    assert division_winners(season)["Atlantic"] == ID["BOS"]
    assert order_of(["BOS", "NYK", "PHI"], seeds(season, "East")) == ["BOS", "NYK", "PHI"]


def test_seed_league_gives_fifteen_seeds_per_conference_in_win_pct_order() -> None:
    lg = League().ladder([ABBR[t.id] for t in TEAMS], times=1)
    season = lg.season()
    seeded = seed_league(season)
    assert sorted(seeded) == ["East", "West"]
    for ids in seeded.values():
        assert len(ids) == 15
        pcts = [season.win_pct(t) for t in ids]
        assert pcts == sorted(pcts, reverse=True)


def test_a_final_game_cannot_end_tied() -> None:
    with pytest.raises(ValueError, match="tied"):
        Season.from_games(TEAMS, [GameResult(1, 2, 100, 100)])


def test_from_pair_wins_matches_from_games() -> None:
    lg = League().win("BOS", "NYK", 2, margin=4).win("NYK", "BOS", margin=10)
    by_games = lg.season()
    by_pairs = Season.from_pair_wins(
        TEAMS, {(ID["BOS"], ID["NYK"]): 2, (ID["NYK"], ID["BOS"]): 1},
        {ID["BOS"]: -2, ID["NYK"]: 2})
    assert by_pairs.wins == by_games.wins and by_pairs.losses == by_games.losses
    assert by_pairs.point_diff == by_games.point_diff
    assert seed_league(by_pairs) == seed_league(by_games)
