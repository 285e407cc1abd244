"""The facts a game brief may use, read from the database, and their hash.

Only the game itself, both teams, their records before tip-off, the pre-game features, the
predictions and (for a final game) the box score and top scorers. Nothing else reaches the
prompt, so the model has nothing else to draw on.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Connection, text

from sports_analytics.db.writes import FEATURE_COLUMNS
from sports_analytics.exceptions import GameNotFound

# Bump when the facts, the prompt or the response schema change: every cached brief is
# then regenerated on its next request.
BRIEF_VERSION = "brief-v1"

BOX_FIELDS = ("points", "rebounds", "offensive_rebounds", "assists", "steals", "blocks",
              "turnovers", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta")


_GAME_SQL = text("""
    SELECT g.id, g.season, g.date, g.status, g.home_score, g.away_score,
           h.id AS home_id, h.abbreviation AS home_abbr, h.city AS home_city,
           h.name AS home_name,
           a.id AS away_id, a.abbreviation AS away_abbr, a.city AS away_city,
           a.name AS away_name
    FROM games g JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id
    WHERE g.id = :id""")

_RECORDS_SQL = text("""
    SELECT team_id, count(*) FILTER (WHERE won) AS wins,
           count(*) FILTER (WHERE NOT won) AS losses
    FROM (
        SELECT home_team_id AS team_id, home_score > away_score AS won FROM games
        WHERE season = :season AND date < :date AND status = 'final'
          AND home_team_id IN (:h, :a)
        UNION ALL
        SELECT away_team_id, away_score > home_score FROM games
        WHERE season = :season AND date < :date AND status = 'final'
          AND away_team_id IN (:h, :a)
    ) t GROUP BY team_id""")

_FEATURES_SQL = text(f"SELECT team_id, {', '.join(FEATURE_COLUMNS)} FROM game_features "  # noqa: S608
                     "WHERE game_id = :id")

_PREDICTIONS_SQL = text(
    "SELECT model, home_win_prob, away_win_prob, home_rating, away_rating, was_correct "
    "FROM predictions WHERE game_id = :id ORDER BY model")

_BOX_SQL = text(f"SELECT team_id, {', '.join(BOX_FIELDS)} FROM team_game_stats "  # noqa: S608
                "WHERE game_id = :id")

_SCORERS_SQL = text("""
    SELECT team_id, name, points, rebounds, assists FROM (
        SELECT s.team_id, p.first_name || ' ' || p.last_name AS name, s.points,
               s.rebounds, s.assists,
               row_number() OVER (PARTITION BY s.team_id
                                  ORDER BY s.points DESC, s.player_id) AS rn
        FROM player_game_stats s JOIN players p ON p.id = s.player_id
        WHERE s.game_id = :id
    ) ranked WHERE rn <= 2 ORDER BY team_id, rn""")

Rows = dict[int, Any]


def _predictions(conn: Connection, game_id: int) -> dict[str, dict[str, Any]]:
    return {r["model"]: {
        "home_win_prob": round(r["home_win_prob"], 4),
        "away_win_prob": round(r["away_win_prob"], 4),
        "home_rating": r["home_rating"], "away_rating": r["away_rating"],
        "was_correct": r["was_correct"],
    } for r in conn.execute(_PREDICTIONS_SQL, {"id": game_id}).mappings()}


def _box_and_scorers(conn: Connection, game_id: int) -> tuple[Rows, Rows]:
    box = {r["team_id"]: {k: r[k] for k in BOX_FIELDS}
           for r in conn.execute(_BOX_SQL, {"id": game_id}).mappings()}
    scorers: dict[int, list[dict[str, Any]]] = {}
    for r in conn.execute(_SCORERS_SQL, {"id": game_id}).mappings():
        scorers.setdefault(r["team_id"], []).append(
            {"name": r["name"], "points": r["points"], "rebounds": r["rebounds"],
             "assists": r["assists"]})
    return box, scorers


def _side(game: Any, prefix: str, records: Rows, features: Rows,
          box: Rows | None, scorers: Rows) -> dict[str, Any]:
    tid = game[f"{prefix}_id"]
    rec = records.get(tid)
    feat = features.get(tid)
    out: dict[str, Any] = {
        "abbreviation": game[f"{prefix}_abbr"],
        "name": game[f"{prefix}_name"],
        "city": game[f"{prefix}_city"],
        "record_before": {"wins": rec["wins"] if rec else 0,
                          "losses": rec["losses"] if rec else 0},
        "features": {k: feat[k] for k in FEATURE_COLUMNS} if feat else None,
    }
    if box is not None:  # a final game
        out["box_score"] = box.get(tid)
        out["top_scorers"] = scorers.get(tid, [])
    return out


def load_facts(conn: Connection, game_id: int) -> dict[str, Any]:
    game = conn.execute(_GAME_SQL, {"id": game_id}).mappings().first()
    if game is None:
        raise GameNotFound(game_id)
    final = game["status"] == "final" and game["home_score"] is not None
    records = {r["team_id"]: r for r in conn.execute(_RECORDS_SQL, {
        "season": game["season"], "date": game["date"], "h": game["home_id"],
        "a": game["away_id"]}).mappings()}
    features = {r["team_id"]: r for r in conn.execute(_FEATURES_SQL, {"id": game_id}).mappings()}
    predictions = _predictions(conn, game_id)
    box, scorers = _box_and_scorers(conn, game_id) if final else (None, {})
    return {
        "game_id": game["id"],
        "season": game["season"],
        "date": game["date"].isoformat(),
        "status": "final" if final else "scheduled",
        "score": {"home": game["home_score"], "away": game["away_score"]} if final else None,
        "home": _side(game, "home", records, features, box, scorers),
        "away": _side(game, "away", records, features, box, scorers),
        "predictions": predictions,
    }


def facts_hash(facts: dict[str, Any]) -> str:
    payload = json.dumps({"v": BRIEF_VERSION, "facts": facts}, sort_keys=True,
                         separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()
