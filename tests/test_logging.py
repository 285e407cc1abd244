"""structlog wiring: JSON/console, foreign loggers, redaction, exceptions, gunicorn dict."""

from __future__ import annotations

import json
import logging
import logging.config

import pytest
import structlog

from sports_analytics.config import Settings
from sports_analytics.logging import (
    REDACTED,
    configure_logging,
    gunicorn_logconfig_dict,
    redact,
    scrub_text,
)


def _settings(**kw) -> Settings:
    values = {"database_url": "postgresql://u:pw-long-enough@127.0.0.1/db", "log_format": "json"}
    values.update(kw)
    return Settings(**values)


def _lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


@pytest.fixture
def json_logging(capsys):
    configure_logging(_settings())
    capsys.readouterr()
    yield capsys
    structlog.contextvars.clear_contextvars()


def test_structlog_and_stdlib_lines_share_one_json_shape(json_logging):
    structlog.contextvars.bind_contextvars(request_id="rid-1")
    structlog.get_logger("sports_analytics.test").info("hello", answer=42)
    logging.getLogger("alembic.runtime.migration").info("Running upgrade %s -> %s", "a", "b")
    logging.getLogger("gunicorn.error").info("Booting worker with pid: %s", 123)
    logging.getLogger("uvicorn.error").info("Started", extra={"color_message": "\x1b[1mStarted"})
    logging.getLogger("sqlalchemy.engine").warning("pool trouble")
    lines = _lines(json_logging.readouterr().err)
    assert [line["event"] for line in lines] == [
        "hello", "Running upgrade a -> b", "Booting worker with pid: 123", "Started",
        "pool trouble"]
    for line in lines:
        assert {"event", "level", "logger", "timestamp", "pid"} <= set(line)
        assert line["request_id"] == "rid-1"  # merge_contextvars in both chains
        assert "color_message" not in line
    assert lines[0]["answer"] == 42 and lines[0]["logger"] == "sports_analytics.test"
    assert lines[2]["logger"] == "gunicorn.error"


def test_library_noise_is_filtered(json_logging):
    logging.getLogger("sqlalchemy.engine.Engine").info("SELECT 1")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET / HTTP/1.1" 200')
    assert json_logging.readouterr().err == ""


def test_redaction_by_field_name(json_logging):
    structlog.get_logger("t").warning(
        "connecting", password="hunter2", db_password="x1", api_key="k-123", GEMINI_API_KEY="g",
        client_secret="s", token="t", access_token="a", headers={"Authorization": "ok",
                                                                  "x-goog-api-key": "zz"},
        keyspace=None, user="analyst")
    err = json_logging.readouterr().err
    line = _lines(err)[0]
    for name in ("password", "db_password", "api_key", "GEMINI_API_KEY", "client_secret",
                 "token", "access_token"):
        assert line[name] == REDACTED, name
    assert line["headers"]["x-goog-api-key"] == REDACTED
    assert line["user"] == "analyst"
    for secret in ("hunter2", "k-123", '"zz"'):
        assert secret not in err


def test_redaction_inside_values_and_foreign_records(json_logging):
    logging.getLogger("sqlalchemy.pool").error(
        "cannot connect to postgresql+psycopg://analyst:Sup3rS3cret@db:5432/sports (password=abc)")
    structlog.get_logger("t").info("dsn", target="postgres://u:pw123@h/db", note="token=xyz,ok")
    err = json_logging.readouterr().err
    assert "Sup3rS3cret" not in err and "pw123" not in err and "xyz" not in err
    assert "password=abc" not in err
    lines = _lines(err)
    assert "postgresql+psycopg://analyst:***@db:5432/sports" in lines[0]["event"]
    assert lines[1]["target"] == "postgres://u:***@h/db"


def test_exception_is_one_json_line_with_traceback(json_logging):
    try:
        raise ValueError("bad thing with postgresql://a:leaked@h/d")
    except ValueError:
        structlog.get_logger("t").exception("it broke")
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    err = json_logging.readouterr().err
    assert "leaked" not in err
    lines = _lines(err)
    assert len(lines) == 2
    for line in lines:
        assert line["level"] == "error"
        assert "Traceback" in line["exception"] and "ValueError" in line["exception"]


def test_console_mode_is_not_json(capsys):
    configure_logging(_settings(log_format="console"))
    capsys.readouterr()
    structlog.get_logger("t").info("hello console", password="nope")
    err = capsys.readouterr().err
    assert "hello console" in err and "nope" not in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err.splitlines()[0])
    configure_logging(_settings())


def test_production_defaults_to_json():
    settings = Settings(app_env="production",
                        database_url="postgresql://u:a-real-password@h/db")
    formatter = gunicorn_logconfig_dict(settings)["formatters"]["structlog"]
    assert formatter["json"] is True


def test_gunicorn_logconfig_dict_routes_gunicorn_loggers_to_root(capsys):
    config = gunicorn_logconfig_dict(_settings())
    assert config["disable_existing_loggers"] is False
    for name in ("gunicorn.error", "gunicorn.access", "uvicorn.error", "uvicorn.access",
                 "sqlalchemy", "alembic"):
        assert config["loggers"][name]["propagate"] is True
        assert config["loggers"][name]["handlers"] == []
    # What gunicorn does with it: CONFIG_DEFAULTS updated by our dict, then dictConfig.
    from gunicorn.glogging import CONFIG_DEFAULTS

    merged = CONFIG_DEFAULTS.copy()
    merged.update(config)
    logging.config.dictConfig(merged)
    capsys.readouterr()
    logging.getLogger("gunicorn.error").info("Listening at: http://127.0.0.1:1")
    line = json.loads(capsys.readouterr().err)
    assert line["logger"] == "gunicorn.error" and line["event"].startswith("Listening")
    configure_logging(_settings())


def test_scrub_text_leaves_ordinary_text_alone():
    text = "GET /api/v1/games?season=2025 took 3 ms; key facts: none"
    assert scrub_text(text) == text
    assert redact(None, "info", {"event": "x", "monkey": "business"})["monkey"] == REDACTED
