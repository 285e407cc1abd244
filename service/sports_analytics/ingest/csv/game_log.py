"""The team game-log CSV format: read and validate a whole file before anything is written.

The format (docs/ingest-format.md) is one row per team per game, like the public team
game-log exports. Any bad row aborts with ``<file>:<line>: <reason>``; the load
(:mod:`.load`) only ever sees a file that passed. :func:`read_records` and
:func:`season_and_date` are shared by every CSV format (ingest/csv/players.py).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sports_analytics.db.writes import SEASON_MAX, SEASON_MIN
from sports_analytics.exceptions import IngestError
from sports_analytics.ingest.store.records import MADE_ATTEMPTED, STAT_MAX, STAT_NAMES
from sports_analytics.ingest.teams import ALIASES

STAT_COLUMNS = STAT_NAMES
REQUIRED_COLUMNS = ("season", "game_date", "game_id", "team", "opponent", "home_away",
                    *STAT_COLUMNS, "min")
OPTIONAL_COLUMNS = ("plus_minus", "neutral")
MINUTES_MAX = Decimal("999.9")
EXTERNAL_ID_MAX = 64
HOME_AWAY = {"h": True, "home": True, "a": False, "away": False}
NEUTRAL = {"": False, "false": False, "true": True}


@dataclass(frozen=True)
class Row:
    line: int
    season: int
    date: dt.date
    external_id: str
    team: str
    opponent: str
    is_home: bool
    stats: dict[str, int]
    minutes: Decimal
    plus_minus: int | None
    neutral: bool = False  # played at a neutral site; home_away names the designated home


def read_records(path: Path, required: Sequence[str] = REQUIRED_COLUMNS,
                 ) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; header names lower-cased and trimmed.

    Every CSV format reads through here, so each gets the same file-level errors."""
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise IngestError(f"{path}: cannot read file ({exc.strerror})") from None
    with fh:
        try:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise IngestError(f"{path}:1: empty file (expected a header row)")
            names = [h.strip().lower() for h in header]
            missing = [c for c in required if c not in names]
            if missing:
                raise IngestError(f"{path}:1: missing column(s): {', '.join(missing)}")
            dupes = sorted({n for n in names if n and names.count(n) > 1})
            if dupes:
                raise IngestError(f"{path}:1: duplicate column(s): {', '.join(dupes)}")
            for fields in reader:
                if not any(f.strip() for f in fields):
                    continue  # blank line
                if len(fields) != len(names):
                    raise IngestError(f"{path}:{reader.line_num}: expected {len(names)} fields, "
                                      f"found {len(fields)}")
                yield reader.line_num, dict(zip(names, fields, strict=True))
        except UnicodeDecodeError:
            raise IngestError(f"{path}: not UTF-8 text") from None
        except csv.Error as exc:
            raise IngestError(f"{path}: malformed CSV ({exc})") from None


def _int(where: str, name: str, value: str, lo: int, hi: int) -> int:
    v = value.strip()
    try:
        number = int(v)
    except ValueError:
        raise IngestError(f"{where}: {name} must be an integer, got {v[:20]!r}") from None
    if not lo <= number <= hi:
        raise IngestError(f"{where}: {name} must be between {lo} and {hi}, got {number}")
    return number


def _team(where: str, name: str, value: str) -> str:
    abbr = value.strip().upper()
    if not abbr:
        raise IngestError(f"{where}: {name} is empty")
    return ALIASES.get(abbr, abbr)


def season_and_date(where: str, rec: dict[str, str]) -> tuple[int, dt.date]:
    """The ``season`` and ``game_date`` columns, checked against each other (every format)."""
    season = _int(where, "season", rec["season"], SEASON_MIN, SEASON_MAX)
    try:
        date = dt.date.fromisoformat(rec["game_date"].strip())
    except ValueError:
        raise IngestError(f"{where}: game_date must be a date like 2025-10-21, "
                          f"got {rec['game_date'].strip()[:20]!r}") from None
    # A season starts in the autumn of its year and ends by the next summer.
    if not dt.date(season, 7, 1) <= date <= dt.date(season + 1, 6, 30):
        raise IngestError(f"{where}: game_date {date} is outside season {season} "
                          f"({season}-07-01 to {season + 1}-06-30)")
    return season, date


def parse_neutral(where: str, rec: dict[str, str]) -> bool:
    """The optional ``neutral`` column (every format): true, false, or empty for false."""
    value = (rec.get("neutral") or "").strip().lower()
    if value not in NEUTRAL:
        raise IngestError(f"{where}: neutral must be true or false, got "
                          f"{rec['neutral'].strip()[:20]!r}")
    return NEUTRAL[value]


