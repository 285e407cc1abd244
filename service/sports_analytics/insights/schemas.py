"""The brief's shape: what Gemini must return, and what the API answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Confidence = Literal["low", "medium", "high"]
Factor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class BriefContent(BaseModel):
    """The part of a brief a writer (Gemini or the rules) produces."""

    model_config = ConfigDict(extra="ignore")

    headline: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    key_factors: list[Factor] = Field(min_length=3, max_length=5)
    prediction_take: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)
    ]
    confidence: Confidence


# Sent as GenerateContentConfig.response_json_schema; kept in step with BriefContent.
RESPONSE_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "headline": {"type": "string", "description": "One line, at most 120 characters."},
        "key_factors": {
            "type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 5,
            "description": "3 to 5 short factors, each grounded in the given facts.",
        },
        "prediction_take": {
            "type": "string",
            "description": "One or two sentences on the model's win probability (and, for a "
                           "final game, whether it was right).",
        },
        "confidence": {"type": "string", "enum": ["low", "medium", "high"]},
    },
    "required": ["headline", "key_factors", "prediction_take", "confidence"],
    "propertyOrdering": ["headline", "key_factors", "prediction_take", "confidence"],
}


class GameInsight(BriefContent):
    """GET /api/v1/games/{game_id}/insight."""

    game_id: int
    source: Literal["gemini", "rules"]
    model: str = Field(description="The Gemini model name, or 'rules-v1' for the rule-based brief.")
    facts_hash: str = Field(description="SHA-256 of the facts the brief was written from.")
    generated_at: dt.datetime
    cached: bool = Field(description="True when served from the insights table.")
