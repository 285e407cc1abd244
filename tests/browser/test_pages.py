"""Every page in headless Chromium: clean console, same-host requests only, no serious or
critical axe-core violation, no horizontal scroll at 375 px, a visible keyboard focus, and
(for the server-rendered pages) the same tables with JavaScript off.

Each page is also photographed at 1440 and 375 px into the screenshot directory (conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import Site, screenshot_dir

pytestmark = pytest.mark.slow

WIDE, NARROW = 1440, 375
# Pages whose content is server-rendered HTML (the documentation viewers need JavaScript).
SERVER_RENDERED = ("home", "results", "standings", "team", "game", "models", "status")
PAGES = (*SERVER_RENDERED, "docs", "redoc")
# Pages whose data is tabular: with JavaScript off they still carry their tables.
WITH_TABLES = ("results", "standings", "team", "game", "models")
# What shows that a page has finished rendering (the documentation viewers render client-side).
READY = {"docs": ".swagger-ui .opblock", "redoc": "[data-section-id]"}
BLOCKING_IMPACTS = {"serious", "critical"}
SCREENSHOT_MAX_HEIGHT = 6000


def page_path(name: str, site: Site) -> str:
    return {"home": "/", "results": f"/?date={site.final_day}", "standings": "/standings", "team": f"/teams/{site.team}",
            "game": f"/games/{site.game_id}", "models": "/models", "status": "/status",
            "docs": "/docs", "redoc": "/redoc"}[name]


@dataclass
class Traffic:
    """What a page did while it loaded: console errors, uncaught exceptions, requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(
            f"{m.text} ({m.location.get('url', '')})"))
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failures.append(f"{r.url}: {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.failures.append(
            f"{r.url}: HTTP {r.status}"))


@contextmanager
def opened(browser: Any, site: Site, name: str, width: int = WIDE,
           js: bool = True) -> Iterator[tuple]:
    """A fresh context and page at ``width`` px, loaded until the network is idle."""
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  java_script_enabled=js, color_scheme="light")
    try:
        page = context.new_page()
        traffic = Traffic()
        traffic.attach(page)
        url = site.base_url + page_path(name, site)
        response = page.goto(url, wait_until="networkidle")
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        page.wait_for_selector(READY.get(name, "main h1"), state="attached", timeout=15_000)
        page.wait_for_timeout(200)  # late console messages from scripts that ran at load
        yield page, traffic
    finally:
        context.close()


def screenshot(page: Any, name: str, width: int) -> None:
    out = screenshot_dir()
    out.mkdir(parents=True, exist_ok=True)
    height = min(page.evaluate("document.documentElement.scrollHeight"), SCREENSHOT_MAX_HEIGHT)
    page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": height})


@pytest.mark.parametrize("name", PAGES)
def test_loads_without_console_error_or_foreign_request(name: str, browser, site: Site) -> None:
    with opened(browser, site, name) as (page, traffic):
        screenshot(page, name, WIDE)
        foreign = [u for u in traffic.requests
                   if urlsplit(u).scheme not in {"data", "blob"} and urlsplit(u).netloc != site.host]
        assert not foreign, f"requests to another host: {foreign}"
        assert not traffic.console_errors, traffic.console_errors
        assert not traffic.page_errors, traffic.page_errors
        assert not traffic.failures, traffic.failures
        assert page.title().strip(), "the page has no title"


def blocking_violations(page: Any, axe_source: str) -> list[str]:
    # Evaluated through the DevTools protocol, so the page's Content-Security-Policy (no inline
    # script) stays in force for everything the page itself does.
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(axe_source)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['impact']}: {v['id']} ({v['help']}) at "
            + ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
            for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violation(name: str, browser, axe_source: str,
                                            site: Site) -> None:
    """In both colour schemes: the pages follow ``prefers-color-scheme``."""
    with opened(browser, site, name) as (page, _):
        light = blocking_violations(page, axe_source)
        page.emulate_media(color_scheme="dark")
        page.wait_for_timeout(100)
        dark = blocking_violations(page, axe_source)
    assert {"light": light, "dark": dark} == {"light": [], "dark": []}


