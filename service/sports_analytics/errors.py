"""Errors with messages safe to show a user: one line, no secrets."""


class UserFacingError(Exception):
    """A failure the CLI reports as one line on stderr and a non-zero exit."""

    exit_code = 1


class DatabaseUnavailable(UserFacingError):
    exit_code = 3
