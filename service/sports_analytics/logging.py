"""Placeholder until the ops work lands: structlog wiring goes here."""

import logging

from sports_analytics.config import Settings


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level)
