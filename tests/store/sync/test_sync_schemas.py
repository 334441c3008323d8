"""Peers of either schema: a schema-4 library file (published before the compact schema)
merges through `gloss sync FILE`, its facts re-keyed and its entity rows packed; a schema-5
peer's analysis blobs are checked, and a bad one is refused with a reason while the rest
of the peer merges."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from store import Library
from store.core import codec, db, legacy
from store.ingest.fetch import url_id
from store.ingest.importer import legacy_id
from tests.store.sync.test_sync import fork

OLD_TEXT = "Ada Lovelace wrote to Charles Babbage from London.\n\nThey met in Paris in 1840."
OLD_MODEL = "en_core_web_sm"
FEED_URL = "https://old.example.com/feed.xml"


def schema4_peer(path: Path, ours: Path, shared: str) -> str:
    """A schema-4 library file written as gloss wrote them before schema 5 (0001-0004, rows
    keyed by hex id, one row per entity and sentence): the `shared` article copied from
    `ours` with a note and a star on it, and one article of its own, analysed, tagged and
    brought by a feed. Returns the id of its own article."""
    conn = sqlite3.connect(path, isolation_level=None)
    legacy.migrate_v4(conn, path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    src = sqlite3.connect(ours)
    cols = "id, title, byline, source, published, imported_at, text, structure"
    row = src.execute(f"SELECT {cols} FROM articles WHERE id = ?", (shared,)).fetchone()
    src.close()
    new = legacy_id(OLD_TEXT)
    structure = json.dumps({"sections": [], "paragraphs": [[0, 50], [52, len(OLD_TEXT)]]})
    stamp = "1767225600000.00000.0123456789abcdef"
    conn.execute("BEGIN")
    conn.execute(f"INSERT INTO articles ({cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
    conn.execute(
        f"INSERT INTO articles ({cols}) VALUES (?, 'From the old machine', NULL, NULL, NULL,"
        " '2025-06-01T00:00:00+00:00', ?, ?)",
        (new, OLD_TEXT, structure),
    )
    conn.execute("INSERT INTO analyses VALUES (?, ?, '2025-06-01T00:00:01+00:00')",
                 (new, OLD_MODEL))  # fmt: skip
    spans = [("Ada Lovelace", "PERSON"), ("Charles Babbage", "PERSON"), ("London", "GPE"),
             ("Paris", "GPE"), ("1840", "DATE")]  # fmt: skip
    for text, label in spans:
        start = OLD_TEXT.index(text)
        conn.execute("INSERT INTO entities VALUES (?, ?, ?, ?, ?, ?)",
                     (new, OLD_MODEL, start, start + len(text), label, text))  # fmt: skip
    conn.executemany("INSERT INTO sentences VALUES (?, ?, ?, ?)",
                     [(new, OLD_MODEL, 0, 50), (new, OLD_MODEL, 52, len(OLD_TEXT))])  # fmt: skip
    # An analysis of the shared article whose entity runs past the end of our text.
    conn.execute("INSERT INTO analyses VALUES (?, 'bad-model', '2030-01-01T00:00:00+00:00')",
                 (shared,))  # fmt: skip
    conn.execute("INSERT INTO entities VALUES (?, 'bad-model', 0, ?, 'PERSON', 'x')",
                 (shared, len(row[6]) + 5))  # fmt: skip
    at = row[6].index("Samarkand")
    conn.execute(
        "INSERT INTO note_revisions VALUES ('01OLDREV0000000000000000RV',"
        " '01OLDNOTE00000000000000NTE', '[]', ?, ?, ?, 'Samarkand', '', '',"
        " 'written before schema 5', 0, ?, '0123456789abcdef')",
        (shared, at, at + len("Samarkand"), stamp),
    )
    conn.executemany(
        "INSERT INTO events VALUES (?, ?, ?, 1, ?, '0123456789abcdef')",
        [("01OLDEVT1", shared, "starred", stamp), ("01OLDEVT2", new, "tag:from-old", stamp)],
    )
    fid = url_id(FEED_URL)
    conn.execute("INSERT INTO feeds VALUES (?, ?, 'Old feed', ?, '0123456789abcdef')",
                 (fid, FEED_URL, stamp))  # fmt: skip
    conn.execute("INSERT INTO feed_events VALUES ('01OLDFE1', ?, 'subscribed', '1', ?, 'x')",
                 (fid, stamp))  # fmt: skip
    conn.execute("INSERT INTO feed_entries VALUES (?, 'g1', ?, 'https://old.example.com/1',"
                 " NULL, ?, '0123456789abcdef')", (fid, new, stamp))  # fmt: skip
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = DELETE")  # a published file has no WAL beside it
    conn.close()
    return new


def test_schema4_peer_merges_through_gloss_sync(gloss, sample_library: Path, tmp_path: Path):
    ours = tmp_path / "library.db"
    shutil.copy(sample_library, ours)
    with Library.open(ours) as lib:
        shared = lib.resolve("6055")
    peer = tmp_path / "old.gloss"
    new = schema4_peer(peer, ours, shared)

    code, out, err = gloss("sync", str(peer), "--json", db=ours)
    assert code == 0, err
    (result,) = json.loads(out)["peers"]
    assert result["skipped"] is None
    # 2 articles (one ours already), 1 analysis, 1 revision, 2 events, feed, event, entry
    assert result["received"] == 8
    assert (result["refused"], result["refusals"]) == (
        1, ["1 analyses with spans outside the article text"]
    )  # fmt: skip

    with Library.open(ours) as lib:
        got = lib.get_article(new)
        assert got.title == "From the old machine" and got.model == OLD_MODEL
        assert {(e.text, e.label) for e in got.entities} == {
            ("Ada Lovelace", "PERSON"), ("Charles Babbage", "PERSON"), ("London", "GPE"),
            ("Paris", "GPE"), ("1840", "DATE"),
        }  # fmt: skip
        assert [(s.start, s.end) for s in got.sentences] == [(0, 50), (52, len(OLD_TEXT))]
        assert lib.summary(new).tags == ("from-old",)
        assert [a.id for a in lib.articles_mentioning("Charles Babbage", "PERSON")] == [new]
        (note,) = lib.notes(shared)
        assert (note.body, note.anchor.exact) == ("written before schema 5", "Samarkand")
        assert lib.summary(shared).starred is True
        assert lib.get_article(shared).model != "bad-model"
        assert [f.url for f in lib.feeds.of(new)] == [FEED_URL]
        assert lib.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"

    # The file was published back: it is now this library, in schema 5, and holds it all.
    check = sqlite3.connect(f"{peer.resolve().as_uri()}?mode=ro", uri=True)
    assert check.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert check.execute("SELECT count(*) FROM articles WHERE id = ?", (new,)).fetchone() == (1,)
    check.close()
    code, out, err = gloss("sync", str(peer), "--json", db=ours)
    assert code == 0, err
    again = json.loads(out)["peers"][0]
    assert (again["received"], again["refused"]) == (0, 0) or again["unchanged"]


def _blob_peer(a: Library, b: Library, path: Path) -> tuple[str, list[str]]:
    """b's library published to `path`, with analyses under a new model: one good, three
    bad (a span past the text's end, junk bytes, bytes after the end). Returns the article of
    the good one and of the bad ones."""
    b.sync(path)
    ids = [s.id for s in a.list_articles()][:4]
    conn = sqlite3.connect(path)
    keys = [conn.execute("SELECT key, length(text) FROM articles WHERE id = ?", (i,)).fetchone()
            for i in ids]  # fmt: skip
    model = conn.execute("INSERT INTO models (name) VALUES ('peer-model') RETURNING key")
    model = model.fetchone()[0]
    good = codec.pack_entities([(0, 4, "ORG")])
    sents = codec.pack_sentences([(0, 4)])
    blobs = [
        (good, sents),
        (codec.pack_entities([(0, keys[1][1] + 1, "PERSON")]), sents),  # past the end
        (b"\x01\xff\xff\xff\xff\xff junk", sents),
        (good + b"\x00\x07", sents),  # bytes after its end
    ]
    conn.executemany(
        "INSERT INTO analyses VALUES (?, ?, '2030-01-01T00:00:00+00:00', ?, ?)",
        [(k, model, e, s) for (k, _), (e, s) in zip(keys, blobs, strict=True)],
    )
    conn.commit()
    conn.close()
    return ids[0], ids[1:]


def test_bad_analysis_blobs_are_refused_with_a_reason(sample_library: Path, tmp_path: Path):
    a = fork(sample_library, tmp_path / "a.db")
    b = fork(sample_library, tmp_path / "b.db")
    try:
        aid = b.resolve("6055")
        note = b.add_note(aid, "arrives beside the bad blobs")
        peer = tmp_path / "b.gloss"
        good, bad = _blob_peer(a, b, peer)
        before = {i: a.get_article(i).entities for i in bad}
        report = a.sync(peer)
        (result,) = report.peers
        assert result.skipped is None and result.refused == 3
        assert sorted(result.refusals) == [
            "1 analyses whose packed spans cannot be read",
            "1 analyses with spans outside the article text",
            "1 analyses with stray bytes in their packed spans",
        ]
        assert a.note(note.id).body == "arrives beside the bad blobs"
        assert a.get_article(good).model == "peer-model"
        assert [(e.start, e.end, e.label) for e in a.get_article(good).entities] == [(0, 4, "ORG")]
        for i in bad:  # still the analysis they had
            assert a.get_article(i).model != "peer-model"
            assert a.get_article(i).entities == before[i]
        assert a.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        a.close()
        b.close()
