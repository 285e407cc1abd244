"""The synthetic demo season: shape, internal consistency, idempotency and --force."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from sports_analytics.ingest.demo.season import DEMO_SEASON, generate
from sports_analytics.ingest.demo.seed import seed_demo
from sports_analytics.ingest.teams import NBA_TEAMS
from tests.helpers.pgharness import make_settings


def q(url: str, sql: str, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params or None).fetchall()


def one(url: str, sql: str, *params):
    return q(url, sql, *params)[0][0]


def test_reference_teams_are_the_30_nba_teams() -> None:
    assert len(NBA_TEAMS) == 30
    assert len({t.abbreviation for t in NBA_TEAMS}) == 30
    divisions: dict[str, set[str]] = {}
    for t in NBA_TEAMS:
        divisions.setdefault(t.division, set()).add(t.abbreviation)
        assert t.conference == ("East" if t.division in {"Atlantic", "Central", "Southeast"}
                                else "West")
    assert {d: len(v) for d, v in divisions.items()} == dict.fromkeys(
        ["Atlantic", "Central", "Southeast", "Northwest", "Pacific", "Southwest"], 5)
    assert divisions["Pacific"] == {"GSW", "LAC", "LAL", "PHX", "SAC"}
    assert divisions["Central"] == {"CHI", "CLE", "DET", "IND", "MIL"}


def test_generation_is_deterministic() -> None:
    a, b = generate(), generate()
    assert a.games == b.games
    assert a.player_lines[:500] == b.player_lines[:500]
    assert generate(seed=1).games != a.games


def test_seeded_shape(shared_seeded_db_url: str) -> None:
    url = shared_seeded_db_url
    assert one(url, "SELECT count(*) FROM teams") == 30
    assert one(url, "SELECT count(*) FROM games") == 1230
    assert q(url, "SELECT DISTINCT season, status FROM games") == [(DEMO_SEASON, "final")]
    assert one(url, "SELECT bool_and(external_id LIKE 'DEMO-2025-%') FROM games")
    per_team = q(url, """
        SELECT t.abbreviation, count(*) FILTER (WHERE g.home_team_id = t.id),
               count(*) FROM teams t JOIN games g ON t.id IN (g.home_team_id, g.away_team_id)
        GROUP BY t.abbreviation""")
    assert {(home, total) for _, home, total in per_team} == {(41, 82)}
    lo, hi = q(url, "SELECT min(date), max(date) FROM games")[0]
    assert dt.date(2025, 10, 20) <= lo <= dt.date(2025, 10, 31)
    assert dt.date(2026, 4, 1) <= hi <= dt.date(2026, 4, 30)
    # No team plays twice in a day; back-to-backs exist but never three days running.
    rows = q(url, """
        WITH tg AS (SELECT home_team_id AS team, date FROM games
                    UNION ALL SELECT away_team_id, date FROM games),
        d AS (SELECT team, date, lag(date) OVER w AS prev, lag(date, 2) OVER w AS prev2
              FROM tg WINDOW w AS (PARTITION BY team ORDER BY date))
        SELECT count(*) FILTER (WHERE date = prev),
               count(*) FILTER (WHERE date - prev = 1),
               count(*) FILTER (WHERE date - prev2 = 2) FROM d""")
    same_day, b2b, three_in_three = rows[0]
    assert same_day == 0 and three_in_three == 0
    assert 30 * 5 <= b2b <= 30 * 25
    players = q(url, "SELECT team_id, count(*) FROM players GROUP BY team_id")
    assert len(players) == 30 and all(13 <= n <= 15 for _, n in players)


def test_box_scores_add_up(shared_seeded_db_url: str) -> None:
    url = shared_seeded_db_url
    # Player lines sum to the team line, column by column.
    cols = ["points", "rebounds", "offensive_rebounds", "assists", "steals", "blocks",
            "turnovers", "fouls", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "minutes"]
    mismatch = one(url, f"""
        SELECT count(*) FROM team_game_stats t JOIN (
            SELECT game_id, team_id, {", ".join(f"sum({c}) AS {c}" for c in cols)},
                   sum(plus_minus) AS pm
            FROM player_game_stats GROUP BY game_id, team_id) p USING (game_id, team_id)
        WHERE ({", ".join("t." + c for c in cols)}) IS DISTINCT FROM
              ({", ".join("p." + c for c in cols)})
           OR p.pm <> 5 * t.plus_minus""")
    assert mismatch == 0
    assert one(url, "SELECT count(*) FROM team_game_stats") == 2460
    # Team points are the score; the two plus-minus values mirror each other.
    bad = one(url, """
        SELECT count(*) FROM games g
        JOIN team_game_stats h ON h.game_id = g.id AND h.is_home AND h.team_id = g.home_team_id
        JOIN team_game_stats a ON a.game_id = g.id AND NOT a.is_home AND a.team_id = g.away_team_id
        WHERE h.points <> g.home_score OR a.points <> g.away_score
           OR h.plus_minus <> g.home_score - g.away_score OR a.plus_minus <> -h.plus_minus
           OR g.home_score = g.away_score""")
    assert bad == 0
    for table in ("team_game_stats", "player_game_stats"):
        assert one(url, f"""SELECT count(*) FROM {table} WHERE points <> 2 * fgm + fg3m + ftm
            OR fgm > fga OR fg3m > fg3a OR ftm > fta OR fg3m > fgm OR offensive_rebounds > rebounds
            """) == 0
    assert one(url, "SELECT max(fouls) FROM player_game_stats") <= 6
    assert one(url, """SELECT count(*) FROM team_game_stats
                       WHERE minutes NOT IN (240, 265, 290, 315, 340)""") == 0
    # Every player line belongs to a player of that team.
    assert one(url, """SELECT count(*) FROM player_game_stats s JOIN players p ON p.id = s.player_id
                       WHERE p.team_id <> s.team_id""") == 0


def test_ratings_beat_home_always_wins(shared_seeded_db_url: str) -> None:
    """A plain Elo must beat "home wins" on Brier score: the latent strengths are real."""
    games = q(shared_seeded_db_url,
              "SELECT home_team_id, away_team_id, home_score > away_score FROM games ORDER BY date, id")
    elo: dict[int, float] = {}
    brier_elo = brier_home = 0.0
    for home, away, home_won in games:
        rh, ra = elo.get(home, 1500.0), elo.get(away, 1500.0)
        p = 1 / (1 + 10 ** (-(rh + 70 - ra) / 400))
        y = 1.0 if home_won else 0.0
        brier_elo += (p - y) ** 2
        brier_home += (1 - y) ** 2
        elo[home], elo[away] = rh + 20 * (y - p), ra - 20 * (y - p)
    n = len(games)
    home_rate = sum(g[2] for g in games) / n
    assert 0.52 < home_rate < 0.65
    assert brier_elo / n < 0.235 < brier_home / n
    assert brier_elo / n < home_rate * (1 - home_rate) - 0.01  # beats a constant home-rate too


def test_seed_is_a_noop_when_games_exist_and_force_replaces(seeded_db_url: str) -> None:
    settings = make_settings(seeded_db_url)
    version = one(seeded_db_url, "SELECT last_value FROM data_version_seq")
    checksum_sql = """SELECT md5(string_agg((g.id, g.season, g.date, g.home_team_id,
        g.away_team_id, g.home_score, g.away_score, g.status, g.external_id)::text, ',' ORDER BY id))
        FROM games g"""
    before = one(seeded_db_url, checksum_sql)
    assert seed_demo(settings, force=False) is False
    assert one(seeded_db_url, "SELECT last_value FROM data_version_seq") == version
    # Damage the data, then --force restores exactly the same season, ids included.
    with psycopg.connect(seeded_db_url) as conn:
        conn.execute("UPDATE games SET home_score = home_score + 1 WHERE id = 1")
        conn.execute("DELETE FROM games WHERE id = 2")
    assert seed_demo(settings, force=True) is True
    assert one(seeded_db_url, checksum_sql) == before
    assert one(seeded_db_url, "SELECT count(*) FROM games") == 1230
    assert one(seeded_db_url, "SELECT home_score FROM games WHERE id = 1") == generate().games[0][5]
    assert one(seeded_db_url, "SELECT last_value FROM data_version_seq") > version


def test_seed_on_empty_migrated_db(migrated_db_url: str) -> None:
    settings = make_settings(migrated_db_url)
    assert seed_demo(settings, force=False) is True
    assert one(migrated_db_url, "SELECT count(*) FROM player_game_stats") > 20_000
    assert seed_demo(settings, force=False) is False


@pytest.mark.parametrize("table", ["games", "players", "team_game_stats", "player_game_stats"])
def test_sequences_continue_after_explicit_ids(seeded_db_url: str, table: str) -> None:
    nxt = one(seeded_db_url, f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))")
    assert nxt > one(seeded_db_url, f"SELECT max(id) FROM {table}")
