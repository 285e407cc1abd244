"""CSV files: the team game-log, player-lines and schedule formats, and their import."""
