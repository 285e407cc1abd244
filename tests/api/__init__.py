"""Tests for sports_analytics.api."""
