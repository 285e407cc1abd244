"""The one place the training library is imported (scikit-learn's LogisticRegression)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression


def fit(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], c: float) -> list[float]:
    """Coefficients of an L2-regularised logistic regression without intercept."""
    model = LogisticRegression(C=c, fit_intercept=False, solver="newton-cholesky", max_iter=100,
                               tol=1e-6)
    model.fit(x, y.astype(np.int64))
    return [round(float(v), 8) for v in model.coef_[0]]