@pytest.mark.parametrize("name", PAGES)
def test_no_horizontal_scroll_at_375px(name: str, browser, site: Site) -> None:
    with opened(browser, site, name, width=NARROW) as (page, _):
        screenshot(page, name, NARROW)
        scroll, client, inner = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " window.innerWidth]")
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""")
        assert scroll <= min(client, inner), f"{scroll}px of content in a {client}px viewport: {wide}"


# Each word of every table (closed <details> opened first) and the lines its boxes sit on: a
# word whose boxes sit on two lines was broken mid-word ("Pic|k", "home_alw|ays").
BROKEN_WORDS = """() => {
    document.querySelectorAll('details').forEach(d => { d.open = true; });
    const broken = [];
    for (const cell of document.querySelectorAll('table caption, table th, table td')) {
        const texts = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = texts.nextNode(); node; node = texts.nextNode()) {
            for (const m of node.data.matchAll(/\\S+/g)) {
                const range = document.createRange();
                range.setStart(node, m.index);
                range.setEnd(node, m.index + m[0].length);
                const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                      .map(r => Math.round(r.bottom)));
                if (lines.size > 1) broken.push(`${cell.tagName.toLowerCase()}: ${m[0]}`);
            }
        }
    }
    return broken;
}"""
# Every table sits in its own scroll box: a region named by the table's caption, reachable
# with the keyboard; the ones that do scroll are listed (they are allowed to).
TABLE_BOXES = """() => [...document.querySelectorAll('table')].map(t => {
    const box = t.parentElement;
    const label = document.getElementById(box.getAttribute('aria-labelledby') || '');
    return {caption: t.caption ? t.caption.textContent.trim() : '',
            box: box.className, role: box.getAttribute('role'), tabindex: box.tabIndex,
            name: label ? label.textContent.trim() : '',
            scrolls: box.scrollWidth > box.clientWidth};
})"""


@pytest.mark.parametrize("name", SERVER_RENDERED)
def test_tables_keep_words_whole_and_scroll_in_their_own_box_at_375px(
        name: str, browser, site: Site) -> None:
    with opened(browser, site, name, width=NARROW) as (page, _):
        broken = page.evaluate(BROKEN_WORDS)
        boxes = page.evaluate(TABLE_BOXES)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert not broken, f"words broken across lines at {NARROW}px: {broken[:10]}"
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px once every table is open"
    for box in boxes:
        assert (box["box"], box["role"], box["tabindex"]) == ("table-scroll", "region", 0), box
        assert box["name"] and box["name"] == box["caption"], box


FOCUSED_LINK = "() => { const a = document.activeElement; return !!a && a.tagName === 'A'; }"


@pytest.mark.parametrize("name", SERVER_RENDERED)
def test_tab_reaches_a_link_with_a_visible_focus(name: str, browser, site: Site) -> None:
    with opened(browser, site, name) as (page, _):
        for _ in range(5):
            page.keyboard.press("Tab")
            if page.evaluate(FOCUSED_LINK):
                break
        assert page.evaluate(FOCUSED_LINK), "Tab did not reach a link within 5 presses"
        box = page.evaluate("""() => { const r = document.activeElement.getBoundingClientRect();
            return {x: Math.max(r.x - 6, 0), y: Math.max(r.y - 6, 0),
                    width: r.width + 12, height: r.height + 12}; }""")
        assert box["width"] > 12 and box["height"] > 12, "the focused link is not visible"
        page.wait_for_timeout(300)  # any focus transition has finished
        focused = page.screenshot(clip=box)
        page.evaluate("document.activeElement.blur()")
        page.wait_for_timeout(300)
        assert page.screenshot(clip=box) != focused, "focus changes nothing on screen"


TABLE_SHAPE = """() => [...document.querySelectorAll('table')].map(t =>
    [t.querySelector('caption') ? t.querySelector('caption').textContent.trim() : '',
     t.querySelectorAll('tbody tr').length])"""


@pytest.mark.parametrize("name", SERVER_RENDERED)
def test_complete_with_javascript_off(name: str, browser, site: Site) -> None:
    with opened(browser, site, name) as (page, _):
        with_js = page.evaluate(TABLE_SHAPE)
    with opened(browser, site, name, js=False) as (page, _):
        without_js = page.evaluate(TABLE_SHAPE)
        heading = page.locator("h1").first.inner_text()
    assert heading.strip(), "no heading with JavaScript off"
    assert without_js == with_js
    if name in WITH_TABLES:
        assert any(rows > 0 for _, rows in without_js), f"no table has rows: {without_js}"
        assert all(caption for caption, _ in without_js), f"a table without a caption: {without_js}"


@pytest.mark.parametrize("width", [WIDE, NARROW])
def test_an_unknown_team_is_an_error_page_in_the_site_layout(width: int, browser, axe_source: str,
                                                             site: Site) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme="light")
    try:
        page = context.new_page()
        response = page.goto(site.base_url + "/teams/XYZ", wait_until="networkidle")
        assert response is not None and response.status == 404
        screenshot(page, "not-found", width)
        assert page.locator("h1").inner_text() == "Not found"
        assert page.locator("nav[aria-label=Main] a").count() >= 4  # the site's navigation
        assert page.locator("code.request-id").inner_text() == response.headers["x-request-id"]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert blocking_violations(page, axe_source) == []
    finally:
        context.close()
