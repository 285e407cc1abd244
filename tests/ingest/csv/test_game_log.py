"""CSV ingest: happy path, idempotency, updates, and bad files that leave the DB untouched."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from sports_analytics.exceptions import IngestError
from sports_analytics.ingest.csv.game_log import REQUIRED_COLUMNS
from sports_analytics.ingest.csv.load import ingest_csv
from tests.helpers.pgharness import make_settings

HEADER = list(REQUIRED_COLUMNS)
TABLES = ("teams", "players", "games", "team_game_stats", "player_game_stats", "game_features",
          "predictions")


def team_row(game_id: str, team: str, opp: str, ha: str, pts: int, *, season: int = 2024,
             date: str = "2024-11-02", fg3m: int = 12, ftm: int = 17) -> dict[str, object]:
    ftm += (pts - fg3m - ftm) % 2  # keep 2*fgm + fg3m + ftm == pts
    fgm = (pts - fg3m - ftm) // 2
    return {"season": season, "game_date": date, "game_id": game_id, "team": team,
            "opponent": opp, "home_away": ha, "pts": pts, "fgm": fgm, "fga": fgm * 2 + 3,
            "fg3m": fg3m, "fg3a": fg3m * 3, "ftm": ftm, "fta": ftm + 4, "oreb": 10, "reb": 44,
            "ast": 25, "stl": 7, "blk": 5, "tov": 13, "pf": 19, "min": 240}


def good_rows() -> list[dict[str, object]]:
    return [
        team_row("0022400101", "BOS", "NYK", "H", 112),
        team_row("0022400101", "NYK", "BOS", "A", 105),
        team_row("0022400102", "LAL", "GSW", "A", 99, date="2024-11-03", ftm=16),
        team_row("0022400102", "GSW", "LAL", "H", 121, date="2024-11-03"),
        team_row("0022400103", "PHO", "DEN", "H", 118, date="2024-11-03", ftm=16),  # alias
        team_row("0022400103", "DEN", "PHX", "A", 124, date="2024-11-03", ftm=16),
    ]


def write_csv(path: Path, rows: list[dict[str, object]], header: list[str] | None = None) -> Path:
    header = header or HEADER
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def checksum(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        out = {t: conn.execute(f"SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), ''))"
                               f" FROM {t} x").fetchone()[0] for t in TABLES}
        out["data_version"] = conn.execute("SELECT last_value FROM data_version_seq").fetchone()[0]
    return out


def one(url: str, sql: str):
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def test_happy_path_then_idempotent(migrated_db_url: str, tmp_path: Path) -> None:
    settings = make_settings(migrated_db_url)
    path = write_csv(tmp_path / "games.csv", good_rows())
    summary = ingest_csv(settings, path)
    assert (summary.rows, summary.games, summary.games_inserted, summary.games_updated,
            summary.team_lines_written) == (6, 3, 3, 0, 6)
    assert summary.data_version is not None
    assert one(migrated_db_url, "SELECT count(*) FROM teams") == 30
    assert one(migrated_db_url, "SELECT count(*) FROM games WHERE status = 'final'") == 3
    row = one(migrated_db_url, """SELECT row(h.abbreviation, a.abbreviation, g.home_score,
        g.away_score, g.date::text, g.season)::text FROM games g JOIN teams h ON h.id = g.home_team_id
        JOIN teams a ON a.id = g.away_team_id WHERE g.external_id = '0022400102'""")
    assert row == "(GSW,LAL,121,99,2024-11-03,2024)"
    assert one(migrated_db_url, """SELECT count(*) FROM team_game_stats s JOIN games g ON g.id = s.game_id
        WHERE s.points <> CASE WHEN s.is_home THEN g.home_score ELSE g.away_score END
           OR s.plus_minus <> CASE WHEN s.is_home THEN 1 ELSE -1 END * (g.home_score - g.away_score)""") == 0
    assert one(migrated_db_url, "SELECT abbreviation FROM teams t JOIN games g ON g.home_team_id = t.id "
                                "WHERE g.external_id = '0022400103'") == "PHX"

    before = checksum(migrated_db_url)
    again = ingest_csv(settings, path)
    assert not again.changed and again.data_version is None
    assert (again.games_inserted, again.games_updated, again.team_lines_written) == (0, 0, 0)
    assert checksum(migrated_db_url) == before  # nothing at all changed, not even versions


def test_reimport_with_a_correction_updates_in_place(migrated_db_url: str, tmp_path: Path) -> None:
    settings = make_settings(migrated_db_url)
    ingest_csv(settings, write_csv(tmp_path / "a.csv", good_rows()))
    ids = one(migrated_db_url, "SELECT array_agg(id ORDER BY id) FROM games")
    version = one(migrated_db_url, "SELECT last_value FROM data_version_seq")
    rows = good_rows()
    rows[1] = team_row("0022400101", "NYK", "BOS", "A", 107, ftm=19)
    summary = ingest_csv(settings, write_csv(tmp_path / "b.csv", rows))
    assert (summary.games_inserted, summary.games_updated, summary.team_lines_written) == (0, 1, 2)
    assert one(migrated_db_url, "SELECT away_score FROM games WHERE external_id = '0022400101'") == 107
    assert one(migrated_db_url, "SELECT array_agg(id ORDER BY id) FROM games") == ids
    assert one(migrated_db_url, "SELECT last_value FROM data_version_seq") > version


def test_demo_export_round_trips_without_changes(seeded_db_url: str, tmp_path: Path) -> None:
    """The seeded season, exported in the documented format, imports as a no-op."""
    with psycopg.connect(seeded_db_url) as conn:
        rows = conn.execute("""
            SELECT g.season, g.date, g.external_id, t.abbreviation, o.abbreviation,
                   CASE WHEN s.is_home THEN 'H' ELSE 'A' END, s.points, s.fgm, s.fga, s.fg3m,
                   s.fg3a, s.ftm, s.fta, s.offensive_rebounds, s.rebounds, s.assists, s.steals,
                   s.blocks, s.turnovers, s.fouls, s.minutes, s.plus_minus
            FROM team_game_stats s JOIN games g ON g.id = s.game_id
            JOIN teams t ON t.id = s.team_id
            JOIN teams o ON o.id = CASE WHEN s.is_home THEN g.away_team_id ELSE g.home_team_id END
            ORDER BY g.date, g.id, s.is_home DESC""").fetchall()
    path = tmp_path / "demo.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([*HEADER, "plus_minus"])
        w.writerows(rows)
    before = checksum(seeded_db_url)
    summary = ingest_csv(make_settings(seeded_db_url), path)
    assert summary.games == 1230 and not summary.changed
    assert checksum(seeded_db_url) == before


def _mutate(rows, index, **changes):
    rows = [dict(r) for r in rows]
    rows[index].update(changes)
    return rows


# (rows, header, expected line, expected reason fragment)
BAD_FILES = {
    "unknown team": (lambda: _mutate(_mutate(good_rows(), 0, team="XYZ"), 1, opponent="XYZ"), None,
                     2, "unknown team 'XYZ' (not in the teams table)"),
    "unknown opponent": (lambda: _mutate(_mutate(good_rows(), 3, opponent="ABC"), 2, team="ABC"),
                         None, 4, "unknown"),
    "missing column": (good_rows, [c for c in HEADER if c != "fga"], 1,
                       "missing column(s): fga"),
    "non-integer": (lambda: _mutate(good_rows(), 2, reb="12.5"), None, 4,
                    "reb must be an integer, got '12.5'"),
    "negative": (lambda: _mutate(good_rows(), 3, stl=-1), None, 5, "stl must be between 0"),
    "huge number": (lambda: _mutate(good_rows(), 3, ast=10**12), None, 5, "ast must be between"),
    "made > attempted": (lambda: _mutate(good_rows(), 4, fta=3), None, 6,
                         "ftm (16) is greater than fta (3)"),
    "3pm > fgm": (lambda: _mutate(good_rows(), 4, fg3m=50, fg3a=60), None, 6,
                  "fg3m (50) is greater than fgm (45)"),
    "points don't add up": (lambda: _mutate(good_rows(), 1, pts=106), None, 3,
                            "pts (106) does not equal 2*fgm + fg3m + ftm (105)"),
    "oreb > reb": (lambda: _mutate(good_rows(), 0, oreb=50), None, 2,
                   "oreb (50) is greater than reb (44)"),
    "bad date": (lambda: _mutate(good_rows(), 0, game_date="2024-02-30"), None, 2, "game_date"),
    "date outside season": (lambda: _mutate(good_rows(), 0, game_date="2023-11-02"), None, 2,
                            "outside season 2024"),
    "bad home_away": (lambda: _mutate(good_rows(), 0, home_away="X"), None, 2,
                      "home_away must be H or A"),
    "only one row": (lambda: good_rows()[:5], None, 6, "has only one row"),
    "three rows": (lambda: [*good_rows(), team_row("0022400101", "CHI", "BOS", "A", 100)], None, 8,
                   "more than two rows"),
    "dates disagree": (lambda: _mutate(good_rows(), 1, game_date="2024-11-03"), None, 3,
                       "game_date disagrees with line 2"),
    "both home": (lambda: _mutate(good_rows(), 1, home_away="H"), None, 3, "both rows"),
    "opponent mismatch": (lambda: _mutate(good_rows(), 1, opponent="MIA"), None, 3,
                          "team/opponent disagrees"),
    "tie": (lambda: _mutate(good_rows(), 1, pts=112, fgm=41, fga=90, ftm=18, fta=22), None, 3,
            "tied"),
    "team twice a day": (lambda: [*good_rows(), team_row("0022400199", "BOS", "MIA", "H", 100, date="2024-11-02"), team_row("0022400199", "MIA", "BOS", "A", 98, date="2024-11-02")], None, 8,
        "BOS already plays on 2024-11-02"),
    "wrong field count": (lambda: good_rows(), None, None, None),  # built below
    "season out of range": (lambda: _mutate(good_rows(), 5, season=3000), None, 7, "season must be"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_names_line_and_leaves_db_untouched(case: str, seeded_db_url: str,
                                                     tmp_path: Path) -> None:
    make_rows, header, line, fragment = BAD_FILES[case]
    path = write_csv(tmp_path / "bad.csv", make_rows(), header)
    if case == "wrong field count":
        text = path.read_text().splitlines()
        text[3] += ",extra"
        path.write_text("\n".join(text) + "\n")
        line, fragment = 4, "expected 21 fields, found 22"
    before = checksum(seeded_db_url)
    with pytest.raises(IngestError) as err:
        ingest_csv(make_settings(seeded_db_url), path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message
    assert "\n" not in message
    assert checksum(seeded_db_url) == before


def test_conflict_with_an_existing_game_is_reported_with_its_line(seeded_db_url: str,
                                                                 tmp_path: Path) -> None:
    with psycopg.connect(seeded_db_url) as conn:
        date, home, away = conn.execute("""SELECT g.date::text, h.abbreviation, a.abbreviation
            FROM games g JOIN teams h ON h.id = g.home_team_id JOIN teams a ON a.id = g.away_team_id
            WHERE g.id = 10""").fetchone()
    rows = [*good_rows(), team_row("NEW-1", away, home, "A", 100, season=2025, date=date), team_row("NEW-1", home, away, "H", 101, season=2025, date=date, fg3m=13)]
    path = write_csv(tmp_path / "conflict.csv", rows)
    before = checksum(seeded_db_url)
    with pytest.raises(IngestError, match=rf"^{path}:9: the home team already has game 10 "):
        ingest_csv(make_settings(seeded_db_url), path)
    assert checksum(seeded_db_url) == before


def test_unreadable_and_empty_files(migrated_db_url: str, tmp_path: Path) -> None:
    settings = make_settings(migrated_db_url)
    with pytest.raises(IngestError, match="cannot read file"):
        ingest_csv(settings, tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(IngestError, match=r"empty.csv:1: empty file"):
        ingest_csv(settings, tmp_path / "empty.csv")
    write_csv(tmp_path / "header.csv", [])
    with pytest.raises(IngestError, match=r"header.csv:2: no data rows"):
        ingest_csv(settings, tmp_path / "header.csv")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(IngestError):
        ingest_csv(settings, tmp_path / "binary.csv")


def test_extra_columns_bom_and_case_are_accepted(migrated_db_url: str, tmp_path: Path) -> None:
    header = [h.upper() for h in HEADER] + ["WL", "MATCHUP"]
    rows = [{**{k.upper(): v for k, v in r.items()}, "WL": "W", "MATCHUP": "x"}
            for r in good_rows()]
    path = write_csv(tmp_path / "export.csv", rows, header)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # a UTF-8 BOM, as spreadsheets write
    assert ingest_csv(make_settings(migrated_db_url), path).games_inserted == 3


def test_cli_reports_one_line_and_exit_code(seeded_db_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv",
                     _mutate(_mutate(good_rows(), 0, team="XYZ"), 1, opponent="XYZ"))
    env = {**os.environ, "DATABASE_URL": seeded_db_url, "APP_ENV": "development",
           "LOG_FORMAT": "console"}
    proc = subprocess.run([sys.executable, "-m", "sports_analytics.cli", "ingest", str(path)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 65
    err_lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("sports-analytics")]
    assert err_lines == [f"sports-analytics ingest: {path}:2: unknown team 'XYZ' (not in the teams table)"]
    good = write_csv(tmp_path / "good.csv", good_rows())
    ok = subprocess.run([sys.executable, "-m", "sports_analytics.cli", "ingest", str(good)],
                        env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr


def test_documented_example_imports(migrated_db_url: str, tmp_path: Path) -> None:
    """The example in docs/ingest-format.md is a valid file."""
    doc = (Path(__file__).resolve().parents[3] / "docs" / "ingest-format.md").read_text()
    block = doc.split("```csv\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.csv"
    path.write_text(block)
    summary = ingest_csv(make_settings(migrated_db_url), path)
    assert (summary.games, summary.games_inserted) == (1, 1)
