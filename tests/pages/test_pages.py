"""Every page on the demo season: what it shows, its ETag and 304 (errors: test_error_pages.py)."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from sports_analytics.db.writes import bump_data_version
from tests.pages.conftest import Site

PAGES = ["/", "/standings", "/teams/BOS", "/models", "/status"]


def _html(site: Site, url: str) -> str:
    r = site.client.get(url)
    assert r.status_code == 200, (url, r.status_code, r.text[:500])
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    return r.text


def _last_day(site: Site) -> str:
    return str(site.scalar("SELECT max(date) FROM games"))


def test_every_page_renders_with_captioned_tables(site: Site) -> None:
    game_id = site.scalar("SELECT max(id) FROM games")
    for url in [*PAGES, f"/games/{game_id}"]:
        html = _html(site, url)
        assert html.startswith("<!doctype html>") and "</html>" in html, url
        tables = html.count("<table")
        assert html.count("<caption") == tables, url
        # each table scrolls in its own box, a focusable region named by the table's caption
        regions = re.findall(r'<div class="table-scroll" role="region" aria-labelledby="([^"]+)" '
                             r'tabindex="0">\s*<table[^>]*>\s*<caption id="([^"]+)">', html)
        assert len(regions) == tables and all(a == b for a, b in regions), url
        assert len({a for a, _ in regions}) == tables, url  # the ids are unique
        assert 'scope="col"' in html or tables == 0, url
        assert "Traceback" not in html and "None" not in re.sub(r"<[^>]+>", "", html), url


def test_day_shows_each_game_with_probabilities_picks_and_results(site: Site) -> None:
    day = _last_day(site)
    games = site.scalar("SELECT count(*) FROM games WHERE date = :d", d=day)
    html = _html(site, "/")  # the demo season is over: the last game day is shown
    assert html.count('<article class="game"') == games
    assert html.count('<rect class="bar-fill" width="') >= 2 * games  # elo_v1 and home_always
    right = site.scalar("SELECT count(*) FROM predictions p JOIN games g ON g.id = p.game_id "
                        "WHERE g.date = :d AND p.was_correct", d=day)
    wrong = site.scalar("SELECT count(*) FROM predictions p JOIN games g ON g.id = p.game_id "
                        "WHERE g.date = :d AND NOT p.was_correct", d=day)
    assert right + wrong == 2 * games
    assert html.count("✓ right") == right and html.count("✗ wrong") == wrong
    assert "Final:" in html and "rating" in html
    prev_day = site.scalar("SELECT max(date) FROM games WHERE date < :d", d=day)
    assert f'href="/?date={prev_day}"' in html
    assert f'href="/?date={prev_day}"' in _html(site, f"/?date={day}")
    assert "Data as of" in html


def test_day_of_scheduled_games_shows_tipoff_in_eastern_time(site: Site) -> None:
    gid = site.scalar("SELECT max(id) FROM games")
    with site.engine.begin() as conn:
        day, home, away = conn.execute(sa.text(
            "SELECT date, home_score, away_score FROM games WHERE id = :g"), {"g": gid}).one()
        conn.execute(sa.text(
            "UPDATE games SET status = 'scheduled', home_score = NULL, away_score = NULL, "
            "tipoff_at = (date + time '23:30') AT TIME ZONE 'UTC' WHERE id = :g"), {"g": gid})
    _data_changed(site)
    try:
        html = site.client.get(f"/?date={day}").text
        assert re.search(r"Tip-off (6|7):30 PM ET", html)  # 23:30 UTC, in EST or EDT
    finally:
        with site.engine.begin() as conn:
            conn.execute(sa.text(
                "UPDATE games SET status = 'final', home_score = :h, away_score = :a, "
                "tipoff_at = NULL WHERE id = :g"), {"g": gid, "h": home, "a": away})
        _data_changed(site)


def _data_changed(site: Site) -> None:
    """A write, as every write path records it; the worker sees it within one second."""
    with site.engine.begin() as conn:
        bump_data_version(conn)
    time.sleep(1.1)


def test_standings_show_both_conferences_with_cut_lines_and_team_links(site: Site) -> None:
    html = _html(site, "/standings")
    assert "Eastern Conference" in html and "Western Conference" in html
    assert html.count('<tr class="zone-') == 30
    assert html.count(" cut\"") == 4  # after seeds 6 and 10, in each conference
    assert html.count('href="/teams/') >= 30
    # The demo season is over: every seed is certain, so every team carries its mark.
    assert html.count('title="clinched playoffs">x<') == 12
    assert html.count('title="clinched play-in">pi<') == 8
    assert html.count('title="eliminated">e<') == 10


def test_team_page_has_rating_chart_with_table_results_and_leaders(site: Site) -> None:
    html = _html(site, "/teams/bos")
    assert "<svg" in html and "<title" in html and "<polyline" in html
    assert "Rating by game (table)" in html
    assert "Roster leaders" in html and html.count("<tr>") > 20
    assert _html(site, "/teams/BOS") == html


def test_game_page_has_box_scores_features_predictions_and_brief(site: Site) -> None:
    gid = site.scalar("SELECT max(id) FROM games")
    html = _html(site, f"/games/{gid}")
    assert html.count('<table class="box">') == 2
    assert "Pre-game features" in html and "Back-to-back" in html
    assert "elo_v1" in html and "home_always" in html
    assert "rule-based brief" in html


def test_models_page_compares_with_the_baseline(site: Site) -> None:
    html = _html(site, "/models")
    assert "elo_v1" in html and "vs home_always" in html
    assert html.count('class="reliability"') == 2 and "<circle" in html
    assert "Rolling Brier" in html and "<polyline" in html


def test_status_lists_links(site: Site) -> None:
    html = _html(site, "/status")
    for link in ('href="/docs"', 'href="/redoc"', 'href="/metrics"'):
        assert link in html
    assert "Data version" in html


@pytest.mark.parametrize("url", PAGES)
def test_etag_gives_304_until_the_data_change(site: Site, url: str) -> None:
    first = site.client.get(url)
    etag = first.headers["etag"]
    version = site.scalar("SELECT max(version) FROM data_versions")
    assert f"-{version}-" in etag
    again = site.client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    _data_changed(site)
    changed = site.client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_head_answers_like_get_without_a_body(site: Site) -> None:
    for url in PAGES:
        get, head = site.client.get(url), site.client.head(url)
        assert head.status_code == get.status_code == 200 and head.content == b""
        assert head.headers["etag"] == get.headers["etag"]
        assert head.headers["content-length"] == get.headers["content-length"]
