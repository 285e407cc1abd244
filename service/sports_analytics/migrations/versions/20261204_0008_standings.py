"""standings: no precomputed table; the standings are cached per data version instead

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 12:00:00

This revision is deliberately empty. Two ways to serve standings cheaply were weighed: a
per-season table kept current in every transaction that writes games, or the representation
computed once per data version and kept in each worker's memory. The second was chosen
(service/sports_analytics/standings/cache.py):

* every writer already bumps the data version in its transaction (db/writes.py), so the cache
  is invalidated by the same mechanism as the ETags, with no trigger or extra write on the
  ingest, CSV, demo, sync and correction paths;
* the tie-breakers and the clinched/eliminated marks depend on the whole season (head-to-head
  among any tied group, playoff-eligible sets, games left), so a table would still need the
  season recomputed after each write, only in the write transaction instead of once per worker;
* a repeated request costs no query at all, where a table would still cost a round trip.

The statement the cache is filled from reads one season's games through the existing index
``ix_games_season_date_id`` (revision 0004), so no index is added here either. The revision
stays in the chain so that its number keeps its place.
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to create: see the module docstring."""


def downgrade() -> None:
    """Nothing to drop."""
