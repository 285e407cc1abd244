"""The NBA stats API: client, mapping of its documents, and ``sync``."""
