"""A fake NBA stats API on 127.0.0.1, speaking the real documents, for the real nba_api client.

Endpoints (``{base_url}/{endpoint}``, as ``NBA_STATS_BASE_URL`` points nba_api at them):

* ``/leaguegamelog?PlayerOrTeam=T|P&Season=2026-27&SeasonType=...``: the legacy
  ``resultSets[].headers/rowSet`` document. Team headers are nba_api's own
  ``LeagueGameLog.expected_data``; player headers add ``PLAYER_ID``/``PLAYER_NAME`` (and
  ``FANTASY_PTS``) as stats.nba.com does.
* ``/scheduleleaguev2?Season=...``: ``leagueSchedule.gameDates[].games[]`` with the game fields
  nba_api's ``ScheduleLeagueV2`` parser flattens.
* ``/playerindex?Season=...``: ``resultSets`` with nba_api's ``PlayerIndex.expected_data``
  headers (position, jersey number, height of every rostered player).

The fixture is small and relative to today: four teams, twelve players, three finals in the
last days (one a late West-coast tip-off that is already the next day in UTC), three games
still to come, plus a preseason and an All-Star game that must not be imported. It is mutable:
:meth:`finish` marks a game final, :meth:`move` reschedules it, ``overrides`` changes single
values, ``drop_columns`` removes a header, and ``faults`` queues transport faults (``status``
with headers such as ``Retry-After``, ``hang``, ``truncate``); ``unavailable`` endpoints answer
404 until removed (stats.nba.com's PlayerIndex has done so).

Real-data shapes: :meth:`add_neutral` adds a final played at a neutral site, listed with
``@`` on both game-log rows and ``isNeutral: true`` in the schedule (like 0022500147 DAL-DET,
Mexico City, 2025-11-01); :meth:`drop` removes a game from the schedule and :meth:`restore`
brings it back with a new date; :meth:`postpone` keeps it listed with ``gameStatusText``
"PPD" and the given ``postponedStatus``.

Run standalone (for containers): ``python -m tests.helpers.fake_stats --port 8765``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
TEAM_HEADERS = ["SEASON_ID", "TEAM_ID", "TEAM_ABBREVIATION", "TEAM_NAME", "GAME_ID", "GAME_DATE",
                "MATCHUP", "WL", "MIN", "FGM", "FGA", "FG_PCT", "FG3M", "FG3A", "FG3_PCT", "FTM",
                "FTA", "FT_PCT", "OREB", "DREB", "REB", "AST", "STL", "BLK", "TOV", "PF", "PTS",
                "PLUS_MINUS", "VIDEO_AVAILABLE"]
PLAYER_HEADERS = ["SEASON_ID", "PLAYER_ID", "PLAYER_NAME", *TEAM_HEADERS[1:-1], "FANTASY_PTS",
                  "VIDEO_AVAILABLE"]
TEAMS = {  # tricode: (team id, city, name)
    "BOS": (1610612738, "Boston", "Celtics"), "NYK": (1610612752, "New York", "Knicks"),
    "LAL": (1610612747, "Los Angeles", "Lakers"), "GSW": (1610612744, "Golden State", "Warriors"),
}
ROSTERS = {
    "BOS": [(1628369, "Jayson Tatum"), (1627759, "Jaylen Brown"), (1630202, "Payton Pritchard")],
    "NYK": [(1628973, "Jalen Brunson"), (1626157, "Karl-Anthony Towns"), (1628384, "OG Anunoby")],
    "LAL": [(1629029, "Luka Dončić"), (2544, "LeBron James"), (1630559, "Austin Reaves")],
    "GSW": [(201939, "Stephen Curry"), (1630228, "Jonathan Kuminga"), (1627780, "Gary Payton II")],
}
INDEX_HEADERS = ["PERSON_ID", "PLAYER_LAST_NAME", "PLAYER_FIRST_NAME", "PLAYER_SLUG", "TEAM_ID",
                 "TEAM_SLUG", "IS_DEFUNCT", "TEAM_CITY", "TEAM_NAME", "TEAM_ABBREVIATION",
                 "JERSEY_NUMBER", "POSITION", "HEIGHT", "WEIGHT", "COLLEGE", "COUNTRY",
                 "DRAFT_YEAR", "DRAFT_ROUND", "DRAFT_NUMBER", "ROSTER_STATUS", "PTS", "REB", "AST",
                 "STATS_TIMEFRAME", "FROM_YEAR", "TO_YEAR"]
POSITIONS = ("F", "G", "C", "F-G", "G-F", "C-F")
COUNTING = ("FGM", "FGA", "FG3M", "FG3A", "FTM", "FTA", "OREB", "DREB", "REB", "AST", "STL",
            "BLK", "TOV", "PF", "PTS")


def roster(team: str, size: int = 3) -> list[tuple[int, str]]:
    """The fixture's named players, or ``size`` generated ones for any other team."""
    if team in ROSTERS:
        return ROSTERS[team]
    base = 9_000_000 + 100 * (sum(ord(c) * 31 ** i for i, c in enumerate(team)) % 10_000)
    return [(base + j, f"Player{j + 1} {team.title()}") for j in range(size)]


