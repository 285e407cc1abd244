"""The documentation holds together: every relative link points at a file of the repository and
every #anchor at a heading of its page, every page opens with a `# ` title, and the README stays
a short front door."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README_LIMIT = 10_000
PAGES = sorted(
    [REPO / "README.md", REPO / "charts" / "sports-analytics" / "README.md",
     REPO / "tests" / "schemas" / "README.md", *(REPO / "docs").glob("*.md")]
)

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)


def prose(text: str) -> str:
    """The text without fenced code blocks (whose `#` lines are comments, not headings)."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: inline markup dropped, lower case, punctuation removed,
    spaces to hyphens."""
    text = CODE_SPAN.sub(lambda m: m.group(2), heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for match in HEADING.finditer(prose(path.read_text())):
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(path: Path, root: Path = REPO) -> list[str]:
    """Every relative link of a page that points at no file, or at no heading of its target."""
    text = CODE_SPAN.sub("", prose(path.read_text()))
    problems = []
    for target in LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, ...
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            problems.append(f"{target}: no such file {dest}")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{target}: no heading #{anchor} in {dest.name}")
        elif root not in dest.parents and dest != root:
            problems.append(f"{target}: outside the repository")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_and_anchors_resolve(page: Path) -> None:
    assert not broken_links(page), "\n".join(broken_links(page))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_page_opens_with_a_title(page: Path) -> None:
    first = page.read_text().lstrip().splitlines()[0]
    assert re.match(r"# \S", first), f"{page.relative_to(REPO)} opens with {first!r}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_heading_is_repeated(page: Path) -> None:
    """Two sections of one name are a merge gone wrong, and their links can't both work."""
    slugs = [slug(m.group(2)) for m in HEADING.finditer(prose(page.read_text()))]
    assert len(slugs) == len(set(slugs)), sorted({s for s in slugs if slugs.count(s) > 1})


def test_readme_is_a_short_front_door() -> None:
    text = (REPO / "README.md").read_text()
    assert len(text) <= README_LIMIT, f"README.md has {len(text)} characters (at most {README_LIMIT})"
    headings = set(re.findall(r"^## (.+)$", prose(text), re.M))
    assert {"Prerequisites", "Quickstart", "Tests", "The API", "Configuration",
            "Repository layout"} <= headings
    for phrase in ("docker compose up", "docker compose down -v", "make test", "Python 3.11",
                   "PostgreSQL server", "Compose v2"):
        assert phrase in text, phrase
    assert ".ci/run" not in text, "the README describes make test; .ci/run belongs in docs/ci-cd.md"


SHELL_FENCE = re.compile(r"^```(?:sh|bash|shell|console)?[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
# inline code that is a command to copy, by its first word
COMMAND_SPAN = re.compile(r"`((?:git|docker|make|curl|cd|helm|kubectl|\.venv/bin/)[^`]*)`")
PLACEHOLDER = re.compile(r"\bOWNER\b|\bYOUR_\w+|\bCHANGE_?ME\b|<[A-Za-z][\w .-]*>")


def placeholders(text: str) -> list[str]:
    """Commands (shell blocks, and inline code that starts with a command) that hold a
    placeholder such as OWNER or <command>: copied as they are, they do not work."""
    commands = [line for block in SHELL_FENCE.findall(text) for line in block.splitlines()]
    commands += COMMAND_SPAN.findall(prose(text))
    return [c.strip() for c in commands if PLACEHOLDER.search(c)]


def test_every_readme_command_works_as_copied() -> None:
    found = placeholders((REPO / "README.md").read_text())
    assert not found, f"README commands with a placeholder: {found}"


def test_the_placeholder_check_can_fail() -> None:
    text = ("# Page\n\n```sh\ngit clone https://github.com/OWNER/sports-analytics.git\n"
            "docker compose up -d --wait\n```\n\nRun `docker compose run --rm api <command>`;"
            " the `<NAME>_FILE` variables hold paths.\n\n```bash\nexport KEY=YOUR_KEY\n```\n"
            "```yaml\nowner: <team>\n```\n")
    assert placeholders(text) == ["git clone https://github.com/OWNER/sports-analytics.git",
                                  "export KEY=YOUR_KEY",
                                  "docker compose run --rm api <command>"]


def test_the_checker_catches_a_broken_link_and_anchor(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## Real heading\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n## The CI entry point: `.ci/run`\n\n"
        "[ok](other.md#real-heading) [self](#the-ci-entry-point-cirun) [web](https://example.com)\n"
        "[gone](missing.md) [bad](other.md#no-such-heading) [bad self](#nowhere)\n"
        "```sh\n# not a heading\n[not a link](nowhere.md)\n```\n"
    )
    problems = broken_links(page, root=tmp_path)
    assert len(problems) == 3, problems
    assert any("missing.md" in p for p in problems)
    assert any("#no-such-heading" in p for p in problems)
    assert any("#nowhere" in p for p in problems)


def test_slugs_follow_github() -> None:
    assert slug("Plain manifests (kustomize)") == "plain-manifests-kustomize"
    assert slug("TL;DR") == "tldr"
    assert slug("The CI entry point: `.ci/run`") == "the-ci-entry-point-cirun"
    assert slug("Option A: a kubeconfig secret (default)") == "option-a-a-kubeconfig-secret-default"
