"""Database layer. Importing it registers the insights table (migration 0002) on Base.metadata."""

from sports_analytics.insights import models as _insights_models  # noqa: F401
