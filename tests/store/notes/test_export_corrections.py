"""Entity corrections in gloss JSON: exported with each article's facts, imported back as
they were (twice adds nothing), each checked as a sync peer's are (kind, value, span and
quote against the text, stamp); on another version of the article, found by their quote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store import Library
from store.core import hlc
from store.notes.export import to_json
from store.notes.versions import derived_id
from tests.store.notes.test_export import ARTICLE
from tests.store.sync.test_sync_corrections import correct

STAMP = "1767225600000.00000.0123456789abcdef"


def corrections(lib: Library) -> list[tuple]:
    return lib.conn.execute(
        "SELECT correction_id, a.id, pos_start, pos_end, exact, kind, value, hlc, device"
        " FROM entity_corrections c JOIN articles a ON a.key = c.article ORDER BY hlc"
    ).fetchall()


@pytest.fixture
def cranes(tmp_path: Path, no_model) -> Path:
    src = tmp_path / "cranes.md"
    src.write_text(ARTICLE)
    return src


def _lib(path: Path, src: Path) -> tuple[Library, str]:
    lib = Library.open(path)
    aid = lib.import_paths([src]).results[0].article_id
    assert aid
    return lib, aid


def test_the_json_export_holds_each_articles_corrections(cranes: Path, tmp_path: Path):
    lib, aid = _lib(tmp_path / "a.db", cranes)
    with lib:
        s1 = correct(lib, aid[:8], "Lisbon", "label", "GPE", "C1")
        s2 = correct(lib, aid[:8], "Dock workers", "remove", None, "C2")
        [art] = to_json(lib.handle, [aid])["articles"]
        assert art["facts"]["entity_corrections"] == [
            {"correction_id": "C1", "pos_start": 29, "pos_end": 35, "exact": "Lisbon",
             "kind": "label", "value": "GPE", "hlc": s1, "device": lib.handle.device_id},
            {"correction_id": "C2", "pos_start": 96, "pos_end": 108,
             "exact": "Dock workers", "kind": "remove", "value": None, "hlc": s2,
             "device": lib.handle.device_id},
        ]  # fmt: skip


def test_corrections_come_back_through_the_cli_once(gloss, cranes: Path, tmp_path: Path):
    a, aid = _lib(tmp_path / "a.db", cranes)
    with a:
        correct(a, aid[:8], "Lisbon", "label", "GPE", "C1")
        correct(a, aid[:8], "harbour", "alias", "Lisbon harbour", "C2")
        want = corrections(a)
    code, out, err = gloss("export", "--format", "json", db=tmp_path / "a.db")
    assert code == 0, err
    exported = tmp_path / "notes.json"
    exported.write_text(out)
    b, _ = _lib(tmp_path / "b.db", cranes)
    b.close()
    code, out, err = gloss("import-annotations", "--json", str(exported), db=tmp_path / "b.db")
    assert code == 0, err
    first = json.loads(out)
    assert (first["attached"], first["present"], first["rejected"]) == (2, 0, [])
    code, out, err = gloss("import-annotations", "--json", str(exported), db=tmp_path / "b.db")
    again = json.loads(out)
    assert (again["attached"], again["present"], again["rejected"]) == (0, 2, [])
    with Library.open(tmp_path / "b.db") as b:
        assert corrections(b) == want


def _file(tmp_path: Path, aid: str, entries: list) -> Path:
    path = tmp_path / "crafted.json"
    path.write_text(json.dumps({
        "format": "gloss-annotations", "version": 1,
        "articles": [{"id": aid, "facts": {"entity_corrections": entries}}],
    }))  # fmt: skip
    return path


def test_each_crafted_correction_is_rejected_with_its_reason(cranes: Path, tmp_path: Path):
    lib, aid = _lib(tmp_path / "a.db", cranes)
    with lib:
        s, e = lib.find_quote(aid, "Lisbon")
        far = f"{hlc.now_ms() + 10 * hlc.MAX_DRIFT_MS:013d}.00000.0123456789abcdef"

        def entry(cid: str, **kw: object) -> dict:
            good = {
                "correction_id": cid,
                "pos_start": s,
                "pos_end": e,
                "exact": "Lisbon",
                "kind": "label",
                "value": "GPE",
                "hlc": STAMP,
                "device": "0123456789abcdef",
            }
            return {**good, **kw}  # fmt: skip

        path = _file(tmp_path, aid, [
            entry("GOOD"),
            entry("K", kind="rename"),
            entry("L", value="place"),
            entry("L2", value="A" * 33),
            entry("R", kind="remove"),
            entry("A", kind="alias", value=None),
            entry("N", kind="name", value="n" * 201),
            entry("N2", kind="name", value="Lis\nbon"),
            entry("Q", exact="Lisbox"),
            entry("O", pos_start=s + 1, pos_end=e + 1),
            entry("P", pos_end=10**7),
            entry("T", pos_start="7"),
            entry("F", hlc=far),
            entry("H", hlc="yesterday"),
            entry("", value="GPE"),
            "not an object",
        ])  # fmt: skip
        report = lib.import_annotations(path)
        assert report.attached == 1
        assert report.rejected == [
            "correction K: kind 'rename' is not one of label, remove, alias, split, name, reset",
            "correction L: label 'place' is not an upper-case word",
            f"correction L2: label '{'A' * 33}' is not an upper-case word",
            "correction R: a remove correction has no value",
            "correction A: a alias correction needs a value",
            "correction N: a name is at most 200 characters",
            "correction N2: a name is one line of clean text",
            "correction Q: quote does not match the article text",
            "correction O: quote does not match the article text",
            "correction P: span outside the article",
            "correction T: pos_start must be a whole number, not '7'",
            f"correction F: hlc {far[:13]} is more than a day ahead of this machine's clock",
            "correction H: hlc 'yesterday' is not a clock stamp",
            "correction ?: correction_id must be a string",
            "correction ?: not an object",
        ]
        assert [r[0] for r in corrections(lib)] == ["GOOD"]


def test_on_another_version_a_correction_moves_to_its_quote(cranes: Path, tmp_path: Path):
    a, old = _lib(tmp_path / "a.db", cranes)
    with a:
        correct(a, old[:8], "Lisbon", "label", "GPE", "C1")
        exported = tmp_path / "old.json"
        exported.write_text(json.dumps(to_json(a.handle, [old])))
    newer = tmp_path / "newer.md"
    newer.write_text(ARTICLE.replace("The cranes at", "Updated. The cranes at"))
    b, new = _lib(tmp_path / "b.db", newer)
    with b:
        assert new != old
        report = b.import_annotations(exported)
        assert (report.attached, report.rejected) == (1, [])
        assert [r[:7] for r in corrections(b)] == [  # (29-35 in the first version)
            (derived_id("correction", "C1", new), new, 38, 44, "Lisbon", "label", "GPE")
        ]
        assert b.import_annotations(exported).present == 1
