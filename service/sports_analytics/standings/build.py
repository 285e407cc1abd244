"""Standings rows: records, seeds (tie-breakers) and clinched/eliminated marks, in one place.

``build_rows(source)`` turns what standings/source.py read into the rows every consumer shows
(the API, the pages), ordered by conference, then seed. A row is a plain dict whose keys are
the API's ``StandingsRow`` fields, in that order:

    team, name, conference, division, wins, losses, win_pct, games_behind, home, away,
    neutral, last_10, streak, conference_rank, seed, clinched, eliminated

``seed`` and ``conference_rank`` are the same number, 1-15 within the conference, in the NBA's
tie-breaker order (standings/tiebreak.py, draw seed 0, as the forecast uses). Games behind are
measured from the conference leader: ((leader W - leader L) - (W - L)) / 2.
"""

from __future__ import annotations

from typing import Any

from sports_analytics.standings.marks import Record, league_marks
from sports_analytics.standings.source import Source
from sports_analytics.standings.tiebreak import Season, Team, seed_league

DRAW_SEED = 0  # the last tie-breaker's draw: the same everywhere the standings are seeded


def _pct(wins: int, losses: int) -> float:
    """Three decimals, half away from zero (PostgreSQL's numeric round, as before)."""
    games = wins + losses
    return (2000 * wins + games) // (2 * games) / 1000 if games else 0.0


def _streak(team: dict[str, Any]) -> str:
    if team["last_won"] is None:
        return "-"  # no game played yet
    return ("W" if team["last_won"] else "L") + str(team["streak_len"])


def build_rows(source: Source) -> list[dict[str, Any]]:
    teams = {t["id"]: t for t in source["teams"]}
    season = Season.from_pair_wins(
        (Team(t["id"], t["conference"], t["division"]) for t in teams.values()),
        {(a, b): n for a, b, n in source["pairs"]},
        {t["id"]: t["point_diff"] for t in teams.values()})
    seeds = seed_league(season, draw_seed=DRAW_SEED)
    marks = league_marks(
        {t["id"]: Record(t["wins"], t["losses"], t["remaining"]) for t in teams.values()}, seeds)
    rows = []
    for conference in sorted(seeds):
        order = seeds[conference]
        lead = max(teams[t]["wins"] - teams[t]["losses"] for t in order)
        for seed, team_id in enumerate(order, start=1):
            t = teams[team_id]
            rows.append({
                "team": t["abbreviation"], "name": t["name"], "conference": conference,
                "division": t["division"], "wins": t["wins"], "losses": t["losses"],
                "win_pct": _pct(t["wins"], t["losses"]),
                "games_behind": (lead - (t["wins"] - t["losses"])) / 2,
                "home": f"{t['home_w']}-{t['home_l']}", "away": f"{t['away_w']}-{t['away_l']}",
                "neutral": f"{t['neutral_w']}-{t['neutral_l']}",
                "last_10": f"{t['last10_w']}-{t['last10_l']}", "streak": _streak(t),
                "conference_rank": seed, "seed": seed,
                "clinched": marks[team_id].clinched, "eliminated": marks[team_id].eliminated,
            })
    return rows
