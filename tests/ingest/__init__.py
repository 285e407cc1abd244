"""Tests for sports_analytics.ingest."""
