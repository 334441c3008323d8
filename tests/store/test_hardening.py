"""Hostile and broken input: fuzzed parsers, damaged and read-only libraries, killed imports."""

from __future__ import annotations

import json
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import Library
from store.core.errors import ImportFailed, LibraryError
from store.core.models import Anchor
from store.ingest.parse.html import parse_html
from store.ingest.parse.markdown import parse_markdown
from store.ingest.parse.text import parse_text
from store.notes.anchoring import reanchor
from tests.conftest import ROOT

HOSTILE_CHARS = st.sampled_from(
    ["\x1b]52;c;ZXZpbA==\x07", "\x1b[2J", "\x9b31m", "\u202e", "\u200b", "[/]", "[link=x]",
     "---\n", "# ", "\n\n", "<script>", "&#27;", "\r\n", "\x00", "é", "—"]
)  # fmt: skip
TEXTS = st.lists(st.one_of(st.text(max_size=40), HOSTILE_CHARS), max_size=30).map("".join)

REPO = Path(__file__).resolve().parents[2]
# this tree's `gloss` (the installed script may belong to another checkout)
GLOSS = [sys.executable, "-c", "from tui.cli import main; main()"]


def check_parsed(p) -> None:
    assert p.title and p.text
    for s in p.sections:
        assert p.text[s.start : s.end] == s.title
    for start, end in p.paragraphs:
        assert 0 <= start < end <= len(p.text)
    for field in (p.title, p.text, p.byline or "", p.published or "", p.url or ""):
        assert not any(ord(c) < 32 and c not in "\n\t" for c in field)
        assert not any(0x7F <= ord(c) <= 0x9F for c in field)
        assert "\u202e" not in field


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_fuzz_text_importer(raw: str) -> None:
    try:
        p = parse_text(raw)
    except ImportFailed:
        return
    check_parsed(p)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_fuzz_markdown_importer(raw: str) -> None:
    try:
        p = parse_markdown(raw)
    except ImportFailed:
        return
    check_parsed(p)


@settings(max_examples=60, deadline=None)
@given(TEXTS)
def test_fuzz_html_importer(raw: str) -> None:
    page = f"<html><head><title>{raw[:50]}</title></head><body><article><p>{raw}</p>" + (
        "<p>" + "Plain words for a long enough page to extract. " * 12 + "</p></article></body>"
    )
    try:
        p = parse_html(page)
    except ImportFailed:
        return
    check_parsed(p)


@settings(max_examples=300, deadline=None)
@given(
    st.text(min_size=1, max_size=300),
    st.integers(0, 299),
    st.integers(1, 60),
    st.text(max_size=40),
    st.integers(0, 299),
)
def test_fuzz_reanchor(text: str, start: int, length: int, insert: str, where: int) -> None:
    start = min(start, len(text) - 1)
    end = min(len(text), start + length)
    anchor = Anchor.from_range(text, start, end)
    where = min(where, len(text))
    changed = text[:where] + insert + text[where:]
    found = reanchor(anchor, changed)
    assert found is None or 0 <= found[0] < found[1] <= len(changed)
    if anchor.exact in changed:
        assert found is not None and changed[found[0] : found[1]] == anchor.exact


# -- damaged and read-only libraries ---------------------------------------------------------


def damage(path: Path, page: int) -> bytes:
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big") or 65536
    rng = random.Random(page)
    data[page * size : (page + 1) * size] = bytes(rng.getrandbits(8) for _ in range(size))
    path.write_bytes(bytes(data))
    return bytes(data)


def test_damaged_page_is_reported_and_nothing_is_overwritten(gloss, lib: Library) -> None:
    path = lib.path
    lib.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    lib.close()
    broken = damage(path, 5)
    code, out, err = gloss("check", db=path)
    assert code == 1
    assert f"library {path} is damaged" in err and ".recover" in err
    assert "Traceback" not in err
    for args in (["list"], ["search", "putin"], ["show", "6055"], ["entities"]):
        code, out, err = gloss(*args, db=path)
        assert code in (0, 1) and "Traceback" not in err
        if code:
            assert err.startswith("gloss: error: ") and len(err.splitlines()) == 1
    assert path.read_bytes() == broken


def test_damaged_header_is_refused(gloss, lib: Library) -> None:
    path = lib.path
    lib.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    lib.close()
    broken = damage(path, 0)
    code, _, err = gloss("list", db=path)
    assert code == 1 and "not a readable SQLite database" in err and str(path) in err
    assert path.read_bytes() == broken


def test_readonly_library_reads_and_refuses_writes(lib: Library, sample_id: str) -> None:
    path = lib.path
    lib.close()
    with Library.open(path, readonly=True) as ro:
        assert ro.readonly
        assert ro.get_article(sample_id).title == "Putin Meets Xi Jinping"
        assert ro.search("samarkand")
        with pytest.raises(LibraryError, match="read-only; changes cannot be saved"):
            ro.add_note(sample_id, "x")


def test_library_on_a_readonly_filesystem(lib: Library, sample_id: str, tmp_path: Path) -> None:
    mnt = tmp_path / "ro"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)],
                      capture_output=True).returncode:  # fmt: skip
        pytest.skip("cannot mount a file system here")
    try:
        lib.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy(lib.path, mnt / "library.db")
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        env = {"GLOSS_DB": str(mnt / "library.db"), "PYTHONPATH": str(REPO)}
        r = subprocess.run([*GLOSS, "show", "6055", "--json"],
                           capture_output=True, text=True, env=env)  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert r.stderr.startswith("gloss: notice: ") and "read-only" in r.stderr
        r = subprocess.run([*GLOSS, "star", "6055"],
                           capture_output=True, text=True, env=env)  # fmt: skip
        assert r.returncode == 1 and "read-only; changes cannot be saved" in r.stderr
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


