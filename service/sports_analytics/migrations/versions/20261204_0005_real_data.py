"""real data: neutral-site games, postponed and cancelled games, optional player enrichment

* ``games.neutral_site``: the game is played at a neutral site (Mexico City, Berlin, London,
  the NBA Cup semifinals in Las Vegas). ``home_team_id`` stays the schedule's designated home
  team; standings count the game in neither the home nor the away record, and no model adds
  home-court advantage to it.
* ``games.status`` gains ``postponed`` (the game left the league schedule, or the schedule
  marks it postponed) and ``cancelled`` (the source says it will not be played). Neither has
  a score; a postponed game that comes back with a date is ``scheduled`` again.
* Player enrichment (PlayerIndex: position, jersey, height) is optional: when it is
  unavailable a sync still commits and records ``player_enrichment`` in its refresh run's
  counts (``refresh_runs.counts`` is JSON already), so the schema needs no column for it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("games", sa.Column("neutral_site", sa.Boolean(), server_default="false",
                                     nullable=False))
    op.drop_constraint(op.f("ck_games_status"), "games", type_="check")
    op.create_check_constraint(
        op.f("ck_games_status"), "games",
        "status IN ('scheduled', 'final', 'postponed', 'cancelled')")


def downgrade() -> None:
    # A postponed or cancelled game has no place in the older schema: it goes back to the
    # schedule (it has no score, so the final/score check still holds).
    op.execute("UPDATE games SET status = 'scheduled' WHERE status IN ('postponed', 'cancelled')")
    op.drop_constraint(op.f("ck_games_status"), "games", type_="check")
    op.create_check_constraint(op.f("ck_games_status"), "games",
                               "status IN ('scheduled', 'final')")
    op.drop_column("games", "neutral_site")
