"""The README and docs/ link only to what a user has: files in this repository (and the
headings in them), never the design folder beside it."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", ROOT / "benchmarks" / "README.md", *sorted(ROOT.glob("docs/*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
OUTSIDE = ("http://", "https://", "mailto:")


def prose(page: Path) -> str:
    """The page without its fenced code blocks (code may hold brackets of its own)."""
    return re.sub(r"^```.*?^```", "", page.read_text(), flags=re.S | re.M)


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces -."""
    words = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return words.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", prose(page), flags=re.M)}


def links(page: Path) -> list[str]:
    return [m.group(1) for m in LINK.finditer(prose(page))]


def test_the_pages_are_there():
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert {"docs/using.md", "docs/engine.md", "docs/architecture.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_names_a_file_in_the_repository(page):
    problems = []
    for target in links(page):
        if target.startswith(OUTSIDE):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if "shared/" in path or not file.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif not file.is_file():
            problems.append(f"{target}: no such file {file.relative_to(ROOT)}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            problems.append(f"{target}: no heading #{anchor} in {file.relative_to(ROOT)}")
    assert not problems, f"{page.relative_to(ROOT)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_page_sends_the_reader_to_the_design_folder(page):
    assert "shared/design" not in page.read_text()


def test_the_check_sees_a_link_out_of_the_repository(tmp_path, monkeypatch):
    page = ROOT / "docs" / "using.md"
    monkeypatch.setattr(Path, "read_text", lambda self: "[design](../../shared/design/tui.md)")
    with pytest.raises(AssertionError, match="outside the repository"):
        test_every_relative_link_names_a_file_in_the_repository(page)