def season_of(day: dt.date) -> int:
    return day.year if day.month >= 7 else day.year - 1


@dataclass
class FakeGame:
    game_id: str
    day: dt.date  # US Eastern date
    eastern_time: dt.time
    home: str
    away: str
    final: bool
    seed: int
    neutral: bool = False
    listed: bool = True  # in the schedule
    postponed_status: str = "A"  # as nba_api's documented samples show for a normal game
    status_text: str | None = None  # e.g. "PPD"; None: the tip-off time or "Final"

    @property
    def tipoff_utc(self) -> dt.datetime:
        local = dt.datetime.combine(self.day, self.eastern_time, tzinfo=EASTERN)
        return local.astimezone(dt.UTC)


def round_robin_season(first_day: dt.date, nights: int, final_nights: int) -> list[FakeGame]:
    """All 30 teams every night (a round-robin rotation), 15 games a night from ``first_day``;
    the first ``final_nights`` nights are final, the rest scheduled."""
    # Imported here: the fake server itself runs without the package installed.
    from sports_analytics.ingest.teams import NBA_TEAMS

    teams = [t.abbreviation for t in NBA_TEAMS]
    ring, games = teams[1:], []
    for night in range(nights):
        lineup = [teams[0], *ring]
        for i in range(15):
            a, b = lineup[i], lineup[-1 - i]
            home, away = (a, b) if (night + i) % 2 else (b, a)
            n = len(games) + 1
            games.append(FakeGame(f"00226{n:05d}", first_day + dt.timedelta(days=night),
                                  dt.time(19, 30), home, away, night < final_nights, n))
        ring = ring[-1:] + ring[:-1]
    return games


def _player_stats(seed: int, j: int, bonus_ft: int) -> dict[str, int]:
    fgm = 6 + (seed + 3 * j) % 5
    fg3m = 1 + (seed + j) % 3
    ftm = 2 + (seed * (j + 1)) % 4 + (bonus_ft if j == 0 else 0)
    oreb = 1 + j % 2
    s = {"FGM": fgm, "FGA": fgm + 7 + j, "FG3M": fg3m, "FG3A": fg3m + 3, "FTM": ftm,
         "FTA": ftm + 1, "OREB": oreb, "DREB": 4 + j, "AST": 3 + j, "STL": 1, "BLK": j % 2,
         "TOV": 2, "PF": 2 + j}
    s["REB"] = s["OREB"] + s["DREB"]
    s["PTS"] = 2 * fgm + fg3m + ftm
    return s


