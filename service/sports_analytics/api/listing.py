"""Paged list queries whose cost does not grow with the history in the database.

Two rules make a page cost the same with one season or forty:

* **Read in the order returned.** Each filter combination gets its own statement (no
  ``:x IS NULL OR ...`` catch-alls, which defeat indexes under generic plans), shaped to walk
  an index in ``ORDER BY`` order and stop after ``offset + limit`` rows. A team's games are two
  such walks (home side, away side) merged; an unscoped player list walks each team's roster
  and the players without a team, each in name order.
* **Bounded totals.** ``total`` is an exact count when at most :data:`COUNT_CAP` rows match
  (per model, for predictions; :data:`TEAM_COUNT_CAP` for a team's games), which covers every
  season-, date- or team-season-scoped list. Beyond that, counting would walk decades of rows
  on every page, so ``total`` is the planner's estimate (never below the rows actually seen)
  and ``total_is_estimate`` is ``true``. See docs/api.md.

Only fixed fragments from this module are interpolated into SQL; values are parameters, or
psycopg literals in the text handed to ``row_estimate()``.
"""

# ruff: noqa: S608  (statements are assembled from this module's fixed fragments only)
from __future__ import annotations

import datetime as dt
from typing import Any

from psycopg import sql

COUNT_CAP = 2000
# A team's games: a season is at most ~110 (playoffs included), so a team-season stays exact
# while a team's whole history is not counted game by game on every page.
TEAM_COUNT_CAP = 500

GAME_FIELDS = """'game_id', g.id, 'season', g.season, 'date', g.date, 'status', g.status,
    'home_team', ht.abbreviation, 'away_team', at.abbreviation,
    'home_score', g.home_score, 'away_score', g.away_score, 'external_id', g.external_id,
    'neutral_site', g.neutral_site"""


def _literal(value: Any) -> str:
    return sql.Literal(value).as_string(None)


def bounded_total(count_source: str, estimate_sql: str, cap: int = COUNT_CAP) -> str:
    """SQL yielding ``total`` and ``estimated`` for rows of ``count_source`` (a SELECT).

    ``estimate_sql`` is a literal-only statement with the same filters, planned (never run)
    by ``row_estimate()`` when more than ``cap`` rows match; or ``table:<name>`` for a whole
    table, whose row estimate the statistics already hold (``pg_class.reltuples``)."""
    if estimate_sql.startswith("table:"):
        estimate = (f"(SELECT reltuples::bigint FROM pg_class "
                    f"WHERE oid = {_literal(estimate_sql[6:])}::regclass)")
    else:
        estimate = f"row_estimate({_literal(estimate_sql)})"
    return f"""(SELECT CASE WHEN c.n > {cap}
                     THEN greatest({estimate}, c.n) ELSE c.n END
               AS total, c.n > {cap} AS estimated
        FROM (SELECT count(*) AS n FROM ({count_source} LIMIT {cap + 1}) x) c)"""


def predictions_total(conn: Any, season: int | None, model: str | None,
                      date: dt.date | None) -> tuple[int, bool]:
    """(total, estimated) for the predictions list; the cap is a season's games per model."""
    from sqlalchemy import text

    conds, lit = ["TRUE"], ["TRUE"]
    params: dict[str, Any] = {}
    filters: tuple[tuple[str, str, Any], ...] = (("g.season", "season", season),
                                                 ("g.date", "date", date))
    for column, name, value in filters:
        if value is not None:
            conds.append(f"{column} = :{name}")
            lit.append(f"{column} = {_literal(value)}")
            params[name] = value
    by_model = "" if model is None else " AND p.model = :model"
    if model is not None:
        params["model"] = model
    # Games first, then each game's predictions by index (OFFSET 0: no hash join over all).
    count_source = (f"SELECT 1 FROM games g CROSS JOIN LATERAL (SELECT 1 FROM predictions p "
                    f"WHERE p.game_id = g.id{by_model} OFFSET 0) p WHERE {' AND '.join(conds)}")
    model_lit = "" if model is None else f" AND p.model = {_literal(model)}"
    estimate = ("SELECT 1 FROM predictions p JOIN games g ON g.id = p.game_id WHERE "
                f"{' AND '.join(lit)}{model_lit}")
    cap = COUNT_CAP * (1 if model is not None else 2)
    total_sql = bounded_total(count_source, estimate, cap)
    row = conn.execute(text(f"SELECT total, estimated FROM {total_sql} t"), params).one()
    return int(row[0]), bool(row[1])


