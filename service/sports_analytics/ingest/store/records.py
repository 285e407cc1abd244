"""A season as every source hands it to the store: games, their team and player lines, bios.

The stats API mapping (ingest/nba/mapping.py) and the CSV import (ingest/csv/) both build
these records, and both hold a box score to the same arithmetic, defined here: made <=
attempted, 3PM <= FGM, OREB <= REB, counts within ``STAT_MAX``, and players summing to their
team line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sports_analytics.exceptions import UpstreamDataError

# The box-score counts of a line, in the order the staging tables and CSV columns use.
STAT_NAMES = ("pts", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "reb", "ast", "stl",
              "blk", "tov", "pf")
STAT_MAX = 999  # per team per game; far above any real value, far below SMALLINT
MADE_ATTEMPTED = (("fgm", "fga"), ("fg3m", "fg3a"), ("ftm", "fta"), ("fg3m", "fgm"),
                  ("oreb", "reb"))
# Players sum exactly to their team for these; team rebounds and turnovers are credited to no
# player, so for those the players' sum is only at most the team's.
EXACT_SUMS = ("pts", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta")
AT_LEAST_SUMS = ("reb", "tov")


@dataclass(frozen=True)
class Line:
    game_id: str
    team: str
    opponent: str
    is_home: bool
    date: dt.date
    stats: dict[str, int]
    minutes: Decimal
    plus_minus: int | None
    player_id: str | None = None
    player_name: str | None = None


@dataclass
class SyncGame:
    external_id: str
    date: dt.date
    home: str
    away: str
    tipoff_at: dt.datetime | None
    home_score: int | None = None
    away_score: int | None = None
    lines: list[Line] = field(default_factory=list)  # two team lines when final
    players: list[Line] = field(default_factory=list)
    # Played at a neutral site: ``home`` is then the schedule's designated home team.
    neutral: bool = False
    # Before it is final: "scheduled", or "postponed" / "cancelled" when the source says so.
    status: str = "scheduled"

    @property
    def final(self) -> bool:
        return self.home_score is not None


@dataclass(frozen=True)
class Bio:
    position: str | None
    jersey_number: int | None
    height_cm: int | None


@dataclass
class SyncData:
    season: int
    games: dict[str, SyncGame]
    source: str  # named in errors found while writing
    bios: dict[str, Bio] = field(default_factory=dict)  # player id -> PlayerIndex details
    enriched: bool = True  # False: the player index was unavailable (bios is empty)
    # Game id prefixes the source lists in full (the league schedule: "002" for the regular
    # season): a stored scheduled game with such an id that the source no longer lists was
    # taken off the schedule. None for a source that is not a whole schedule (CSV files).
    complete_for: tuple[str, ...] | None = None

    @property
    def finals(self) -> list[SyncGame]:
        return [g for g in self.games.values() if g.final]


def check_player_sums(team: Line, players: list[Line], source: str) -> None:
    """Players' lines against their team's; ``source`` names where they came from."""
    for stat in EXACT_SUMS + AT_LEAST_SUMS:
        total = sum(p.stats[stat] for p in players)
        exact = stat in EXACT_SUMS
        if (total != team.stats[stat]) if exact else (total > team.stats[stat]):
            rule = "equal" if exact else "be at most"
            raise UpstreamDataError(source, f"game {team.game_id}, {team.team}: players' "
                                            f"{stat.upper()} sum ({total}) must {rule} the team "
                                            f"line ({team.stats[stat]})")
