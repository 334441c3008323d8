"""`gloss entity NAME` and the library-wide `gloss entities`: output, JSON and errors, on the
four dated articles of tests/fixtures/entity_page."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FIXTURES
from tui.entity_view import bar, months

ARTS = FIXTURES / "entity_page"


def imported(gloss) -> None:
    code, _, err = gloss("import", str(ARTS), "--json")
    assert code == 0, err


def test_entity_page_plain_text(gloss, tmp_path: Path, analyzer) -> None:
    imported(gloss)
    code, out, err = gloss("entity", "angela merkel", "--limit", "2")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:8] == [
        "Angela Merkel   PERSON",
        "3 articles · 4 mentions",
        "",
        "Articles by month",
        "2024-01  " + "█" * 20 + " " * 20 + " 1",
        "2024-02  " + " " * 40 + " 0",
        "2024-03  " + "█" * 40 + " 2",
        "",
    ]
    assert lines[8] == "Mentioned with (in its newest 3 articles)"
    assert lines[9].split() == ["2", "GPE", "Germany"]
    start = lines.index("Articles (1–2 of 3, newest first)")
    assert [line.split("  ", 2)[2] for line in lines[start + 1 :: 2]] == [
        "Energy ministers gather", "A visit to Paris",
    ]  # fmt: skip
    assert lines[start + 2] == "    Angela Merkel sent a message of support to the ministers."
    assert "\x1b" not in out


def test_entity_json_and_offset(gloss, tmp_path: Path, analyzer) -> None:
    imported(gloss)
    code, out, _ = gloss("entity", "Angela Merkel", "--json", "--limit", "1", "--offset", "2")
    assert code == 0
    data = json.loads(out)
    assert (data["name"], data["label"], data["articles"], data["offset"]) == (
        "Angela Merkel", "PERSON", 3, 2,
    )  # fmt: skip
    assert [i["article"]["title"] for i in data["items"]] == ["Talks in Berlin"]
    assert data["timeline"] == [{"month": "2024-01", "articles": 1},
                                {"month": "2024-03", "articles": 2}]  # fmt: skip


def test_unknown_entity_is_one_line_with_suggestions(gloss, tmp_path: Path, analyzer) -> None:
    imported(gloss)
    code, out, err = gloss("entity", "Angela Merkl")
    assert (code, out) == (1, "")
    assert err == "gloss: no entity 'Angela Merkl' in the library; did you mean 'Angela Merkel'?\n"
    code, _, err = gloss("entity", "Angela Merkel", "--label", "org")
    assert code == 1
    assert err == "gloss: no entity 'Angela Merkel' with label ORG in the library\n"
    code, _, err = gloss("entity", "\x1b[31mred")
    assert (code, err) == (1, "gloss: no entity '\\x1b[31mred' in the library\n")


def test_library_entities_names_first_numbers_with_all(gloss, tmp_path: Path, analyzer) -> None:
    imported(gloss)
    code, out, _ = gloss("entities", "--limit", "3")
    assert code == 0
    assert out.splitlines() == [
        "    3  PERSON       Angela Merkel  (4 mentions)",
        "    3  PERSON       Emmanuel Macron  (3 mentions)",
        "    2  GPE          France  (2 mentions)",
    ]
    code, out, _ = gloss("entities", "--json")
    assert {e["label"] for e in json.loads(out)} == {"PERSON", "GPE"}
    code, out, _ = gloss("entities", "--all", "--json")
    assert {"CARDINAL", "DATE"} <= {e["label"] for e in json.loads(out)}
    code, out, _ = gloss("entities", "--label", "DATE", "--json")
    assert [(e["text"], e["articles"]) for e in json.loads(out)] == [("Monday", 1),
                                                                    ("the spring", 1)]  # fmt: skip


def test_bars_and_months() -> None:
    assert bar(0, 10) == ""
    assert bar(1, 1000, width=10) == "▏"
    assert bar(5, 10, width=10) == "█████"
    assert bar(3, 8, width=2) == "▊"
    assert months((("2023-11", 2), ("2024-02", 1))) == [
        ("2023-11", 2), ("2023-12", 0), ("2024-01", 0), ("2024-02", 1),
    ]  # fmt: skip
    assert months(()) == []
