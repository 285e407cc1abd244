"""Game models beyond the reference ``elo_v1``: ``elo_v2`` and the trained ``logistic`` model,
their registry (``model_versions``) and their walk-forward evaluation.

Only :mod:`sports_analytics.modeling.logistic_fit` imports the training library, and only
when a new weekly snapshot has to be fitted; the API reads stored parameters and predictions.
"""
