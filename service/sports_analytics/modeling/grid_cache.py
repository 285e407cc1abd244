"""Reusing ``elo_v2``'s grid run between trainings: checkpoints of its state, keyed by the rows
they depend on.

The grid (modeling/elo_v2.py) steps through the history one game day at a time. Its state
before the game at position ``at`` (every combination's ratings, the season of the last day
stepped, each season's Brier sums per combination) depends only on the rows before ``at``,
and so do the probabilities and rating differences of those games under the combination
chosen for their season (chosen from earlier seasons only). A checkpoint keeps that state
with a digest of those rows (``prefix_keys``: ids, seasons, dates, teams, results, neutral
sites, plus the grid, the constants, the set of teams and the code version); the next run
resumes from the latest checkpoint whose digest still matches, so a changed past result, a
moved game or new code starts from an earlier checkpoint or from scratch.

Kept per run: the start of the latest season and the start of the day of the latest final
game (a nightly run then steps through the last two days only), with the chosen
combination's probabilities and rating differences of the games before them. Stored as
base64 float64 (exact) in ``analytics_snapshots`` beside the logistic fits (store.py).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sports_analytics.modeling.data import GameTable

if TYPE_CHECKING:
    import numpy.typing as npt

FORMAT = 1


@dataclass
class GridStart:
    """The grid's state before the game at position ``at``."""

    at: int = 0
    ratings: npt.NDArray[np.float64] | None = None  # [combos, teams]; None: all at INITIAL
    season: int | None = None  # season of the last game day stepped
    sums: dict[int, npt.NDArray[np.float64]] = field(default_factory=dict)  # Brier sums


@dataclass
class GridCache:
    """What a caller hands to ``run_elo_v2``: a salt (the code version) and the stored state,
    replaced by the state to store after the run."""

    salt: str
    state: dict[str, Any] = field(default_factory=dict)
    reused: int = 0  # games taken from a checkpoint in the last run


def usable_order(t: GameTable) -> bool:
    """Checkpoints need seasons in date order: every season's games before the next one's."""
    return bool(np.all(np.diff(t.season) >= 0))


def prefix_keys(t: GameTable, seed: bytes, positions: set[int]) -> dict[int, str]:
    """Per position, a digest of ``seed`` and every row before it."""
    rows = np.column_stack([t.game_id, t.season, t.day, t.home, t.away, t.final.astype(np.int64),
                            t.neutral.astype(np.int64), t.margin.view(np.int64)])
    chain = hashlib.blake2b(seed, digest_size=16)
    done = 0
    keys = {}
    for at in sorted(p for p in positions if 0 <= p <= len(t)):
        chain.update(np.ascontiguousarray(rows[done:at]).tobytes())
        done = at
        keys[at] = chain.hexdigest()
    return keys


def _pack(a: npt.NDArray[np.float64]) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f8").tobytes()).decode()


def _unpack(s: str) -> npt.NDArray[np.float64]:
    return np.frombuffer(base64.b64decode(s), dtype="<f8").astype(np.float64)


@dataclass
class Resumed:
    start: GridStart  # the latest checkpoint that still holds (or the very start)
    prob: npt.NDArray[np.float64]  # chosen combination's outputs of the games before it
    diff: npt.NDArray[np.float64]
    holding: dict[int, GridStart]  # every stored checkpoint that still holds


def resume(cache: GridCache | None, t: GameTable, seed: bytes, step_starts: set[int]) -> Resumed:
    """The stored checkpoints that still hold for ``t``: their rows are unchanged and each is
    still the start of a game day."""
    none = Resumed(GridStart(), np.empty(0), np.empty(0), {})
    state = cache.state if cache is not None else {}
    if state.get("format") != FORMAT or not usable_order(t):
        return none
    stored = [c for c in state.get("checkpoints", []) if c["at"] in step_starts]
    keys = prefix_keys(t, seed, {c["at"] for c in stored})
    holding = {}
    for c in stored:
        if keys.get(c["at"]) == c["key"]:
            combos, teams = c["shape"]
            holding[int(c["at"])] = GridStart(
                int(c["at"]), _unpack(c["ratings"]).reshape(combos, teams), c["season"],
                {int(s): _unpack(v) for s, v in c["sums"].items()})
    if not holding:
        return none
    at = max(holding)
    return Resumed(holding[at], _unpack(state["prob"])[:at], _unpack(state["diff"])[:at],
                   holding)


def checkpoint_positions(t: GameTable) -> set[int]:
    """Where to keep a checkpoint: the start of the latest season and the start of the day of
    the latest final game (a nightly run steps from there)."""
    if not len(t) or not usable_order(t):
        return set()
    wanted = {int(np.searchsorted(t.season, t.season[-1], side="left"))}
    finals = np.flatnonzero(t.final)
    if len(finals):
        wanted.add(int(np.searchsorted(t.day, t.day[finals[-1]], side="left")))
    return wanted - {0}  # nothing to reuse before the first game


def new_state(t: GameTable, seed: bytes, points: dict[int, GridStart],
              prob: npt.NDArray[np.float64], diff: npt.NDArray[np.float64]) -> dict[str, Any]:
    """The state to store: ``points`` (position -> the grid's state there) with their keys,
    and the outputs of the games before the latest one."""
    if not points:
        return {}
    keys = prefix_keys(t, seed, set(points))
    last = max(points)
    return {"format": FORMAT, "prob": _pack(prob[:last]), "diff": _pack(diff[:last]),
            "checkpoints": [
                {"at": at, "key": keys[at], "season": p.season,
                 "shape": list(p.ratings.shape) if p.ratings is not None else [0, 0],
                 "ratings": _pack(p.ratings if p.ratings is not None else np.empty(0)),
                 "sums": {str(s): _pack(v) for s, v in sorted(p.sums.items())}}
                for at, p in sorted(points.items())]}
