"""game_features: values against a plain-Python reference, no leakage, idempotency, CLI."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from sports_analytics.analytics.features import FEATURE_COLUMNS, compute_features
from tests.helpers.analytics_season import SeasonSpec, build_season
from tests.helpers.pgharness import make_settings


@pytest.fixture
def engine(migrated_db_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(make_settings(migrated_db_url).sqlalchemy_url)
    yield eng
    eng.dispose()


def _features(engine: sa.Engine) -> dict[tuple[int, int], dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            f"SELECT game_id, team_id, is_home, {', '.join(FEATURE_COLUMNS)} FROM game_features"
        )).mappings().all()
    return {(r["game_id"], r["team_id"]): dict(r) for r in rows}


def _load(engine: sa.Engine) -> tuple[list[dict], dict[tuple[int, int], dict]]:
    with engine.connect() as conn:
        games = [dict(r) for r in conn.execute(sa.text(
            "SELECT id, season, date, home_team_id AS home, away_team_id AS away, "
            "home_score AS hs, away_score AS as_, status FROM games ORDER BY date, id")).mappings()]
        boxes = {(r["game_id"], r["team_id"]): dict(r) for r in conn.execute(
            sa.text("SELECT * FROM team_game_stats")).mappings()}
    return games, boxes


def _reference(games: list[dict], boxes: dict) -> dict[tuple[int, int], dict]:
    """The definitions, written the slow obvious way."""
    out = {}
    for g in games:
        for team, opp, is_home in ((g["home"], g["away"], True), (g["away"], g["home"], False)):
            prior = [x for x in games if x["season"] == g["season"] and x["status"] == "final"
                     and x["date"] < g["date"] and team in (x["home"], x["away"])]

            def pf(x, team=team):
                return x["hs"] if x["home"] == team else x["as_"]

            def pa(x, team=team):
                return x["as_"] if x["home"] == team else x["hs"]

            wins = [int(pf(x) > pa(x)) for x in prior]
            diffs = [pf(x) - pa(x) for x in prior]
            k = len(prior)
            h2h = [x for x in prior if opp in (x["home"], x["away"])]
            row = {"is_home": is_home, "games_played": k}
            row["win_pct_last5"] = sum(wins[-5:]) / min(k, 5) if k else None
            row["win_pct_last10"] = sum(wins[-10:]) / min(k, 10) if k else None
            row["point_diff_last5"] = sum(diffs[-5:]) / min(k, 5) if k else None
            row["point_diff_last10"] = sum(diffs[-10:]) / min(k, 10) if k else None
            row["season_win_pct"] = sum(wins) / k if k else None
            row["h2h_win_pct"] = sum(int(pf(x) > pa(x)) for x in h2h) / len(h2h) if h2h else None
            row["h2h_avg_margin"] = sum(pf(x) - pa(x) for x in h2h) / len(h2h) if h2h else None
            gap = (g["date"] - prior[-1]["date"]).days if prior else None
            row["rest_days"] = gap - 1 if gap is not None else None
            row["back_to_back"] = gap == 1
            streak = 0
            for w in reversed(wins):
                if streak == 0:
                    streak = 1 if w else -1
                elif (streak > 0) == bool(w):
                    streak += 1 if w else -1
                else:
                    break
            row["streak"] = streak
            last5 = prior[-5:]
            if last5:
                own = [boxes[(x["id"], team)] for x in last5]
                other = [boxes[(x["id"], opp_of(x, team))] for x in last5]
                poss = sum(0.5 * (poss_of(a) + poss_of(b)) for a, b in zip(own, other, strict=True))
                pts = sum(a["points"] for a in own)
                opp_pts = sum(b["points"] for b in other)
                fga = sum(a["fga"] for a in own)
                fta = sum(a["fta"] for a in own)
                row["off_rating_last5"] = 100 * pts / poss
                row["def_rating_last5"] = 100 * opp_pts / poss
                row["pace_last5"] = 48 * poss / sum(float(a["minutes"]) / 5 for a in own)
                row["efg_pct_last5"] = sum(a["fgm"] + 0.5 * a["fg3m"] for a in own) / fga
                row["ts_pct_last5"] = pts / (2 * (fga + 0.44 * fta))
            else:
                for c in ("off_rating_last5", "def_rating_last5", "pace_last5", "efg_pct_last5",
                          "ts_pct_last5"):
                    row[c] = None
            out[(g["id"], team)] = row
    return out


def opp_of(game: dict, team: int) -> int:
    return game["away"] if game["home"] == team else game["home"]


def poss_of(box: dict) -> float:
    return box["fga"] + 0.44 * box["fta"] - box["offensive_rebounds"] + box["turnovers"]


def _assert_same(actual: dict, expected: dict, key) -> None:
    for col, want in expected.items():
        got = actual[col]
        if want is None or isinstance(want, bool):
            assert got == want, (key, col, got, want)
        else:
            assert got is not None and math.isclose(got, want, abs_tol=6e-5), (key, col, got, want)


def test_features_match_reference_definitions(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        ids = build_season(conn, SeasonSpec(n_teams=8, n_games=140, scheduled_tail=6))
    rows = compute_features(engine)
    assert rows == 2 * len(ids)
    actual = _features(engine)
    expected = _reference(*_load(engine))
    assert actual.keys() == expected.keys()
    for key, exp in expected.items():
        _assert_same(actual[key], exp, key)
    # The fixture exercises every branch: early-season NULLs, back-to-backs, long streaks.
    assert any(r["back_to_back"] for r in actual.values())
    assert any(r["games_played"] == 0 and r["win_pct_last5"] is None for r in actual.values())
    assert max(abs(r["streak"]) for r in actual.values()) >= 3
    assert any(r["h2h_win_pct"] is not None for r in actual.values())


def test_later_results_never_leak_into_earlier_features(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        ids = build_season(conn, SeasonSpec(n_teams=8, n_games=120, scheduled_tail=0, seed=11))
    compute_features(engine)
    before = _features(engine)
    target = ids[len(ids) // 2]
    with engine.begin() as conn:
        day = conn.execute(sa.text("SELECT date FROM games WHERE id = :id"), {"id": target}).scalar_one()
        # Flip the result by 40 points, in the score and in the box score.
        conn.execute(sa.text(
            "UPDATE games SET home_score = away_score + 40 WHERE id = :id"), {"id": target})
        conn.execute(sa.text(
            "UPDATE team_game_stats s SET points = g.home_score, fgm = s.fgm + 20, fga = s.fga + 20 "
            "FROM games g WHERE g.id = s.game_id AND s.game_id = :id AND s.is_home"), {"id": target})
        on_or_before = {r[0] for r in conn.execute(
            sa.text("SELECT id FROM games WHERE date <= :d"), {"d": day})}
    compute_features(engine)
    after = _features(engine)
    unchanged = {k for k in before if k[0] in on_or_before}
    assert unchanged, "fixture must have games on or before the changed one"
    for key in unchanged:
        assert after[key] == before[key], f"feature of game {key} moved after a later change"
    moved = [k for k in before if k[0] not in on_or_before and after[k] != before[k]]
    assert moved, "the change must reach later games (otherwise this test proves nothing)"


def test_recompute_is_idempotent_and_season_scoped(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        ids_2024 = build_season(conn, SeasonSpec(season=2024, start=__import__("datetime").date(2024, 10, 22),
                                                 n_games=60, scheduled_tail=0, seed=3))
        ids_2025 = build_season(conn, SeasonSpec(season=2025, n_games=60, seed=4))
        v0 = conn.execute(sa.text("SELECT last_value FROM data_version_seq")).scalar_one()
    assert compute_features(engine, season=2025) == 2 * len(ids_2025)
    first = _features(engine)
    assert {k[0] for k in first} == set(ids_2025)
    assert compute_features(engine, season=2025) == 2 * len(ids_2025)
    assert _features(engine) == first
    assert compute_features(engine, season=2024) == 2 * len(ids_2024)
    both = _features(engine)
    assert {k[0] for k in both} == set(ids_2024) | set(ids_2025)
    # Features never cross a season boundary: each season starts from zero games played.
    first_2025 = min(ids_2025)
    assert all(both[k]["games_played"] == 0 for k in both if k[0] == first_2025)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT last_value FROM data_version_seq")).scalar_one() > v0
    assert compute_features(engine, season=1999) == 0


def test_features_cli(migrated_db_url: str, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from sports_analytics.cli import main

    eng = sa.create_engine(make_settings(migrated_db_url).sqlalchemy_url)
    with eng.begin() as conn:
        ids = build_season(conn, SeasonSpec(n_games=40))
    monkeypatch.setenv("DATABASE_URL", migrated_db_url)
    assert main(["features", "--season", "2025"]) == 0
    assert f"{2 * len(ids)} team-game rows" in capsys.readouterr().out
    with eng.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM game_features")).scalar_one() == 2 * len(ids)
    eng.dispose()
    assert main(["features", "--season", "1999"]) == 1
    assert capsys.readouterr().err.strip() == (
        "sports-analytics features: no games in season 1999; load some with "
        "`sports-analytics seed-demo` or `ingest PATH`")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "1")
    assert main(["features"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("sports-analytics features:") and len(err.strip().splitlines()) == 1


def test_concurrent_recomputes_serialise(engine: sa.Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with engine.begin() as conn:
        ids = build_season(conn, SeasonSpec(n_games=80))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda s: compute_features(engine, season=s), [2025, None, 2025, None]))
    assert results == [2 * len(ids)] * 4
    assert len(_features(engine)) == 2 * len(ids)
