"""What the standings are computed from: one SQL statement, one snapshot.

The statement returns a season's teams with their records (overall, home, away, neutral site,
last 10, streak, point differential, games left), the pairwise win counts the tie-breakers
need, and the data version it read. Body and version come from the same snapshot, so a
representation cached under that version (standings/cache.py) is exactly what that version
holds, on the primary or on a lagging replica alike.

Home and away records leave out neutral-site games, which count in ``neutral``, as the
league's own standings do (HOME + ROAD + NEUTRAL is the record). Games left are the season's
games not final and not cancelled (postponed games are still to be played).
"""

from __future__ import annotations

from typing import Any, TypedDict

import orjson

from sports_analytics.db.read_pool import ReadPool

SOURCE_SQL = """
WITH season AS (
    SELECT coalesce(%(season)s::int, (SELECT max(season) FROM games)) AS season
),
season_games AS (
    SELECT g.id, g.date, g.status, g.home_team_id, g.away_team_id, g.home_score, g.away_score,
           g.neutral_site
    FROM games g WHERE g.season = (SELECT season FROM season) AND g.status <> 'cancelled'
),
sides AS (  -- one row per team per game (UNION ALL: cheaper than a LATERAL here)
    SELECT home_team_id AS team_id, away_team_id AS opp_id, status,
           CASE WHEN neutral_site THEN 'N' ELSE 'H' END AS venue,
           home_score - away_score AS margin, date, id
    FROM season_games
    UNION ALL
    SELECT away_team_id, home_team_id, status, CASE WHEN neutral_site THEN 'N' ELSE 'A' END,
           away_score - home_score, date, id
    FROM season_games
),
records AS (
    SELECT team_id,
           count(*) FILTER (WHERE margin > 0) AS wins, count(*) FILTER (WHERE margin < 0) AS losses,
           count(*) FILTER (WHERE margin > 0 AND venue = 'H') AS home_w,
           count(*) FILTER (WHERE margin < 0 AND venue = 'H') AS home_l,
           count(*) FILTER (WHERE margin > 0 AND venue = 'A') AS away_w,
           count(*) FILTER (WHERE margin < 0 AND venue = 'A') AS away_l,
           count(*) FILTER (WHERE margin > 0 AND venue = 'N') AS neutral_w,
           count(*) FILTER (WHERE margin < 0 AND venue = 'N') AS neutral_l,
           coalesce(sum(margin) FILTER (WHERE status = 'final'), 0) AS point_diff,
           count(*) FILTER (WHERE status <> 'final') AS remaining,
           -- results, latest first: last 10 and the current streak come from this array
           array_agg(margin > 0 ORDER BY date DESC, id DESC) FILTER (WHERE status = 'final')
               AS recent
    FROM sides GROUP BY team_id
),
pairs AS (
    SELECT team_id, opp_id, count(*) AS wins
    FROM sides WHERE status = 'final' AND margin > 0 GROUP BY team_id, opp_id
)
SELECT json_build_object(
    'season', (SELECT season FROM season),
    'teams', coalesce((SELECT json_agg(json_build_array(
        t.id, t.abbreviation, t.name, t.conference, t.division, r.wins, r.losses,
        r.home_w, r.home_l, r.away_w, r.away_l, r.neutral_w, r.neutral_l, r.point_diff,
        r.remaining,
        coalesce(cardinality(array_positions(r.recent[1:10], true)), 0),
        coalesce(cardinality(array_positions(r.recent[1:10], false)), 0),
        r.recent[1],
        coalesce(array_position(r.recent, NOT r.recent[1]) - 1, cardinality(r.recent), 0))
        ORDER BY t.id)
        FROM records r JOIN teams t ON t.id = r.team_id), '[]'::json),
    'pairs', coalesce((SELECT json_agg(json_build_array(team_id, opp_id, wins)) FROM pairs),
                      '[]'::json))::text,
  (SELECT coalesce(max(version), 0) FROM data_versions)
"""

VERSION_SQL = "SELECT coalesce(max(version), 0) FROM data_versions"

# The column order of a ``teams`` entry above.
TEAM_FIELDS = (
    "id", "abbreviation", "name", "conference", "division", "wins", "losses", "home_w",
    "home_l", "away_w", "away_l", "neutral_w", "neutral_l", "point_diff", "remaining",
    "last10_w", "last10_l", "last_won", "streak_len",
)


class Source(TypedDict):
    season: int | None
    teams: list[dict[str, Any]]
    pairs: list[tuple[int, int, int]]


def parse_source(document: str | bytes) -> Source:
    raw = orjson.loads(document)
    return Source(season=raw["season"],
                  teams=[dict(zip(TEAM_FIELDS, t, strict=True)) for t in raw["teams"]],
                  pairs=[(a, b, n) for a, b, n in raw["pairs"]])


async def fetch_source(reader: ReadPool, season: int | None) -> tuple[Source, int]:
    """The season's standings inputs (``season=None``: the latest) and their data version."""
    row = await reader.fetchrow(SOURCE_SQL, {"season": season})
    assert row is not None  # an aggregate query always returns its one row
    return parse_source(row[0]), int(row[1])


async def fetch_version(reader: ReadPool) -> int:
    row = await reader.fetchrow(VERSION_SQL)
    assert row is not None
    return int(row[0])