def _game_conditions(season: int | None, date_from: dt.date | None,
                     date_to: dt.date | None, status: str | None, literal: bool) -> list[str]:
    def val(name: str, value: Any) -> str:
        return _literal(value) if literal else f"%({name})s"

    conds = []
    if season is not None:
        conds.append(f"g.season = {val('season', season)}")
    if date_from is not None:
        conds.append(f"g.date >= {val('date_from', date_from)}")
    if date_to is not None:
        conds.append(f"g.date <= {val('date_to', date_to)}")
    if status is not None:
        conds.append(f"g.status = {val('status', status)}")
    return conds


def games_list_sql(season: int | None, team: str | None, date_from: dt.date | None,
                   date_to: dt.date | None, status: str | None = None) -> str:
    """The games page: ``(json_text, team_found)`` for parameters season, team, date_from,
    date_to, status, limit, offset, window (= offset + limit)."""
    conds = _game_conditions(season, date_from, date_to, status, literal=False)
    lit = _game_conditions(season, date_from, date_to, status, literal=True)
    if team is None:
        where = f"WHERE {' AND '.join(conds)}" if conds else ""
        page = f"SELECT g.id FROM games g {where} ORDER BY g.date, g.id"
        count_source = f"SELECT 1 FROM games g {where}"
        estimate = f"SELECT 1 FROM games g WHERE {' AND '.join(lit)}" if lit else "table:games"
        page += " LIMIT %(limit)s OFFSET %(offset)s"
    else:
        if season is not None:  # keep the team walk inside the season's dates
            conds.append("g.date BETWEEN (SELECT min(date) FROM games WHERE season = %(season)s)"
                         " AND (SELECT max(date) FROM games WHERE season = %(season)s)")
        extra = "".join(f" AND {c}" for c in conds)
        side = ("SELECT g.id, g.date FROM games g WHERE g.{0}_team_id = (SELECT id FROM wanted)"
                + extra)
        page = (f"SELECT id FROM (({side.format('home')} ORDER BY g.date, g.id LIMIT %(window)s)"
                f" UNION ALL ({side.format('away')} ORDER BY g.date, g.id LIMIT %(window)s)) u"
                " ORDER BY date, id LIMIT %(limit)s OFFSET %(offset)s")
        count_source = (f"({side.format('home')} LIMIT {TEAM_COUNT_CAP + 1}) UNION ALL "
                        f"({side.format('away')} LIMIT {TEAM_COUNT_CAP + 1})")
        team_id = f"(SELECT id FROM teams WHERE abbreviation = {_literal(team)})"
        estimate = (f"SELECT 1 FROM games g WHERE (g.home_team_id = {team_id} OR "
                    f"g.away_team_id = {team_id})" + "".join(f" AND {c}" for c in lit))
    return f"""
WITH wanted AS (SELECT id FROM teams WHERE abbreviation = %(team)s),
pg AS MATERIALIZED ({page}),
t AS {bounded_total(count_source, estimate, COUNT_CAP if team is None else TEAM_COUNT_CAP)}
SELECT json_build_object(
    'items', coalesce((
        SELECT json_agg(json_build_object({GAME_FIELDS}) ORDER BY g.date, g.id)
        FROM pg JOIN games g ON g.id = pg.id
        JOIN teams ht ON ht.id = g.home_team_id JOIN teams at ON at.id = g.away_team_id),
        '[]'::json),
    'total', t.total, 'total_is_estimate', t.estimated,
    'limit', %(limit)s, 'offset', %(offset)s)::text,
  %(team)s::text IS NULL OR EXISTS (SELECT 1 FROM wanted)
FROM t
"""


