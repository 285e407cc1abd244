"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 04:55:20.803167
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("data_version_seq")))
    op.create_table(
        "teams",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("abbreviation", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=False),
        sa.Column("conference", sa.String(length=4), nullable=False),
        sa.Column("division", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "abbreviation ~ '^[A-Z]{2,3}$'", name=op.f("ck_teams_abbreviation_format")
        ),
        sa.CheckConstraint("conference IN ('East', 'West')", name=op.f("ck_teams_conference")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("abbreviation", name=op.f("uq_teams_abbreviation")),
    )
    op.create_table(
        "games",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("season", sa.SmallInteger(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("home_team_id", sa.SmallInteger(), nullable=False),
        sa.Column("away_team_id", sa.SmallInteger(), nullable=False),
        sa.Column("home_score", sa.SmallInteger(), nullable=True),
        sa.Column("away_score", sa.SmallInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="scheduled", nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(status = 'final') = (home_score IS NOT NULL AND away_score IS NOT NULL)",
            name=op.f("ck_games_final_has_scores"),
        ),
        sa.CheckConstraint("status IN ('scheduled', 'final')", name=op.f("ck_games_status")),
        sa.CheckConstraint(
            "home_score >= 0 AND away_score >= 0", name=op.f("ck_games_scores_non_negative")
        ),
        sa.CheckConstraint("home_team_id <> away_team_id", name=op.f("ck_games_distinct_teams")),
        sa.CheckConstraint("season BETWEEN 1946 AND 2100", name=op.f("ck_games_season_range")),
        sa.ForeignKeyConstraint(
            ["away_team_id"],
            ["teams.id"],
            name=op.f("fk_games_away_team_id_teams"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["home_team_id"],
            ["teams.id"],
            name=op.f("fk_games_home_team_id_teams"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_games")),
        sa.UniqueConstraint("external_id", name=op.f("uq_games_external_id")),
        sa.UniqueConstraint("season", "date", "home_team_id", name="uq_games_season_date_home"),
    )
    op.create_index("ix_games_away_team_id_date", "games", ["away_team_id", "date"], unique=False)
    op.create_index("ix_games_home_team_id_date", "games", ["home_team_id", "date"], unique=False)
    op.create_index("ix_games_season_date", "games", ["season", "date"], unique=False)
    op.create_table(
        "players",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=64), nullable=False),
        sa.Column("last_name", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.SmallInteger(), nullable=True),
        sa.Column("position", sa.String(length=8), nullable=True),
        sa.Column("jersey_number", sa.SmallInteger(), nullable=True),
        sa.Column("height_cm", sa.SmallInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.CheckConstraint(
            "jersey_number BETWEEN 0 AND 99", name=op.f("ck_players_jersey_number_range")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_players_team_id_teams"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_players")),
    )
    op.create_index(
        "ix_players_team_id_last_name", "players", ["team_id", "last_name"], unique=False
    )
    op.create_table(
        "game_features",
        sa.Column("game_id", sa.BigInteger(), nullable=False),
        sa.Column("team_id", sa.SmallInteger(), nullable=False),
        sa.Column("is_home", sa.Boolean(), nullable=False),
        sa.Column("games_played", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("win_pct_last5", sa.Float(), nullable=True),
        sa.Column("win_pct_last10", sa.Float(), nullable=True),
        sa.Column("point_diff_last5", sa.Float(), nullable=True),
        sa.Column("point_diff_last10", sa.Float(), nullable=True),
        sa.Column("season_win_pct", sa.Float(), nullable=True),
        sa.Column("h2h_win_pct", sa.Float(), nullable=True),
        sa.Column("h2h_avg_margin", sa.Float(), nullable=True),
        sa.Column("rest_days", sa.SmallInteger(), nullable=True),
        sa.Column("back_to_back", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("off_rating_last5", sa.Float(), nullable=True),
        sa.Column("def_rating_last5", sa.Float(), nullable=True),
        sa.Column("pace_last5", sa.Float(), nullable=True),
        sa.Column("efg_pct_last5", sa.Float(), nullable=True),
        sa.Column("ts_pct_last5", sa.Float(), nullable=True),
        sa.Column("streak", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["game_id"],
            ["games.id"],
            name=op.f("fk_game_features_game_id_games"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_game_features_team_id_teams"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("game_id", "team_id", name=op.f("pk_game_features")),
    )
    op.create_index("ix_game_features_team_id", "game_features", ["team_id"], unique=False)
    op.create_table(
        "player_game_stats",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("game_id", sa.BigInteger(), nullable=False),
        sa.Column("player_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.SmallInteger(), nullable=False),
        sa.Column("starter", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("minutes", sa.Numeric(precision=5, scale=1), server_default="0", nullable=False),
        sa.Column("points", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("rebounds", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("offensive_rebounds", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("assists", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("steals", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("blocks", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("turnovers", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("fouls", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("fgm", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("fga", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("fg3m", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("fg3a", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("ftm", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("fta", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("plus_minus", sa.SmallInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "fgm <= fga AND fg3m <= fg3a AND ftm <= fta AND fg3m <= fgm",
            name=op.f("ck_player_game_stats_made_le_attempted"),
        ),
        sa.CheckConstraint("minutes >= 0", name=op.f("ck_player_game_stats_minutes_non_negative")),
        sa.CheckConstraint(
            "offensive_rebounds <= rebounds", name=op.f("ck_player_game_stats_oreb_le_reb")
        ),
        sa.CheckConstraint(
            "points >= 0 AND rebounds >= 0 AND offensive_rebounds >= 0 AND assists >= 0 AND steals >= 0 AND blocks >= 0 AND turnovers >= 0 AND fouls >= 0 AND fgm >= 0 AND fga >= 0 AND fg3m >= 0 AND fg3a >= 0 AND ftm >= 0 AND fta >= 0",
            name=op.f("ck_player_game_stats_counts_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["game_id"],
            ["games.id"],
            name=op.f("fk_player_game_stats_game_id_games"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_player_game_stats_player_id_players"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_player_game_stats_team_id_teams"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_player_game_stats")),
        sa.UniqueConstraint("game_id", "player_id", name="uq_player_game_stats_game_player"),
    )
    op.create_index(
        "ix_player_game_stats_game_id_team_id",
        "player_game_stats",
        ["game_id", "team_id"],
        unique=False,
    )
    op.create_index(
        "ix_player_game_stats_player_id", "player_game_stats", ["player_id"], unique=False
    )
    op.create_table(
        "predictions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("game_id", sa.BigInteger(), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("home_win_prob", sa.Float(), nullable=False),
        sa.Column("away_win_prob", sa.Float(), nullable=False),
        sa.Column("home_rating", sa.Float(), nullable=True),
        sa.Column("away_rating", sa.Float(), nullable=True),
        sa.Column("was_correct", sa.Boolean(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "home_win_prob BETWEEN 0 AND 1 AND away_win_prob BETWEEN 0 AND 1",
            name=op.f("ck_predictions_probabilities_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["game_id"], ["games.id"], name=op.f("fk_predictions_game_id_games"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictions")),
        sa.UniqueConstraint("game_id", "model", name="uq_predictions_game_model"),
    )
    op.create_index(
        "ix_predictions_model_game_id", "predictions", ["model", "game_id"], unique=False
    )
    op.create_table(
        "team_game_stats",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("game_id", sa.BigInteger(), nullable=False),
        sa.Column("team_id", sa.SmallInteger(), nullable=False),
        sa.Column("is_home", sa.Boolean(), nullable=False),
        sa.Column("minutes", sa.Numeric(precision=5, scale=1), server_default="0", nullable=False),
        sa.Column("points", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("rebounds", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("offensive_rebounds", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("assists", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("steals", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("blocks", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("turnovers", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("fouls", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("fgm", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("fga", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("fg3m", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("fg3a", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("ftm", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("fta", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("plus_minus", sa.SmallInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "fgm <= fga AND fg3m <= fg3a AND ftm <= fta AND fg3m <= fgm",
            name=op.f("ck_team_game_stats_made_le_attempted"),
        ),
        sa.CheckConstraint("minutes >= 0", name=op.f("ck_team_game_stats_minutes_non_negative")),
        sa.CheckConstraint(
            "offensive_rebounds <= rebounds", name=op.f("ck_team_game_stats_oreb_le_reb")
        ),
        sa.CheckConstraint(
            "points >= 0 AND rebounds >= 0 AND offensive_rebounds >= 0 AND assists >= 0 AND steals >= 0 AND blocks >= 0 AND turnovers >= 0 AND fouls >= 0 AND fgm >= 0 AND fga >= 0 AND fg3m >= 0 AND fg3a >= 0 AND ftm >= 0 AND fta >= 0",
            name=op.f("ck_team_game_stats_counts_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["game_id"],
            ["games.id"],
            name=op.f("fk_team_game_stats_game_id_games"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_game_stats_team_id_teams"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_game_stats")),
        sa.UniqueConstraint("game_id", "team_id", name="uq_team_game_stats_game_team"),
    )
    op.create_index("ix_team_game_stats_team_id", "team_game_stats", ["team_id"], unique=False)


def downgrade() -> None:
    op.execute(sa.schema.DropSequence(sa.Sequence("data_version_seq")))
    op.drop_index("ix_team_game_stats_team_id", table_name="team_game_stats")
    op.drop_table("team_game_stats")
    op.drop_index("ix_predictions_model_game_id", table_name="predictions")
    op.drop_table("predictions")
    op.drop_index("ix_player_game_stats_player_id", table_name="player_game_stats")
    op.drop_index("ix_player_game_stats_game_id_team_id", table_name="player_game_stats")
    op.drop_table("player_game_stats")
    op.drop_index("ix_game_features_team_id", table_name="game_features")
    op.drop_table("game_features")
    op.drop_index("ix_players_team_id_last_name", table_name="players")
    op.drop_table("players")
    op.drop_index("ix_games_season_date", table_name="games")
    op.drop_index("ix_games_home_team_id_date", table_name="games")
    op.drop_index("ix_games_away_team_id_date", table_name="games")
    op.drop_table("games")
    op.drop_table("teams")
