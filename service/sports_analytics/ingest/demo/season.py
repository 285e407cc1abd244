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

Everything is written with COPY in one transaction, which takes about a second. Several seasons
at once: ingest/demo/history.py; the ``seed-demo`` command: ingest/demo/seed.py.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from sports_analytics.db.writes import bump_data_version, copy_rows
from sports_analytics.exceptions import CommandFailed
from sports_analytics.ingest.demo.players import DemoPlayer, box_score, make_players
from sports_analytics.ingest.demo.schedule import DemoGame, pairings, schedule
from sports_analytics.ingest.teams import NBA_TEAMS, TeamRef, ensure_teams

DEMO_SEASON = 2025
DEMO_SEED = 20251021
HOME_COURT_POINTS = 2.5
BACK_TO_BACK_PENALTY = 1.5
STRENGTH_SD = 5.0
MARGIN_NOISE_SD = 12.0

# Every table the demo replaces; TRUNCATE ... CASCADE also empties tables that reference these
# (features, predictions, insights) so derived data never outlives its games.
REPLACED_TABLES = _REPLACED_TABLES = ("player_game_stats", "team_game_stats", "games", "players")


def _team_scores(rng: random.Random, game: DemoGame, strength: dict[int, float],
                 fatigue: dict[int, float]) -> float:
    """Play the game; returns the home team's true win probability, P(margin > 0) for a
    normal margin (a tie goes to overtimes that favour neither side)."""
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
    return 0.5 * (1.0 + math.erf(expected / (MARGIN_NOISE_SD * math.sqrt(2.0))))


PLAYER_LINE_COLUMNS = (
    "game_id", "player_id", "team_id", "starter", "minutes", "points", "rebounds",
    "offensive_rebounds", "assists", "steals", "blocks", "turnovers", "fouls", "fgm", "fga",
    "fg3m", "fg3a", "ftm", "fta", "plus_minus",
)
ORACLE_COLUMNS = ("game_id", "home_win_prob")
TEAM_LINE_COLUMNS = (
    "game_id", "team_id", "is_home", "minutes", "points", "rebounds", "offensive_rebounds",
    "assists", "steals", "blocks", "turnovers", "fouls", "fgm", "fga", "fg3m", "fg3a", "ftm",
    "fta", "plus_minus",
)


@dataclass
class DemoData:
    teams: tuple[TeamRef, ...]
    players: list[DemoPlayer]
    games: list[tuple]  # id, season, date, home, away, home_score, away_score, status, external_id
    team_lines: list[tuple]
    player_lines: list[tuple]
    strength: dict[int, float]
    # (game id, true home win probability): the oracle no model can beat (table demo_oracle)
    oracle: list[tuple[int, float]] = field(default_factory=list)


def generate(seed: int = DEMO_SEED) -> DemoData:
    """Build the whole season in memory. Pure and deterministic for a given seed."""
    rng = random.Random(seed)
    teams = NBA_TEAMS
    strength = {t.id: rng.gauss(0, STRENGTH_SD) for t in teams}
    mean = sum(strength.values()) / len(strength)
    strength = {k: round(v - mean, 2) for k, v in strength.items()}
    rosters = make_players(rng, teams)
    games_in_order = schedule(rng, pairings(teams))
    games_in_order.sort(key=lambda g: (g.date, g.home))

    last_day: dict[int, dt.date] = {}
    games: list[tuple] = []
    team_lines: list[tuple] = []
    player_lines: list[tuple] = []
    oracle: list[tuple[int, float]] = []
    for game_id, g in enumerate(games_in_order, start=1):
        assert g.date is not None
        fatigue = {t: (BACK_TO_BACK_PENALTY
                       if last_day.get(t) == g.date - dt.timedelta(days=1) else 0.0)
                   for t in (g.home, g.away)}
        oracle.append((game_id, round(_team_scores(rng, g, strength, fatigue), 6)))
        last_day[g.home] = last_day[g.away] = g.date
        games.append((game_id, DEMO_SEASON, g.date, g.home, g.away, g.home_score, g.away_score,
                      "final", f"DEMO-{DEMO_SEASON}-{game_id:04d}"))
        for team, is_home, pts, opp in ((g.home, True, g.home_score, g.away_score),
                                        (g.away, False, g.away_score, g.home_score)):
            lines = box_score(rng, rosters[team], pts, pts - opp, g.overtimes, is_home)
            # Team line = sum of the player lines; a team's own plus-minus is the margin.
            totals = [sum(line[k] for line in lines) for k in range(3, 18)]
            team_lines.append((game_id, team, is_home, *totals, pts - opp))
            player_lines.extend((game_id, *line) for line in lines)
    players = [p for t in teams for p in rosters[t.id]]
    return DemoData(teams, players, games, team_lines, player_lines, strength, oracle)


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
    copy_rows(conn, "demo_oracle", ORACLE_COLUMNS, data.oracle)
    copy_rows(conn, "team_game_stats", TEAM_LINE_COLUMNS, data.team_lines)
    copy_rows(conn, "player_game_stats", PLAYER_LINE_COLUMNS, data.player_lines)
    for table in ("players", "games", "team_game_stats", "player_game_stats"):
        sql = (f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
               f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        conn.execute(text(sql))
    bump_data_version(conn)
    # Fresh planner statistics: the API's queries are planned against them right away.
    conn.execute(text(f"ANALYZE {', '.join(('teams', *_REPLACED_TABLES))}"))
