"""Text from outside (player names from CSV or the stats API, Gemini briefs, query text) is shown
as text: markup in it never reaches the page as markup."""

from __future__ import annotations

import json
import time

import sqlalchemy as sa

from sports_analytics.db.writes import bump_data_version
from tests.pages.conftest import Site

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def _assert_escaped(html: str) -> None:
    assert SCRIPT not in html and IMG not in html
    assert "<img" not in html and "alert(1)</script>" not in html
    assert SCRIPT_ESCAPED in html and IMG_ESCAPED in html


def _latest_game(site: Site) -> tuple[int, int, str]:
    with site.engine.connect() as conn:
        gid, home_id, date = conn.execute(sa.text(
            "SELECT id, home_team_id, date FROM games ORDER BY date DESC, id DESC LIMIT 1")).one()
    return gid, home_id, str(date)


def test_brief_and_player_name_with_markup_are_shown_as_text(site: Site) -> None:
    gid, home_id, day = _latest_game(site)
    brief = {"headline": f"Headline {SCRIPT}", "key_factors": [IMG, f"factor {SCRIPT}", "plain"],
             "prediction_take": f"Take {IMG}", "confidence": "low"}
    with site.engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO insights (game_id, model, facts_hash, source, brief) "
            "VALUES (:g, 'gemini-test', 'x', 'gemini', CAST(:b AS jsonb))"),
            {"g": gid, "b": json.dumps(brief)})
        player = conn.execute(sa.text(
            "SELECT s.player_id FROM player_game_stats s WHERE s.game_id = :g AND s.team_id = :t "
            "ORDER BY s.points DESC LIMIT 1"), {"g": gid, "t": home_id}).scalar()
        conn.execute(sa.text("UPDATE players SET first_name = :f, last_name = :l WHERE id = :p"),
                     {"f": SCRIPT, "l": IMG, "p": player})
        bump_data_version(conn)
    time.sleep(1.1)  # the worker trusts the data version it read for one second
    team = site.scalar("SELECT abbreviation FROM teams WHERE id = :t", t=home_id)

    day_page = site.client.get(f"/?date={day}").text
    assert day_page.count(SCRIPT_ESCAPED) == 2  # the headline and a factor
    assert "written by Gemini" in day_page  # the stored brief, not the rule-based one
    _assert_escaped(day_page)

    game_page = site.client.get(f"/games/{gid}").text
    _assert_escaped(game_page)
    assert game_page.count(f"{SCRIPT_ESCAPED} {IMG_ESCAPED}") == 1  # the box score line

    team_page = site.client.get(f"/teams/{team}").text
    assert f"{SCRIPT_ESCAPED} {IMG_ESCAPED}" in team_page  # the roster leaders
    assert SCRIPT not in team_page and IMG not in team_page


def test_query_text_in_an_error_page_is_escaped(site: Site) -> None:
    r = site.client.get("/", params={"date": SCRIPT})
    assert r.status_code == 422
    assert SCRIPT not in r.text and "&lt;script&gt;" in r.text
    r = site.client.get("/standings", params={"season": IMG})
    assert r.status_code == 422 and IMG not in r.text and "&lt;img" in r.text
