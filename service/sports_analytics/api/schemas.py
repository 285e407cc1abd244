"""Response models. The routes return JSON built by PostgreSQL as raw bytes; these models
document it in /openapi.json and the tests validate real responses against them.

A model named like a table carries the ``Out`` suffix (``Team``, ``Game``...): the ORM
classes in db/models.py keep the plain names."""

from __future__ import annotations

import datetime as dt
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class ErrorDetail(BaseModel):
    detail: str = Field(examples=["game 42 not found"])


# Every 503 (the database cannot answer right now) carries Retry-After.
RETRY_AFTER: dict[str, Any] = {"Retry-After": {
    "description": "seconds to wait before retrying", "schema": {"type": "integer"}}}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {503: {
    "model": ErrorDetail, "description": "database unavailable", "headers": RETRY_AFTER}}


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(extra="forbid")

    items: list[T]
    total: int = Field(ge=0, description="rows matching the filters, ignoring limit/offset: "
                       "exact up to 2000 (500 for a team's games), the planner's estimate "
                       "beyond (see total_is_estimate)")
    total_is_estimate: bool = Field(
        False, description="true when more rows match than are counted exactly and total is "
                           "the planner's estimate")
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)


class Team(BaseModel):
    team_id: int
    abbreviation: str = Field(examples=["BOS"])
    name: str = Field(examples=["Boston Celtics"])
    city: str
    conference: Literal["East", "West"]
    division: str


class RosterEntry(BaseModel):
    player_id: int
    name: str
    position: str | None
    jersey_number: int | None
    active: bool


class TeamDetail(Team):
    roster: list[RosterEntry]


class Player(BaseModel):
    player_id: int
    first_name: str
    last_name: str
    name: str
    team: str | None = Field(description="team abbreviation; null for a free agent")
    position: str | None
    jersey_number: int | None
    height_cm: int | None
    active: bool


class SeasonAverages(BaseModel):
    season: int
    team: str | None
    games: int
    minutes: float
    points: float
    rebounds: float
    assists: float
    steals: float
    blocks: float
    turnovers: float
    fg_pct: float | None = Field(description="null without attempts")
    fg3_pct: float | None
    ft_pct: float | None


class PlayerDetail(Player):
    season_averages: list[SeasonAverages] = Field(description="one entry per season, latest first")


class GameFields(BaseModel):
    """The game fields clients rely on, shared by every response that names a game."""

    game_id: int
    season: int
    date: dt.date
    status: Literal["scheduled", "final", "postponed", "cancelled"] = Field(
        description="postponed: off the league schedule until it is given a new date")
    home_team: str = Field(description="the designated home team at a neutral site")
    away_team: str
    home_score: int | None
    away_score: int | None
    neutral_site: bool = Field(False, description="played at a neutral site: neither team "
                                                  "has home court")


class Game(GameFields):
    external_id: str | None = Field(description="the source's id; DEMO-... for synthetic games")


class StatLine(BaseModel):
    minutes: float
    points: int
    rebounds: int
    offensive_rebounds: int
    defensive_rebounds: int
    assists: int
    steals: int
    blocks: int
    turnovers: int
    fouls: int
    fgm: int
    fga: int
    fg3m: int
    fg3a: int
    ftm: int
    fta: int
    plus_minus: int


class PlayerLine(StatLine):
    player_id: int
    name: str
    position: str | None
    starter: bool


class TeamBox(BaseModel):
    team: str
    name: str
    totals: StatLine | None = Field(description="null until the game has a box score")
    players: list[PlayerLine]


class BoxScore(Game):
    home: TeamBox
    away: TeamBox


class StandingsRow(BaseModel):
    team: str
    name: str
    conference: Literal["East", "West"]
    division: str
    wins: int
    losses: int
    win_pct: float
    games_behind: float = Field(description="behind the conference leader")
    home: str = Field(examples=["25-16"], description="home games, neutral sites excluded")
    away: str = Field(examples=["19-22"], description="away games, neutral sites excluded")
    neutral: str = Field(examples=["1-0"], description="neutral-site games")
    last_10: str = Field(examples=["7-3"])
    streak: str = Field(examples=["W3"], description="W or L and the length of the run; "
                                                     "- before the first game")
    conference_rank: int = Field(description="the same as seed")
    seed: int = Field(ge=1, description="1-15 within the conference, by the NBA tie-breakers")
    clinched: Literal["playoffs", "play_in"] | None = Field(
        description="certain, whatever the games left: playoffs = a seed 1-6, "
                    "play_in = a seed 1-10 (not yet certain of 1-6)")
    eliminated: bool = Field(description="certain to finish 11th-15th: out of the play-in")


class Standings(Page[StandingsRow]):
    season: int | None = Field(description="null when there are no games at all")


class ForecastTeam(BaseModel):
    team: str = Field(description="abbreviation")
    conference: Literal["East", "West"]
    wins: int = Field(description="wins so far")
    losses: int = Field(description="losses so far")
    mean_wins: float = Field(description="projected wins at the end of the regular season")
    wins_p10: float = Field(description="10th percentile of the projected wins")
    wins_p90: float = Field(description="90th percentile of the projected wins")
    p_top6: float = Field(ge=0, le=1, description="a seed from 1 to 6: straight to the playoffs")
    p_playin: float = Field(ge=0, le=1, description="a seed from 7 to 10: the play-in")
    p_playoffs: float = Field(ge=0, le=1, description="in the playoffs, through the play-in or not")
    p_first_seed: float = Field(ge=0, le=1, description="the conference's first seed")
    p_conf_finals: float = Field(ge=0, le=1, description="reaches the conference finals")
    p_title: float = Field(ge=0, le=1, description="wins the finals")


class Forecast(BaseModel):
    season: int
    generated_at: dt.datetime
    sims: int = Field(description="simulated seasons")
    data_version: int = Field(description="the data version the run read")
    seed: int = Field(description="random seed: the same seed and data give the same odds")
    model: str = Field(description="the rating model that gave the game probabilities")
    model_version_id: int | None
    games_remaining: int = Field(description="regular-season games left when the run started")
    teams: list[ForecastTeam]


TeamPage = Page[Team]
PlayerPage = Page[Player]
GamePage = Page[Game]
