"""Tests for sports_analytics.db."""
