"""Settings from environment variables only.

Every secret may instead come from a file named by ``<NAME>_FILE``: that is how Compose
secrets (``/run/secrets/...``) and Kubernetes secret volumes deliver them.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

from sports_analytics.exceptions import ConfigError

__all__ = ["ConfigError", "Settings", "get_settings", "load_settings"]

SECRET_FIELDS = ("database_url", "database_read_url", "postgres_password", "gemini_api_key")
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "changethis", "password", "postgres", "secret", "example",
     "placeholder", "your-api-key", "xxx", "todo"}
)


class FileSecretsSource(PydanticBaseSettingsSource):
    """Reads ``<NAME>_FILE`` for each secret field; the file wins over a plain env var."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in SECRET_FIELDS:
            env_name = f"{name.upper()}_FILE"
            path = os.environ.get(env_name)
            if not path:
                continue
            try:
                values[name] = Path(path).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"{env_name}: cannot read {path} ({exc.strerror})") from None
        return values


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    app_env: Literal["development", "production"] = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["json", "console"] | None = None

    # Database: a DSN, or its parts as the POSTGRES_* variables of the Compose file.
    database_url: SecretStr | None = None
    postgres_host: str = "localhost"
    postgres_port: int = Field(5432, ge=1, le=65535)
    postgres_user: str = "analyst"
    postgres_password: SecretStr | None = None
    postgres_db: str = "sports_analytics"
    # Optional read-only replica (a streaming standby, a CloudNativePG ``-ro`` service): the
    # read-only data routes use it; writes, migrations and batch jobs stay on the primary.
    database_read_url: SecretStr | None = None
    # Or just the replica's host: same port, database and credentials as the primary.
    postgres_read_host: str | None = None
    db_pool_size: int = Field(5, ge=1, le=100)
    db_max_overflow: int = Field(5, ge=0, le=100)
    db_pool_timeout_seconds: float = Field(5.0, gt=0, le=120)
    db_connect_timeout_seconds: int = Field(3, ge=1, le=60)
    db_statement_timeout_ms: int = Field(5000, ge=100, le=600_000)
    # Batch commands (features, predict, ingest, seed-demo, sync, refresh): their own deadline.
    job_statement_timeout_ms: int = Field(1_800_000, ge=1000, le=86_400_000)
    db_wait_seconds: float = Field(60.0, ge=0, le=3600)

    # HTTP server.
    port: int = Field(8000, ge=1, le=65535)
    web_concurrency: int = Field(2, ge=1, le=64)
    graceful_timeout: int = Field(20, ge=1, le=600)
    worker_timeout: int = Field(30, ge=1, le=600)
    max_page_size: int = Field(200, ge=1, le=10_000)
    max_body_bytes: int = Field(1_048_576, ge=1024)

    # Gemini game briefs.
    gemini_api_key: SecretStr | None = None
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None
    gemini_timeout_seconds: float = Field(15.0, gt=0, le=300)
    gemini_max_retries: int = Field(2, ge=0, le=2)
    gemini_breaker_failures: int = Field(5, ge=1, le=100)
    gemini_breaker_cooldown_seconds: float = Field(30.0, ge=0, le=3600)

    # NBA stats API (``sync`` and ``refresh``): requests go to {NBA_STATS_BASE_URL}/{endpoint}.
    nba_stats_base_url: str = Field("https://stats.nba.com/stats", pattern=r"^https?://\S+$")
    nba_stats_timeout_seconds: float = Field(30.0, gt=0, le=600)
    nba_stats_request_delay_seconds: float = Field(0.6, ge=0, le=60)
    nba_stats_max_retries: int = Field(3, ge=0, le=10)

    # Build metadata, set by the image; reported by /version.
    app_version: str | None = None
    git_sha: str = "unknown"
    build_time: str = "unknown"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, FileSecretsSource(settings_cls), env_settings)

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.app_env != "production":
            return self
        if self.database_url is not None:
            password = make_url(self._normalised_dsn()).password
            if password is None or str(password).lower() in PLACEHOLDER_SECRETS:
                raise ConfigError(
                    "DATABASE_URL has a missing or placeholder password; "
                    "refusing to start in production"
                )
        else:
            _require_real_secret("POSTGRES_PASSWORD", self.postgres_password)
        read_url = self.sqlalchemy_read_url
        if read_url is not None and (read_url.password is None
                                     or str(read_url.password).lower() in PLACEHOLDER_SECRETS):
            raise ConfigError("DATABASE_READ_URL has a missing or placeholder password; "
                              "refusing to start in production")
        if self.gemini_api_key is not None:
            _require_real_secret("GEMINI_API_KEY", self.gemini_api_key)
        return self

    @property
    def effective_log_format(self) -> str:
        if self.log_format:
            return self.log_format
        return "json" if self.app_env == "production" else "console"

    def _normalised_dsn(self) -> str:
        assert self.database_url is not None
        dsn = self.database_url.get_secret_value().strip()
        for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
            if dsn.startswith(prefix):
                return "postgresql+psycopg://" + dsn[len(prefix):]
        if dsn.startswith("postgresql+psycopg://"):
            return dsn
        raise ConfigError("DATABASE_URL must start with postgresql:// or postgres://")

    @property
    def sqlalchemy_url(self) -> URL:
        if self.database_url is not None:
            try:
                return make_url(self._normalised_dsn())
            except ConfigError:
                raise
            except Exception:  # the parser's message may echo the DSN, password included
                raise ConfigError("DATABASE_URL is not a valid PostgreSQL URL") from None
        password = self.postgres_password.get_secret_value() if self.postgres_password else None
        return URL.create(
            "postgresql+psycopg",
            username=self.postgres_user,
            password=password,
            host=self.postgres_host,
            port=self.postgres_port,
            database=self.postgres_db,
        )

    @property
    def sqlalchemy_read_url(self) -> URL | None:
        """The read replica (DATABASE_READ_URL, else POSTGRES_READ_HOST with the primary's
        other settings), or None: reads then go to the primary."""
        if self.database_read_url is None:
            if self.postgres_read_host:
                return self.sqlalchemy_url.set(host=self.postgres_read_host)
            return None
        dsn = self.database_read_url.get_secret_value().strip()
        for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
            if dsn.startswith(prefix):
                dsn = "postgresql+psycopg://" + dsn[len(prefix):]
        if not dsn.startswith("postgresql+psycopg://"):
            raise ConfigError("DATABASE_READ_URL must start with postgresql:// or postgres://")
        try:
            return make_url(dsn)
        except Exception:  # the parser's message may echo the DSN, password included
            raise ConfigError("DATABASE_READ_URL is not a valid PostgreSQL URL") from None

    @property
    def redacted_db_target(self) -> str:
        """Host, port and database, for log lines and error messages."""
        url = self.sqlalchemy_url
        return f"{url.host}:{url.port or 5432}/{url.database}"


def _require_real_secret(name: str, value: SecretStr | None) -> None:
    if value is None or value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
        raise ConfigError(
            f"{name} (or {name}_FILE) is missing or a placeholder; refusing to start in production"
        )


def load_settings() -> Settings:
    """Build settings, turning validation errors into a one-line ConfigError with no values."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_input=False, include_url=False):
            loc = ".".join(str(p) for p in err["loc"]).upper() or "settings"
            problems.append(f"{loc}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None


@lru_cache
def get_settings() -> Settings:
    return load_settings()
