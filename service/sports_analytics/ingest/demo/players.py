"""The demo's rosters and box scores: generated players, and player lines that add up.

Box scores add up exactly: player lines sum to the team line, team points equal the score,
points = 2*FGM + 3PM + FTM, made <= attempted, 3PM <= FGM, OREB <= REB, at most 6 fouls, team
minutes 240 (+25 per overtime) and player plus-minus summing to 5x the margin.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sports_analytics.ingest.teams import TeamRef

FIRST_NAMES = (
    "Aaron", "Adrian", "Alonzo", "Andre", "Anthony", "Ben", "Bobby", "Brandon", "Caleb", "Cam",
    "Chris", "Cole", "Darius", "Damon", "Dante", "Derek", "Devin", "Dominic", "Elijah", "Eric",
    "Felix", "Gabe", "Grant", "Harrison", "Isaiah", "Jalen", "Jamal", "Jaylen", "Jordan", "Josh",
    "Julian", "Kai", "Kendall", "Kevin", "Lamar", "Leon", "Luca", "Malik", "Marcus", "Mason",
    "Miles", "Nate", "Nico", "Noah", "Omar", "Oscar", "Quentin", "Reggie", "Rico", "Sam",
    "Scott", "Shawn", "Terrence", "Theo", "Tobias", "Trey", "Tyler", "Victor", "Wes", "Xavier",
    "Zach", "Zion",
)
LAST_NAMES = (
    "Abbott", "Alvarez", "Archer", "Baker", "Barnes", "Bishop", "Blake", "Brooks", "Calloway",
    "Carter", "Castillo", "Chandler", "Coleman", "Crawford", "Dalton", "Dawson", "Delgado",
    "Dixon", "Dunn", "Ellis", "Fleming", "Ford", "Foster", "Garner", "Gibson", "Graves", "Hale",
    "Hampton", "Hayes", "Holloway", "Hughes", "Ingram", "Jennings", "Keller", "Kent", "Lawson",
    "Lindqvist", "Lowe", "Maddox", "Marsh", "Mbeki", "Mercer", "Morrow", "Nash", "Novak",
    "Okafor", "Ortega", "Page", "Park", "Pierce", "Quinn", "Ramsey", "Reyes", "Rhodes", "Rowe",
    "Sanders", "Sawyer", "Shaw", "Silva", "Sloan", "Stone", "Sutton", "Tate", "Thornton",
    "Vance", "Wade", "Walsh", "Warren", "Webb", "Whitaker", "Wolfe", "Yates", "Young", "Zeller",
)
# Roster template: position, height range (cm), shot/rebound/assist/three tendencies.
_ROLES = (
    ("G", (185, 196), 1.0, 0.45, 1.6, 1.3),
    ("G", (188, 198), 0.9, 0.50, 1.1, 1.2),
    ("F", (198, 206), 0.9, 0.90, 0.7, 1.0),
    ("F", (201, 208), 0.8, 1.10, 0.6, 0.8),
    ("C", (208, 218), 0.8, 1.60, 0.5, 0.3),
)


@dataclass
class DemoPlayer:
    id: int
    team_id: int
    first_name: str
    last_name: str
    position: str
    jersey: int
    height_cm: int
    minutes_w: float
    usage: float
    reb: float
    ast: float
    three: float


def _split(rng: random.Random, total: int, weights: Sequence[float],
           cap: int | None = None) -> list[int]:
    """Split ``total`` units over ``weights`` at random (multinomial), respecting ``cap``."""
    n = len(weights)
    counts = [0] * n
    if total <= 0:
        return counts
    for i in rng.choices(range(n), weights=weights, k=total):
        counts[i] += 1
    if cap is not None:
        excess = sum(max(0, c - cap) for c in counts)
        counts = [min(c, cap) for c in counts]
        while excess:
            room = [i for i in range(n) if counts[i] < cap]
            i = rng.choice(room)
            counts[i] += 1
            excess -= 1
    return counts


def _apportion(total: int, shares: Sequence[float]) -> list[int]:
    """Integers proportional to ``shares`` that sum to ``total`` exactly (largest remainder)."""
    s = sum(shares)
    return _apportion_signed(total, [total * x / s for x in shares])


def _apportion_signed(total: int, values: Sequence[float]) -> list[int]:
    """Round ``values`` (which sum to ``total``) to integers that still sum to ``total``."""
    floors = [int(v // 1) for v in values]
    missing = total - sum(floors)
    order = sorted(range(len(values)), key=lambda i: values[i] - floors[i], reverse=True)
    for i in order[:missing]:
        floors[i] += 1
    return floors


def make_players(rng: random.Random, teams: Sequence[TeamRef]) -> dict[int, list[DemoPlayer]]:
    names = [(f, la) for f in FIRST_NAMES for la in LAST_NAMES]
    rng.shuffle(names)
    rosters: dict[int, list[DemoPlayer]] = {}
    next_id = 1
    for team in teams:
        size = rng.randint(13, 15)
        jerseys = rng.sample(range(0, 100), size)
        roster = []
        for k in range(size):
            pos, (lo, hi), usage, reb, ast, three = _ROLES[k % 5]
            first, last = names.pop()
            star = 1.0 if k >= 5 else rng.uniform(1.0, 1.25)
            roster.append(DemoPlayer(
                id=next_id, team_id=team.id, first_name=first, last_name=last, position=pos,
                jersey=jerseys[k], height_cm=rng.randint(lo, hi),
                # starters first; the end of the bench plays little
                minutes_w=(34 if k < 5 else max(2.0, 26 - 2.6 * (k - 5))) * rng.uniform(0.85, 1.1),
                usage=usage * star * rng.uniform(0.7, 1.3),
                reb=reb * rng.uniform(0.8, 1.2), ast=ast * rng.uniform(0.7, 1.3),
                three=three * rng.uniform(0.6, 1.4),
            ))
            next_id += 1
        rosters[team.id] = roster
    return rosters


def _team_totals(rng: random.Random, points: int) -> tuple[int, ...]:
    """A team's counting stats for a game it scored ``points`` in."""
    # Shooting: choose makes so that 2*FGM + 3PM + FTM is exactly the team's points.
    # Clamped so that 3*3PM + FTM stays well below the points: FGM - 3PM is never negative.
    fg3m = min(points // 6, max(0, round(rng.gauss(0.12 * points, 2.5))))
    ftm = min(points // 4, max(0, round(rng.gauss(0.16 * points, 3.5))))
    if (points - fg3m - ftm) % 2:
        ftm += 1 if ftm == 0 or rng.random() < 0.5 else -1
    fg2m = (points - 3 * fg3m - ftm) // 2
    fg3_miss = round(fg3m * (1 / rng.uniform(0.31, 0.41) - 1))
    fg2_miss = round(fg2m * (1 / rng.uniform(0.48, 0.58) - 1))
    ft_miss = round(ftm * (1 / rng.uniform(0.70, 0.85) - 1))
    oreb = max(2, min(fg2_miss + fg3_miss, round(rng.gauss(10.5, 3))))
    dreb = max(20, round(rng.gauss(33.5, 4)))
    ast = min(fg2m + fg3m, max(8, round((fg2m + fg3m) * rng.uniform(0.52, 0.70))))
    stl = max(1, round(rng.gauss(7.5, 2.5)))
    blk = max(0, round(rng.gauss(5, 2)))
    tov = max(3, round(rng.gauss(13.5, 3.5)))
    pf = max(8, round(rng.gauss(19.5, 3.5)))
    return fg3m, ftm, fg2m, fg3_miss, fg2_miss, ft_miss, oreb, dreb, ast, stl, blk, tov, pf


def box_score(rng: random.Random, roster: list[DemoPlayer], points: int, margin: int,
               overtimes: int, is_home: bool) -> list[tuple]:
    """Player lines for one team in one game; their sums are the team line."""
    # Who plays: the rotation (9-11 deep), minus the odd absence.
    depth = rng.randint(9, 11)
    playing = [p for k, p in enumerate(roster) if k < depth and rng.random() > 0.06]
    if len(playing) < 8:
        playing = roster[:8]
    n = len(playing)
    team_minutes_tenths = (240 + 25 * overtimes) * 10
    mins = _apportion(team_minutes_tenths, [p.minutes_w * rng.uniform(0.75, 1.25) for p in playing])
    share = [m / team_minutes_tenths for m in mins]

    (fg3m, ftm, fg2m, fg3_miss, fg2_miss, ft_miss, oreb, dreb, ast, stl, blk, tov,
     pf) = _team_totals(rng, points)

    w_three = [s * p.usage * p.three for s, p in zip(share, playing, strict=True)]
    w_two = [s * p.usage * (2.2 - p.three) for s, p in zip(share, playing, strict=True)]
    w_ft = [s * p.usage for s, p in zip(share, playing, strict=True)]
    w_reb = [s * p.reb for s, p in zip(share, playing, strict=True)]
    w_ast = [s * p.ast for s, p in zip(share, playing, strict=True)]
    p3m = _split(rng, fg3m, w_three)
    p3x = _split(rng, fg3_miss, w_three)
    p2m = _split(rng, fg2m, w_two)
    p2x = _split(rng, fg2_miss, w_two)
    pftm = _split(rng, ftm, w_ft)
    pftx = _split(rng, ft_miss, w_ft)
    poreb = _split(rng, oreb, w_reb)
    pdreb = _split(rng, dreb, w_reb)
    past = _split(rng, ast, w_ast)
    pstl = _split(rng, stl, share)
    pblk = _split(rng, blk, w_reb)
    ptov = _split(rng, tov, w_ft)
    ppf = _split(rng, pf, share, cap=6)
    # Plus-minus: five players on the floor at all times, so the lines sum to 5x the margin.
    pm_raw = [5 * margin * s + rng.gauss(0, 4) for s in share]
    pm_adjust = (5 * margin - sum(pm_raw)) / n
    pm = _apportion_signed(5 * margin, [x + pm_adjust for x in pm_raw])

    lines = []
    for i, p in enumerate(playing):
        fgm = p2m[i] + p3m[i]
        fga = fgm + p2x[i] + p3x[i]
        lines.append((
            p.id, p.team_id, i < 5, Decimal(mins[i]) / 10,
            2 * fgm + p3m[i] + pftm[i], poreb[i] + pdreb[i], poreb[i], past[i], pstl[i], pblk[i],
            ptov[i], ppf[i], fgm, fga, p3m[i], p3m[i] + p3x[i], pftm[i], pftm[i] + pftx[i], pm[i],
        ))
    return lines
