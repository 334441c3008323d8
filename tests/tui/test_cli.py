"""The `gloss` command end to end: JSON shapes, messages and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ARTICLES, ROOT, SAMPLE

ARTICLE_KEYS = {
    "id", "title", "byline", "published", "source", "imported_at", "text", "sections", "tags",
    "read", "starred", "model", "entities", "notes",
}  # fmt: skip


def imported(gloss, tmp_path: Path) -> str:
    code, out, err = gloss("import", str(ARTICLES), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["imported"], report["failed"]) == (5, 0)
    return next(f["article_id"] for f in report["files"] if f["path"] == str(SAMPLE))


def test_import_show_json(gloss, tmp_path: Path, analyzer) -> None:
    aid = imported(gloss, tmp_path)
    code, out, _ = gloss("show", aid[:7], "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == ARTICLE_KEYS
    assert data["title"] == "Putin Meets Xi Jinping"
    assert data["byline"] == "Hussain Indo"
    assert [s["title"] for s in data["sections"]] == [
        "The Meeting", "China Party Congress", "Russia-China Collaboration"
    ]  # fmt: skip
    assert "Add Comment" not in data["text"]
    ents = {(e["text"], e["label"]) for e in data["entities"]}
    assert {("Vladimir Putin", "PERSON"), ("Samarkand", "GPE"),
            ("Shanghai Cooperation Organization", "ORG")} <= ents  # fmt: skip
    assert set(data["entities"][0]) == {"start", "end", "label", "text", "canonical", "group"}


def test_reimport_reports_already_present(gloss, tmp_path: Path, analyzer) -> None:
    imported(gloss, tmp_path)
    code, out, _ = gloss("import", str(SAMPLE))
    assert code == 0
    assert out.startswith("already in library")
    assert out.strip().endswith("0 imported, 1 already present, 0 failed")


def test_annotation_commands(gloss, tmp_path: Path, analyzer) -> None:
    aid = imported(gloss, tmp_path)
    code, out, _ = gloss("note", aid[:8], "Where?", "--quote", "city of Samarkand", "--json")
    assert code == 0
    note = json.loads(out)
    assert note["anchor"]["exact"] == "city of Samarkand" and note["kind"] == "note"
    assert gloss("highlight", aid[:8], "--quote", "Mao Zedong")[0] == 0
    assert gloss("tag", aid[:8], "+World/Asia", "politics", "-none")[1].strip() == (
        "politics world/asia"
    )
    assert gloss("star", aid[:8])[0] == gloss("read", aid[:8])[0] == 0
    code, out, _ = gloss("list", "--starred", "--json")
    [row] = json.loads(out)
    assert (row["id"], row["read"], row["starred"], row["notes"], row["highlights"]) == (
        aid, True, True, 1, 1
    )  # fmt: skip
    assert row["tags"] == ["politics", "world/asia"]
    assert aid in {a["id"] for a in json.loads(gloss("list", "--tag", "world", "--json")[1])}
    code, out, _ = gloss("notes", aid[:8], "--json")
    assert [n["kind"] for n in json.loads(out)] == ["note", "highlight"]
    assert gloss("edit-note", note["id"][:20], "Samarkand, Uzbekistan")[0] == 0
    assert json.loads(gloss("notes", "--json")[1])[0]["body"] == "Samarkand, Uzbekistan"
    assert gloss("delete-note", note["id"])[0] == 0
    assert len(json.loads(gloss("notes", "--json")[1])) == 1
    code, out, _ = gloss("entities", aid[:8], "--label", "GPE", "--json")
    assert {"text": "Samarkand", "label": "GPE", "count": 1, "articles": 1} in json.loads(out)
    assert json.loads(gloss("tags", "--json")[1])[-1] == {"tag": "world/europe", "count": 1}


@pytest.mark.parametrize(
    "args, message",
    [
        (("show", "ffffffff"), "gloss: error: no article with id 'ffffffff'\n"),
        (("show", "'; DROP TABLE articles"), "gloss: error: no article with id"),
        (("note", "6055", "   "), "gloss: error: a note on the whole article needs some text\n"),
        (("note", "6055", "x", "--quote", "not there"), "the quote is not in the article"),
        (("tag", "6055", "+[bold]"), "gloss: error: invalid tag '[bold]'"),
        (("tag", "6055", "-"), "gloss: error: empty tag name\n"),
        (("import", "/nonexistent/x.txt"), "failed             /nonexistent/x.txt: no such file"),
    ],
)
def test_errors_are_one_line(gloss, tmp_path, analyzer, args, message) -> None:
    imported(gloss, tmp_path)
    code, out, err = gloss(*args)
    assert code == 1
    assert message in err + out
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 1


def test_ambiguous_prefix(gloss, tmp_path, analyzer) -> None:
    imported(gloss, tmp_path)
    code, _, err = gloss("show", "")
    assert code == 1 and "no article" in err


def test_folder_import_reports_each_file(gloss, tmp_path: Path, analyzer) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("A Good Title\n\nA sentence about Paris.")
    (folder / "bad.txt").write_bytes(b"\xff\xfe\x00\x01")
    (folder / "dup.txt").write_text("A Good Title\n\nA sentence about Paris.")
    code, out, _ = gloss("import", str(folder), "--json")
    assert code == 1  # something failed
    files = {Path(f["path"]).name: (f["status"], f["reason"]) for f in json.loads(out)["files"]}
    assert files == {
        "bad.txt": ("failed", "binary file, not text"),
        "dup.txt": ("imported", None),
        "good.txt": ("present", "already in library"),
    }


def test_no_model_imports_without_entities_then_reanalyze(gloss, tmp_path: Path, no_model) -> None:
    code, out, err = gloss("import", str(SAMPLE))
    assert code == 0
    assert err == (
        "gloss: warning: entity analysis is off (GLOSS_MODEL=none); importing without entities "
        "(run `gloss reanalyze` later)\n"
    )
    aid = json.loads(gloss("list", "--json")[1])[0]["id"]
    assert json.loads(gloss("show", aid, "--json")[1])["entities"] == []
    code, _, err = gloss("reanalyze")
    assert code == 1 and "entity analysis is off" in err


def test_reanalyze_fills_in_entities(gloss, tmp_path: Path, no_model, monkeypatch) -> None:
    from store.ingest import entities

    gloss("import", str(SAMPLE))
    monkeypatch.delenv("GLOSS_MODEL")
    entities.reset()
    code, out, _ = gloss("reanalyze", "--json")
    assert (code, json.loads(out)) == (0, {"analysed": 1})
    aid = json.loads(gloss("list", "--json")[1])[0]["id"]
    assert len(json.loads(gloss("show", aid, "--json")[1])["entities"]) > 50
    assert json.loads(gloss("reanalyze", "--json")[1]) == {"analysed": 0}


def test_installed_script_runs_and_fails_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "GLOSS_DB": str(tmp_path / "x.db")}
    gloss_bin = Path(sys.executable).with_name("gloss")
    r = subprocess.run([gloss_bin, "show", "abc"], env=env, capture_output=True, text=True,
                       cwd=ROOT)  # fmt: skip
    assert (r.returncode, r.stdout, r.stderr) == (1, "", "gloss: error: no article with id 'abc'\n")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00" * 4096)
    r = subprocess.run([gloss_bin, "--db", str(junk), "list"], capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.startswith("gloss: error: ")
    assert junk.read_bytes() == b"\x00" * 4096


def test_search_json_and_bad_query(gloss, tmp_path: Path, analyzer) -> None:
    aid = imported(gloss, tmp_path)
    gloss("note", aid[:8], "Samarkand is the summit city", "--quote", "city of Samarkand")
    code, out, _ = gloss("search", "samarkand", "in:notes", "--json")
    assert code == 0
    [hit] = json.loads(out)
    assert set(hit) == {"kind", "article_id", "title", "note_id", "snippet", "marks", "score",
                        "position"}  # fmt: skip
    assert (hit["kind"], hit["article_id"], hit["snippet"]) == (
        "note", aid, "Samarkand is the summit city"
    )  # fmt: skip
    assert hit["marks"] == [[0, 9]]
    code, out, _ = gloss("search", "-tag:none", "putin", "--limit", "1", "--json")
    assert code == 0 and json.loads(out)[0]["article_id"] == aid
    code, out, err = gloss("search", '"; DROP TABLE articles')
    assert (code, out) == (2, "")
    assert err == "gloss: bad query: unclosed quote at position 1\n"
    assert len(json.loads(gloss("list", "--json")[1])) == 5


def test_show_to_a_pipe_is_whole_lines_without_trailing_spaces(gloss, tmp_path: Path) -> None:
    """Piped or redirected, `gloss show` is not hard-wrapped (a paragraph is one line) and no
    line ends in spaces; a note's text is printed as it is, quote and body."""
    src = tmp_path / "council.txt"
    para = " ".join(f"Item {i} was decided by the council after a long debate." for i in range(30))
    src.write_text(f"Council Decisions\n\n{para}\n", encoding="utf-8")
    code, out, err = gloss("import", str(src), "--json")
    assert code == 0, err
    aid = json.loads(out)["files"][0]["article_id"]
    assert gloss("note", aid, "why so long?", "--quote", "Item 3 was decided")[0] == 0
    code, out, _ = gloss("show", aid)
    assert code == 0
    lines = out.splitlines()
    assert para in lines
    assert not [line for line in lines if line != line.rstrip()]
    i = lines.index("> Item 3 was decided")
    assert lines[i - 1].startswith("note ") and lines[i + 1] == "why so long?"


