"""Database layer. Importing it registers the insights (0002) and refresh_runs (0003)
tables on Base.metadata."""

from sports_analytics.db import refresh_runs as _refresh_runs  # noqa: F401
from sports_analytics.insights import models as _insights_models  # noqa: F401