@dataclass
class FakeStats:
    first_day: dt.date = field(default_factory=lambda: dt.datetime.now(EASTERN).date()
                               - dt.timedelta(days=3))
    games: list[FakeGame] = field(default_factory=list)
    overrides: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    drop_columns: dict[str, set[str]] = field(default_factory=dict)  # "T", "P", "schedule"
    faults: list[tuple[str, str, Any]] = field(default_factory=list)  # (endpoint, kind, arg)
    requests: list[dict[str, Any]] = field(default_factory=list)
    roster_size: int = 3  # players per team that is not in ROSTERS
    cache_documents: bool = False  # serve each rendered body until a mutation method runs
    unavailable: set[str] = field(default_factory=set)  # endpoints answering 404

    def __post_init__(self) -> None:
        self.season = season_of(self.first_day)
        yy = f"{self.season % 100:02d}"
        d = self.first_day
        evening, late = dt.time(19, 30), dt.time(22, 30)
        if not self.games:
            self.games = [
                FakeGame(f"002{yy}00001", d, evening, "BOS", "NYK", True, 1),
                FakeGame(f"002{yy}00002", d, late, "LAL", "GSW", True, 2),
                FakeGame(f"002{yy}00003", d + dt.timedelta(days=2), late, "GSW", "BOS", True, 3),
                FakeGame(f"002{yy}00004", d + dt.timedelta(days=3), evening, "NYK", "LAL", False, 4),
                FakeGame(f"002{yy}00005", d + dt.timedelta(days=4), evening, "BOS", "GSW", False, 5),
                FakeGame(f"002{yy}00006", d + dt.timedelta(days=5), late, "LAL", "NYK", False, 6),
                FakeGame(f"001{yy}00001", d - dt.timedelta(days=14), evening, "NYK", "BOS", True, 7),
                FakeGame(f"003{yy}00001", d + dt.timedelta(days=6), evening, "LAL", "GSW", False, 8),
            ]
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._bodies: dict[str, bytes] = {}

    # --- mutations -------------------------------------------------------------------------
    def game(self, game_id: str) -> FakeGame:
        return next(g for g in self.games if g.game_id == game_id)

    def finish(self, game_id: str) -> None:
        self.game(game_id).final = True
        self._bodies.clear()

    def move(self, game_id: str, day: dt.date) -> None:
        self.game(game_id).day = day
        self._bodies.clear()

    def add_neutral(self, day: dt.date, home: str, away: str) -> FakeGame:
        """A final at a neutral site: ``home`` is the schedule's designated home team."""
        game = self.add_final(day, home, away)
        game.neutral = True
        return game

    def drop(self, game_id: str) -> None:
        self.game(game_id).listed = False
        self._bodies.clear()

    def restore(self, game_id: str, day: dt.date) -> None:
        game = self.game(game_id)
        game.listed, game.day, game.postponed_status, game.status_text = True, day, "A", None
        self._bodies.clear()

    def postpone(self, game_id: str, postponed_status: str = "A",
                 status_text: str = "PPD") -> None:
        game = self.game(game_id)
        game.postponed_status, game.status_text = postponed_status, status_text
        self._bodies.clear()

    def body(self, kind: str) -> bytes:
        """The rendered document: ``T`` / ``P`` game log or ``schedule``."""
        cached = self._bodies.get(kind) if self.cache_documents else None
        if cached is None:
            doc = (self.schedule() if kind == "schedule" else self.player_index()
                   if kind == "index" else self.game_log(kind))
            cached = self._bodies[kind] = json.dumps(doc).encode()
        return cached

    def add_final(self, day: dt.date, home: str, away: str) -> FakeGame:
        n = len(self.games) + 1
        game = FakeGame(f"002{self.season % 100:02d}{90000 + n:05d}", day, dt.time(19, 0),
                        home, away, True, n)
        self.games.append(game)
        self._bodies.clear()
        return game

    # --- documents -------------------------------------------------------------------------
    def box(self, g: FakeGame) -> dict[str, tuple[dict[str, int], list[dict[str, int]]]]:
        """team -> (team line, player lines): players sum to the team, plus team REB/TOV."""
        out = {}
        for side, team in (("home", g.home), ("away", g.away)):
            bonus = 0
            while True:
                size = len(roster(team, self.roster_size))
                players = [_player_stats(g.seed + (side == "home"), j, bonus)
                           for j in range(size)]
                line = {c: sum(p[c] for p in players) for c in COUNTING}
                line["REB"] += 3
                line["DREB"] += 3
                line["TOV"] += 1
                if side == "home" or line["PTS"] != out[g.home][0]["PTS"]:
                    break
                bonus += 1
            out[team] = (line, players)
        return out

    def _row(self, g: FakeGame, team: str, stats: dict[str, int], opp_pts: int,
             minutes: int) -> dict[str, Any]:
        other = g.away if team == g.home else g.home
        tid, city, name = TEAMS.get(team, (0, team, team))
        row: dict[str, Any] = {
            "SEASON_ID": f"{g.game_id[2]}{self.season}", "TEAM_ID": tid,
            "TEAM_ABBREVIATION": team, "TEAM_NAME": f"{city} {name}", "GAME_ID": g.game_id,
            "GAME_DATE": g.day.isoformat(),
            # a neutral-site game says "@" on both rows, as stats.nba.com writes it
            "MATCHUP": f"{team} vs. {other}" if team == g.home and not g.neutral
            else f"{team} @ {other}",
            "WL": "W" if stats["PTS"] > opp_pts else "L", "MIN": minutes,
            "PLUS_MINUS": stats["PTS"] - opp_pts, "VIDEO_AVAILABLE": 1, **stats,
        }
        for made, att, pct in (("FGM", "FGA", "FG_PCT"), ("FG3M", "FG3A", "FG3_PCT"),
                               ("FTM", "FTA", "FT_PCT")):
            row[pct] = round(stats[made] / stats[att], 3) if stats[att] else None
        return row

    def game_log(self, kind: str) -> dict[str, Any]:
        rows = []
        for g in sorted(self.games, key=lambda x: (x.day, x.game_id)):
            if not g.final:
                continue
            box = self.box(g)
            for team in (g.home, g.away):
                line, players = box[team]
                opp = box[g.away if team == g.home else g.home][0]["PTS"]
                if kind == "T":
                    row = self._row(g, team, line, opp, 240)
                    row.update(self.overrides.get((g.game_id, team), {}))
                    rows.append(row)
                    continue
                for j, (pid, pname) in enumerate(roster(team, self.roster_size)):
                    row = self._row(g, team, players[j], opp, 36 - 3 * j)
                    row["PLUS_MINUS"] = row["PLUS_MINUS"] if j == 0 else 0
                    row.update({"PLAYER_ID": pid, "PLAYER_NAME": pname, "FANTASY_PTS": 40.5})
                    row.update(self.overrides.get((g.game_id, str(pid)), {}))
                    rows.append(row)
        headers = [h for h in (TEAM_HEADERS if kind == "T" else PLAYER_HEADERS)
                   if h not in self.drop_columns.get(kind, set())]
        return {"resource": "leaguegamelog", "parameters": {"PlayerOrTeam": kind},
                "resultSets": [{"name": "LeagueGameLog", "headers": headers,
                                "rowSet": [[r.get(h) for h in headers] for r in rows]}]}

    def player_index(self) -> dict[str, Any]:
        """PlayerIndex (nba_api's expected_data headers): every rostered player of the teams."""
        teams = sorted({t for g in self.games for t in (g.home, g.away)} | set(ROSTERS))
        rows = []
        for team in teams:
            tid, city, name = TEAMS.get(team, (0, team, team))
            for j, (pid, full) in enumerate(roster(team, self.roster_size)):
                first, _, last = full.partition(" ")
                rec = {"PERSON_ID": pid, "PLAYER_LAST_NAME": last, "PLAYER_FIRST_NAME": first,
                       "PLAYER_SLUG": full.lower().replace(" ", "-"), "TEAM_ID": tid,
                       "TEAM_SLUG": name.lower(), "IS_DEFUNCT": 0, "TEAM_CITY": city,
                       "TEAM_NAME": name, "TEAM_ABBREVIATION": team,
                       "JERSEY_NUMBER": str((7 * j + 3) % 100),
                       "POSITION": POSITIONS[j % len(POSITIONS)], "HEIGHT": f"6-{3 + j % 9}",
                       "WEIGHT": "220", "ROSTER_STATUS": 1, "STATS_TIMEFRAME": "Season"}
                rec.update(self.overrides.get(("index", str(pid)), {}))
                rows.append(rec)
        headers = [h for h in INDEX_HEADERS if h not in self.drop_columns.get("index", set())]
        return {"resource": "playerindex", "parameters": {},
                "resultSets": [{"name": "PlayerIndex", "headers": headers,
                                "rowSet": [[r.get(h) for h in headers] for r in rows]}]}

    def _team_doc(self, team: str, score: int) -> dict[str, Any]:
        tid, city, name = TEAMS.get(team, (0, team, team))
        return {"teamId": tid, "teamName": name, "teamCity": city, "teamTricode": team,
                "teamSlug": name.lower(), "wins": 0, "losses": 0, "score": score, "seed": 0}

    def _schedule_game(self, g: FakeGame, seq: int) -> dict[str, Any]:
        utc, est = g.tipoff_utc, dt.datetime.combine(g.day, g.eastern_time)
        box = self.box(g) if g.final else None
        score = {t: (box[t][0]["PTS"] if box else 0) for t in (g.home, g.away)}
        doc = {
            "gameId": g.game_id, "gameCode": f"{g.day:%Y%m%d}/{g.away}{g.home}",
            "gameStatus": 3 if g.final else 1,
            "gameStatusText": g.status_text or ("Final" if g.final else f"{est:%I:%M %p} ET"),
            "gameSequence": seq, "gameDateEst": f"{g.day.isoformat()}T00:00:00Z",
            "gameTimeEst": f"1900-01-01T{est:%H:%M:%S}Z",
            "gameDateTimeEst": f"{est:%Y-%m-%dT%H:%M:%S}Z",
            "gameDateUTC": f"{utc:%Y-%m-%d}T04:00:00Z", "gameTimeUTC": f"1900-01-01T{utc:%H:%M:%S}Z",
            "gameDateTimeUTC": f"{utc:%Y-%m-%dT%H:%M:%S}Z",
            "awayTeamTime": f"{est:%Y-%m-%dT%H:%M:%S}Z", "homeTeamTime": f"{est:%Y-%m-%dT%H:%M:%S}Z",
            "day": f"{g.day:%a}", "monthNum": g.day.month, "weekNumber": 1, "weekName": "Week 1",
            "ifNecessary": False, "seriesGameNumber": "", "gameLabel": "", "gameSubLabel": "",
            "seriesText": "", "arenaName": "Arena", "arenaState": "", "arenaCity": "",
            "postponedStatus": g.postponed_status, "branchLink": "", "gameSubtype": "",
            "isNeutral": g.neutral,
            "broadcasters": {k: [] for k in (
                "nationalBroadcasters", "nationalRadioBroadcasters", "nationalOttBroadcasters",
                "homeTvBroadcasters", "homeRadioBroadcasters", "homeOttBroadcasters",
                "awayTvBroadcasters", "awayRadioBroadcasters", "awayOttBroadcasters")},
            "homeTeam": self._team_doc(g.home, score[g.home]),
            "awayTeam": self._team_doc(g.away, score[g.away]),
            "pointsLeaders": [],
        }
        for key in self.drop_columns.get("schedule", set()):
            doc.pop(key, None)
        return doc

    def schedule(self) -> dict[str, Any]:
        by_day: dict[dt.date, list[FakeGame]] = {}
        for g in sorted(self.games, key=lambda x: (x.day, x.eastern_time, x.game_id)):
            if not g.listed:
                continue
            by_day.setdefault(g.day, []).append(g)
        dates = [{"gameDate": f"{day:%m/%d/%Y} 00:00:00",
                  "games": [self._schedule_game(g, i + 1) for i, g in enumerate(games)]}
                 for day, games in by_day.items()]
        return {"meta": {"version": 1, "request": "scheduleleaguev2",
                         "time": dt.datetime.now(dt.UTC).isoformat()},
                "leagueSchedule": {"seasonYear": f"{self.season}-{(self.season + 1) % 100:02d}",
                                   "leagueId": "00", "gameDates": dates, "weeks": []}}

    # --- server ----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, port: int = 0, host: str = "127.0.0.1") -> FakeStats:
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def next_fault(self, endpoint: str) -> tuple[str, Any] | None:
        with self._lock:
            for i, (ep, kind, arg) in enumerate(self.faults):
                if ep in (endpoint, "*"):
                    del self.faults[i]
                    return kind, arg
        return None

    def calls(self, endpoint: str) -> int:
        return sum(1 for r in self.requests if r["endpoint"] == endpoint)


