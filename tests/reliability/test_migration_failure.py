"""A migration that fails rolls back: the schema stays at the previous revision, the CLI exits
non-zero, and one JSON log line says that the migration failed.

Two ways to make a migration fail, both through the real ``sports-analytics migrate`` code path:
- a temporary script directory holding this code's migrations plus one bad revision on top
  (it creates a table, then runs a statement that errors);
- a database state that makes the first migration collide with an existing table.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from tests.helpers.relharness import cli_env, json_lines

BAD_REVISION = "rel_bad_9999"

# Runs the real CLI entry point, with only the Alembic script location swapped for a temp dir.
WRAPPER = textwrap.dedent(
    """
    import sys
    from alembic.config import Config
    from sports_analytics.db import migrate

    def alembic_config():
        cfg = Config()
        cfg.set_main_option("script_location", sys.argv[1])
        return cfg

    migrate.alembic_config = alembic_config
    from sports_analytics.cli import main
    sys.exit(main(["migrate"]))
    """
)


def _query(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(make_conninfo(url), autocommit=True) as conn:
        return list(conn.execute(sql).fetchall())


def _revisions(url: str) -> list[str]:
    if not _query(url, "SELECT to_regclass('public.alembic_version')")[0][0]:
        return []
    return sorted(r[0] for r in _query(url, "SELECT version_num FROM alembic_version"))


def _relations(url: str) -> list[str]:
    return sorted(r[0] for r in _query(
        url, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S', 'v', 'm', 'i')"))


def _advisory_locks(url: str) -> int:
    # this database's only: other test processes migrate other databases on the same server
    return _query(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                       "(SELECT oid FROM pg_database WHERE datname = current_database())")[0][0]


def _failure_logged(output: str) -> dict:
    """The one JSON log line that reports the failed migration."""
    failures = [
        rec for rec in json_lines(output)
        if str(rec.get("level", rec.get("levelname", ""))).lower() in {"error", "critical"}
        and "migrat" in json_dumps_lower(rec)
    ]
    assert len(failures) == 1, f"want exactly one JSON error line about the migration:\n{output}"
    return failures[0]


def json_dumps_lower(rec: dict) -> str:
    import json

    return json.dumps(rec).lower()


@pytest.fixture
def bad_script_dir(tmp_path: Path) -> Path:
    import sports_analytics.migrations as pkg
    from sports_analytics.db.migrate import script_heads

    src = Path(pkg.__file__).parent
    dest = tmp_path / "migrations"
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__"))
    (head,) = script_heads()
    (dest / "versions" / f"{BAD_REVISION}.py").write_text(textwrap.dedent(
        f'''
        """reliability test: a migration that fails half way"""
        import sqlalchemy as sa
        from alembic import op

        revision = "{BAD_REVISION}"
        down_revision = "{head}"
        branch_labels = None
        depends_on = None


        def upgrade() -> None:
            op.create_table("reliability_probe", sa.Column("id", sa.Integer(), primary_key=True))
            op.execute("INSERT INTO reliability_probe VALUES (1)")
            op.execute("SELECT 1 / 0")


        def downgrade() -> None:
            op.drop_table("reliability_probe")
        '''
    ))
    return dest


def _run_migrate(url: str, script_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    if script_dir is None:
        cmd = [str(Path(sys.executable).with_name("sports-analytics")), "migrate"]
    else:
        cmd = [sys.executable, "-c", WRAPPER, str(script_dir)]
    return subprocess.run(cmd, env=cli_env(url, DB_WAIT_SECONDS="5"), capture_output=True,
                          text=True, timeout=120)


def test_failed_migration_rolls_back_to_previous_revision(migrated_db_url: str,
                                                          bad_script_dir: Path) -> None:
    from sports_analytics.db.migrate import script_heads

    before_rev = _revisions(migrated_db_url)
    before_rel = _relations(migrated_db_url)
    assert before_rev == sorted(script_heads())

    done = _run_migrate(migrated_db_url, bad_script_dir)
    output = done.stdout + done.stderr

    assert done.returncode != 0, output
    assert _revisions(migrated_db_url) == before_rev, "schema moved off the previous revision"
    assert _relations(migrated_db_url) == before_rel, "the failed migration left objects behind"
    assert "reliability_probe" not in _relations(migrated_db_url)
    assert _advisory_locks(migrated_db_url) == 0, "migration lock not released"
    assert "Traceback" not in output, output
    _failure_logged(output)

    # The real migrate still works afterwards and is a no-op at head.
    again = _run_migrate(migrated_db_url)
    assert again.returncode == 0, again.stderr
    assert _revisions(migrated_db_url) == before_rev


def test_first_migration_colliding_with_existing_table_leaves_nothing(empty_db_url: str) -> None:
    with psycopg.connect(make_conninfo(empty_db_url), autocommit=True) as conn:
        conn.execute("CREATE TABLE games (legacy_id integer)")
    before_rel = _relations(empty_db_url)

    done = _run_migrate(empty_db_url)
    output = done.stdout + done.stderr

    assert done.returncode != 0, output
    assert _revisions(empty_db_url) == [], "a revision was recorded for a failed migration"
    after = [r for r in _relations(empty_db_url) if not r.startswith("alembic_version")]
    assert after == before_rel, f"partial schema left behind: {sorted(set(after) - set(before_rel))}"
    assert _advisory_locks(empty_db_url) == 0
    assert "Traceback" not in output, output
    _failure_logged(output)
