"""The pages' own reads: each one statement on the read pool that builds its JSON in SQL.

Reads the JSON API already has are not repeated here: the pages call the API's (standings,
box score, refresh runs, accuracy). What is here has no JSON route of its own: a game day with
everything shown on it, a team's season, the freshness line, the rolling Brier score, the
forecast history.
Tables that a deployment may not have yet (the forecast, the model registry) are read only
when ``to_regclass`` finds them, so a page shows what exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from sports_analytics.db.read_pool import ReadPool
from sports_analytics.db.writes import FEATURE_COLUMNS

FRESHNESS_SQL = """
SELECT json_build_object(
    'last_run', (SELECT json_build_object('started_at', started_at, 'finished_at', finished_at,
                                          'outcome', outcome, 'source', source, 'error', error)
                 FROM refresh_runs ORDER BY started_at DESC, id DESC LIMIT 1),
    'last_success', (SELECT max(finished_at) FROM refresh_runs WHERE outcome = 'success'),
    'latest_final', (SELECT max(date) FROM games WHERE status = 'final'),
    'version', (SELECT max(version) FROM data_versions),
    'now', now(),
    'has_forecast', to_regclass('forecast_teams') IS NOT NULL,
    'has_registry', to_regclass('model_versions') IS NOT NULL)::text
"""

_PREDICTIONS = """coalesce((SELECT json_agg(json_build_object(
        'model', p.model, 'home_win_prob', p.home_win_prob, 'away_win_prob', p.away_win_prob,
        'home_rating', p.home_rating, 'away_rating', p.away_rating,
        'was_correct', p.was_correct) ORDER BY p.model)
    FROM predictions p WHERE p.game_id = g.id), '[]'::json)"""

DAY_SQL = f"""
WITH target AS (
    SELECT CASE WHEN %(explicit)s THEN %(day)s::date
           ELSE coalesce((SELECT min(date) FROM games WHERE date >= %(day)s::date),
                         (SELECT max(date) FROM games WHERE date < %(day)s::date),
                         %(day)s::date) END AS day
)
SELECT json_build_object(
    'date', (SELECT day FROM target),
    'prev', (SELECT max(date) FROM games WHERE date < (SELECT day FROM target)),
    'next', (SELECT min(date) FROM games WHERE date > (SELECT day FROM target)),
    'games', coalesce((SELECT json_agg(json_build_object(
        'game_id', g.id, 'season', g.season, 'status', g.status, 'tipoff_at', g.tipoff_at,
        'neutral_site', g.neutral_site, 'home', ht.abbreviation, 'home_name', ht.name,
        'away', at.abbreviation, 'away_name', at.name,
        'home_score', g.home_score, 'away_score', g.away_score,
        'predictions', {_PREDICTIONS},
        'features', (SELECT json_object_agg(CASE WHEN f.is_home THEN 'home' ELSE 'away' END,
                                            json_build_object('rest_days', f.rest_days,
                                                              'back_to_back', f.back_to_back))
                     FROM game_features f WHERE f.game_id = g.id),
        'stored_brief', (SELECT json_build_object('brief', i.brief, 'source', i.source)
                         FROM insights i WHERE i.game_id = g.id
                         ORDER BY i.created_at DESC, i.id DESC LIMIT 1))
        ORDER BY g.tipoff_at NULLS LAST, g.id)
      FROM games g JOIN teams ht ON ht.id = g.home_team_id JOIN teams at ON at.id = g.away_team_id
      WHERE g.date = (SELECT day FROM target)), '[]'::json))::text
"""  # noqa: S608 (trusted fragments only)

TEAM_SQL = """
WITH t AS (SELECT * FROM teams WHERE abbreviation = %(abbr)s),
season AS (
    SELECT coalesce(%(season)s::int, (SELECT max(g.season) FROM games g, t
                                       WHERE t.id IN (g.home_team_id, g.away_team_id))) AS season
),
tg AS (
    SELECT g.*, g.home_team_id = t.id AS is_home,
           CASE WHEN g.home_team_id = t.id THEN g.away_team_id ELSE g.home_team_id END AS opp_id
    FROM games g, t
    WHERE g.season = (SELECT season FROM season) AND t.id IN (g.home_team_id, g.away_team_id)
)
SELECT json_build_object(
    'team', (SELECT json_build_object('abbreviation', abbreviation, 'name', name, 'city', city,
                                      'conference', conference, 'division', division) FROM t),
    'season', (SELECT season FROM season),
    'games', coalesce((SELECT json_agg(json_build_object(
        'game_id', tg.id, 'date', tg.date, 'status', tg.status, 'is_home', tg.is_home,
        'tipoff_at', tg.tipoff_at, 'opponent', o.abbreviation,
        'team_score', CASE WHEN tg.is_home THEN tg.home_score ELSE tg.away_score END,
        'opp_score', CASE WHEN tg.is_home THEN tg.away_score ELSE tg.home_score END,
        'predictions', coalesce((SELECT json_agg(json_build_object(
            'model', p.model,
            'win_prob', CASE WHEN tg.is_home THEN p.home_win_prob ELSE p.away_win_prob END,
            'rating', CASE WHEN tg.is_home THEN p.home_rating ELSE p.away_rating END,
            'was_correct', p.was_correct) ORDER BY p.model)
          FROM predictions p WHERE p.game_id = tg.id), '[]'::json))
        ORDER BY tg.date, tg.id)
      FROM tg JOIN teams o ON o.id = tg.opp_id), '[]'::json),
    'leaders', coalesce((SELECT json_agg(l ORDER BY l.points DESC, l.name) FROM (
        SELECT pl.id AS player_id, pl.first_name || ' ' || pl.last_name AS name,
               count(*) AS games, round(avg(s.points), 1) AS points,
               round(avg(s.rebounds), 1) AS rebounds, round(avg(s.assists), 1) AS assists
        FROM player_game_stats s JOIN tg ON tg.id = s.game_id JOIN players pl ON pl.id = s.player_id
        WHERE s.team_id = (SELECT id FROM t)
        GROUP BY pl.id ORDER BY avg(s.points) DESC, pl.id LIMIT 10) l), '[]'::json))::text
