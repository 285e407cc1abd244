"""The synthetic demo data: one season, or a history of several."""
