"""sports-analytics: a basketball analytics API on PostgreSQL."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sports-analytics")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