"""

FORECAST_HISTORY_SQL = """
SELECT coalesce(json_agg(json_build_object(
    'generated_at', r.generated_at, 'sims', r.sims, 'mean_wins', f.mean_wins,
    'wins_p10', f.wins_p10, 'wins_p90', f.wins_p90, 'p_playoffs', f.p_playoffs,
    'p_playin', f.p_playin, 'p_title', f.p_title) ORDER BY r.generated_at), '[]'::json)::text
FROM forecast_runs r JOIN forecast_teams f ON f.run_id = r.id
JOIN teams t ON t.id = f.team_id
WHERE t.abbreviation = %(abbr)s AND r.season = %(season)s
"""

LATEST_FORECAST_SQL = """
SELECT json_build_object('generated_at', r.generated_at, 'sims', r.sims, 'teams',
    (SELECT json_object_agg(t.abbreviation, json_build_object(
        'mean_wins', f.mean_wins, 'wins_p10', f.wins_p10, 'wins_p90', f.wins_p90,
        'p_playoffs', f.p_playoffs, 'p_playin', f.p_playin, 'p_title', f.p_title))
     FROM forecast_teams f JOIN teams t ON t.id = f.team_id WHERE f.run_id = r.id))::text
FROM forecast_runs r WHERE r.season = %(season)s ORDER BY r.generated_at DESC, r.id DESC LIMIT 1
"""

GAME_EXTRAS_SQL = f"""
SELECT json_build_object(
    'features', (SELECT json_object_agg(CASE WHEN f.is_home THEN 'home' ELSE 'away' END,
                                        json_build_object({", ".join(f"'{c}', f.{c}" for c in FEATURE_COLUMNS)}))
                 FROM game_features f WHERE f.game_id = g.id),
    'predictions', {_PREDICTIONS},
    'tipoff_at', g.tipoff_at, 'neutral_site', g.neutral_site,
    'brief', (SELECT json_build_object('brief', i.brief, 'source', i.source, 'model', i.model,
                                       'created_at', i.created_at)
              FROM insights i WHERE i.game_id = g.id ORDER BY i.created_at DESC, i.id DESC
              LIMIT 1))::text
FROM games g WHERE g.id = %(game_id)s
"""  # noqa: S608, E501 (trusted fragments only)

ROLLING_BRIER_SQL = """
WITH scored AS (
    SELECT p.model, g.date, g.id,
           power(p.home_win_prob - (g.home_score > g.away_score)::int, 2) AS sq
    FROM predictions p JOIN games g ON g.id = p.game_id
    WHERE g.season = %(season)s AND g.status = 'final'
),
rolling AS (
    SELECT model, date, count(*) OVER w AS n, avg(sq) OVER w AS brier,
           row_number() OVER (PARTITION BY model, date ORDER BY id DESC) AS last_of_day
    FROM scored
    WINDOW w AS (PARTITION BY model ORDER BY date, id ROWS BETWEEN %(window)s PRECEDING
                                                         AND CURRENT ROW)
)
SELECT coalesce(json_agg(json_build_object('model', model, 'date', date, 'games', n,
                                           'brier', round(brier::numeric, 4))
                         ORDER BY model, date), '[]'::json)::text
FROM rolling WHERE last_of_day = 1
"""

async def fetch_json(reader: ReadPool, sql: str, params: dict[str, Any] | None = None) -> Any:
    """Run one JSON-building statement; None when it returns no row."""
    row = await reader.fetchrow(sql, params or {})
    return None if row is None or row[0] is None else orjson.loads(row[0])


async def freshness(reader: ReadPool) -> dict[str, Any]:
    return await fetch_json(reader, FRESHNESS_SQL)


async def game_day(reader: ReadPool, day: dt.date, explicit: bool) -> dict[str, Any]:
    return await fetch_json(reader, DAY_SQL, {"day": day, "explicit": explicit})
