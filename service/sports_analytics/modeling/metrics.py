"""Scores for probability forecasts of binary outcomes (numpy only).

* accuracy: share of games where the side given >= 50 % won;
* Brier score: mean squared error of the probability;
* log loss: mean negative log-likelihood (probabilities clipped to [1e-15, 1 - 1e-15]);
* expected calibration error (ECE): over 10 equal-width probability bins, the game-weighted
  mean of |mean forecast - observed rate|.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

ECE_BINS = 10


@dataclass(frozen=True)
class Scores:
    games: int
    accuracy: float | None
    brier: float | None
    log_loss: float | None
    ece: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def expected_calibration_error(p: npt.NDArray[np.float64], y: npt.NDArray[np.float64],
                               bins: int = ECE_BINS) -> float:
    idx = np.minimum((p * bins).astype(np.int64), bins - 1)
    pred = np.bincount(idx, weights=p, minlength=bins)
    seen = np.bincount(idx, weights=y, minlength=bins)
    return float(np.abs(pred - seen).sum() / max(len(p), 1))


def score(p: npt.ArrayLike, y: npt.ArrayLike) -> Scores:
    """Scores of home win probabilities ``p`` against outcomes ``y`` (1 = home won)."""
    probs = np.asarray(p, dtype=np.float64)
    wins = np.asarray(y, dtype=np.float64)
    n = len(probs)
    if n == 0:
        return Scores(0, None, None, None, None)
    clipped = np.clip(probs, 1e-15, 1 - 1e-15)
    log_loss = -np.mean(wins * np.log(clipped) + (1 - wins) * np.log(1 - clipped))
    return Scores(
        games=n,
        accuracy=round(float(np.mean((probs >= 0.5) == (wins == 1))), 4),
        brier=round(float(np.mean((probs - wins) ** 2)), 5),
        log_loss=round(float(log_loss), 5),
        ece=round(expected_calibration_error(probs, wins), 5),
    )
