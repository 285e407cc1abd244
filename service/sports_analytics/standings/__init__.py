"""Standings: the one table the API, the pages and the season simulation share."""
