"""Conference standings, computed by one SQL statement with window functions (no Python loops).

Rank within the conference: win percentage, then wins, then the abbreviation (a stable,
documented stand-in for the NBA's tie-breakers). Games behind are measured from the conference
leader: ((leader W - leader L) - (W - L)) / 2. The statement builds the JSON body itself and
returns the data version it read, so a reader can tag the answer with it.
"""

from __future__ import annotations

from sports_analytics.db.read_pool import ReadPool

STANDINGS_SQL = """
WITH season AS (
    SELECT coalesce(%(season)s::int, (SELECT max(season) FROM games)) AS season
),
games_in AS (  -- one row per team per final game (UNION ALL: cheaper than a LATERAL here)
    SELECT g.home_team_id AS team_id, true AS is_home, g.home_score > g.away_score AS won,
           g.date, g.id
    FROM games g WHERE g.season = (SELECT season FROM season) AND g.status = 'final'
    UNION ALL
    SELECT g.away_team_id, false, g.away_score > g.home_score, g.date, g.id
    FROM games g WHERE g.season = (SELECT season FROM season) AND g.status = 'final'
),
records AS (
    SELECT team_id,
           count(*) FILTER (WHERE won) AS wins, count(*) FILTER (WHERE NOT won) AS losses,
           count(*) FILTER (WHERE won AND is_home) AS home_w,
           count(*) FILTER (WHERE NOT won AND is_home) AS home_l,
           count(*) FILTER (WHERE won AND NOT is_home) AS away_w,
           count(*) FILTER (WHERE NOT won AND NOT is_home) AS away_l,
           -- results, latest first: last 10 and the current streak come from this array
           array_agg(won ORDER BY date DESC, id DESC) AS recent
    FROM games_in GROUP BY team_id
),
ranked AS (
    SELECT t.abbreviation, t.name, t.conference, t.division, r.*,
           cardinality(array_positions(r.recent[1:10], true)) AS l10_w,
           cardinality(array_positions(r.recent[1:10], false)) AS l10_l,
           coalesce(array_position(r.recent, NOT r.recent[1]) - 1,
                    cardinality(r.recent)) AS streak_len,
           round(r.wins::numeric / nullif(r.wins + r.losses, 0), 3) AS win_pct,
           round((max(r.wins - r.losses) OVER (PARTITION BY t.conference)
                  - (r.wins - r.losses)) / 2.0, 1) AS games_behind,
           row_number() OVER (PARTITION BY t.conference
                              ORDER BY r.wins::numeric / nullif(r.wins + r.losses, 0) DESC,
                                       r.wins DESC, t.abbreviation) AS conference_rank
    FROM records r JOIN teams t ON t.id = r.team_id
),
page AS (
    SELECT * FROM ranked ORDER BY conference, conference_rank
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT json_build_object(
    'season', (SELECT season FROM season),
    'items', coalesce((SELECT json_agg(json_build_object(
                'team', abbreviation, 'name', name, 'conference', conference,
                'division', division, 'wins', wins, 'losses', losses,
                'win_pct', coalesce(win_pct, 0), 'games_behind', games_behind,
                'home', home_w || '-' || home_l, 'away', away_w || '-' || away_l,
                'last_10', l10_w || '-' || l10_l,
                'streak', CASE WHEN recent[1] THEN 'W' ELSE 'L' END || streak_len,
                'conference_rank', conference_rank) ORDER BY conference, conference_rank)
              FROM page), '[]'::json),
    'total', (SELECT count(*) FROM ranked), 'total_is_estimate', false,
    'limit', %(limit)s, 'offset', %(offset)s)::text,
  (SELECT max(version) FROM data_versions)
"""


def standings_etag(season: int | None, limit: int, offset: int, version: int) -> str:
    return f'"st-{season or "latest"}-{limit}-{offset}-{version}"'


async def read_standings(reader: ReadPool, season: int | None, limit: int,
                         offset: int) -> tuple[str, int]:
    """The JSON body of one page of ``season``'s standings (default: the latest season) and
    the data version it was read at."""
    params = {"season": season, "limit": limit, "offset": offset}
    row = await reader.fetchrow(STANDINGS_SQL, params)
    assert row is not None
    return row[0], int(row[1])