def parse_row(path: Path, line: int, rec: dict[str, str]) -> Row:
    where = f"{path}:{line}"
    season, date = season_and_date(where, rec)
    external_id = rec["game_id"].strip()
    if not external_id:
        raise IngestError(f"{where}: game_id is empty")
    if len(external_id) > EXTERNAL_ID_MAX:
        raise IngestError(f"{where}: game_id is longer than {EXTERNAL_ID_MAX} characters")
    team = _team(where, "team", rec["team"])
    opponent = _team(where, "opponent", rec["opponent"])
    if team == opponent:
        raise IngestError(f"{where}: team and opponent are both {team}")
    ha = rec["home_away"].strip().lower()
    if ha not in HOME_AWAY:
        raise IngestError(f"{where}: home_away must be H or A, got {rec['home_away'].strip()!r}")
    stats = {c: _int(where, c, rec[c], 0, STAT_MAX) for c in STAT_COLUMNS}
    for made, attempted in MADE_ATTEMPTED:
        if stats[made] > stats[attempted]:
            raise IngestError(f"{where}: {made} ({stats[made]}) is greater than "
                              f"{attempted} ({stats[attempted]})")
    expected_pts = 2 * stats["fgm"] + stats["fg3m"] + stats["ftm"]
    if stats["pts"] != expected_pts:
        raise IngestError(f"{where}: pts ({stats['pts']}) does not equal 2*fgm + fg3m + ftm "
                          f"({expected_pts})")
    try:
        minutes = Decimal(rec["min"].strip())
    except InvalidOperation:
        raise IngestError(f"{where}: min must be a number, got {rec['min'].strip()[:20]!r}") \
            from None
    if not (minutes.is_finite() and 0 <= minutes <= MINUTES_MAX):
        raise IngestError(f"{where}: min must be between 0 and {MINUTES_MAX}, got {minutes}")
    plus_minus = None
    if (rec.get("plus_minus") or "").strip():
        plus_minus = _int(where, "plus_minus", rec["plus_minus"], -STAT_MAX, STAT_MAX)
    return Row(line, season, date, external_id, team, opponent, HOME_AWAY[ha], stats,
               minutes.quantize(Decimal("0.1")), plus_minus, parse_neutral(where, rec))


def validate(path: Path) -> list[tuple[Row, Row]]:
    """Parse and cross-check the whole file. Returns (home row, away row) per game."""
    by_game: dict[str, list[Row]] = {}
    playing: dict[tuple[str, dt.date], Row] = {}  # a team plays at most once a day
    rows = 0
    for line, rec in read_records(path):
        row = parse_row(path, line, rec)
        rows += 1
        other = playing.setdefault((row.team, row.date), row)
        if other is not row and other.external_id != row.external_id:
            raise IngestError(f"{path}:{line}: {row.team} already plays on {row.date} "
                              f"(game {other.external_id}, line {other.line})")
        pair = by_game.setdefault(row.external_id, [])
        if pair:
            first = pair[0]
            if len(pair) == 2:
                raise IngestError(f"{path}:{line}: game {row.external_id} has more than two rows "
                                  f"(lines {pair[0].line}, {pair[1].line} and {line})")
            if row.team == first.team:
                raise IngestError(f"{path}:{line}: duplicate row for game {row.external_id}, "
                                  f"team {row.team} (first on line {first.line})")
            for what, mine, theirs in (
                ("season", row.season, first.season), ("game_date", row.date, first.date),
                ("team/opponent", (row.team, row.opponent), (first.opponent, first.team)),
                ("neutral", row.neutral, first.neutral),
            ):
                if mine != theirs:
                    raise IngestError(f"{path}:{line}: {what} disagrees with line {first.line} "
                                      f"for game {row.external_id}")
            if row.is_home == first.is_home:
                raise IngestError(f"{path}:{line}: both rows of game {row.external_id} say "
                                  f"{'H' if row.is_home else 'A'} (line {first.line})")
            for a, b in ((row, first), (first, row)):
                margin = a.stats["pts"] - b.stats["pts"]
                if a.plus_minus is not None and a.plus_minus != margin:
                    raise IngestError(f"{path}:{a.line}: plus_minus ({a.plus_minus}) does not "
                                      f"match the score {a.stats['pts']}-{b.stats['pts']}")
            if row.stats["pts"] == first.stats["pts"]:
                raise IngestError(f"{path}:{line}: game {row.external_id} is tied "
                                  f"{row.stats['pts']}-{first.stats['pts']}; a final can't be")
        pair.append(row)
    if rows == 0:
        raise IngestError(f"{path}:2: no data rows")
    games = []
    for external_id, pair in by_game.items():
        if len(pair) != 2:
            raise IngestError(f"{path}:{pair[0].line}: game {external_id} has only one row "
                              f"(expected one per team)")
        home, away = (pair[0], pair[1]) if pair[0].is_home else (pair[1], pair[0])
        games.append((home, away))
    return games
