"""Database layer: engine, read pool, schema (``models``), migrations and write rules.

Nothing here imports a domain package (analytics, ingest, insights, api).
"""