# -- closing while another thread reads ------------------------------------------------------

CLOSE_WHILE_READING = """
import sys, threading
from store import Library
lib = Library.open(sys.argv[1])
lib.conn.execute("CREATE TABLE IF NOT EXISTS big AS WITH RECURSIVE n(i) AS"
                 " (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT i FROM n")
for round in range(40):
    started, rows = threading.Event(), []
    def read():
        for row in lib.conn.execute("SELECT i FROM big"):
            started.set()
            rows.append(row)
    reader = threading.Thread(target=read)
    reader.start()
    started.wait()
    lib.close()  # as the app does when it quits while a worker still reads
    reader.join()
    assert len(rows) == 200000, len(rows)
print("ok")
"""


def test_closing_while_another_thread_reads(tmp_path: Path) -> None:
    """The app closes its library as it quits, perhaps while a worker thread is still reading;
    closing a connection under a running query used to crash the whole process."""
    r = subprocess.run([sys.executable, "-c", CLOSE_WHILE_READING, str(tmp_path / "lib.db")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stderr[-2000:])


# -- a killed import -----------------------------------------------------------------------

IMPORT = """
import sys
from store import Library
lib = Library.open(sys.argv[1])
print("ready", flush=True)
lib.import_paths([sys.argv[2]], jobs=1)
print("done", flush=True)
"""


def test_sigkill_during_import(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GLOSS_MODEL", "none")  # the kill points, not spaCy, are under test
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(600):
        (folder / f"{i:04d}.txt").write_text(
            f"Article number {i}\n\n" + f"Paragraph {i} with some words in it. " * 40
        )
    db = tmp_path / "lib.db"
    Library.open(db).close()
    rng = random.Random(8)
    finished = 0
    for _ in range(22):
        proc = subprocess.Popen([sys.executable, "-c", IMPORT, str(db), str(folder)], cwd=ROOT,
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        finished += "done" in out
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        n = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert n == conn.execute("SELECT count(*) FROM article_state").fetchone()[0]
        conn.close()
    assert finished < 22  # most runs were killed part-way
    with Library.open(db) as lib:
        report = lib.import_paths([folder])
        assert report.count("failed") == 0
        assert lib.count() == 600
        assert lib.conn.execute("SELECT count(DISTINCT id) FROM articles").fetchone()[0] == 600
        assert lib.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=3000))
def test_random_bytes_as_library(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("junk") / "junk.db"
    path.write_bytes(data)
    try:
        Library.open(path).close()
    except LibraryError:
        pass
    else:
        assert not data  # only an empty file becomes a new library
    if data:
        assert path.read_bytes() == data


# -- terminal safety of every command's output -------------------------------------------------

EVIL = (
    "OSC52 \x1b]52;c;ZXZpbA==\x07 OSC8 \x1b]8;;http://evil.test\x1b\\link\x1b]8;;\x1b\\ "
    "CSI \x1b[2J C1 \x9b31m bidi \u202eevil\u202c zero\u200bwidth [/] [link=http://evil.test]x"
    "[/link] [bold red]loud[/bold red] " + "x" * 3000
)


def unsafe(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F
            or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"]  # fmt: skip


def test_hostile_corpus_through_every_command(gloss, tmp_path: Path, no_model) -> None:
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "a.txt").write_text(f"Evil {EVIL[:60]}\n\nBy Mallory \x1b[31m\n\n{EVIL}\n\nMore.")
    (folder / "b.md").write_text(
        f'---\ntitle: "T \\u001b[2J \\u009b31m [bold]x[/bold]"\ntags: [ok]\n---\n\n{EVIL}\n'
    )
    (folder / "c.html").write_text(
        f"<html><head><title>{EVIL[:80]}</title></head><body><article><p>{EVIL}</p>"
        "<p>&#27;]52;c;Zm9v&#7; &#x9b;31m</p><p>" + "Long enough words. " * 30 + "</p>"
        "</article></body></html>"
    )
    code, out, err = gloss("import", str(folder))
    assert code == 0, err
    aid = json.loads(gloss("list", "--json")[1])[0]["id"]
    assert gloss("note", aid, EVIL[:200], "--quote", "zero")[0] == 0
    assert gloss("note", aid, EVIL)[0] == 0
    assert gloss("tag", aid, "+[bold]")[0] == 1  # markup in a tag is refused, not stored
    outputs = []
    for args in (
        ["list"], ["list", "--json"], ["show", aid], ["show", aid, "--json"], ["notes"],
        ["notes", "--json"], ["search", "evil"], ["search", "evil", "--json"], ["entities"],
        ["tags"], ["export"], ["export", "--format", "csv"], ["export", "--format", "w3c"],
        ["export", "--format", "json"], ["search", EVIL[:300]],
    ):  # fmt: skip
        code, out, err = gloss(*args)
        outputs.append((args, out, err))
        assert "Traceback" not in err
    for args, out, err in outputs:
        assert unsafe(out) == [] and unsafe(err) == [], args
    show = outputs[2][1]
    assert "[bold red]loud[/bold red]" in show and "[/]" in show
