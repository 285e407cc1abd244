"""The test suite; its layout mirrors the sports_analytics package."""
