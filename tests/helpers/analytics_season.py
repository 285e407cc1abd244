"""A small, deterministic synthetic season for the analytics tests and the feature benchmark.

Independent of the demo loader: teams have a fixed latent strength, each day a random subset
of teams is paired up (a team plays at most once a day), scores follow strength + home edge
+ noise, and each final game gets two consistent team_game_stats rows. The last
``scheduled_tail`` games are left scheduled (no score, no box score).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class SeasonSpec:
    season: int = 2025
    n_teams: int = 8
    n_games: int = 120
    scheduled_tail: int = 4
    seed: int = 7
    start: dt.date = dt.date(2025, 10, 21)
    team_id_offset: int = 0


def _abbr(i: int) -> str:
    return "Q" + chr(65 + i // 26) + chr(65 + i % 26)


def _box(rng: random.Random, points: int) -> dict[str, int]:
    fg3a = rng.randint(28, 42)
    fg3m = min(fg3a, max(5, round(fg3a * rng.uniform(0.30, 0.42))))
    fta = rng.randint(14, 30)
    ftm = min(fta, round(fta * rng.uniform(0.7, 0.85)))
    if (points - fg3m - ftm) % 2:
        ftm = ftm - 1 if ftm > 0 else ftm + 1
        fta = max(fta, ftm)
    fgm = (points - fg3m - ftm) // 2
    fgm = max(fgm, fg3m)
    fga = max(fgm, round(fgm / rng.uniform(0.43, 0.52)), fg3a)
    rebounds = rng.randint(36, 52)
    return {
        "points": 2 * fgm + fg3m + ftm, "fgm": fgm, "fga": fga, "fg3m": fg3m, "fg3a": fg3a,
        "ftm": ftm, "fta": fta, "rebounds": rebounds,
        "offensive_rebounds": rng.randint(6, min(14, rebounds)), "assists": rng.randint(18, 32),
        "steals": rng.randint(4, 11), "blocks": rng.randint(2, 8),
        "turnovers": rng.randint(9, 18), "fouls": rng.randint(15, 24),
    }


def build_season(conn: Connection, spec: SeasonSpec = SeasonSpec()) -> list[int]:
    """Insert teams (if missing), games and team box scores; return game ids in date order."""
    rng = random.Random(spec.seed)
    team_ids = [spec.team_id_offset + i + 1 for i in range(spec.n_teams)]
    for i, tid in enumerate(team_ids):
        conn.execute(
            text("INSERT INTO teams (id, abbreviation, name, city, conference, division) "
                 "VALUES (:id, :ab, :name, :city, :conf, :div) ON CONFLICT (id) DO NOTHING"),
            {"id": tid, "ab": _abbr(tid - 1), "name": f"Testers {tid}", "city": f"City {tid}",
             "conf": "East" if i % 2 else "West", "div": f"Div{i % 3}"},
        )
    strength = {tid: rng.gauss(0, 6) for tid in team_ids}
    next_id = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM games")).scalar_one()) + 1
    games: list[dict] = []
    day = spec.start
    while len(games) < spec.n_games:
        playing = rng.sample(team_ids, k=2 * rng.randint(1, spec.n_teams // 2))
        for j in range(0, len(playing), 2):
            if len(games) >= spec.n_games:
                break
            games.append({"id": next_id, "season": spec.season, "date": day,
                          "home": playing[j], "away": playing[j + 1]})
            next_id += 1
        day += dt.timedelta(days=rng.choice([1, 1, 1, 2, 3]))
    final_count = len(games) - spec.scheduled_tail
    boxes = []
    for idx, g in enumerate(games):
        if idx >= final_count:
            g.update(hs=None, as_=None, status="scheduled")
            continue
        margin = strength[g["home"]] - strength[g["away"]] + 3 + rng.gauss(0, 11)
        base = rng.randint(100, 118)
        hs, as_ = base + round(margin / 2), base - round(margin / 2)
        if hs == as_:
            hs += 1
        hb, ab = _box(rng, hs), _box(rng, as_)
        g.update(hs=hb["points"], as_=ab["points"], status="final")
        while hb["points"] == ab["points"]:  # parity fix-ups can tie a close game
            hb = _box(rng, hb["points"] + 1)
        g["hs"] = hb["points"]
        boxes.append((g, hb, ab))
    conn.execute(
        text("INSERT INTO games (id, season, date, home_team_id, away_team_id, home_score, "
             "away_score, status) VALUES (:id, :season, :date, :home, :away, :hs, :as_, :status)"),
        games,
    )
    rows = []
    for g, hb, ab in boxes:
        for team, box, is_home in ((g["home"], hb, True), (g["away"], ab, False)):
            rows.append({**box, "game_id": g["id"], "team_id": team, "is_home": is_home,
                         "minutes": 240, "plus_minus": (hb["points"] - ab["points"]) * (1 if is_home else -1)})
    cols = ["game_id", "team_id", "is_home", "minutes", "plus_minus", *list(_box(random.Random(0), 100))]
    conn.execute(
        text(f"INSERT INTO team_game_stats ({', '.join(cols)}) "
             f"VALUES ({', '.join(':' + c for c in cols)})"),
        rows,
    )
    conn.execute(text("SELECT setval(pg_get_serial_sequence('games', 'id'), "
                      "(SELECT max(id) FROM games))"))
    return [g["id"] for g in games]
