"""NBA regular-season seeding: the tie-breakers and seeds 1-15 per conference.

Pure functions over a season's final results: no database, no I/O. The API, the pages and the
season simulation all seed through here, so a tie is broken the same way everywhere.

Public API::

    Team(id, conference, division)
    GameResult(home_team_id, away_team_id, home_score, away_score)   # final games only
    Season.from_games(teams, games) -> Season
    Season.from_pair_wins(teams, pair_wins, point_diff) -> Season
        # pair_wins[(a, b)] = games a won against b; point_diff[a] = a's margin, all games
    seed_conference(season, conference, *, draw_seed=0) -> list[int]   # team ids, seed 1 first
    seed_league(season, *, draw_seed=0) -> dict[str, list[int]]         # every conference
    division_winners(season, *, draw_seed=0) -> dict[str, int]          # division -> team id

Rules (league-facts: "Seeding"). Seeds go by win percentage; equal percentages are ties.

* Two teams: head-to-head; division winner; division record (same division only); conference
  record; record against the playoff-eligible teams of the own conference, then of the other
  conference; point differential; a seeded draw.
* Three or more: division winner; record in the games among the tied teams; division record
  (all in one division only); conference record; record against the own conference's
  playoff-eligible teams; point differential; then the seeded draw.
* A criterion that separates some of the tied teams ranks the groups it forms, and each group
  still tied starts again from the first criterion of the list that fits its size.
* Division ties are broken first (the same procedure, without the division-winner criterion)
  and decide only who wins the division.

Playoff-eligible teams of a conference are those whose win percentage is at least the 10th best
of the conference (seeds 1-10, play-in included, and any team tied with the 10th). A win
percentage criterion is skipped when one of the tied teams has no game in it (for instance two
teams that have not met yet): nothing can be compared. The draw is a shuffle seeded by
``draw_seed`` and the tied team ids, so the same input always gives the same order.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

POSTSEASON_SPOTS = 10  # seeds 1-6 playoffs, 7-10 play-in: "playoff-eligible"


class Team(NamedTuple):
    id: int
    conference: str
    division: str


class GameResult(NamedTuple):
    home_team_id: int
    away_team_id: int
    home_score: int
    away_score: int


class Season:
    """Final results as pairwise win counts, plus each team's point differential."""

    def __init__(self, teams: Iterable[Team], pair_wins: Mapping[tuple[int, int], int],
                 point_diff: Mapping[int, int]) -> None:
        self.teams = {t.id: t for t in teams}
        self._members: dict[tuple[str | None, str | None], list[int]] = {}
        self.beat: dict[int, dict[int, int]] = defaultdict(dict)  # beat[a][b]: a's wins over b
        for (a, b), n in pair_wins.items():
            if n:
                self.beat[a][b] = self.beat[a].get(b, 0) + n
        self.point_diff = {t: int(point_diff.get(t, 0)) for t in self.teams}
        self.wins = {t: sum(self.beat[t].values()) for t in self.teams}
        self.losses = dict.fromkeys(self.teams, 0)
        for a in self.teams:
            for b, n in self.beat[a].items():
                self.losses[b] += n

    @classmethod
    def from_pair_wins(cls, teams: Iterable[Team], pair_wins: Mapping[tuple[int, int], int],
                       point_diff: Mapping[int, int]) -> Season:
        return cls(teams, pair_wins, point_diff)

    @classmethod
    def from_games(cls, teams: Iterable[Team], games: Iterable[GameResult]) -> Season:
        pairs: dict[tuple[int, int], int] = defaultdict(int)
        diff: dict[int, int] = defaultdict(int)
        for g in games:
            margin = g.home_score - g.away_score
            if margin == 0:
                raise ValueError(f"a final game cannot end tied: {g}")
            winner, loser = ((g.home_team_id, g.away_team_id) if margin > 0
                             else (g.away_team_id, g.home_team_id))
            pairs[(winner, loser)] += 1
            diff[g.home_team_id] += margin
            diff[g.away_team_id] -= margin
        return cls(teams, pairs, diff)

    def win_pct(self, team: int) -> Fraction:
        games = self.wins[team] + self.losses[team]
        return Fraction(self.wins[team], games) if games else Fraction(0)

    def record_vs(self, team: int, opponents: Iterable[int]) -> tuple[int, int]:
        wins = losses = 0
        for o in opponents:
            if o != team:
                wins += self.beat[team].get(o, 0)
                losses += self.beat[o].get(team, 0)
        return wins, losses

    def members(self, *, conference: str | None = None, division: str | None = None) -> list[int]:
        key = (conference, division)
        if key not in self._members:
            self._members[key] = sorted(
                t.id for t in self.teams.values()
                if (conference is None or t.conference == conference)
                and (division is None or t.division == division))
        return self._members[key]


Keys = dict[int, Fraction]  # larger is better


@dataclass
class _Context:
    season: Season
    draw_seed: int
    division_phase: bool  # breaking a division tie: nobody is a division winner yet
    winners: frozenset[int]
    eligible: dict[str, frozenset[int]]


