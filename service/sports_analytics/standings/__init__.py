"""Standings: the one table the API, the pages and the season simulation share.

* ``tiebreak``: the NBA tie-breakers and seeds 1-15 per conference, pure functions over final
  results (``Season.from_games`` / ``Season.from_pair_wins``, ``seed_league``,
  ``seed_conference``, ``division_winners``). The forecast seeds finished seasons with it.
* ``marks``: clinched / eliminated marks, set only when certain (``league_marks``).
* ``source``: the one statement the rows are computed from, with its data version.
* ``build``: the rows (records, home/away/neutral, last 10, streak, seed, marks).
* ``cache``: the fast read path, ``StandingsCache`` (one per worker, ``request.state.standings``):
  each season computed once per data version, pages served as cached JSON bytes.
* ``table``: ``read_standings`` (uncached) and ``standings_etag``.
"""
