"""Static assets, the documentation pages offline, and the security headers."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

from sports_analytics.api.freshness import STALE_AFTER_SECONDS
from sports_analytics.pages.assets import IMMUTABLE, STATIC_DIR, static_url
from tests.pages.conftest import Site

ROOT = Path(__file__).resolve().parents[2]
VENDOR_README = STATIC_DIR / "vendor" / "README.md"


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_link_content_hashed_assets_cached_for_a_year(site: Site) -> None:
    urls = _asset_urls(site.client.get("/status").text)
    assert any(u.endswith(".css") for u in urls)
    for url in urls:
        r = site.client.get(url)
        assert r.status_code == 200, url
        assert r.headers["cache-control"] == IMMUTABLE
        digest = re.search(r"\.([0-9a-f]{10})\.[a-z0-9]+$", url)
        assert digest is not None, url
        # the client undoes any Content-Encoding: these are the file's bytes
        assert hashlib.sha256(r.content).hexdigest()[:10] == digest.group(1), url


def test_unknown_or_stale_hash_is_404(site: Site) -> None:
    css = static_url("app.css")
    stale = re.sub(r"\.[0-9a-f]{10}\.css$", ".0000000000.css", css)
    assert site.client.get(stale).status_code == 404
    assert site.client.get("/static/app.css").status_code == 404  # only hashed names
    assert site.client.get("/static/vendor/README.md").status_code == 404
    assert site.client.get("/static/../app.py").status_code == 404


def test_assets_are_gzipped_for_clients_that_accept_it(site: Site) -> None:
    url = static_url("vendor/redoc/redoc.standalone.js")
    packed = site.client.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) < 500_000
    assert len(packed.content) > 1_000_000  # the client unpacked the whole bundle
    plain = site.client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and len(plain.content) > 1_000_000


def test_vendored_files_match_their_recorded_hashes() -> None:
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", VENDOR_README.read_text(),
                      re.MULTILINE)
    assert rows
    for name, sha in rows:
        path = STATIC_DIR / "vendor" / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, name
        assert (path.parent / "LICENSE").is_file(), name


def test_docs_and_redoc_load_only_from_this_service(site: Site) -> None:
    for page in ("/docs", "/redoc"):
        html = site.client.get(page).text
        assert not re.search(r"https?://", html), page
        assert "<script>" not in html  # no inline script: the CSP would block it
        for url in re.findall(r'(?:href|src)="([^"]+)"', html):
            assert site.client.get(url).status_code == 200, (page, url)
    redoc = site.client.get("/redoc").text
    assert static_url("vendor/redoc/redoc.standalone.js") in redoc
    assert "fonts.googleapis" not in redoc


def test_security_headers_on_pages_api_and_docs(site: Site) -> None:
    for url in ("/", "/standings", "/api/v1/teams", "/teams/NOPE", "/docs", "/redoc"):
        headers = site.client.get(url).headers
        csp = headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'self'", url
        assert directives["script-src"] == "'self'", url
        assert directives["frame-ancestors"] == "'none'", url
        assert "unsafe" not in directives["script-src"], url
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] in ("no-referrer", "strict-origin-when-cross-origin")
        if url not in ("/docs", "/redoc"):
            assert directives["style-src"] == "'self'", url


def test_pages_have_no_inline_script_or_style(site: Site) -> None:
    for url in ("/", "/standings", "/teams/BOS", "/models", "/status"):
        html = site.client.get(url).text
        assert "<script" not in html and "<style" not in html and " style=" not in html, url
        assert not re.search(r" on[a-z]+=", html), url


def test_stale_warning_uses_the_alerts_threshold() -> None:
    values = yaml.safe_load((ROOT / "charts/sports-analytics/values.yaml").read_text())
    assert values["refresh"]["alerts"]["staleAfterHours"] * 3600 == STALE_AFTER_SECONDS
    kustomize = (ROOT / "k8s/components/refresh/prometheusrule-patch.yaml").read_text()
    assert f"> {STALE_AFTER_SECONDS}" in kustomize


def test_templates_and_static_files_ship_in_the_package() -> None:
    """Every template and static file matches a package-data pattern, so the wheel (and the
    image built from it) carries it."""
    import tomllib

    from sports_analytics.pages.rendering import TEMPLATES_DIR

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "tool"]["setuptools"]["package-data"]["sports_analytics"]
    package = STATIC_DIR.parents[1]
    files = [p for d in (STATIC_DIR, TEMPLATES_DIR) for p in d.rglob("*") if p.is_file()]
    assert len(files) > 20
    for path in files:
        relative = path.relative_to(package).as_posix()
        assert any(re.fullmatch(_glob_regex(p), relative) for p in patterns), relative


def _glob_regex(pattern: str) -> str:
    """setuptools' package-data glob: ``**/`` is any number of folders, ``*`` stays in one."""
    parts = re.split(r"(\*\*/|\*)", pattern)
    return "".join({"**/": "(?:.*/)?", "*": "[^/]*"}.get(x, re.escape(x)) for x in parts)


def test_links_follow_the_root_path_behind_a_prefix(site: Site) -> None:
    from fastapi.testclient import TestClient

    with TestClient(site.client.app, root_path="/sa") as prefixed:
        r = prefixed.get("/status")
        assert r.status_code == 200
        html = r.text
    assert 'href="/sa/static/app.' in html and 'href="/sa/standings"' in html
    assert 'href="/sa/status" aria-current="page"' in html
