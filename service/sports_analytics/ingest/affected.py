"""Analytics follow the data: recompute what a write changed, in the writer's transaction.

Every write path (``ingest``, ``sync``, ``seed-demo``, ``refresh``) hands the ids of the games
it inserted or updated, plus the old places of games that moved, to
:func:`recompute_affected`. The incremental engine (:mod:`sports_analytics.analytics.incremental`)
rewrites only the feature rows and predictions those games can influence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Connection

from sports_analytics.analytics.incremental import recompute_after

Moved = tuple[int, int, dt.date]  # team_id, season, the date the team's game used to be on


def recompute_affected(conn: Connection, changed_game_ids: Iterable[int],
                       moved: Iterable[Moved] = ()) -> dict[str, int]:
    """Features, then predictions, for the changed games; nothing at all when nothing changed.

    Runs in the caller's transaction and bumps ``data_version_seq`` there when it wrote
    anything (the caller bumps once more after commit).
    """
    ids, moved_list = sorted(set(changed_game_ids)), list(moved)
    if not ids and not moved_list:
        return {"feature_rows": 0, "prediction_games": 0, "prediction_changed": 0}
    return recompute_after(conn, ids, moved_list)