def test_search_to_a_pipe_is_whole_lines_without_trailing_spaces(gloss, tmp_path: Path) -> None:
    """Piped or redirected, `gloss search` is not hard-wrapped either: a title and a snippet
    are a line each, whatever their length, and no line ends in spaces."""
    src = tmp_path / "harbour.txt"
    title = "Harbour Board " + " ".join(f"Minutes {i}" for i in range(12))
    para = " ".join(f"The quayside cranes were inspected on day {i}." for i in range(30))
    src.write_text(f"{title}\n\n{para}\n", encoding="utf-8")
    assert gloss("import", str(src))[0] == 0
    code, out, _ = gloss("search", "quayside")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2 and lines[0].endswith(" " + title), lines
    assert lines[1].startswith("  ") and "quayside" in lines[1] and len(lines[1]) > 100
    assert not [line for line in lines if line != line.rstrip()]
    assert gloss("search", "zzxqv")[1] == "no matches\n"


def test_entity_corrections_through_the_cli(gloss, tmp_path: Path, analyzer) -> None:
    """Relabel every "Frankwell" (the model's ORG), list the corrections, export them."""
    imported(gloss, tmp_path)
    flood = next(a["id"] for a in json.loads(gloss("list", "--json")[1]) if "Severn" in a["title"])
    code, out, err = gloss("entity-fix", flood[:8], "--quote", "Frankwell", "--every",
                           "--label", "loc", "--json")  # fmt: skip
    assert code == 0, err
    assert [(c["start"], c["kind"], c["value"]) for c in json.loads(out)] == [
        (243, "label", "LOC"), (2673, "label", "LOC"), (2921, "label", "LOC"),
        (3300, "label", "LOC"),
    ]  # fmt: skip
    listed = json.loads(gloss("entities", "corrections", "--json")[1])
    assert [(c["start"], c["exact"], c["applied"]) for c in listed] == [
        (3300, "Frankwell", True), (2921, "Frankwell", True), (2673, "Frankwell", True),
        (243, "Frankwell", True),
    ]  # fmt: skip
    rows = json.loads(gloss("entities", flood[:8], "--label", "LOC", "--json")[1])
    assert {"text": "Frankwell", "label": "LOC", "count": 4, "articles": 1} in rows
    shown = json.loads(gloss("show", flood[:8], "--json")[1])["entities"]
    assert {"start": 243, "end": 252, "label": "LOC", "text": "Frankwell",
            "canonical": "Frankwell", "group": shown[[e["start"] for e in shown].index(243)]
            ["group"]} in shown  # fmt: skip
    code, _, err = gloss("entity-fix", flood[:8], "--quote", "Frankwell", "--remove",
                         "--split")  # fmt: skip
    assert (code, err) == (1, "gloss: error: give exactly one of --label, --remove, --alias,"
                              " --split, --name, --reset\n")  # fmt: skip
    code, _, err = gloss("entity-fix", flood[:8], "--quote", "nowhere at all", "--split")
    assert (code, err) == (1, "gloss: error: no entity 'nowhere at all' in the article; mark"
                              " it first with --label\n")  # fmt: skip
    code, out, err = gloss("entities", "export-training", "-o", str(tmp_path / "mine.spacy"),
                           "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert (data["docs"], data["skipped"], data["jsonl"]) == (1, 0, f"{tmp_path}/mine.jsonl")
    assert (tmp_path / "mine.spacy").stat().st_size > 0
    spans = json.loads((tmp_path / "mine.jsonl").read_text())["spans"]
    assert {"start": 2673, "end": 2682, "label": "LOC"} in spans
