"""Standings rows from the database: seeds by the tie-breakers, marks, neutral-site records."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg

from sports_analytics.db.read_pool import ReadPool
from sports_analytics.standings.build import build_rows
from sports_analytics.standings.marks import CLINCHED_PLAY_IN, CLINCHED_PLAYOFFS
from sports_analytics.standings.source import fetch_source
from sports_analytics.standings.tiebreak import GameResult, Season, Team, seed_league
from tests.helpers.pgharness import make_settings


def _rows(url: str, season: int | None = 2025) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        reader = ReadPool(make_settings(url))
        try:
            source, _ = await fetch_source(reader, season)
            return build_rows(source)
        finally:
            await reader.close()

    return asyncio.run(run())


def _seeds_from_games(url: str) -> dict[str, list[str]]:
    """The tie-breakers applied to the games as stored, independently of the statement."""
    with psycopg.connect(url) as conn:
        teams = conn.execute("SELECT id, abbreviation, conference, division FROM teams").fetchall()
        games = conn.execute(
            "SELECT home_team_id, away_team_id, home_score, away_score FROM games "
            "WHERE season = 2025 AND status = 'final'").fetchall()
    abbr = {t[0]: t[1] for t in teams}
    season = Season.from_games([Team(t[0], t[2], t[3]) for t in teams],
                               [GameResult(*g) for g in games])
    return {c: [abbr[t] for t in ids] for c, ids in seed_league(season).items()}


def test_finished_season_seeds_are_the_tie_breaker_order_and_marks_are_certain(
        seeded_db_url: str) -> None:
    rows = _rows(seeded_db_url)
    expected = _seeds_from_games(seeded_db_url)
    for conference in ("East", "West"):
        mine = [r for r in rows if r["conference"] == conference]
        assert [r["team"] for r in mine] == expected[conference]
        assert [r["seed"] for r in mine] == list(range(1, 16))
        for r in mine:
            want = (CLINCHED_PLAYOFFS if r["seed"] <= 6 else
                    CLINCHED_PLAY_IN if r["seed"] <= 10 else None)
            assert (r["clinched"], r["eliminated"]) == (want, r["seed"] > 10)


def test_mid_season_marks_hold_in_the_season_as_it_ended(seeded_db_url: str) -> None:
    final = {r["team"]: r for r in _rows(seeded_db_url)}
    with psycopg.connect(seeded_db_url) as conn:  # rewind the last 120 games to "scheduled"
        conn.execute(
            "UPDATE games SET status = 'scheduled', home_score = NULL, away_score = NULL "
            "WHERE id IN (SELECT id FROM games WHERE season = 2025 "
            "ORDER BY date DESC, id DESC LIMIT 120)")
    rows = _rows(seeded_db_url)
    assert sum(r["wins"] for r in rows) == 1230 - 120
    marked = 0
    for r in rows:
        seed = final[r["team"]]["seed"]
        if r["clinched"] == CLINCHED_PLAYOFFS:
            assert seed <= 6, r
        if r["clinched"] == CLINCHED_PLAY_IN:
            assert seed <= 10, r
        if r["eliminated"]:
            assert seed > 10, r
        marked += r["clinched"] is not None or r["eliminated"]
    assert 0 < marked < 30  # some certain, some still open with 120 games left


def test_cancelled_games_count_nowhere_and_postponed_ones_are_still_to_play(
        seeded_db_url: str) -> None:
    with psycopg.connect(seeded_db_url) as conn:
        conn.execute("UPDATE games SET status = 'cancelled', home_score = NULL, "
                     "away_score = NULL WHERE id = 1")
        conn.execute("UPDATE games SET status = 'postponed', home_score = NULL, "
                     "away_score = NULL WHERE id = 2")
    rows = _rows(seeded_db_url)
    assert sum(r["wins"] + r["losses"] for r in rows) == 2 * 1228
    # one game is still to play for two teams: the season is no longer decided, so the marks
    # come from the bounds, and nobody can be certain of more than the seeds allow
    assert sum(r["clinched"] is not None for r in rows) < 20


def test_neutral_site_games_leave_home_and_away(seeded_db_url: str) -> None:
    with psycopg.connect(seeded_db_url) as conn:
        home, away = conn.execute(
            "UPDATE games SET neutral_site = true WHERE id = 5 "
            "RETURNING (SELECT abbreviation FROM teams WHERE id = home_team_id), "
            "(SELECT abbreviation FROM teams WHERE id = away_team_id)").fetchone()
    rows = {r["team"]: r for r in _rows(seeded_db_url)}
    for team in (home, away):
        r = rows[team]
        (hw, hl), (aw, al), (nw, nl) = (map(int, r[k].split("-"))
                                        for k in ("home", "away", "neutral"))
        assert (hw + aw + nw, hl + al + nl) == (r["wins"], r["losses"])
        assert nw + nl == 1
    assert sum(int(r["home"].split("-")[0]) + int(r["home"].split("-")[1])
               for r in rows.values()) == 1229


def test_no_games_no_rows(migrated_db_url: str) -> None:
    assert _rows(migrated_db_url, None) == []
