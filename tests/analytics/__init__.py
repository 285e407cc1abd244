"""Tests for sports_analytics.analytics."""
