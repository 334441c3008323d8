"""Markdown import is bounded in time: a hostile file imports (or fails in one line) within
seconds, the text markdown-it had no time for is kept as written with a warning, and real
articles parse as before. Hostile files are imported by a subprocess with a timeout, so a
regression fails the test instead of hanging the suite; nothing asserts on elapsed time."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from store.ingest.parse.markdown import parse_markdown
from tests.conftest import ARTICLES

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT = 60  # seconds; the bound is a few (bench/markdown_shapes.py), before it minutes
SIZE = 10_000_000  # MAX_FILE_BYTES is 10 MiB
TOO_LONG = "article text too long (over 1,000,000 characters, the limit)"
SLOW = re.compile(
    r"Markdown too slow to parse within 3 s: the text from line ([\d,]+) on is kept as written"
)

_IMPORT = """
import json, sys
from store.core.errors import ImportFailed
from store.ingest.parse import parse_file
try:
    p = parse_file(__import__("pathlib").Path(sys.argv[1]))
except ImportFailed as exc:
    print(json.dumps({"error": str(exc)}))
else:
    print(json.dumps({"title": p.title, "text": p.text, "warnings": p.warnings}))
"""


def _import(path: Path, timeout: float = TIMEOUT) -> dict:
    """Import one file in a fresh interpreter: its Parsed fields, or {"error": one line}."""
    try:
        run = subprocess.run(
            [sys.executable, "-c", _IMPORT, str(path)],
            cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"importing {path.name} took over {timeout:g} s")
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)


def _rep(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


# Each shape cost markdown-it 10-45 µs a character: 1.5 to 6 minutes at the file size limit
# (bench/markdown_shapes.py; the shapes at 2-3 µs, 20-30 s, are there too). Parsed whole or
# cut by the budget, each makes more text than an article may hold.
HOSTILE = {
    "bang_bracket": "![",  # link labels, each scanned through skipToken
    "link_open": "[a](",  # link destinations
    "emph_mix": "*_",  # emphasis delimiters
    "underscores": "_",  # one run: markdown-it made a token of each character
    "quote_lines": "> a\n",  # nested quotes (the first line opens 20 levels)
    "hashes": "# a\n",  # a heading per line
    "setext": "a\n=\n",  # setext headings
    "lt_lines": "<\n",  # HTML block starts
    "short_lines": "a\n",  # markdown-it's set-up, per line
}


@pytest.mark.parametrize("shape", list(HOSTILE))
def test_hostile_markdown_at_the_size_limit_fails_in_one_line(shape: str, tmp_path: Path) -> None:
    path = tmp_path / f"{shape}.md"
    lead = "> " * 30 + "a\n" if shape == "quote_lines" else "a"
    path.write_text(lead + _rep(HOSTILE[shape], SIZE - len(lead)))
    assert _import(path) == {"error": TOO_LONG}


def test_nested_list_line_is_not_read_once_per_level(tmp_path: Path) -> None:
    """`- - - … a` at the size limit: markdown-it's thematic-break check read the line in
    Python at each of 10 list levels (about 20 s); now it takes under a second."""
    path = tmp_path / "nested.md"
    path.write_text(_rep("- ", SIZE - 1) + "a")
    assert _import(path, timeout=10) == {"error": "no article text found"}


HEAD = (
    "---\ntitle: Storm\n---\n"
    "First *real* paragraph with a [link](https://x.test).\n\n- one\n- two\n\n"
)
HEAD_TEXT = "First real paragraph with a link.\n\n• one\n\n• two"


def test_text_after_the_budget_is_kept_as_written(tmp_path: Path) -> None:
    """Inline markup past the budget stays as written; the warning names the file's line."""
    hostile = "![" * 450_000  # markdown-it: about 30 s; its text is the same whether parsed
    path = tmp_path / "inline.md"
    path.write_text(HEAD + hostile + "\n\nAfter **the** storm.\n")
    assert _import(path) == {
        "title": "Storm",
        "text": f"{HEAD_TEXT}\n\n{hostile}\n\nAfter **the** storm.",
        "warnings": [
            "Markdown too slow to parse within 3 s: the text from line 9 on is kept as written"
        ],
    }


def test_blocks_after_the_budget_are_plain_paragraphs(tmp_path: Path) -> None:
    """190,000 headings, then 8.5 million blank lines that make the block pass certain to run
    out (markdown-it's set-up costs about 1 µs a line): headings read in time are sections,
    the rest paragraphs as written, from the line the warning names (it depends on the
    machine; on a fast one, in the blank lines)."""
    n, first = 190_000, HEAD.count("\n") + 1  # heading i is on line first + 2 i
    path = tmp_path / "blocks.md"
    path.write_text(HEAD + "# a\n\n" * n + "\n" * 8_500_000)
    got = _import(path)
    assert got.keys() == {"title", "text", "warnings"}
    [warning] = got["warnings"]
    m = SLOW.fullmatch(warning)
    assert m, warning
    line = int(m.group(1).replace(",", ""))
    assert line >= first and (line >= first + 2 * n or (line - first) % 2 == 0)
    read = min((line - first) // 2, n)
    assert got["title"] == "Storm"
    assert got["text"] == "\n\n".join([HEAD_TEXT] + ["a"] * read + ["# a"] * (n - read))


def test_real_articles_repeated_parse_as_each_does_alone() -> None:
    """Half a megabyte of the shipped Markdown articles: no budget, piece or run bound shows."""
    bodies, texts, sections = [], [], []
    for name in ("002_central_bank_rates.md", "004_museum_reopens.md"):
        p = parse_markdown((ARTICLES / name).read_text())
        assert p.warnings == []
        bodies.append((ARTICLES / name).read_text().split("\n---\n", 1)[1])
        texts.append(p.text)
        sections.append([(s.title, s.level) for s in p.sections])
    p = parse_markdown("---\ntitle: Both\n---\n" + "\n\n".join(bodies * 50))
    assert p.warnings == []
    assert p.text == "\n\n".join(texts * 50)
    assert [(s.title, s.level) for s in p.sections] == (sections[0] + sections[1]) * 50


def test_long_emphasis_runs_are_text_and_short_ones_still_emphasise() -> None:
    p = parse_markdown(f"# T\n\nA {'*' * 100} run, a {'_' * 65}x, and *this* and __that__.\n")
    assert p.text == f"A {'*' * 100} run, a {'_' * 65}x, and this and that."


def test_thematic_breaks_still_break() -> None:
    p = parse_markdown("# T\n\nOne\n\n- - -\n\nTwo\n***\nThree\n\n_ _ _ _\n\n- a\n- - -\n")
    assert p.text == "One\n\nTwo\n\nThree\n\n• a"
