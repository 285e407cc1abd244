"""Clinched and eliminated marks: certain or absent.

Scenarios are checked against every possible outcome of the games left (each one seeded with the
tie-breakers), including ones where a naive rule would mark a team that can still miss.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import product

from sports_analytics.standings.marks import (
    CLINCHED_PLAY_IN,
    CLINCHED_PLAYOFFS,
    Marks,
    Record,
    league_marks,
)
from sports_analytics.standings.tiebreak import Season, seed_league
from tests.standings.leagues import ABBR, EAST, ID, WEST, League, seeds


def _west_bulk(league: League, team: str, wins: int, losses: int) -> None:
    for k in range(wins):
        league.win(team, WEST[k % 15])
    for k in range(losses):
        league.win(WEST[k % 15], team)


def _records(season: Season, remaining: list[tuple[str, str]]) -> dict[int, Record]:
    left = dict.fromkeys(season.teams, 0)
    for a, b in remaining:
        left[ID[a]] += 1
        left[ID[b]] += 1
    return {t: Record(season.wins[t], season.losses[t], left[t]) for t in season.teams}


def _marks(base: League, remaining: list[tuple[str, str]]) -> dict[str, Marks]:
    season = base.season()
    marks = league_marks(_records(season, remaining), seed_league(season))
    return {ABBR[t]: m for t, m in marks.items()}


def _outcomes(base: League, remaining: list[tuple[str, str]]) -> Iterator[list[str]]:
    """East seeds for every way the remaining games can go."""
    for bits in product((True, False), repeat=len(remaining)):
        league = League()
        league.games = list(base.games)
        for (a, b), first_wins in zip(remaining, bits, strict=True):
            league.win(a, b) if first_wins else league.win(b, a)
        yield seeds(league.season(), "East")


def _assert_sound(marks: dict[str, Marks], base: League,
                  remaining: list[tuple[str, str]]) -> dict[str, set[int]]:
    finishes: dict[str, set[int]] = {t: set() for t in EAST}
    for east in _outcomes(base, remaining):
        for position, team in enumerate(east, start=1):
            finishes[team].add(position)
    for team in EAST:
        if marks[team].clinched == CLINCHED_PLAYOFFS:
            assert max(finishes[team]) <= 6, (team, finishes[team])
        if marks[team].clinched == CLINCHED_PLAY_IN:
            assert max(finishes[team]) <= 10, (team, finishes[team])
        if marks[team].eliminated:
            assert min(finishes[team]) > 10, (team, finishes[team])
    return finishes


def _boundary_league() -> tuple[League, list[tuple[str, str]]]:
    """Five teams far ahead; Toronto 18-11 and Miami 16-13 split their series 1-1.

    Miami can at best *tie* Toronto's worst case (18-13): a rule that treats "can only tie" as
    safe would mark Toronto clinched, but Miami then wins the series 2-1 and Toronto is 7th.
    """
    lg = League()
    for team in ("BOS", "NYK", "CLE", "DET", "MIL"):
        _west_bulk(lg, team, 25, 0)
    lg.win("TOR", "MIA").win("MIA", "TOR")
    _west_bulk(lg, "TOR", 17, 10)
    _west_bulk(lg, "MIA", 15, 12)
    for k, team in enumerate(t for t in EAST if t not in
                             {"BOS", "NYK", "CLE", "DET", "MIL", "TOR", "MIA"}):
        _west_bulk(lg, team, 3 + k, 24 - k)
    return lg, [("TOR", "MIA"), ("TOR", "WAS"), ("MIA", "CHA")]


def test_a_tie_at_best_is_no_clinch() -> None:
    base, remaining = _boundary_league()
    marks = _marks(base, remaining)
    finishes = _assert_sound(marks, base, remaining)
    assert 7 in finishes["TOR"]  # the naive clinch would be wrong
    assert marks["TOR"] == Marks(CLINCHED_PLAY_IN, False)
    assert marks["BOS"] == Marks(CLINCHED_PLAYOFFS, False)


def test_percentages_not_wins_when_games_were_cancelled() -> None:
    """Toronto ends 51-31; Miami, two games cancelled, can reach 50-28 (.641 > .622)."""
    records = {ID[t]: Record(20, 62, 0) for t in EAST}
    for team in ("BOS", "NYK", "CLE", "DET"):
        records[ID[team]] = Record(60, 22, 0)
    records[ID["TOR"]] = Record(51, 31, 0)
    records[ID["MIA"]] = Record(48, 28, 2)  # at most 50 wins, fewer than Toronto's 51
    for team in WEST:
        records[ID[team]] = Record(41, 41, 0)
    seeded = {"East": [ID[t] for t in EAST], "West": [ID[t] for t in WEST]}
    # Four teams surely above and Miami: five threats, so still certain of the top 6 ...
    assert league_marks(records, seeded)[ID["TOR"]].clinched == CLINCHED_PLAYOFFS
    records[ID["ATL"]] = Record(48, 28, 2)  # ... a sixth that a count of wins would miss
    assert league_marks(records, seeded)[ID["TOR"]].clinched == CLINCHED_PLAY_IN


def test_eliminated_only_when_ten_finish_surely_above() -> None:
    records = {ID[t]: Record(50, 30, 2) for t in EAST[:9]}
    records[ID["WAS"]] = Record(30, 50, 2)  # best 32-50
    records[ID["TOR"]] = Record(32, 50, 0)  # 10th candidate: can only tie Washington's best
    for team in EAST:
        records.setdefault(ID[team], Record(10, 70, 2))
    for team in WEST:
        records[ID[team]] = Record(41, 41, 0)
    seeded = {"East": [ID[t] for t in EAST], "West": [ID[t] for t in WEST]}
    assert not league_marks(records, seeded)[ID["WAS"]].eliminated
    records[ID["TOR"]] = Record(33, 49, 0)
    assert league_marks(records, seeded)[ID["WAS"]].eliminated
    assert league_marks(records, seeded)[ID["PHI"]].eliminated  # 12-70 at best


def test_the_current_seed_is_no_certainty_while_games_are_left() -> None:
    base, remaining = _boundary_league()
    marks = _marks(base, remaining)
    east = seeds(base.season(), "East")
    assert east.index("TOR") < 6  # 6th today, all of its games played or not
    assert marks["TOR"].clinched != CLINCHED_PLAYOFFS


def test_a_finished_season_marks_follow_the_seeds() -> None:
    lg = League().ladder(EAST).ladder(WEST)
    season = lg.season()
    seeded = seed_league(season)
    marks = league_marks(_records(season, []), seeded)
    for order in seeded.values():
        for position, team in enumerate(order, start=1):
            expected = (CLINCHED_PLAYOFFS if position <= 6 else
                        CLINCHED_PLAY_IN if position <= 10 else None)
            assert marks[team] == Marks(expected, position > 10)


def test_marks_hold_in_every_outcome_of_random_schedules() -> None:
    rng = random.Random(21)
    marked = 0
    for _ in range(3):
        base = League().ladder(EAST, times=2)
        remaining = [tuple(rng.sample(EAST, 2)) for _ in range(8)]
        marks = _marks(base, remaining)
        _assert_sound(marks, base, remaining)
        marked += sum(m.clinched is not None or m.eliminated for m in marks.values())
    assert marked > 20  # the bounds do mark teams: the check above is not vacuous
