"""Tests for the repository's deploy artifacts: Compose files, Dockerfile, GitHub workflows."""
