"""Notes survive a changed article: re-anchoring by position, exact quote, fuzzy quote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store import Library
from store.core.models import Anchor
from store.notes.anchoring import reanchor

TITLE = "Council Budget Row"
P1 = "The council met on Tuesday to debate the annual budget."
P2 = (
    "The mayor said the budget was unfair to small businesses in the north of the city. "
    "Several councillors agreed with her."
)
P3 = "Residents who spoke at the meeting disagreed with the mayor."
QUOTE = "the budget was unfair to small businesses in the north"
BASE = f"{P1}\n\n{P2}\n\n{P3}"

# case -> (new body, expected (start, end) or None for an orphan)
CASES = {
    "unchanged": (BASE, (72, 126)),
    "typo fixed elsewhere": (BASE.replace("Tuesday", "Thursday"), (73, 127)),
    "sentence inserted before": (
        f"{P1} A late amendment was tabled.\n\n{P2}\n\n{P3}", (101, 155)
    ),
    "paragraph reordered": (f"{P3}\n\n{P1}\n\n{P2}", (134, 188)),
    "quote reworded slightly": (
        BASE.replace("unfair to small businesses", "unfair to small firms"), (72, 121)
    ),
    "typo fixed inside the quote": (BASE.replace("north", "nort"), (72, 125)),
    "quote deleted": (f"{P1}\n\n{P3}", None),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_reanchor_function(case: str) -> None:
    start = BASE.index(QUOTE)
    anchor = Anchor.from_range(BASE, start, start + len(QUOTE))
    text, expected = CASES[case]
    assert reanchor(anchor, text) == expected


def write(path: Path, body: str) -> None:
    path.write_text(f"{TITLE}\n\n{body}\n", encoding="utf-8")


@pytest.mark.parametrize("case", list(CASES))
def test_reimport_moves_notes(fresh_lib: Library, tmp_path: Path, no_model, case: str) -> None:
    lib = fresh_lib
    src = tmp_path / "article.txt"
    write(src, BASE)
    [first] = lib.import_paths([src]).results
    old = first.article_id
    assert old is not None
    passage = lib.add_note(old, "why only the north?", *lib.find_quote(old, QUOTE))
    whole = lib.add_note(old, "follow up next week")
    lit = lib.highlight(old, *lib.find_quote(old, "Several councillors agreed with her."))
    lib.tag(old, add=["local/politics"])
    lib.set_starred(old)
    body, expected = CASES[case]
    write(src, body)
    [second] = lib.import_paths([src]).results
    new = second.article_id
    if body == BASE:
        assert second.status == "present"
        return
    assert second.status == "imported" and new != old
    assert f"new version of {old[:8]}" in (second.reason or "")
    # the old version is hidden; its notes, tags and star are on the new one
    assert [a.id for a in lib.list_articles()] == [new]
    assert lib.summary(new).tags == ("local/politics",) and lib.summary(new).starred
    moved = {n.id: n for n in lib.notes(new)}
    assert set(moved) == {passage.id, whole.id, lit.id}
    assert lib.notes(old) == []
    assert moved[whole.id].anchor is None and moved[whole.id].body == "follow up next week"
    note = moved[passage.id]
    text = lib.get_article(new).text
    if expected is None:
        assert note.anchor is None
        assert note.orphan is not None and note.orphan.exact == QUOTE
        assert note.to_json()["orphaned_quote"] == QUOTE
        assert note.body == "why only the north?"
    else:
        assert note.anchor is not None
        assert (note.anchor.start, note.anchor.end) == expected
        assert text[note.anchor.start : note.anchor.end] == note.anchor.exact
    # edits to a moved note (orphan or not) keep its anchor or quote
    edited = lib.edit_note(passage.id, "edited after the move")
    assert (edited.anchor, edited.orphan) == (note.anchor, note.orphan)
    assert lib.stats()["notes"] == 2 and lib.stats()["articles"] == 1


def test_two_machines_importing_the_same_version_converge(
    sample_library: Path, tmp_path: Path, no_model
) -> None:
    from tests.store.sync.test_sync import fork, snapshot

    src = tmp_path / "article.txt"
    write(src, BASE)
    a = fork(sample_library, tmp_path / "a.db")
    b = fork(sample_library, tmp_path / "b.db")
    aid = a.import_paths([src]).results[0].article_id
    n = a.add_note(aid, "shared", *a.find_quote(aid, QUOTE))  # type: ignore[arg-type]
    folder = tmp_path / "Sync"
    folder.mkdir()
    a.sync(folder)
    b.sync(folder)
    write(src, CASES["sentence inserted before"][0])
    a.import_paths([src])  # both machines see the new version and move the note alike
    b.import_paths([src])
    a.sync(folder)
    b.sync(folder)
    a.sync(folder)
    assert snapshot(a) == snapshot(b)
    [moved] = [x for x in a.notes() if x.id == n.id]
    assert not moved.conflict and moved.anchor is not None and moved.anchor.start == 101


def test_cli_shows_an_orphan_with_its_quote(gloss, tmp_path: Path, no_model) -> None:
    src = tmp_path / "article.txt"
    write(src, BASE)
    gloss("import", str(src))
    aid = json.loads(gloss("list", "--json")[1])[0]["id"]
    gloss("note", aid, "why only the north?", "--quote", QUOTE)
    write(src, CASES["quote deleted"][0])
    gloss("import", str(src))
    code, out, _ = gloss("notes")
    assert code == 0 and "ORPHANED" in out and f"> {QUOTE}" in out
    new = json.loads(gloss("list", "--json")[1])[0]["id"]
    code, out, _ = gloss("show", new)
    assert "ORPHANED" in out and QUOTE in out


# -- a long quote: found in time linear in the text times the quote -------------------------


def _sentence(i: int) -> str:
    ward, cost = i * 37 % 101, i * 113 % 997
    return f"Item {i} of the council budget went to ward {ward}, costing {cost} pounds."


LONG_TEXT = " ".join(_sentence(i) for i in range(400))  # 27,007 characters, much alike
LONG_START, LONG_END = LONG_TEXT.index("Item 150 "), LONG_TEXT.index(" Item 187 ")
LONG_EDITS = [
    ("Item 155 of the council budget", "Item 155 of the city budget"),
    ("costing 905 pounds.", "costing about 905 pounds, it was said."),
    ("Item 170 of the council budget went to ward 28, costing 267 pounds. ", ""),
    ("ward 48,", "ward forty-eight,"),
    ("Item 184 of the council", "Item 184 of that council"),
]


def _long_case() -> tuple[Anchor, str, str]:
    quote = LONG_TEXT[LONG_START:LONG_END]
    edited = quote
    for old, new in LONG_EDITS:
        assert edited.count(old) == 1
        edited = edited.replace(old, new)
    before = LONG_TEXT[:LONG_START].replace("Item 3 of", "Item three of")  # moves it by 4
    text = before + edited + LONG_TEXT[LONG_END:]
    return Anchor.from_range(LONG_TEXT, LONG_START, LONG_END), text, edited


def test_a_long_edited_quote_is_found_where_it_now_is() -> None:
    anchor, text, edited = _long_case()
    assert (len(anchor.exact), anchor.start) == (2505, 10060)
    found = reanchor(anchor, text)
    assert found == (10064, 12527)
    assert text[10064:12527] == edited
    assert text[10064:10093] == "Item 150 of the council budge"


class _Cells:
    """Counts the work of the rapidfuzz calls anchoring makes: the characters of one
    string times those of the other, summed (a ratio or alignment costs about that)."""

    def __init__(self, target: object, limit: int) -> None:
        self._target, self._limit = target, limit
        self.cells = 0

    def __getattr__(self, name: str) -> object:
        fn = getattr(self._target, name)

        def counted(a: str, b: str, **kw: object) -> object:
            self.cells += len(a) * len(b)
            if self.cells > self._limit:
                raise AssertionError(f"anchoring did more than {self._limit:,} cells of work")
            return fn(a, b, **kw)

        return counted


def test_a_long_quote_costs_a_few_alignments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: every pair of ends within an eighth of the quote was tried, (n/4)^2 ratios,
    each as costly as the quote squared: minutes for a 2,500-character quote."""
    from rapidfuzz.distance import Indel

    from store.notes import anchoring

    anchor, text, edited = _long_case()
    limit = 40 * len(anchor.exact) ** 2
    monkeypatch.setattr(anchoring, "fuzz", fuzz := _Cells(anchoring.fuzz, limit))
    indel = _Cells(Indel, limit)
    monkeypatch.setattr(anchoring, "Indel", indel, raising=False)
    assert reanchor(anchor, text) == (10064, 12527)
    assert fuzz.cells + indel.cells <= limit