def _pct_against(ctx: _Context, group: Sequence[int],
                 opponents: Callable[[int], Iterable[int]]) -> Keys | None:
    keys: Keys = {}
    for t in group:
        w, lost = ctx.season.record_vs(t, opponents(t))
        if w + lost == 0:
            return None  # no game to compare for one of them: the criterion cannot decide
        keys[t] = Fraction(w, w + lost)
    return keys


def _head_to_head(ctx: _Context, group: Sequence[int]) -> Keys | None:
    return _pct_against(ctx, group, lambda t: group)


def _division_winner(ctx: _Context, group: Sequence[int]) -> Keys | None:
    if ctx.division_phase:
        return None
    return {t: Fraction(t in ctx.winners) for t in group}


def _division_record(ctx: _Context, group: Sequence[int]) -> Keys | None:
    divisions = {ctx.season.teams[t].division for t in group}
    if len(divisions) != 1:
        return None
    rivals = ctx.season.members(division=divisions.pop())
    return _pct_against(ctx, group, lambda t: rivals)


def _conference_record(ctx: _Context, group: Sequence[int]) -> Keys | None:
    conference = ctx.season.teams[group[0]].conference
    return _pct_against(ctx, group, lambda t: ctx.season.members(conference=conference))


def _eligible_own(ctx: _Context, group: Sequence[int]) -> Keys | None:
    conference = ctx.season.teams[group[0]].conference
    return _pct_against(ctx, group, lambda t: ctx.eligible[conference])


def _eligible_other(ctx: _Context, group: Sequence[int]) -> Keys | None:
    own = ctx.season.teams[group[0]].conference
    others = frozenset().union(*(ids for c, ids in ctx.eligible.items() if c != own))
    return _pct_against(ctx, group, lambda t: others) if others else None


def _point_diff(ctx: _Context, group: Sequence[int]) -> Keys | None:
    return {t: Fraction(ctx.season.point_diff[t]) for t in group}


Criterion = Callable[[_Context, Sequence[int]], Keys | None]
TWO_TEAM: tuple[Criterion, ...] = (
    _head_to_head, _division_winner, _division_record, _conference_record, _eligible_own,
    _eligible_other, _point_diff)
MULTI_TEAM: tuple[Criterion, ...] = (
    _division_winner, _head_to_head, _division_record, _conference_record, _eligible_own,
    _point_diff)


def _draw(draw_seed: int, group: Sequence[int]) -> list[int]:
    ids = sorted(group)
    return random.Random(f"{draw_seed}:{ids}").sample(ids, len(ids))


def _order(ctx: _Context, group: Sequence[int]) -> list[int]:
    """Order teams with equal win percentage, restarting on every partial separation."""
    if len(group) < 2:
        return list(group)
    for criterion in TWO_TEAM if len(group) == 2 else MULTI_TEAM:
        keys = criterion(ctx, group)
        if keys is None:
            continue
        values = sorted(set(keys.values()), reverse=True)
        if len(values) > 1:
            return [t for v in values for t in _order(ctx, [u for u in group if keys[u] == v])]
    return _draw(ctx.draw_seed, group)


def _rank(ctx: _Context, teams: Sequence[int]) -> list[int]:
    by_pct: dict[Fraction, list[int]] = defaultdict(list)
    for t in sorted(teams):
        by_pct[ctx.season.win_pct(t)].append(t)
    return [t for pct in sorted(by_pct, reverse=True) for t in _order(ctx, by_pct[pct])]


def _eligible(season: Season) -> dict[str, frozenset[int]]:
    out = {}
    for conference in {t.conference for t in season.teams.values()}:
        pcts = sorted((season.win_pct(t) for t in season.members(conference=conference)),
                      reverse=True)
        cut = pcts[min(POSTSEASON_SPOTS, len(pcts)) - 1]
        out[conference] = frozenset(t for t in season.members(conference=conference)
                                    if season.win_pct(t) >= cut)
    return out


def _context(season: Season, draw_seed: int) -> _Context:
    eligible = _eligible(season)
    phase = _Context(season, draw_seed, True, frozenset(), eligible)
    winners = frozenset(_division_winners(phase).values())
    return _Context(season, draw_seed, False, winners, eligible)


def _division_winners(phase: _Context) -> dict[str, int]:
    season = phase.season
    winners = {}
    for division in sorted({t.division for t in season.teams.values()}):
        rivals = season.members(division=division)
        best = max(season.win_pct(t) for t in rivals)
        winners[division] = _order(phase, [t for t in rivals if season.win_pct(t) == best])[0]
    return winners


def division_winners(season: Season, *, draw_seed: int = 0) -> dict[str, int]:
    """Division -> the team that wins it (division ties broken first)."""
    return _division_winners(_Context(season, draw_seed, True, frozenset(), _eligible(season)))


def seed_conference(season: Season, conference: str, *, draw_seed: int = 0) -> list[int]:
    """The conference's team ids in seed order (index 0 is seed 1)."""
    return _rank(_context(season, draw_seed), season.members(conference=conference))


def seed_league(season: Season, *, draw_seed: int = 0) -> dict[str, list[int]]:
    """Every conference seeded; computes division winners and playoff-eligible sets once."""
    ctx = _context(season, draw_seed)
    conferences = sorted({t.conference for t in season.teams.values()})
    return {c: _rank(ctx, season.members(conference=c)) for c in conferences}
