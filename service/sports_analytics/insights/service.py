"""Game briefs: facts -> cache -> Gemini -> rules, never an error for the caller.

No database connection is held while Gemini is called: the facts and the cache lookup use
one short connection, the store another.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import structlog
from sqlalchemy import Engine, text

from sports_analytics.insights.facts import facts_hash, load_facts
from sports_analytics.insights.gemini import BriefAttempt, GeminiBriefer
from sports_analytics.insights.rules import RULES_MODEL, rule_brief
from sports_analytics.insights.schemas import BriefContent, GameInsight

log = structlog.get_logger(__name__)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def get_insight(engine: Engine, briefer: GeminiBriefer, game_id: int) -> GameInsight:
    """Raises GameNotFound for an unknown game; otherwise always returns a brief."""
    with engine.connect() as conn:
        facts = load_facts(conn, game_id)
        digest = facts_hash(facts)
        cached = None
        if briefer.enabled:
            cached = conn.execute(text(
                "SELECT brief, created_at FROM insights "
                "WHERE game_id = :g AND model = :m AND facts_hash = :h"),
                {"g": game_id, "m": briefer.model, "h": digest}).first()
    if cached is not None:
        return GameInsight(**BriefContent.model_validate(cached.brief).model_dump(),
                           game_id=game_id, source="gemini", model=briefer.model,
                           facts_hash=digest, generated_at=cached.created_at, cached=True)
    try:
        attempt = briefer.generate(facts)
    except Exception as exc:  # a bug in the Gemini path must not break the endpoint
        attempt = BriefAttempt(None, f"internal_error ({type(exc).__name__})")
    if attempt.brief is None:
        log.warning("game brief fell back to rules", game_id=game_id, reason=attempt.reason,
                    gemini_model=briefer.model, attempts=attempt.attempts,
                    breaker=briefer.breaker.state)
        return _rules(facts, game_id, digest)
    created = _store(engine, game_id, briefer.model, digest, attempt)
    return GameInsight(**attempt.brief.model_dump(), game_id=game_id, source="gemini",
                       model=briefer.model, facts_hash=digest, generated_at=created or _now(),
                       cached=False)


def _rules(facts: dict[str, Any], game_id: int, digest: str) -> GameInsight:
    return GameInsight(**rule_brief(facts).model_dump(), game_id=game_id, source="rules",
                       model=RULES_MODEL, facts_hash=digest, generated_at=_now(), cached=False)


def _store(engine: Engine, game_id: int, model: str, digest: str,
           attempt: BriefAttempt) -> dt.datetime | None:
    """Keep only the newest facts' brief per (game, model); a lost race keeps the first."""
    assert attempt.brief is not None
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "DELETE FROM insights WHERE game_id = :g AND model = :m AND facts_hash <> :h"),
                {"g": game_id, "m": model, "h": digest})
            return conn.execute(text(
                "INSERT INTO insights (game_id, model, facts_hash, source, brief, prompt_tokens, "
                "output_tokens) VALUES (:g, :m, :h, 'gemini', CAST(:b AS jsonb), :pt, :ot) "
                "ON CONFLICT (game_id, model, facts_hash) DO NOTHING RETURNING created_at"),
                {"g": game_id, "m": model, "h": digest, "b": attempt.brief.model_dump_json(),
                 "pt": attempt.prompt_tokens, "ot": attempt.output_tokens}).scalar()
    except Exception as exc:  # the brief is good; failing to cache it is not the caller's problem
        log.warning("game brief not cached", game_id=game_id, error=type(exc).__name__)
        return None
