"""Resuming the prediction models where the last run stopped.

Elo ratings and the home-court baseline depend on every earlier game of the history, so a run
replays the history in date order. At its end it stores where the models stand after the last
day with a final game, L (``analytics_snapshots``, one JSON row; Python writes floats in
their shortest exact form, so they come back bit for bit). Games after L are scheduled ones,
which move neither model. A run that only rewrites games on or after a date D > L resumes from
that snapshot when no final game lies between L and D: nothing the snapshot summarises can
have changed (a change to an earlier game would have moved D back to that game). Otherwise,
or for other model parameters, the whole history is replayed. Either way the results are
identical; tests/analytics/test_incremental.py compares them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from sports_analytics.analytics.elo import EloParams, EloRatings, GameResult

SNAPSHOT = "predictions"
_GAMES_SQL = ("SELECT id, season, date, home_team_id, away_team_id, home_score, away_score, "
              "(status = 'final' AND home_score IS NOT NULL AND away_score IS NOT NULL) AS final, "
              "neutral_site FROM games WHERE status IN ('scheduled', 'final') {where} "
              "ORDER BY date, id")  # a postponed or cancelled game gets no new prediction
_READ = text("SELECT state FROM analytics_snapshots WHERE name = :name")
_BETWEEN = text("SELECT EXISTS (SELECT 1 FROM games WHERE date > :after AND date < :since "
                "AND status = 'final')")
_WRITE = text("""
INSERT INTO analytics_snapshots (name, state, updated_at)
VALUES (:name, CAST(:state AS jsonb), now())
ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
""")


@dataclass
class ModelState:
    """Both models after some game day: Elo ratings, and the baseline's (home wins, games)."""

    elo: EloRatings
    home: list[int] = field(default_factory=lambda: [0, 0])


def load_games(conn: Connection, after: dt.date | None = None) -> list[GameResult]:
    """Games in (date, id) order, all or only those after ``after``; straight from the driver,
    as SQLAlchemy's row objects would double the cost of reading a whole history."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        if after is None:
            cur.execute(_GAMES_SQL.format(where=""))
        else:
            cur.execute(_GAMES_SQL.format(where="AND date > %(after)s"), {"after": after})
        return [GameResult._make(row) for row in cur.fetchall()]


def resume(conn: Connection, params: EloParams,
           since: dt.date | None) -> tuple[ModelState, list[GameResult]]:
    """The state to start from and the games to replay from there."""
    if since is not None:
        snap = conn.execute(_READ, {"name": SNAPSHOT}).scalar()
        if snap and snap.get("params") == repr(params):
            through = dt.date.fromisoformat(snap["through"])
            gap = conn.execute(_BETWEEN, {"after": through, "since": since}).scalar()
            if through < since and not gap:
                elo = EloRatings(params, {int(t): float(r) for t, r in snap["ratings"].items()},
                                 snap["season"])
                return ModelState(elo, list(snap["home"])), load_games(conn, after=through)
    return ModelState(EloRatings(params)), load_games(conn)


def save(conn: Connection, params: EloParams, state: ModelState,
         games: list[GameResult]) -> None:
    """Store the state after the last day with a final game, L. Nothing when the replay had
    no final game (the stored snapshot still holds), or when a later season's schedule was
    reached after L (its start moved the ratings toward the mean: not the state at L)."""
    last = next((g for g in reversed(games) if g.final), None)
    if last is None or state.elo.season != last.season:
        return
    snap = {"params": repr(params), "through": last.date.isoformat(),
            "season": state.elo.season, "home": state.home,
            "ratings": {str(t): r for t, r in state.elo.ratings.items()}}
    conn.execute(_WRITE, {"name": SNAPSHOT, "state": json.dumps(snap)})
