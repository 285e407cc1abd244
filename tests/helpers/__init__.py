"""Helpers shared by the suite and the benchmarks: PostgreSQL clusters, fake upstream servers, data builders."""
