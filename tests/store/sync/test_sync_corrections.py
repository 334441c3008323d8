"""Entity corrections travel as facts: through a folder hub (fact-file format 2) and a FILE
sync, the latest by stamp winning on both sides; a fact file without one stays format 1;
an older gloss skips a format-2 file and reads it once upgraded; a library journals the
corrections made before its trigger existed; every crafted-bad correction of a peer is
refused with its reason (or waits), whatever carries it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store import Library
from store.core import hlc
from store.sync import log, pack
from tests.store.sync.test_hub import crafted, hub, packs
from tests.store.sync.test_peer_trust import assert_works, by_name, folder_with, one_peer
from tests.store.sync.test_sync import fork
from tests.store.sync.test_sync_hostile import note_bodies, sync_json

FLOOD = "f45707fa"  # the flood article: "Frankwell" (a district) at 243-252, tagged ORG
COLS = "correction_id, pos_start, pos_end, exact, kind, value, hlc, device"


def correct(lib: Library, prefix: str, quote: str, kind: str, value: str | None, cid: str) -> str:
    """A correction of the first `quote` in the article, stamped now; its stamp."""
    aid = lib.resolve(prefix)
    start, end = lib.find_quote(aid, quote)
    h = lib.handle
    with h.write() as w:
        stamp = h.stamp(w)
        w.execute(
            "INSERT INTO entity_corrections (correction_id, article, pos_start, pos_end, exact,"
            " kind, value, hlc, device) VALUES (?, (SELECT key FROM articles WHERE id = ?),"
            " ?, ?, ?, ?, ?, ?, ?)",
            (cid, aid, start, end, quote, kind, value, stamp, h.device_id),
        )
    return stamp


def rows(lib: Library) -> list[tuple]:
    """Every correction: (id, article id, start, end, exact, kind, value), oldest first."""
    return lib.conn.execute(
        "SELECT c.correction_id, a.id, pos_start, pos_end, exact, kind, value"
        " FROM entity_corrections c JOIN articles a ON a.key = c.article ORDER BY hlc"
    ).fetchall()


def latest(lib: Library) -> tuple:
    """The correction that decides the span (latest by stamp, then id)."""
    return lib.conn.execute(
        "SELECT correction_id, kind, value FROM entity_corrections"
        " ORDER BY hlc DESC, correction_id DESC LIMIT 1"
    ).fetchone()


@pytest.fixture
def pair(sample_library: Path, tmp_path: Path):
    a = fork(sample_library, tmp_path / "a.db")
    b = fork(sample_library, tmp_path / "b.db")
    yield a, b
    a.close()
    b.close()


def _flood(lib: Library) -> str:
    return lib.resolve(FLOOD)


# -- round trips ------------------------------------------------------------------------------


def test_a_correction_reaches_the_other_device_and_the_later_one_wins(pair, tmp_path: Path):
    a, b = pair
    folder = hub(tmp_path)
    stamp_a = correct(a, FLOOD, "Frankwell", "label", "LOC", "CA")
    a.sync(folder)
    b.sync(folder)
    aid = _flood(a)
    assert rows(b) == [("CA", aid, 243, 252, "Frankwell", "label", "LOC")]
    stamp_b = correct(b, FLOOD, "Frankwell", "label", "GPE", "CB")
    assert stamp_b > stamp_a  # b observed a's stamp when it merged it
    b.sync(folder)
    a.sync(folder)
    want = [("CA", aid, 243, 252, "Frankwell", "label", "LOC"),
            ("CB", aid, 243, 252, "Frankwell", "label", "GPE")]  # fmt: skip
    assert rows(a) == rows(b) == want
    assert latest(a) == latest(b) == ("CB", "label", "GPE")
    again = a.sync(folder)  # nothing new: nothing read, nothing written
    assert again.published is None and again.peers == []


def test_a_correction_travels_through_a_library_file(pair, tmp_path: Path):
    a, b = pair
    stick = tmp_path / "stick.gloss"
    correct(a, FLOOD, "Frankwell", "remove", None, "CA")
    a.sync(stick)
    b.sync(stick)
    aid = _flood(a)
    assert rows(b) == [("CA", aid, 243, 252, "Frankwell", "remove", None)]
    correct(b, FLOOD, "Frankwell", "reset", None, "CB")
    b.sync(stick)
    a.sync(stick)
    assert rows(a) == rows(b)
    assert latest(a) == latest(b) == ("CB", "reset", None)


def test_merged_corrections_show_in_the_article_entities(pair, tmp_path: Path):
    """The entity index of a corrected article is rebuilt at the merge (store.core: the
    entity index applies corrections, as helper "corr" writes it)."""
    a, b = pair
    folder = hub(tmp_path)
    correct(a, FLOOD, "Frankwell", "label", "GPE", "CA")
    a.sync(folder)
    b.sync(folder)
    [first] = [e for e in b.get_article(_flood(b)).entities if e.start == 243]
    assert (first.label, first.text) == ("GPE", "Frankwell")


# -- the fact file's format -------------------------------------------------------------------


def _segment_versions(path: Path, work: Path) -> list[int]:
    work.mkdir(exist_ok=True)
    out = []
    with path.open("rb") as f:
        size = f.seek(0, 2)
        for seg in pack.segments(f, size, lambda: work / f"s{len(out)}.db"):
            conn = sqlite3.connect(seg)
            out.append(conn.execute("PRAGMA user_version").fetchone()[0])
            conn.close()
    return out


def test_a_fact_file_without_corrections_stays_format_1(pair, tmp_path: Path, monkeypatch):
    a, _ = pair
    monkeypatch.setattr(pack, "SEGMENT_ARTICLES", 4)
    folder = hub(tmp_path)
    first = Path(a.sync(folder).published or "")
    assert _segment_versions(first, tmp_path / "w1") == [1, 1, 1]  # two of articles, the rest
    a.add_note(a.resolve("6055"), "a note")
    note = Path(a.sync(folder).published or "")
    assert _segment_versions(note, tmp_path / "w2") == [1]
    correct(a, FLOOD, "Frankwell", "label", "LOC", "CA")
    fix = Path(a.sync(folder).published or "")
    assert _segment_versions(fix, tmp_path / "w3") == [2]


def test_an_older_gloss_skips_a_format_2_file_and_reads_it_once_upgraded(
    pair, tmp_path: Path, monkeypatch
):
    a, b = pair
    folder = hub(tmp_path)
    b.sync(folder)
    a.add_note(a.resolve("6055"), "a note in format 1")
    a.sync(folder)
    correct(a, FLOOD, "Frankwell", "label", "LOC", "CA")
    a.sync(folder)
    with monkeypatch.context() as old:  # b runs a gloss that knows format 1 only
        old.setattr(pack, "PACK_VERSION", 1)
        report = b.sync(folder)
        skipped = [p.skipped for p in report.peers if p.skipped]
        assert skipped == [
            "written by a newer gloss (fact file format 2); upgrade gloss to read it"
        ]
        assert {n.body for n in b.notes()} == {"a note in format 1"}  # the format-1 file
        assert rows(b) == []
        again = b.sync(folder)  # named again, not read again
        assert [p.skipped for p in again.peers] == [skipped[0] + " (unchanged since)"]
    upgraded = b.sync(folder)
    assert [p.skipped for p in upgraded.peers] == [None]
    assert rows(b) == [("CA", _flood(b), 243, 252, "Frankwell", "label", "LOC")]


def test_corrections_made_before_the_journal_knew_them_are_published(pair, tmp_path: Path):
    """A library synced before its corrections table had a trigger (made, or upgraded into
    it, before this gloss): the next sync adds the trigger and publishes what it holds."""
    a, b = pair
    folder = hub(tmp_path)
    a.sync(folder)
    with a.write() as w:
        w.execute("DROP TRIGGER entity_corrections_journal")
    correct(a, FLOOD, "Frankwell", "label", "LOC", "CA")  # not journaled
    a.sync(folder)
    assert a.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'entity_corrections_journal'"
    ).fetchone()
    b.sync(folder)
    assert [r[0] for r in rows(b)] == ["CA"]
    correct(a, FLOOD, "Frankwell", "label", "GPE", "CA2")  # journaled by the trigger
    a.sync(folder)
    b.sync(folder)
    assert [r[0] for r in rows(b)] == ["CA", "CA2"]


def test_own_files_of_both_formats_roll_into_one(pair, tmp_path: Path, monkeypatch):
    a, b = pair
    monkeypatch.setattr(log, "COMPACT_AT", 3)
    monkeypatch.setattr(log, "COMPACT_GRACE_S", 0)
    folder = hub(tmp_path)
    a.sync(folder)
    a.add_note(a.resolve("6055"), "format 1")
    a.sync(folder)
    correct(a, FLOOD, "Frankwell", "label", "LOC", "CA")
    report = a.sync(folder)
    assert report.compacted == 2
    assert len(packs(folder, a.device_id)) == 2
    b.sync(folder)
    assert {n.body for n in b.notes()} == {"format 1"}
    assert [r[0] for r in rows(b)] == ["CA"]


def test_a_schema_5_peer_without_the_table_merges_as_before(gloss, libs, tmp_path: Path):
    ours, b, _ = libs
    got = one_peer(gloss, b, tmp_path, ours, lambda c: c.execute("DROP TABLE entity_corrections"))
    assert (got["skipped"], got["refused"], got["refusals"]) == (None, 0, [])
    with Library.open(ours) as lib:
        assert {n.body for n in lib.notes()} == {"a good note from the peer"}


def test_a_view_in_place_of_the_table_is_not_read(gloss, libs, tmp_path: Path):
    ours, b, _ = libs

    def craft(conn: sqlite3.Connection) -> None:
        conn.execute("DROP TABLE entity_corrections")
        conn.execute(
            "CREATE VIEW entity_corrections AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
            " SELECT i + 1 FROM n) SELECT i AS correction_id, i AS article, i AS pos_start,"
            " i AS pos_end, i AS exact, i AS kind, i AS value, i AS hlc, i AS device FROM n"
        )

    folder, bad = folder_with(b, tmp_path, craft)
    report = sync_json(gloss, folder, ours, code=1)
    peers = by_name(report)
    assert peers[bad.name]["skipped"] == "not merged: entity_corrections is a view, not a table"
    assert peers[f"{b.device_id}.gloss"]["skipped"] is None  # b's own file: merged
    assert note_bodies(ours) == {"a good note from the peer"}
    assert_works(gloss, ours, report)


# -- crafted corrections: refused with their reason -------------------------------------------

BAD = "entity corrections with unsafe or malformed values"
LARGE = "entity corrections larger than an import admits"
FUTURE = f"{hlc.now_ms() + 10 * hlc.MAX_DRIFT_MS:013d}.00000.0123456789abcdef"
CASES = {  # the crafted update of the good correction: the reason it is refused
    "kind unknown": ("kind = 'rename'", BAD),
    "label lower-case": ("value = 'place'", BAD),
    "label with a space": ("value = 'TOWN HALL'", BAD),
    "label too long": ("value = '" + "A" * 33 + "'", BAD),
    "label as a number": ("value = 7", BAD),
    "remove with a value": ("kind = 'remove'", BAD),
    "alias without a value": ("kind = 'alias', value = NULL", BAD),
    "name on two lines": ("kind = 'name', value = 'Frank' || char(10) || 'well'", BAD),
    "name with an escape": ("kind = 'name', value = 'Frank' || char(27) || '[2J'", BAD),
    "name too long": ("kind = 'name', value = '" + "n" * 201 + "'", LARGE),
    "start as text": ("pos_start = 'two'", BAD),  # (a number as text: INTEGER made it one)
    "start as a real": ("pos_start = 243.5", BAD),
    "exact as bytes": ("exact = CAST(exact AS BLOB)", BAD),
    "empty id": ("correction_id = ''", BAD),
    "device too long": ("device = '" + "d" * 65 + "'", LARGE),
    "span past the text": ("pos_end = 100000000",
                           "entity corrections with a span outside the article text"),
    "empty span": ("pos_end = pos_start",
                   "entity corrections with a span outside the article text"),
    "quote not the text": ("exact = 'Frankwelt'",
                           "entity corrections whose quote is not the article text at their span"),
    "offsets moved": ("pos_start = pos_start + 1, pos_end = pos_end + 1",
                      "entity corrections whose quote is not the article text at their span"),
    "unknown article": ("article = 999999", "entity corrections about an article not merged"),
    "stamp not a stamp": ("hlc = 'yesterday'",
                          "entity corrections whose stamp is not a clock stamp"),
}  # fmt: skip


def _bad_correction(b: Library) -> None:
    correct(b, FLOOD, "Frankwell", "label", "GPE", "CB")


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_crafted_correction_in_a_library_file_is_refused(gloss, libs, tmp_path, case):
    ours, b, _ = libs
    change, reason = CASES[case]
    _bad_correction(b)
    got = one_peer(gloss, b, tmp_path, ours,
                   lambda c: c.execute(f"UPDATE entity_corrections SET {change}"))  # fmt: skip
    assert (got["skipped"], got["refused"], got["waiting"]) == (None, 1, 0)
    assert got["refusals"] == [f"1 {reason}"]
    with Library.open(ours) as lib:
        assert rows(lib) == []
        assert {n.body for n in lib.notes()} == {"a good note from the peer"}


@pytest.mark.parametrize("case", ["label lower-case", "quote not the text", "unknown article",
                                  "name too long", "start as text"])  # fmt: skip
def test_a_crafted_correction_in_a_fact_file_is_refused(pair, tmp_path, case):
    a, b = pair
    change, reason = CASES[case]
    stage = hub(tmp_path, "stage")
    b.sync(stage)
    _bad_correction(b)
    b.add_note(b.resolve("6055"), "a good note")
    good = Path(b.sync(stage).published or "")
    folder = hub(tmp_path)
    crafted(good, folder / "crafted.glosspack", tmp_path / "work",
            f"UPDATE entity_corrections SET {change}")  # fmt: skip
    [peer] = a.sync(folder).peers
    assert (peer.skipped, peer.refused, peer.waiting) == (None, 1, 0)
    assert peer.refusals == [f"1 {reason}"]
    assert rows(a) == []
    assert {n.body for n in a.notes()} == {"a good note"}


def test_a_correction_stamped_far_ahead_waits(gloss, libs, tmp_path: Path):
    ours, b, _ = libs
    _bad_correction(b)
    later = f"UPDATE entity_corrections SET hlc = '{FUTURE}'"
    got = one_peer(gloss, b, tmp_path, ours, lambda c: c.execute(later))
    assert (got["refused"], got["waiting"]) == (0, 1)
    assert got["refusals"] == [
        "1 entity corrections stamped more than a day ahead of this machine's clock"
        " (merged when due)"
    ]
    with Library.open(ours) as lib:
        assert rows(lib) == []
        assert (lib.handle.clock() or hlc.Stamp(0, 0, "")).wall < hlc.now_ms() + hlc.MAX_DRIFT_MS


def test_every_kind_as_gloss_writes_it_is_merged(gloss, libs, tmp_path: Path):
    ours, b, _ = libs
    for n, (kind, value) in enumerate([("label", "PERSON"), ("label", "SHIP_NAME"),
                                       ("remove", None), ("alias", "Frankwell Quay"),
                                       ("split", None), ("name", "Frankwell, Shrewsbury"),
                                       ("reset", None)]):  # fmt: skip
        correct(b, FLOOD, "Frankwell", kind, value, f"C{n}")
    got = one_peer(gloss, b, tmp_path, ours, lambda c: None)
    assert (got["refused"], got["refusals"]) == (0, [])
    with Library.open(ours) as lib:
        assert [r[5:] for r in rows(lib)] == [
            ("label", "PERSON"), ("label", "SHIP_NAME"), ("remove", None),
            ("alias", "Frankwell Quay"), ("split", None), ("name", "Frankwell, Shrewsbury"),
            ("reset", None),
        ]  # fmt: skip
    assert_works(gloss, ours)


@pytest.mark.parametrize(
    "sql",
    [("DROP TABLE entity_corrections",),  # format 2 without its table
     ("PRAGMA user_version = 1",)],  # format 1 with a table of format 2
)  # fmt: skip
def test_a_fact_file_not_laid_out_as_its_format_is_refused(pair, tmp_path, sql):
    a, b = pair
    stage = hub(tmp_path, "stage")
    b.sync(stage)
    _bad_correction(b)
    good = Path(b.sync(stage).published or "")
    folder = hub(tmp_path)
    crafted(good, folder / "odd.glosspack", tmp_path / "work", *sql)
    [peer] = a.sync(folder).peers
    assert peer.skipped == "not laid out as a gloss fact file (its tables are not ours)"
    assert rows(a) == []


TABLE = (
    "CREATE TABLE entity_corrections (correction_id TEXT PRIMARY KEY, article INTEGER NOT NULL,"
    " pos_start INTEGER NOT NULL, pos_end INTEGER NOT NULL, exact TEXT NOT NULL, kind TEXT NOT"
    " NULL, value TEXT, hlc TEXT NOT NULL, device TEXT NOT NULL)"
)


def test_a_library_without_the_table_lets_corrections_wait_until_upgraded(pair, tmp_path: Path):
    """A library made before corrections (not upgraded yet) syncs the rest; the corrections
    wait, and are merged (and journaled) once it has the table."""
    a, b = pair
    folder = hub(tmp_path)
    with b.write() as w:
        w.execute("DROP TABLE entity_corrections")
    correct(a, FLOOD, "Frankwell", "label", "LOC", "CA")
    a.add_note(a.resolve("6055"), "a note")
    a.sync(folder)
    [peer] = b.sync(folder).peers
    assert (peer.skipped, peer.refused, peer.waiting) == (None, 0, 1)
    assert peer.refusals == [
        "1 entity corrections of a kind this library has no table for yet (merged once it is"
        " upgraded)"
    ]
    assert {n.body for n in b.notes()} == {"a note"}
    with b.write() as w:  # (what the upgrade of an older library does)
        w.execute(TABLE)
    [again] = b.sync(folder).peers
    assert (again.waiting, again.refused) == (0, 0)
    assert rows(b) == [("CA", _flood(b), 243, 252, "Frankwell", "label", "LOC")]
    correct(b, FLOOD, "Frankwell", "label", "GPE", "CB")  # journaled: it reaches a
    b.sync(folder)
    a.sync(folder)
    assert latest(a) == ("CB", "label", "GPE")
