"""GET /api/v1/games/{id}/insight with the real google-genai client against a local fake."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from sports_analytics.analytics.features import compute_features
from sports_analytics.analytics.predictions import run_predictions
from sports_analytics.insights.schemas import GameInsight
from tests.helpers.analytics_season import SeasonSpec, build_season
from tests.helpers.fake_gemini import FakeGemini
from tests.helpers.pgharness import make_settings

API_KEY = "AIzaFAKE-test-key-0123456789-do-not-log"
FALLBACK_EVENT = "game brief fell back to rules"


@pytest.fixture
def season_db(migrated_db_url: str) -> Iterator[tuple[str, list[int]]]:
    engine = sa.create_engine(make_settings(migrated_db_url).sqlalchemy_url)
    with engine.begin() as conn:
        ids = build_season(conn, SeasonSpec(n_teams=8, n_games=80, scheduled_tail=4, seed=21))
    compute_features(engine)
    run_predictions(engine)
    engine.dispose()
    yield migrated_db_url, ids


@pytest.fixture
def fake() -> Iterator[FakeGemini]:
    server = FakeGemini(API_KEY).start()
    yield server
    server.stop()


def _client(url: str, fake: FakeGemini | None, **overrides) -> TestClient:
    from sports_analytics.app import create_app

    values = {"gemini_breaker_failures": 5, "gemini_breaker_cooldown_seconds": 30}
    if fake is not None:
        values.update(gemini_api_key=API_KEY, gemini_base_url=fake.base_url)
    values.update(overrides)
    return TestClient(create_app(make_settings(url, **values)))


def _fallback_lines(err: str) -> list[dict]:
    lines = []
    for line in err.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("event") == FALLBACK_EVENT:
            lines.append(record)
    return lines


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _insight(client: TestClient, game_id: int) -> dict:
    resp = client.get(f"/api/v1/games/{game_id}/insight")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    GameInsight.model_validate(body)
    assert 3 <= len(body["key_factors"]) <= 5
    return body


def test_success_uses_schema_and_records_tokens(season_db, fake, capsys) -> None:
    url, ids = season_db
    final_game = ids[40]
    ok_before = _metric("gemini_requests_total", outcome="ok")
    tokens_before = _metric("gemini_tokens_total", kind="prompt")
    with _client(url, fake) as client:
        body = _insight(client, final_game)
    assert body["source"] == "gemini" and body["model"] == "gemini-2.5-flash"
    assert body["headline"] == fake.brief["headline"] and body["cached"] is False
    assert len(fake.requests) == 1
    req = fake.requests[0]
    assert req["api_version"] in ("v1", "v1beta") and req["model"] == "gemini-2.5-flash"
    assert req["headers"]["x-goog-api-key"] == API_KEY
    config = req["body"]["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["required"] == [
        "headline", "key_factors", "prediction_take", "confidence"]
    assert "ONLY the facts" in json.dumps(req["body"]["systemInstruction"])
    prompt = req["body"]["contents"][0]["parts"][0]["text"]
    facts = json.loads(prompt.split("\n", 1)[1])
    assert facts["game_id"] == final_game and facts["status"] == "final"
    assert facts["home"]["box_score"]["points"] == facts["score"]["home"]
    assert set(facts["predictions"]) == {"elo_v1", "home_always"}
    assert _metric("gemini_requests_total", outcome="ok") == ok_before + 1
    assert _metric("gemini_tokens_total", kind="prompt") == tokens_before + 321
    assert _fallback_lines(capsys.readouterr().err) == []


def test_cache_hit_for_final_game_and_refresh_for_scheduled(season_db, fake) -> None:
    url, ids = season_db
    final_game, scheduled = ids[30], ids[-1]
    with _client(url, fake) as client:
        first = _insight(client, final_game)
        again = _insight(client, final_game)
        assert len(fake.requests) == 1, "a finished game's brief is generated once"
        assert again["cached"] is True and again["source"] == "gemini"
        assert again["facts_hash"] == first["facts_hash"]
        assert again["headline"] == first["headline"]

        before = _insight(client, scheduled)
        assert before["source"] == "gemini" and len(fake.requests) == 2
        assert _insight(client, scheduled)["cached"] is True and len(fake.requests) == 2
        # A result comes in before the scheduled game: its facts change, so does the brief.
        engine = sa.create_engine(make_settings(url).sqlalchemy_url)
        with engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE games SET home_score = away_score + 25 WHERE id = :i"), {"i": ids[70]})
        compute_features(engine)
        run_predictions(engine)
        fake.brief = {**fake.brief, "headline": "A refreshed take"}
        after = _insight(client, scheduled)
        assert len(fake.requests) == 3
        assert after["facts_hash"] != before["facts_hash"]
        assert after["headline"] == "A refreshed take" and after["cached"] is False
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT count(*) FROM insights WHERE game_id = :g"), {"g": scheduled}).scalar_one()
        engine.dispose()
        assert rows == 1, "stale briefs of a scheduled game are replaced"


def test_429_then_success_is_retried(season_db, fake, capsys) -> None:
    url, ids = season_db
    fake.script = ["429", "ok"]
    limited = _metric("gemini_requests_total", outcome="rate_limited")
    with _client(url, fake) as client:
        body = _insight(client, ids[10])
    assert body["source"] == "gemini"
    assert len(fake.requests) == 2
    assert _metric("gemini_requests_total", outcome="rate_limited") == limited + 1
    assert _fallback_lines(capsys.readouterr().err) == []


def test_500_until_fallback_after_two_retries(season_db, fake, capsys) -> None:
    url, ids = season_db
    fake.default = "500"
    with _client(url, fake) as client:
        body = _insight(client, ids[10])
    assert body["source"] == "rules" and body["model"] == "rules-v1"
    assert len(fake.requests) == 3  # the first attempt and at most two retries
    lines = _fallback_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert lines[0]["level"] == "warning"
    assert lines[0]["reason"].startswith("server_error") and lines[0]["game_id"] == ids[10]


def test_slow_response_times_out_without_retry(season_db, fake, capsys) -> None:
    url, ids = season_db
    fake.default = "slow"
    fake.slow_seconds = 3.0
    with _client(url, fake, gemini_timeout_seconds=0.5) as client:
        started = time.monotonic()
        body = _insight(client, ids[12])
        elapsed = time.monotonic() - started
    assert body["source"] == "rules"
    assert elapsed < 2.5, f"timeout not honoured (milliseconds vs seconds?): {elapsed:.2f}s"
    assert len(fake.requests) == 1
    (line,) = _fallback_lines(capsys.readouterr().err)
    assert line["reason"].startswith("timeout")


@pytest.mark.parametrize(("behaviour", "reason"), [
    ("invalid_json", "invalid_json"),
    ("bad_body", "invalid_json"),
    ("schema_mismatch", "schema_mismatch"),
])
def test_unusable_answers_fall_back(season_db, fake, capsys, behaviour, reason) -> None:
    url, ids = season_db
    fake.default = behaviour
    with _client(url, fake) as client:
        body = _insight(client, ids[20])
        assert body["source"] == "rules"
        (line,) = _fallback_lines(capsys.readouterr().err)
        assert line["reason"].startswith(reason)
        # Nothing unusable is cached: a healthy Gemini is asked again next time.
        fake.default = "ok"
        assert _insight(client, ids[20])["source"] == "gemini"


def test_circuit_opens_then_closes_after_cooldown(season_db, fake, capsys) -> None:
    url, ids = season_db
    fake.default = "500"
    skipped = _metric("gemini_requests_total", outcome="breaker_open")
    with _client(url, fake, gemini_max_retries=0, gemini_breaker_failures=2,
                 gemini_breaker_cooldown_seconds=1.0) as client:
        assert _insight(client, ids[1])["source"] == "rules"
        assert _insight(client, ids[2])["source"] == "rules"
        assert len(fake.requests) == 2
        # Open: Gemini is not called at all.
        assert _insight(client, ids[3])["source"] == "rules"
        assert len(fake.requests) == 2
        assert _metric("gemini_requests_total", outcome="breaker_open") == skipped + 1
        lines = _fallback_lines(capsys.readouterr().err)
        assert [ln["reason"] for ln in lines][-1] == "breaker_open"
        time.sleep(1.1)
        # Half-open: one trial request; it succeeds and the circuit closes.
        fake.default = "ok"
        assert _insight(client, ids[3])["source"] == "gemini"
        assert _insight(client, ids[4])["source"] == "gemini"
        assert len(fake.requests) == 4
        assert client.app_state["briefer"].breaker.state == "closed"


def test_no_key_answers_rules_with_one_warning(season_db, capsys) -> None:
    url, ids = season_db
    with _client(url, None) as client:
        final = _insight(client, ids[5])
        scheduled = _insight(client, ids[-2])
        missing = client.get("/api/v1/games/999999/insight")
        too_big = client.get(f"/api/v1/games/{2**63}/insight")
    assert final["source"] == scheduled["source"] == "rules"
    assert final["model"] == "rules-v1" and final["cached"] is False
    assert "beat" in final["headline"]
    assert "favoured" in scheduled["headline"]
    lines = _fallback_lines(capsys.readouterr().err)
    assert len(lines) == 2 and {ln["reason"] for ln in lines} == {"no_api_key"}
    assert missing.status_code == 404 and missing.json()["detail"] == "game 999999 not found"
    assert too_big.status_code == 422
    # The rule-based brief is deterministic.
    with _client(url, None) as client:
        assert _insight(client, ids[5])["headline"] == final["headline"]


def test_key_from_file_is_used_and_never_logged(season_db, fake, tmp_path, monkeypatch, capfd,
                                                caplog) -> None:
    from sports_analytics.app import create_app
    from sports_analytics.config import load_settings
    from sports_analytics.metrics import render

    url, ids = season_db
    key_file = tmp_path / "gemini_api_key"
    key_file.write_text(API_KEY + "\n")
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY_FILE", str(key_file))
    monkeypatch.setenv("GEMINI_BASE_URL", fake.base_url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("GEMINI_TIMEOUT_SECONDS", "0.5")
    settings = load_settings()
    assert settings.gemini_api_key is not None
    assert API_KEY not in repr(settings) and API_KEY not in str(settings.model_dump())
    fake.script = ["ok", "429", "500", "500", "slow", "invalid_json"]
    with TestClient(create_app(settings)) as client:
        assert _insight(client, ids[8])["source"] == "gemini"
        assert _insight(client, ids[9])["source"] == "rules"    # 429, 500, 500
        assert _insight(client, ids[11])["source"] == "rules"   # timeout
        assert _insight(client, ids[13])["source"] == "rules"   # invalid JSON
        fake.api_key = "another-key"                             # the server now rejects ours
        assert _insight(client, ids[14])["source"] == "rules"
        metrics_text = client.get("/metrics").text
    assert all(r["headers"]["x-goog-api-key"] == API_KEY for r in fake.requests)
    out, err = capfd.readouterr()
    logged = out + err + caplog.text + metrics_text + render().decode()
    assert len(_fallback_lines(err)) == 4
    assert "client_error (HTTP 403)" in err
    assert API_KEY not in logged
    assert API_KEY[:12] not in logged


def test_circuit_breaker_states_with_a_fake_clock() -> None:
    from sports_analytics.insights.gemini import CircuitBreaker

    now = [100.0]
    breaker = CircuitBreaker(failures=3, cooldown_seconds=10, clock=lambda: now[0])
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_success()  # a success resets the count: failures must be consecutive
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    now[0] += 10
    assert breaker.state == "half_open"
    assert breaker.allow()          # one trial ...
    assert not breaker.allow()      # ... and only one
    breaker.record_failure()        # the trial failed: a fresh cool-down
    assert breaker.state == "open" and not breaker.allow()
    now[0] += 10
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()


def test_rule_brief_has_three_to_five_factors_even_with_sparse_facts() -> None:
    from sports_analytics.insights.rules import rule_brief

    side = {"abbreviation": "AAA", "name": "Alpha", "city": "A", "features": None,
            "record_before": {"wins": 0, "losses": 0}}
    sparse = {"game_id": 1, "season": 2025, "date": "2025-10-21", "status": "scheduled",
              "score": None, "home": side, "away": {**side, "abbreviation": "BBB", "name": "Beta"},
              "predictions": {}}
    brief = rule_brief(sparse)
    assert 3 <= len(brief.key_factors) <= 5
    assert brief.confidence == "low" and brief.headline == "Beta visit Alpha"
    assert rule_brief(sparse) == brief  # deterministic
