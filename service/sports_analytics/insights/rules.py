"""The deterministic rule-based brief: same facts, no model, always available."""

from __future__ import annotations

from typing import Any

from sports_analytics.insights.schemas import BriefContent, Confidence

RULES_MODEL = "rules-v1"


def _pct(x: float) -> str:
    return f"{round(100 * x)}%"


def _confidence(p: float | None) -> Confidence:
    if p is None:
        return "low"
    edge = abs(p - 0.5)
    return "high" if edge >= 0.2 else "medium" if edge >= 0.08 else "low"


def _form(side: dict[str, Any]) -> str | None:
    f = side.get("features") or {}
    if not f.get("games_played"):
        return None
    return (f"{side['abbreviation']} won {_pct(f['win_pct_last10'])} of its last "
            f"{min(10, f['games_played'])} with a {f['point_diff_last10']:+.1f} average margin")


def _final_story(facts: dict[str, Any], elo: dict[str, Any] | None) -> tuple[str, list[str]]:
    """A final game: who won, by how much, whether it was an upset, who led, how they shot."""
    home, away = facts["home"], facts["away"]
    h, a = home["abbreviation"], away["abbreviation"]
    hs, as_ = facts["score"]["home"], facts["score"]["away"]
    winner, loser = (home, away) if hs > as_ else (away, home)
    ws, ls = max(hs, as_), min(hs, as_)
    # An upset: elo_v1 had the loser as a clear (60 %+) favourite.
    upset = elo is not None and elo["was_correct"] is False \
        and max(elo["home_win_prob"], elo["away_win_prob"]) >= 0.6
    where = "at home" if winner is home else "on the road"
    headline = f"{winner['name']} beat {loser['name']} {ws}-{ls} {where}" + (
        " in an upset" if upset else "")
    factors: list[str] = []
    for side in (winner, loser):
        top = (side.get("top_scorers") or [])[:1]
        if top:
            t = top[0]
            factors.append(f"{t['name']} led {side['abbreviation']} with {t['points']} points.")
    hb, ab = home.get("box_score"), away.get("box_score")
    if hb and ab and hb["fga"] and ab["fga"]:
        he = (hb["fgm"] + 0.5 * hb["fg3m"]) / hb["fga"]
        ae = (ab["fgm"] + 0.5 * ab["fg3m"]) / ab["fga"]
        factors.append(f"Shooting: {h} {_pct(he)} effective FG vs {a} {_pct(ae)}; "
                       f"turnovers {hb['turnovers']}-{ab['turnovers']}.")
    return headline, factors


def _context(facts: dict[str, Any], elo: dict[str, Any] | None) -> list[str]:
    """Records, ratings, form, fatigue, streaks and head-to-head, for any game."""
    home, away = facts["home"], facts["away"]
    h, a = home["abbreviation"], away["abbreviation"]
    hr, ar = home["record_before"], away["record_before"]
    factors = [f"Records before tip-off: {h} {hr['wins']}-{hr['losses']}, "
               f"{a} {ar['wins']}-{ar['losses']}."]
    if elo and elo["home_rating"] is not None:
        factors.append(f"Elo ratings: {h} {elo['home_rating']:.0f}, {a} {elo['away_rating']:.0f} "
                       f"(before home-court advantage).")
    forms = [x for x in (_form(home), _form(away)) if x]
    if forms:
        factors.append("Form: " + "; ".join(forms) + ".")
    hf, af = home.get("features") or {}, away.get("features") or {}
    tired = [s["abbreviation"] for s, f in ((home, hf), (away, af)) if f.get("back_to_back")]
    if tired:
        factors.append(f"Back-to-back: {' and '.join(tired)} played the day before.")
    for side, f in ((home, hf), (away, af)):
        if abs(f.get("streak") or 0) >= 3:
            kind = "winning" if f["streak"] > 0 else "losing"
            n = abs(f["streak"])
            factors.append(f"{side['abbreviation']} brings a {n}-game {kind} streak.")
    if hf.get("h2h_win_pct") is not None:
        factors.append(f"Head-to-head this season: {h} won {_pct(hf['h2h_win_pct'])} of meetings, "
                       f"average margin {hf['h2h_avg_margin']:+.1f}.")
    return factors


def _take(facts: dict[str, Any], elo: dict[str, Any] | None,
          base: dict[str, Any] | None) -> str:
    home, away = facts["home"], facts["away"]
    if elo is None:
        return "No prediction yet for this game (run `sports-analytics predict`)."
    p = elo["home_win_prob"]
    pick = home if p >= 0.5 else away
    take = (f"elo_v1 gave {home['abbreviation']} a {_pct(p)} chance against "
            f"{away['abbreviation']}, picking {pick['abbreviation']}"
            + (f"; the home-always baseline said {_pct(base['home_win_prob'])}" if base else "")
            + ".")
    if facts["status"] == "final" and elo["was_correct"] is not None:
        take += " The pick was right." if elo["was_correct"] else " The pick was wrong."
    return take


def rule_brief(facts: dict[str, Any]) -> BriefContent:
    home, away = facts["home"], facts["away"]
    elo = facts["predictions"].get("elo_v1")
    base = facts["predictions"].get("home_always")
    p = elo["home_win_prob"] if elo else None
    factors: list[str] = []
    if facts["status"] == "final":
        headline, factors = _final_story(facts, elo)
    elif p is not None:
        fav, dog, fp = (home, away, p) if p >= 0.5 else (away, home, 1 - p)
        headline = f"{fav['name']} favoured over {dog['name']} ({_pct(fp)} by Elo)"
    else:
        headline = f"{away['name']} visit {home['name']}"
    factors += _context(facts, elo)
    if len(factors) < 3:
        factors.append(f"Home court: {home['abbreviation']} hosts {away['abbreviation']}.")
    if len(factors) < 3:
        factors.append(f"Season {facts['season']}, game date {facts['date']}.")
    return BriefContent(headline=headline, key_factors=factors[:5],
                        prediction_take=_take(facts, elo, base), confidence=_confidence(p))