def test_reimport_moves_a_long_highlight(fresh_lib: Library, tmp_path: Path, no_model) -> None:
    lib = fresh_lib
    src = tmp_path / "budget.txt"
    src.write_text(f"Budget Items\n\n{LONG_TEXT}\n", encoding="utf-8")
    [first] = lib.import_paths([src]).results
    old = first.article_id
    assert old is not None
    lit = lib.highlight(old, *lib.find_quote(old, LONG_TEXT[LONG_START:LONG_END]))
    _, text, edited = _long_case()
    src.write_text(f"Budget Items\n\n{text}\n", encoding="utf-8")
    [second] = lib.import_paths([src]).results
    assert second.reason == f"new version of {old[:8]}: 1 notes re-anchored, 0 orphaned"
    [moved] = lib.notes(second.article_id)
    assert moved.id == lit.id and moved.anchor is not None
    assert (moved.anchor.start, moved.anchor.end) == (10064, 12527)
    assert moved.anchor.exact == edited


def test_places_planned_before_the_write_lock_are_used(
    fresh_lib: Library, tmp_path: Path, no_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """versions.plan_places anchors a new version's notes with no lock held; supersede then
    writes them without anchoring again."""
    from store.notes import versions

    lib = fresh_lib
    first, second = tmp_path / "v1.txt", tmp_path / "v2.txt"
    write(first, BASE)
    write(second, CASES["sentence inserted before"][0])  # another source: not a new version
    old = lib.import_paths([first]).results[0].article_id
    new = lib.import_paths([second]).results[0].article_id
    assert old and new
    note = lib.add_note(old, "why only the north?", *lib.find_quote(old, QUOTE))
    places = versions.plan_places(lib.conn, old, lib.get_article(new).text)
    assert places == {note.revision: (101, 155)}

    def no_anchoring(*args: object) -> None:
        raise AssertionError("anchored under the write lock")

    monkeypatch.setattr(versions, "reanchor", no_anchoring)
    with lib.write() as conn:
        moved = versions.supersede(conn, old, new, lib.stamp(conn), lib.device_id, places)
    assert moved == {"moved": 1, "reanchored": 1, "orphaned": 0}
    [after] = lib.notes(new)
    assert after.id == note.id and after.anchor is not None
    assert (after.anchor.start, after.anchor.end, after.anchor.exact) == (101, 155, QUOTE)


def test_reimport_anchors_before_taking_the_write_lock(
    fresh_lib: Library, tmp_path: Path, no_model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-imported new version's notes are placed with no write lock held: another writer
    gets in while they are anchored, and nothing is anchored again under the lock."""
    import sqlite3

    from store.notes import versions

    lib = fresh_lib
    src = tmp_path / "budget.txt"
    src.write_text(f"Budget Items\n\n{LONG_TEXT}\n", encoding="utf-8")
    [first] = lib.import_paths([src]).results
    old = first.article_id
    assert old is not None
    lib.highlight(old, *lib.find_quote(old, LONG_TEXT[LONG_START:LONG_END]))
    planned, real_reanchor = versions.plan_places, versions.reanchor
    writes: list[int] = []
    planning = [False]

    def plan_while_another_writes(conn: object, old_id: str, text: str) -> versions.Places:
        other = sqlite3.connect(lib.path, timeout=0.1)
        other.execute("BEGIN IMMEDIATE")  # "database is locked" if the import held the lock
        writes.append(1)
        other.rollback()
        other.close()
        planning[0] = True
        try:
            return planned(conn, old_id, text)  # type: ignore[arg-type]
        finally:
            planning[0] = False

    def no_anchoring(*args: object) -> object:
        if not planning[0]:
            raise AssertionError("anchored under the write lock")
        return real_reanchor(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(versions, "plan_places", plan_while_another_writes)
    monkeypatch.setattr(versions, "reanchor", no_anchoring)
    _, text, _ = _long_case()
    src.write_text(f"Budget Items\n\n{text}\n", encoding="utf-8")
    [second] = lib.import_paths([src]).results
    assert writes == [1]
    assert second.reason == f"new version of {old[:8]}: 1 notes re-anchored, 0 orphaned"
    [moved] = lib.notes(second.article_id)
    assert (moved.anchor.start, moved.anchor.end) == (10064, 12527)  # type: ignore[union-attr]


@pytest.mark.parametrize("n", [10_000, 15_000])
def test_a_very_long_quote_with_scattered_edits_keeps_its_ends(n: int) -> None:
    """Every 37th character of a 10,000-15,000-character highlight changed: the ends stay
    where the passage is (the alignment of the middle once slid the start 1,219 back)."""
    import random

    rng = random.Random(3)
    words = "the council said on tuesday that the budget vote was delayed by a storm".split()
    text = " ".join(rng.choice(words) + str(rng.randint(0, 999)) for _ in range(8_000))
    s = 20_000
    quote = text[s : s + n]
    edited = "".join("#" if i % 37 == 0 else c for i, c in enumerate(quote))
    new_text = text[:s] + edited + text[s + n :]
    found = reanchor(Anchor(s, s + n, quote, text[s - 32 : s], text[s + n : s + n + 32]), new_text)
    assert found is not None
    assert abs(found[0] - s) <= 16 and abs(found[1] - (s + n)) <= 16
