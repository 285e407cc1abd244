"""The one write path every source shares: validated season records in, set-based upserts out."""
