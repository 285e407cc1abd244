"""The demo season's schedule: who plays whom, where, and on which day.

The pairings follow the NBA formula (4 games against division rivals, 3 or 4 against the other
conference teams, 2 against the other conference: 82 games each, 41 at home). Dates run from
21 October to mid-April, with no game on Thanksgiving, Christmas Eve or the All-Star break, at
most one game a day per team and never three games in three days.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from sports_analytics.ingest.teams import TeamRef

SEASON_START = dt.date(2025, 10, 21)
SEASON_END = dt.date(2026, 4, 12)
NO_GAME_DAYS = frozenset(
    {dt.date(2025, 11, 27), dt.date(2025, 12, 24)}
    | {dt.date(2026, 2, 13) + dt.timedelta(days=i) for i in range(6)}  # All-Star break
)
B2B_REFUSAL = 0.7


@dataclass
class DemoGame:
    home: int
    away: int
    date: dt.date | None = None
    home_score: int = 0
    away_score: int = 0
    overtimes: int = 0
    lines: list[tuple] = field(default_factory=list)


def pairings(teams: Sequence[TeamRef]) -> list[tuple[int, int]]:
    """Every game of the season as (home_id, away_id), NBA formula: 82 each, 41 at home."""
    games: list[tuple[int, int]] = []
    by_conf: dict[str, dict[str, list[int]]] = {}
    for t in teams:
        by_conf.setdefault(t.conference, {}).setdefault(t.division, []).append(t.id)
    east_west = [[tid for div in by_conf[c].values() for tid in div] for c in sorted(by_conf)]
    # Other conference: two games, one at each arena.
    for a in east_west[0]:
        for b in east_west[1]:
            games += [(a, b), (b, a)]
    for divisions in by_conf.values():
        divs = [sorted(d) for _, d in sorted(divisions.items())]
        for div in divs:  # division rivals: four games, two at each arena
            for i, a in enumerate(div):
                for b in div[i + 1:]:
                    games += [(a, b), (b, a)] * 2
        # Other divisions of the conference: 3 games against 4 of the 10 teams, 4 against 6.
        for x in range(3):
            for y in range(x + 1, 3):
                dx, dy = divs[x], divs[y]
                for i, a in enumerate(dx):
                    for j, b in enumerate(dy):
                        offset = (j - i) % 5
                        if offset == 0:  # three games, two at a's arena
                            games += [(a, b), (a, b), (b, a)]
                        elif offset == 1:  # three games, two at b's arena
                            games += [(a, b), (b, a), (b, a)]
                        else:
                            games += [(a, b), (b, a)] * 2
    return games


def schedule(rng: random.Random, pairs: list[tuple[int, int]]) -> list[DemoGame]:
    """Assign dates: at most one game a day per team, never three days in a row."""
    remaining = [DemoGame(h, a) for h, a in pairs]
    rng.shuffle(remaining)
    team_ids = {t for p in pairs for t in p}
    left = dict.fromkeys(team_ids, 0)
    for g in remaining:
        left[g.home] += 1
        left[g.away] += 1
    last_played: dict[int, list[dt.date]] = {t: [] for t in team_ids}
    days = [SEASON_START + dt.timedelta(days=i)
            for i in range((SEASON_END - SEASON_START).days + 1)]
    days = [d for d in days if d not in NO_GAME_DAYS]
    scheduled: list[DemoGame] = []
    day_index = 0
    while remaining:
        if day_index < len(days):
            day = days[day_index]
        else:  # only if the greedy pass fell behind: spill over past the nominal end
            day = days[-1] + dt.timedelta(days=day_index - len(days) + 1)
        days_left = max(1, len(days) - day_index)
        target = max(2, round(len(remaining) / days_left * rng.uniform(0.75, 1.6)))

        def urgency(g: DemoGame) -> float:
            return left[g.home] + left[g.away] + rng.random() * 6

        busy: set[int] = set()
        picked: list[DemoGame] = []
        for g in sorted(remaining, key=urgency, reverse=True):
            if len(picked) >= target:
                break
            ok = True
            for t in (g.home, g.away):
                played = last_played[t]
                yesterday = bool(played) and played[-1] == day - dt.timedelta(days=1)
                three_in_three = (len(played) >= 2 and yesterday
                                  and played[-2] == day - dt.timedelta(days=2))
                # Back-to-backs happen, but not for everyone all the time.
                if t in busy or three_in_three or (yesterday and rng.random() < B2B_REFUSAL):
                    ok = False
                    break
            if ok:
                picked.append(g)
                busy.update((g.home, g.away))
        for g in picked:
            g.date = day
            remaining.remove(g)
            for t in (g.home, g.away):
                last_played[t].append(day)
                left[t] -= 1
            scheduled.append(g)
        day_index += 1
    return scheduled
