"""The season forecast: the rest of the regular season, the play-in and the playoffs,
simulated tens of thousands of times with numpy, and the odds stored per run.

* ``ratings``: the one interface to the rating model that gives game probabilities;
* ``season``: a season's teams, records and games left, as arrays;
* ``simulate``: the regular season, vectorised across simulations;
* ``postseason``: the play-in and the bracket;
* ``odds``: per-team odds from the simulated seasons;
* ``store``: the read snapshot and the one-transaction write of a run;
* ``run`` and ``commands``: ``sports-analytics forecast`` (``refresh`` runs it too).
"""
