"""Pre-game features (``game_features``): one row per team per game, computed set-based.

Every value for a game played on day D uses only that team's games of the same season that
were **final on a date before D**. Games on the same day (a double-header in odd data) and
the game itself are excluded, so nothing that happens at or after tip-off can leak in.

How it stays set-based (one INSERT ... SELECT, no Python loop):

* ``app``   every team appearance (two per game, any status);
* ``res``   final appearances with their box-score numbers;
* ``cum``   running totals per team-season over final games, numbered ``n = 1, 2, ...``;
* ``pre``   per appearance, ``k`` = number of final games before the game's date (a RANGE
            window ending one day before), plus head-to-head and rest from the same kind of
            window;
* "last 5" is then ``cum[n = k] - cum[n = k - 5]`` (two index lookups), and the streak is the
  island length (gaps-and-islands) at ``n = k``.

Box-score definitions (team_game_stats; both teams' rows are needed for a game to count):

* possessions  ``FGA + 0.44*FTA - OREB + TOV``, averaged over the two teams of a game;
* offensive / defensive rating  points scored / allowed per 100 possessions;
* pace  possessions per 48 minutes (team minutes / 5; 48 when minutes are missing);
* eFG%  ``(FGM + 0.5*3PM) / FGA``;  TS%  ``PTS / (2*(FGA + 0.44*FTA))``.

Rolling box features are ratios of sums over the last five games, not means of ratios.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

from sports_analytics.analytics.watermark import advance_watermark
from sports_analytics.db.writes import (
    FEATURE_COLUMNS,
    LockKey,
    bump_data_version,
    bump_data_version_after_commit,
)

__all__ = ["FEATURE_COLUMNS", "compute_features", "lock_features", "write_features"]


def _r(expr: str) -> str:
    """Round a float expression to 4 decimals (NULL stays NULL)."""
    return f"round(({expr})::numeric, 4)::float8"


def _diff(col: str, lag: str) -> str:
    """Sum of ``col`` over the games between cum[k - lag] (exclusive) and cum[k]."""
    return f"(c.{col} - coalesce({lag}.{col}, 0))"


_WINDOW_BEFORE = "RANGE BETWEEN UNBOUNDED PRECEDING AND '1 day'::interval PRECEDING"


# Incremental scope: (team_id, season, from_date) rows in the transaction's temp table
# ``feature_scope`` (see analytics/incremental.py). Only those team-seasons are read, and only
# their appearances on or after ``from_date`` are written.
_SCOPED_GAMES = ("WHERE season IN (SELECT season FROM feature_scope) "  # an index range
                 "AND EXISTS (SELECT 1 FROM feature_scope s WHERE s.season = games.season "
                 "AND s.team_id IN (games.home_team_id, games.away_team_id))")


_B5 = _diff("c_box", "c5")
_POSS5 = _diff("c_poss", "c5")
# The statement, with the scope left as {where}, {app_from}, {from_date} and {only_after}.
# Only fixed fragments from this module are interpolated, never input.
_FEATURES_SQL = f"""
WITH g AS (
    SELECT id, season, date, home_team_id, away_team_id, home_score, away_score,
           (status = 'final' AND home_score IS NOT NULL AND away_score IS NOT NULL) AS final
    FROM games {{where}}
),
app0 AS (
    SELECT id AS game_id, season, date, home_team_id AS team_id, away_team_id AS opp_id,
           TRUE AS is_home, final, home_score AS pf, away_score AS pa
    FROM g
    UNION ALL
    SELECT id, season, date, away_team_id, home_team_id, FALSE, final, away_score, home_score
    FROM g
),
app AS (SELECT a.*, {{from_date}} AS from_date FROM {{app_from}}),
res AS (
    SELECT a.game_id, a.team_id, a.season, a.date,
           (a.pf > a.pa)::int AS win,
           (a.pf - a.pa) AS diff,
           (s.game_id IS NOT NULL AND o.game_id IS NOT NULL) AS has_box,
           s.points AS b_pts, o.points AS b_opp_pts,
           0.5 * ((s.fga + 0.44 * s.fta - s.offensive_rebounds + s.turnovers)
                + (o.fga + 0.44 * o.fta - o.offensive_rebounds + o.turnovers)) AS poss,
           CASE WHEN s.minutes > 0 THEN s.minutes / 5.0 ELSE 48 END AS mins,
           s.fgm, s.fg3m, s.fga, s.fta
    FROM app a
    LEFT JOIN team_game_stats s ON s.game_id = a.game_id AND s.team_id = a.team_id
    LEFT JOIN team_game_stats o ON o.game_id = a.game_id AND o.team_id = a.opp_id
    WHERE a.final
),
cum AS (
    SELECT team_id, season, win,
           row_number() OVER w AS n,
           sum(win) OVER w AS c_win,
           sum(diff) OVER w AS c_diff,
           sum(has_box::int) OVER w AS c_box,
           coalesce(sum(b_pts) FILTER (WHERE has_box) OVER w, 0) AS c_pts,
           coalesce(sum(b_opp_pts) FILTER (WHERE has_box) OVER w, 0) AS c_opp_pts,
           coalesce(sum(poss) FILTER (WHERE has_box) OVER w, 0) AS c_poss,
           coalesce(sum(mins) FILTER (WHERE has_box) OVER w, 0) AS c_mins,
           coalesce(sum(fgm) FILTER (WHERE has_box) OVER w, 0) AS c_fgm,
           coalesce(sum(fg3m) FILTER (WHERE has_box) OVER w, 0) AS c_fg3m,
           coalesce(sum(fga) FILTER (WHERE has_box) OVER w, 0) AS c_fga,
           coalesce(sum(fta) FILTER (WHERE has_box) OVER w, 0) AS c_fta
    FROM res
    WINDOW w AS (PARTITION BY team_id, season ORDER BY date, game_id ROWS UNBOUNDED PRECEDING)
),
islands AS (
    SELECT team_id, season, n, win,
           n - row_number() OVER (PARTITION BY team_id, season, win ORDER BY n) AS grp
    FROM cum
),
streaks AS (
    SELECT team_id, season, n,
           (CASE WHEN win = 1 THEN 1 ELSE -1 END)
           * row_number() OVER (PARTITION BY team_id, season, win, grp ORDER BY n) AS streak
    FROM islands
),
pre AS (
    SELECT game_id, team_id, season, date, is_home, from_date,
           count(*) FILTER (WHERE final) OVER before AS k,
           max(date) FILTER (WHERE final) OVER before AS last_date,
           count(*) FILTER (WHERE final) OVER h2h AS h2h_n,
           sum((pf > pa)::int) FILTER (WHERE final) OVER h2h AS h2h_wins,
           sum(pf - pa) FILTER (WHERE final) OVER h2h AS h2h_margin
    FROM app
    WINDOW before AS (PARTITION BY team_id, season ORDER BY date {_WINDOW_BEFORE}),
           h2h AS (PARTITION BY team_id, opp_id, season ORDER BY date {_WINDOW_BEFORE})
)
INSERT INTO game_features (
    game_id, team_id, is_home, games_played, win_pct_last5, win_pct_last10,
    point_diff_last5, point_diff_last10, season_win_pct, h2h_win_pct, h2h_avg_margin,
    rest_days, back_to_back, off_rating_last5, def_rating_last5, pace_last5,
    efg_pct_last5, ts_pct_last5, streak
)
SELECT p.game_id, p.team_id, p.is_home,
       least(p.k, 32767),
       {_r(f"{_diff('c_win', 'c5')}::float8 / least(p.k, 5)")},
       {_r(f"{_diff('c_win', 'c10')}::float8 / least(p.k, 10)")},
       {_r(f"{_diff('c_diff', 'c5')}::float8 / least(p.k, 5)")},
       {_r(f"{_diff('c_diff', 'c10')}::float8 / least(p.k, 10)")},
       {_r("c.c_win::float8 / p.k")},
       {_r("p.h2h_wins::float8 / nullif(p.h2h_n, 0)")},
       {_r("p.h2h_margin::float8 / nullif(p.h2h_n, 0)")},
       CASE WHEN p.last_date IS NOT NULL THEN least(p.date - p.last_date - 1, 32767) END,
       coalesce(p.date - p.last_date = 1, FALSE),
       {_r(f"CASE WHEN {_B5} > 0 THEN 100 * {_diff('c_pts', 'c5')} / nullif({_POSS5}, 0) END")},
       {_r(f"CASE WHEN {_B5} > 0 THEN 100 * {_diff('c_opp_pts', 'c5')} / nullif({_POSS5}, 0) END")},
       {_r(f"CASE WHEN {_B5} > 0 THEN 48 * {_POSS5} / nullif({_diff('c_mins', 'c5')}, 0) END")},
       {_r(f"CASE WHEN {_B5} > 0 THEN ({_diff('c_fgm', 'c5')} + 0.5 * {_diff('c_fg3m', 'c5')})"
           f" / nullif({_diff('c_fga', 'c5')}, 0) END")},
       {_r(f"CASE WHEN {_B5} > 0 THEN {_diff('c_pts', 'c5')} / nullif(2 * ({_diff('c_fga', 'c5')}"
           f" + 0.44 * {_diff('c_fta', 'c5')}), 0) END")},
       coalesce(st.streak, 0)
