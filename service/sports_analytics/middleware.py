"""Placeholder until the ops work lands: request id, access log, metrics, error handlers."""

from fastapi import FastAPI

from sports_analytics.config import Settings


def install_middleware(app: FastAPI, settings: Settings) -> None:
    return None


def install_error_handlers(app: FastAPI) -> None:
    return None
