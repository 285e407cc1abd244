"""Clinched and eliminated marks: set only when the remaining schedule makes them certain.

Public API::

    Record(wins, losses, remaining)        # remaining: games still to play (not cancelled)
    Marks(clinched, eliminated)            # clinched: "playoffs", "play_in" or None
    league_marks(records, seeds) -> dict[int, Marks]
        # records: every team of the league; seeds: seed_league()'s conference -> team ids

Meaning, for the season's final seeding:

* ``clinched == "playoffs"``: seed 1-6 in every possible outcome (so P(playoffs) = 1);
* ``clinched == "play_in"``: seed 1-10 in every outcome, not certain of 1-6;
* ``eliminated``: seed 11-15 in every outcome (so P(playoffs) = 0).

The bounds are conservative. A team's worst final win percentage is losing every game left,
another team's best is winning every game left; a rival that can at best *equal* the team
counts as a threat, because which way a tie breaks can still change (head-to-head games left,
the playoff-eligible sets, the point differential). Games between rivals are not coupled, so a
mark can come later than the earliest possible day, never wrongly. Percentages, not wins, are
compared: cancelled games leave teams with different numbers of games. Once every game of the
league is final the seeds themselves are certain, and the marks follow them exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import NamedTuple

PLAYOFF_SEEDS = 6  # seeds 1-6 go straight to the playoffs
POSTSEASON_SEEDS = 10  # seeds 7-10 play in the play-in tournament

CLINCHED_PLAYOFFS = "playoffs"
CLINCHED_PLAY_IN = "play_in"


class Record(NamedTuple):
    wins: int
    losses: int
    remaining: int

    @property
    def worst_pct(self) -> Fraction:
        games = self.wins + self.losses + self.remaining
        return Fraction(self.wins, games) if games else Fraction(0)

    @property
    def best_pct(self) -> Fraction:
        games = self.wins + self.losses + self.remaining
        return Fraction(self.wins + self.remaining, games) if games else Fraction(0)


class Marks(NamedTuple):
    clinched: str | None
    eliminated: bool


NO_MARKS = Marks(None, False)


def _from_seed(seed: int) -> Marks:
    if seed <= PLAYOFF_SEEDS:
        return Marks(CLINCHED_PLAYOFFS, False)
    if seed <= POSTSEASON_SEEDS:
        return Marks(CLINCHED_PLAY_IN, False)
    return Marks(None, True)


def _bounded(team: int, conference: Sequence[int], records: Mapping[int, Record]) -> Marks:
    me = records[team]
    rivals = [records[t] for t in conference if t != team]
    # Rivals that could finish level with or above this team's worst case.
    threats = sum(r.best_pct >= me.worst_pct for r in rivals)
    # Rivals certain to finish strictly above this team's best case.
    surely_above = sum(r.worst_pct > me.best_pct for r in rivals)
    if threats < PLAYOFF_SEEDS:
        return Marks(CLINCHED_PLAYOFFS, False)
    if threats < POSTSEASON_SEEDS:
        return Marks(CLINCHED_PLAY_IN, False)
    return Marks(None, surely_above >= POSTSEASON_SEEDS)


def league_marks(records: Mapping[int, Record],
                 seeds: Mapping[str, Sequence[int]]) -> dict[int, Marks]:
    """Marks for every seeded team; ``seeds`` is ``seed_league``'s output for ``records``."""
    complete = all(r.remaining == 0 for r in records.values())
    marks = {}
    for order in seeds.values():
        for position, team in enumerate(order, start=1):
            marks[team] = _from_seed(position) if complete else _bounded(team, order, records)
    return marks
