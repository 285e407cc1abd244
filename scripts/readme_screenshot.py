#!/usr/bin/env python3
"""Regenerate docs/images/home.png, the screenshot the README opens with.

Seeds the demo as the Compose quick start does (``seed-demo --as-of today``) with its features
and predictions in a throwaway PostgreSQL, serves the app on 127.0.0.1 (the Lighthouse
benchmark's set-up) and photographs ``/`` at 1440 x 900 in headless system Chromium
(``apt-get install chromium``), light theme.

    .venv/bin/python scripts/readme_screenshot.py [--date 2026-01-04] [--out docs/images/home.png]
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.lighthouse_bench import chromium, serve_demo  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--date", help="the game day to show (default: the page's own choice)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "home.png")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with ExitStack() as stack:
        base_url = serve_demo(stack)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium(), headless=True)
            page = browser.new_page(viewport={"width": 1440, "height": 900},
                                    color_scheme="light")
            page.goto(base_url + "/" + (f"?date={args.date}" if args.date else ""),
                      wait_until="networkidle")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
            browser.close()
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