def _handler(fake: FakeStats) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            endpoint = url.path.rstrip("/").rsplit("/", 1)[-1].lower()
            params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            fake.requests.append({"endpoint": endpoint, "params": params,
                                  "headers": dict(self.headers), "at": time.monotonic()})
            if endpoint in fake.unavailable:
                self._send(404, b'{"Message":"The requested resource was not found."}')
                return
            if endpoint == "leaguegamelog":
                body = fake.body(params.get("PlayerOrTeam", "T"))
                endpoint = f"leaguegamelog[{params.get('PlayerOrTeam', 'T')}]"
            elif endpoint == "scheduleleaguev2":
                body = fake.body("schedule")
            elif endpoint == "playerindex":
                body = fake.body("index")
            else:
                self._send(404, b'{"message": "unknown endpoint"}')
                return
            fault = fake.next_fault(endpoint)
            if fault is None:
                self._send(200, body)
            elif fault[0] == "status":
                code, headers = fault[1] if isinstance(fault[1], tuple) else (fault[1], {})
                self._send(code, b'{"Message":"An error has occurred."}', headers)
            elif fault[0] == "hang":
                time.sleep(float(fault[1]))
                self._send(200, body)
            elif fault[0] == "truncate":
                self._send(200, body[: len(body) // 2])

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="fake NBA stats API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    fake = FakeStats().start(args.port, args.host)
    print(json.dumps({"event": "fake stats listening", "base_url": fake.base_url}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
