"""Helpers shared by the write paths (demo seed, CSV ingest; analytics may use them too)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Engine, text


def copy_rows(conn: Connection, table: str, columns: Sequence[str],
              rows: Iterable[Sequence[object]]) -> None:
    """COPY rows into ``table`` on the connection's current transaction."""
    raw = conn.connection.driver_connection
    assert raw is not None
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def bump_data_version_in(conn: Connection) -> int:
    """The first bump, inside the writing transaction (a crash can't lose it)."""
    return int(conn.execute(text("SELECT nextval('data_version_seq')")).scalar_one())


def bump_data_version_after_commit(engine: Engine) -> int:
    """The second bump, after commit. Readers that paired the first bump with the old rows
    produced ETags that this bump invalidates (see api/caching.py)."""
    with engine.connect() as conn:
        version = int(conn.execute(text("SELECT nextval('data_version_seq')")).scalar_one())
        conn.commit()
    return version
