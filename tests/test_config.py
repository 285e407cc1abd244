"""Settings: env only, *_FILE secrets, production refusals, clear one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sports_analytics.config import ConfigError, Settings, load_settings

CLI = [sys.executable, "-m", "sports_analytics.cli"]
ENV_KEYS = ("DATABASE_URL", "DATABASE_URL_FILE", "POSTGRES_PASSWORD", "POSTGRES_PASSWORD_FILE",
            "GEMINI_API_KEY", "GEMINI_API_KEY_FILE", "APP_ENV", "LOG_FORMAT", "LOG_LEVEL",
            "POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_USER", "POSTGRES_DB", "PORT")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def _cli_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env.update(values)
    return env


def test_defaults_match_the_compose_names(clean_env):
    s = load_settings()
    url = s.sqlalchemy_url
    assert (url.drivername, url.username, url.database, url.port) == (
        "postgresql+psycopg", "analyst", "sports_analytics", 5432)
    assert s.app_env == "development" and s.effective_log_format == "console"
    assert (s.port, s.web_concurrency, s.graceful_timeout) == (8000, 2, 20)


def test_production_defaults_to_json_logs(clean_env):
    clean_env.setenv("APP_ENV", "production")
    clean_env.setenv("POSTGRES_PASSWORD", "a-real-long-password")
    assert load_settings().effective_log_format == "json"


@pytest.mark.parametrize("scheme", ["postgres://", "postgresql://", "postgresql+psycopg://"])
def test_database_url_schemes_use_psycopg3(clean_env, scheme):
    clean_env.setenv("DATABASE_URL", f"{scheme}u:pw@db.example:6543/x")
    url = load_settings().sqlalchemy_url
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database, url.password) == ("db.example", 6543, "x", "pw")


def test_database_url_bad_scheme_is_one_line_without_value(clean_env):
    clean_env.setenv("DATABASE_URL", "mysql://u:hunter2@h/db")
    with pytest.raises(ConfigError) as info:
        load_settings().sqlalchemy_url  # noqa: B018
    assert "DATABASE_URL" in str(info.value) and "hunter2" not in str(info.value)


def test_file_secrets_win_and_are_stripped(clean_env, tmp_path: Path):
    (tmp_path / "pw").write_text("from-file-password\n")
    (tmp_path / "key").write_text("  gemini-key-from-file  ")
    clean_env.setenv("POSTGRES_PASSWORD", "from-env")
    clean_env.setenv("POSTGRES_PASSWORD_FILE", str(tmp_path / "pw"))
    clean_env.setenv("GEMINI_API_KEY_FILE", str(tmp_path / "key"))
    s = load_settings()
    assert s.postgres_password is not None and s.gemini_api_key is not None
    assert s.postgres_password.get_secret_value() == "from-file-password"
    assert s.gemini_api_key.get_secret_value() == "gemini-key-from-file"
    assert "from-file-password" not in repr(s)


def test_database_url_file(clean_env, tmp_path: Path):
    (tmp_path / "dsn").write_text("postgres://app:filepw@h:5433/d\n")
    clean_env.setenv("DATABASE_URL_FILE", str(tmp_path / "dsn"))
    assert load_settings().sqlalchemy_url.password == "filepw"


def test_unreadable_secret_file_names_the_variable(clean_env, tmp_path: Path):
    clean_env.setenv("POSTGRES_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="POSTGRES_PASSWORD_FILE"):
        load_settings()


@pytest.mark.parametrize("password", ["changeme", "postgres", "", "ChangeMe"])
def test_production_refuses_placeholder_password_without_showing_it(clean_env, password):
    clean_env.setenv("APP_ENV", "production")
    clean_env.setenv("POSTGRES_PASSWORD", password)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "POSTGRES_PASSWORD" in message
    if password:
        assert password not in message and password.lower() not in message


def test_production_refuses_missing_password(clean_env):
    clean_env.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="POSTGRES_PASSWORD"):
        load_settings()


def test_production_refuses_placeholder_in_dsn_and_gemini_key(clean_env):
    clean_env.setenv("APP_ENV", "production")
    clean_env.setenv("DATABASE_URL", "postgresql://u:changeme@h/db")
    with pytest.raises(ConfigError, match="DATABASE_URL") as info:
        load_settings()
    assert "changeme" not in str(info.value)
    clean_env.setenv("DATABASE_URL", "postgresql://u:Str0ng-and-long@h/db")
    clean_env.setenv("GEMINI_API_KEY", "your-api-key")
    with pytest.raises(ConfigError, match="GEMINI_API_KEY") as info:
        load_settings()
    assert "your-api-key" not in str(info.value)


def test_development_accepts_placeholders(clean_env):
    clean_env.setenv("POSTGRES_PASSWORD", "changeme")
    assert load_settings().app_env == "development"


@pytest.mark.parametrize(
    ("var", "value"),
    [("PORT", "abc"), ("PORT", "70000"), ("WEB_CONCURRENCY", "0"), ("APP_ENV", "staging"),
     ("LOG_FORMAT", "xml"), ("DB_STATEMENT_TIMEOUT_MS", "-5"), ("MAX_BODY_BYTES", "1")],
)
def test_invalid_values_give_one_line_naming_the_variable(clean_env, var, value):
    clean_env.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert var in message and "\n" not in message


def test_settings_from_env_only_not_dotenv(clean_env, tmp_path: Path, monkeypatch):
    (tmp_path / ".env").write_text("PORT=1234\n")
    monkeypatch.chdir(tmp_path)
    assert Settings().port == 8000


# --- through the console script -------------------------------------------------------------


def test_cli_config_error_is_one_plain_line_in_development():
    proc = subprocess.run([*CLI, "check"], env=_cli_env(PORT="not-a-port"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("sports-analytics check: ") and "PORT" in lines[0]


def test_cli_config_error_is_one_json_line_in_production():
    proc = subprocess.run(
        [*CLI, "migrate"],
        env=_cli_env(APP_ENV="production", POSTGRES_PASSWORD="changeme"),
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    line = json.loads(lines[0])
    assert line["event"] == "command failed" and line["command"] == "migrate"
    assert line["level"] == "error" and "POSTGRES_PASSWORD" in line["error"]
    assert "changeme" not in lines[0]
