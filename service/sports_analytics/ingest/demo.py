"""The demo dataset: a deterministic, SYNTHETIC 2025-26 season (season 2025) for the 30 NBA teams.

Teams, conferences and divisions are real; players, schedule, scores and box scores are
generated from a fixed seed and are not real results. Demo games carry external ids
``DEMO-2025-NNNN`` so they are recognisable anywhere they show up.

What makes the data useful for analytics:

* the schedule follows the NBA formula (4 games against division rivals, 3 or 4 against the
  other conference teams, 2 against the other conference: 82 games each, 41 at home), between
  21 October and mid-April, with no game on Thanksgiving, Christmas Eve or the All-Star break
  and with real back-to-backs (never three games in three days);
* each team has a persistent latent strength, home court is worth about 2.5 points and the
  second night of a back-to-back costs about 1.5, so a rating model (Elo) clearly beats
  "the home team always wins";
* box scores add up exactly: player lines sum to the team line, team points equal the score,
  points = 2*FGM + 3PM + FTM, made <= attempted, 3PM <= FGM, OREB <= REB, at most 6 fouls,
  team minutes 240 (+25 per overtime) and player plus-minus summing to 5x the margin.

Everything is written with COPY in one transaction, which takes about a second.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import structlog
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, OperationalError

from sports_analytics.config import Settings
from sports_analytics.db.engine import (
    is_deadline_error,
    job_deadline_message,
    make_job_engine,
)
from sports_analytics.db.errors import db_error_reason
from sports_analytics.db.writes import (
    LockKey,
    bump_data_version,
    bump_data_version_after_commit,
    copy_rows,
)
from sports_analytics.exceptions import CommandFailed, DatabaseUnavailable
from sports_analytics.ingest.teams import NBA_TEAMS, TeamRef, ensure_teams

log = structlog.get_logger(__name__)

DEMO_SEASON = 2025
DEMO_SEED = 20251021
SEASON_START = dt.date(2025, 10, 21)
SEASON_END = dt.date(2026, 4, 12)
NO_GAME_DAYS = frozenset(
    {dt.date(2025, 11, 27), dt.date(2025, 12, 24)}
    | {dt.date(2026, 2, 13) + dt.timedelta(days=i) for i in range(6)}  # All-Star break
)
HOME_COURT_POINTS = 2.5
BACK_TO_BACK_PENALTY = 1.5
STRENGTH_SD = 5.0
MARGIN_NOISE_SD = 12.0
B2B_REFUSAL = 0.7

# Every table the demo replaces; TRUNCATE ... CASCADE also empties tables that reference these
# (features, predictions, insights) so derived data never outlives its games.
REPLACED_TABLES = _REPLACED_TABLES = ("player_game_stats", "team_game_stats", "games", "players")

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
class _Player:
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


@dataclass
class _Game:
    home: int
    away: int
    date: dt.date | None = None
    home_score: int = 0
    away_score: int = 0
    overtimes: int = 0
    lines: list[tuple] = field(default_factory=list)


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


def _pairings(teams: Sequence[TeamRef]) -> list[tuple[int, int]]:
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


def _schedule(rng: random.Random, pairs: list[tuple[int, int]]) -> list[_Game]:
    """Assign dates: at most one game a day per team, never three days in a row."""
    remaining = [_Game(h, a) for h, a in pairs]
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
    scheduled: list[_Game] = []
    day_index = 0
    while remaining:
        if day_index < len(days):
            day = days[day_index]
        else:  # only if the greedy pass fell behind: spill over past the nominal end
            day = days[-1] + dt.timedelta(days=day_index - len(days) + 1)
        days_left = max(1, len(days) - day_index)
        target = max(2, round(len(remaining) / days_left * rng.uniform(0.75, 1.6)))

        def urgency(g: _Game) -> float:
            return left[g.home] + left[g.away] + rng.random() * 6

        busy: set[int] = set()
        picked: list[_Game] = []
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


def _make_players(rng: random.Random, teams: Sequence[TeamRef]) -> dict[int, list[_Player]]:
    names = [(f, la) for f in FIRST_NAMES for la in LAST_NAMES]
    rng.shuffle(names)
    rosters: dict[int, list[_Player]] = {}
    next_id = 1
    for team in teams:
        size = rng.randint(13, 15)
        jerseys = rng.sample(range(0, 100), size)
        roster = []
        for k in range(size):
            pos, (lo, hi), usage, reb, ast, three = _ROLES[k % 5]
            first, last = names.pop()
            star = 1.0 if k >= 5 else rng.uniform(1.0, 1.25)
            roster.append(_Player(
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


def _team_scores(rng: random.Random, game: _Game, strength: dict[int, float],
                 fatigue: dict[int, float]) -> None:
    expected = (strength[game.home] - strength[game.away] + HOME_COURT_POINTS
                - fatigue[game.home] + fatigue[game.away])
    margin = expected + rng.gauss(0, MARGIN_NOISE_SD)
    total = rng.gauss(228, 13)
    home = round((total + margin) / 2)
    away = round((total - margin) / 2)
    ot = 0
    while home == away:
        ot += 1
        home += rng.randint(5, 16)
        away += rng.randint(5, 16)
    game.home_score, game.away_score, game.overtimes = home, away, ot


def _box_score(rng: random.Random, roster: list[_Player], points: int, margin: int,
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


def _apportion_signed(total: int, values: Sequence[float]) -> list[int]:
    """Round ``values`` (which sum to ``total``) to integers that still sum to ``total``."""
    floors = [int(v // 1) for v in values]
    missing = total - sum(floors)
    order = sorted(range(len(values)), key=lambda i: values[i] - floors[i], reverse=True)
    for i in order[:missing]:
        floors[i] += 1
    return floors


PLAYER_LINE_COLUMNS = (
    "game_id", "player_id", "team_id", "starter", "minutes", "points", "rebounds",
    "offensive_rebounds", "assists", "steals", "blocks", "turnovers", "fouls", "fgm", "fga",
    "fg3m", "fg3a", "ftm", "fta", "plus_minus",
)
TEAM_LINE_COLUMNS = (
    "game_id", "team_id", "is_home", "minutes", "points", "rebounds", "offensive_rebounds",
    "assists", "steals", "blocks", "turnovers", "fouls", "fgm", "fga", "fg3m", "fg3a", "ftm",
    "fta", "plus_minus",
)


@dataclass
class DemoData:
    teams: tuple[TeamRef, ...]
    players: list[_Player]
    games: list[tuple]  # id, season, date, home, away, home_score, away_score, status, external_id
    team_lines: list[tuple]
    player_lines: list[tuple]
    strength: dict[int, float]


def generate(seed: int = DEMO_SEED) -> DemoData:
    """Build the whole season in memory. Pure and deterministic for a given seed."""
    rng = random.Random(seed)
    teams = NBA_TEAMS
    strength = {t.id: rng.gauss(0, STRENGTH_SD) for t in teams}
    mean = sum(strength.values()) / len(strength)
    strength = {k: round(v - mean, 2) for k, v in strength.items()}
    rosters = _make_players(rng, teams)
    schedule = _schedule(rng, _pairings(teams))
    schedule.sort(key=lambda g: (g.date, g.home))

    last_day: dict[int, dt.date] = {}
    games: list[tuple] = []
    team_lines: list[tuple] = []
    player_lines: list[tuple] = []
    for game_id, g in enumerate(schedule, start=1):
        assert g.date is not None
        fatigue = {t: (BACK_TO_BACK_PENALTY
                       if last_day.get(t) == g.date - dt.timedelta(days=1) else 0.0)
                   for t in (g.home, g.away)}
        _team_scores(rng, g, strength, fatigue)
        last_day[g.home] = last_day[g.away] = g.date
        games.append((game_id, DEMO_SEASON, g.date, g.home, g.away, g.home_score, g.away_score,
                      "final", f"DEMO-{DEMO_SEASON}-{game_id:04d}"))
        for team, is_home, pts, opp in ((g.home, True, g.home_score, g.away_score),
                                        (g.away, False, g.away_score, g.home_score)):
            lines = _box_score(rng, rosters[team], pts, pts - opp, g.overtimes, is_home)
            # Team line = sum of the player lines; a team's own plus-minus is the margin.
            totals = [sum(line[k] for line in lines) for k in range(3, 18)]
            team_lines.append((game_id, team, is_home, *totals, pts - opp))
            player_lines.extend((game_id, *line) for line in lines)
    players = [p for t in teams for p in rosters[t.id]]
    return DemoData(teams, players, games, team_lines, player_lines, strength)


def load(conn: Connection, data: DemoData) -> None:
    """Replace every game, box score and player with ``data``, inside the caller's transaction."""
    conn.execute(text(f"TRUNCATE {', '.join(_REPLACED_TABLES)} RESTART IDENTITY CASCADE"))
    team_ids = ensure_teams(conn)
    expected = {t.abbreviation: t.id for t in data.teams}
    wrong = {a for a, i in expected.items() if team_ids.get(a) != i}
    if wrong:
        raise CommandFailed(
            f"teams table disagrees with the NBA reference ids for {sorted(wrong)}"
        )
    copy_rows(conn, "players",
          ("id", "first_name", "last_name", "team_id", "position", "jersey_number", "height_cm",
           "active"),
          [(p.id, p.first_name, p.last_name, p.team_id, p.position, p.jersey, p.height_cm, True)
           for p in data.players])
    copy_rows(conn, "games",
          ("id", "season", "date", "home_team_id", "away_team_id", "home_score", "away_score",
           "status", "external_id"),
          data.games)
    copy_rows(conn, "team_game_stats", TEAM_LINE_COLUMNS, data.team_lines)
    copy_rows(conn, "player_game_stats", PLAYER_LINE_COLUMNS, data.player_lines)
    for table in ("players", "games", "team_game_stats", "player_game_stats"):
        sql = (f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
               f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        conn.execute(text(sql))
    bump_data_version(conn)
    # Fresh planner statistics: the API's queries are planned against them right away.
    conn.execute(text(f"ANALYZE {', '.join(('teams', *_REPLACED_TABLES))}"))


def seed_demo(settings: Settings, force: bool = False, seasons: int = 1) -> bool:
    """Load the synthetic demo season (or ``seasons`` consecutive ones, ending with it: see
    ingest/demo_history.py). Returns True if it loaded, False if games existed.

    With ``force`` every game, box score, player and derived row is replaced by the demo, in
    one transaction: readers see the old data or the new, never a mix.
    """
    started = time.monotonic()
    engine = make_job_engine(settings, application_name="sports-analytics-seed")
    try:
        with engine.begin() as conn:
            # JOB_STATEMENT_TIMEOUT_MS bounds statements and the wait for a concurrent seeder
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LockKey.SEED})
            has_games = conn.execute(text("SELECT EXISTS (SELECT 1 FROM games)")).scalar()
            if has_games and not force:
                log.info("demo seed skipped: games already exist (use --force to replace)")
                return False
            if seasons == 1:
                data = generate()
                load(conn, data)
                loaded = {"seasons": 1, "games": len(data.games), "players": len(data.players),
                          "player_lines": len(data.player_lines)}
            else:
                from sports_analytics.ingest.demo_history import replace_with_history

                loaded = replace_with_history(conn, seasons)
        bump_data_version_after_commit(engine)
        log.info("demo season loaded (synthetic data)", season=DEMO_SEASON, **loaded,
                 replaced=bool(has_games), seconds=round(time.monotonic() - started, 2))
        return True
    except OperationalError as exc:
        if is_deadline_error(exc):
            raise CommandFailed(f"demo seed failed: {job_deadline_message(settings)}") from None
        raise DatabaseUnavailable(f"database unavailable: {db_error_reason(exc)}") from None
    except DBAPIError as exc:
        raise CommandFailed(f"demo seed failed: {db_error_reason(exc)}") from None
    finally:
        engine.dispose()