PLAYER_FIELDS = """'player_id', p.id, 'first_name', p.first_name, 'last_name', p.last_name,
    'name', p.first_name || ' ' || p.last_name, 'team', tm.abbreviation, 'position', p.position,
    'jersey_number', p.jersey_number, 'height_cm', p.height_cm, 'active', p.active"""

_NAME_ORDER = "p.last_name, p.first_name, p.id"


def players_list_sql(team: str | None, active: bool | None) -> str:
    """The players page: ``(json_text, team_found)`` for parameters team, active, limit,
    offset, window (= offset + limit). Ordered by team, then name; players without a team last."""
    act = "" if active is None else " AND p.active = %(active)s"
    act_lit = "" if active is None else f" AND p.active = {_literal(active)}"
    if team is not None:
        where = f"p.team_id = (SELECT id FROM wanted){act}"
        page = (f"SELECT p.id, 0 AS team_rank FROM players p WHERE {where} ORDER BY {_NAME_ORDER}"
                " LIMIT %(limit)s OFFSET %(offset)s")
        count_source = f"SELECT 1 FROM players p WHERE {where}"
        team_id = f"(SELECT id FROM teams WHERE abbreviation = {_literal(team)})"
        estimate = f"SELECT 1 FROM players p WHERE p.team_id = {team_id}{act_lit}"
    else:
        rostered = (f"SELECT r.* FROM teams tm CROSS JOIN LATERAL ("
                    f"SELECT p.id, tm.abbreviation AS abbr, p.last_name, p.first_name "
                    f"FROM players p WHERE p.team_id = tm.id{act} ORDER BY {_NAME_ORDER} "
                    f"LIMIT %(window)s) r")
        # Players without a team (former players: most of a long history) are walked in
        # name order per ``active`` value, so an active-only list never scans the retired.
        teamless = " UNION ALL ".join(
            f"(SELECT p.id, NULL::text, p.last_name, p.first_name FROM players p "
            f"WHERE p.team_id IS NULL AND p.active = {flag} ORDER BY {_NAME_ORDER} "
            f"LIMIT %(window)s)"
            for flag in (("%(active)s",) if active is not None else ("true", "false")))
        page = (f"SELECT id, row_number() OVER (ORDER BY abbr NULLS LAST, last_name, first_name,"
                f" id) AS team_rank FROM (({rostered}) UNION ALL ({teamless})) u "
                "ORDER BY abbr NULLS LAST, last_name, first_name, id"
                " LIMIT %(limit)s OFFSET %(offset)s")
        count_source = (f"(SELECT 1 FROM players p WHERE p.team_id IS NOT NULL{act}) UNION ALL"
                        f" (SELECT 1 FROM players p WHERE p.team_id IS NULL{act})")
        estimate = f"SELECT 1 FROM players p WHERE TRUE{act_lit}" if act_lit else "table:players"
    return f"""
WITH wanted AS (SELECT id FROM teams WHERE abbreviation = %(team)s),
pg AS MATERIALIZED ({page}),
t AS {bounded_total(count_source, estimate)}
SELECT json_build_object(
    'items', coalesce((
        SELECT json_agg(json_build_object({PLAYER_FIELDS}) ORDER BY pg.team_rank, {_NAME_ORDER})
        FROM pg JOIN players p ON p.id = pg.id LEFT JOIN teams tm ON tm.id = p.team_id),
        '[]'::json),
    'total', t.total, 'total_is_estimate', t.estimated,
    'limit', %(limit)s, 'offset', %(offset)s)::text,
  %(team)s::text IS NULL OR EXISTS (SELECT 1 FROM wanted)
FROM t
"""
