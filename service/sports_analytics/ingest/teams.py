"""The 30 NBA teams: the reference data both the demo seed and CSV ingest rely on.

Ids are fixed (1-30, alphabetical by abbreviation) so every database numbers teams alike.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, text


class TeamRef(NamedTuple):
    id: int
    abbreviation: str
    name: str
    city: str
    conference: str
    division: str


_TEAMS = [
    # abbreviation, name, city, conference, division
    ("ATL", "Atlanta Hawks", "Atlanta", "East", "Southeast"),
    ("BKN", "Brooklyn Nets", "Brooklyn", "East", "Atlantic"),
    ("BOS", "Boston Celtics", "Boston", "East", "Atlantic"),
    ("CHA", "Charlotte Hornets", "Charlotte", "East", "Southeast"),
    ("CHI", "Chicago Bulls", "Chicago", "East", "Central"),
    ("CLE", "Cleveland Cavaliers", "Cleveland", "East", "Central"),
    ("DAL", "Dallas Mavericks", "Dallas", "West", "Southwest"),
    ("DEN", "Denver Nuggets", "Denver", "West", "Northwest"),
    ("DET", "Detroit Pistons", "Detroit", "East", "Central"),
    ("GSW", "Golden State Warriors", "San Francisco", "West", "Pacific"),
    ("HOU", "Houston Rockets", "Houston", "West", "Southwest"),
    ("IND", "Indiana Pacers", "Indianapolis", "East", "Central"),
    ("LAC", "LA Clippers", "Los Angeles", "West", "Pacific"),
    ("LAL", "Los Angeles Lakers", "Los Angeles", "West", "Pacific"),
    ("MEM", "Memphis Grizzlies", "Memphis", "West", "Southwest"),
    ("MIA", "Miami Heat", "Miami", "East", "Southeast"),
    ("MIL", "Milwaukee Bucks", "Milwaukee", "East", "Central"),
    ("MIN", "Minnesota Timberwolves", "Minneapolis", "West", "Northwest"),
    ("NOP", "New Orleans Pelicans", "New Orleans", "West", "Southwest"),
    ("NYK", "New York Knicks", "New York", "East", "Atlantic"),
    ("OKC", "Oklahoma City Thunder", "Oklahoma City", "West", "Northwest"),
    ("ORL", "Orlando Magic", "Orlando", "East", "Southeast"),
    ("PHI", "Philadelphia 76ers", "Philadelphia", "East", "Atlantic"),
    ("PHX", "Phoenix Suns", "Phoenix", "West", "Pacific"),
    ("POR", "Portland Trail Blazers", "Portland", "West", "Northwest"),
    ("SAC", "Sacramento Kings", "Sacramento", "West", "Pacific"),
    ("SAS", "San Antonio Spurs", "San Antonio", "West", "Southwest"),
    ("TOR", "Toronto Raptors", "Toronto", "East", "Atlantic"),
    ("UTA", "Utah Jazz", "Salt Lake City", "West", "Northwest"),
    ("WAS", "Washington Wizards", "Washington", "East", "Southeast"),
]

NBA_TEAMS: tuple[TeamRef, ...] = tuple(TeamRef(i, *t) for i, t in enumerate(_TEAMS, start=1))

# Abbreviations other public exports use for the same franchises.
ALIASES = {"PHO": "PHX", "BRK": "BKN", "CHO": "CHA", "GS": "GSW", "NY": "NYK", "SA": "SAS",
           "NO": "NOP", "WSH": "WAS", "UTAH": "UTA", "NOR": "NOP"}


def ensure_teams(conn: Connection) -> dict[str, int]:
    """Insert any missing NBA team (never touching existing rows); return abbreviation -> id."""
    conn.execute(
        text(
            "INSERT INTO teams (id, abbreviation, name, city, conference, division) "
            "VALUES (:id, :abbreviation, :name, :city, :conference, :division) "
            "ON CONFLICT DO NOTHING"
        ),
        [t._asdict() for t in NBA_TEAMS],
    )
    conn.execute(text(
        "SELECT setval(pg_get_serial_sequence('teams', 'id'), (SELECT max(id) FROM teams))"
    ))
    rows = conn.execute(text("SELECT abbreviation, id FROM teams")).all()
    return {abbr: team_id for abbr, team_id in rows}
