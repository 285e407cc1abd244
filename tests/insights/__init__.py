"""Tests for sports_analytics.insights."""