FROM pre p
LEFT JOIN cum c ON c.team_id = p.team_id AND c.season = p.season AND c.n = p.k
LEFT JOIN cum c5 ON c5.team_id = p.team_id AND c5.season = p.season AND c5.n = p.k - 5
LEFT JOIN cum c10 ON c10.team_id = p.team_id AND c10.season = p.season AND c10.n = p.k - 10
LEFT JOIN streaks st ON st.team_id = p.team_id AND st.season = p.season AND st.n = p.k
{{only_after}}
"""  # noqa: S608


def _features_sql(mode: str) -> str:
    """``mode``: ``all`` (every game), ``season`` (``:season``) or ``scope`` (feature_scope)."""
    scoped = mode == "scope"
    return _FEATURES_SQL.format(
        where={"all": "", "season": "WHERE season = :season", "scope": _SCOPED_GAMES}[mode],
        app_from=("app0 a JOIN feature_scope fs ON fs.team_id = a.team_id AND fs.season = a.season"
                  if scoped else "app0 a"),
        from_date="fs.from_date" if scoped else "NULL::date",
        only_after="WHERE p.date >= p.from_date" if scoped else "",
    )


_DELETE = {
    "all": "DELETE FROM game_features",
    "season": "DELETE FROM game_features f USING games g "
              "WHERE g.id = f.game_id AND g.season = :season",
    # From each scope row to its games by (season, date), then to the rows by primary key.
    "scope": "DELETE FROM game_features f USING ("
             "SELECT g.id, s.team_id FROM feature_scope s JOIN games g ON g.season = s.season "
             "AND g.date >= s.from_date AND s.team_id IN (g.home_team_id, g.away_team_id)) x "
             "WHERE f.game_id = x.id AND f.team_id = x.team_id",
}


def lock_features(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LockKey.FEATURES})


def write_features(conn: Connection, mode: str, season: int | None = None) -> int:
    """Delete and re-insert the rows ``mode`` covers (the caller holds the lock)."""
    params = {"season": season} if mode == "season" else {}
    conn.execute(text(_DELETE[mode]), params)
    inserted = conn.execute(text(_features_sql(mode)), params).rowcount
    return int(inserted or 0)


def _run(conn: Connection, season: int | None) -> int:
    lock_features(conn)
    inserted = write_features(conn, "all" if season is None else "season", season)
    if season is None:  # every row rewritten: current as of now, and planned on fresh stats
        advance_watermark(conn, "features")
        conn.execute(text("ANALYZE game_features"))
    bump_data_version(conn)
    return inserted


def compute_features(engine_or_conn: Engine | Connection, season: int | None = None) -> int:
    """Recompute ``game_features`` for one season (or all) in one transaction; returns rows.

    Idempotent: the season's rows are deleted and re-inserted under a transaction-scoped
    advisory lock. ``data_version_seq`` is bumped inside the transaction and, given an
    Engine, once more after commit. With a Connection in a transaction the caller commits.
    """
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.begin() as conn:
            rows = _run(conn, season)
        bump_data_version_after_commit(engine_or_conn)
        return rows
    conn = engine_or_conn
    if conn.in_transaction():
        return _run(conn, season)
    with conn.begin():
        return _run(conn, season)
