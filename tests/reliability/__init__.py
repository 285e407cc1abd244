"""Reliability suite: outages, restarts, concurrent deploys, hostile input, scrape."""
