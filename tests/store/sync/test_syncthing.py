"""`gloss sync FOLDER` through two real Syncthing instances on 127.0.0.1, driven only by the
`gloss` command: notes both ways, an offline conflict, a race between gloss and Syncthing,
and Syncthing conflict copies of gloss's own files. Each scenario ends with every note
written anywhere on both machines, `gloss check` passing on both, and no Syncthing error or
warning about gloss's files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.store.sync.syncthing_pair import SyncthingPair

pytestmark = pytest.mark.skipif(
    shutil.which("syncthing") is None, reason="syncthing is not on PATH"
)

GLOSS = Path(sys.executable).with_name("gloss")
ARTICLES = ("6055", "339b", "e11f", "f457", "9ddd")  # prefixes of the sample articles
GLOSS_FILES = r"gloss|sync-conflict|\.tmp"  # names gloss writes, the folder's id and label


@dataclass
class Machine:
    """One device: its library file (outside the synced folder) and its Syncthing folder."""

    name: str
    db: Path
    folder: Path
    written: dict[str, str] = field(default_factory=dict)  # note id -> body written here

    def gloss(self, *args: str) -> str:
        done = subprocess.run(
            [str(GLOSS), "--db", str(self.db), *args], capture_output=True, text=True,
            env=dict(os.environ, GLOSS_MODEL="none"), timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            raise AssertionError(f"{self.name}: gloss {' '.join(args)} -> {done.returncode}:"
                                 f" {done.stderr.strip()}")  # fmt: skip
        return done.stdout

    def sync(self) -> dict[str, Any]:
        return json.loads(self.gloss("sync", str(self.folder), "--json"))

    def note(self, article: str, body: str) -> str:
        nid = json.loads(self.gloss("note", article, body, "--json"))["id"]
        self.written[nid] = body
        return nid

    def edit(self, note_id: str, body: str) -> None:
        self.gloss("edit-note", note_id, body, "--json")
        self.written[note_id] = body

    def notes(self) -> dict[str, dict[str, Any]]:
        return {n["id"]: n for n in json.loads(self.gloss("notes", "--json"))}


@pytest.fixture
def pair(tmp_path: Path):
    """Two running Syncthing instances, stopped whatever the test does."""
    st = SyncthingPair(tmp_path / "st")
    st.start()
    try:
        yield st
    finally:
        st.stop()
        assert all(side.process is None for side in st.sides)


@pytest.fixture
def machines(pair: SyncthingPair, sample_library: Path, tmp_path: Path):
    """Devices a and b: copies of the sample library, each synced once into its folder (so
    each has a device id of its own and its files are on both sides)."""
    found = []
    for side in ("a", "b"):
        db = tmp_path / side / "library.db"
        db.parent.mkdir()
        shutil.copy(sample_library, db)
        found.append(Machine(side, db, pair.folder(side)))
    a, b = found
    a.sync()
    b.sync()
    pair.wait_in_sync()
    return a, b


def settle(pair: SyncthingPair, *machines: Machine, rounds: int = 2) -> None:
    """Rounds of: wait for Syncthing to carry everything, then `gloss sync` on each."""
    for _ in range(rounds):
        pair.wait_in_sync()
        for m in machines:
            m.sync()
    pair.wait_in_sync()


def assert_converged(pair: SyncthingPair, a: Machine, b: Machine) -> None:
    """Every note written anywhere is on both with its last body; both libraries check; no
    Syncthing error or warning mentions gloss's files."""
    on_a, on_b = a.notes(), b.notes()
    assert on_a == on_b
    written = {**a.written, **b.written}
    missing = sorted(set(written) - set(on_a))
    assert not missing, f"lost notes {missing}: {[written[n] for n in missing]}"
    for nid in written:
        assert not on_a[nid]["conflict"], on_a[nid]
    assert {nid: on_a[nid]["body"] for nid in written} == written
    for m in (a, b):
        assert m.gloss("check").strip() == f"{m.db}: ok"
    problems = pair.problems(GLOSS_FILES)
    assert not problems, "Syncthing complained about gloss's files:\n" + "\n".join(problems)


# -- a. both ways ---------------------------------------------------------------------------


def test_notes_on_both_sides_sync_both_ways(pair: SyncthingPair, machines) -> None:
    a, b = machines
    for i, art in enumerate(ARTICLES[:3]):
        a.note(art, f"a's note {i}")
        b.note(art, f"b's note {i}")
    before = pair.bytes_moved()
    a.sync()
    b.sync()
    settle(pair, a, b)
    assert pair.bytes_moved() > before  # both files went across
    assert {n["body"] for n in a.notes().values()} == {
        f"{side}'s note {i}" for side in "ab" for i in range(3)
    }
    assert_converged(pair, a, b)


# -- b. an offline conflict -----------------------------------------------------------------


def test_offline_edits_conflict_on_both_then_resolve(pair: SyncthingPair, machines) -> None:
    a, b = machines
    nid = a.note("6055", "shared thought")
    a.sync()
    settle(pair, a, b)
    assert b.notes()[nid]["body"] == "shared thought"
    pair.pause()
    a.edit(nid, "a's version")
    a.sync()
    b.edit(nid, "b's version")
    b.sync()
    pair.resume()
    settle(pair, a, b)
    for m in (a, b):
        [conflict] = json.loads(m.gloss("notes", "--conflicts", "--json"))
        assert conflict["id"] == nid and conflict["conflict"], (m.name, conflict)
        assert sorted(conflict["versions"]) == ["a's version", "b's version"]
    b.edit(nid, "merged on b")  # a new revision whose parents are both heads
    b.sync()
    settle(pair, a, b)
    for m in (a, b):
        got = m.notes()[nid]
        assert (got["body"], got["conflict"]) == ("merged on b", False), (m.name, got)
        assert json.loads(m.gloss("notes", "--conflicts", "--json")) == []
    a.written[nid] = "merged on b"
    assert_converged(pair, a, b)


# -- c. a race ------------------------------------------------------------------------------

ROUNDS = 30


def test_sync_while_writing_and_while_syncthing_moves_files(pair: SyncthingPair,
                                                            machines) -> None:  # fmt: skip
    """On each side at once, one thread writes 30 notes while another runs `gloss sync` 30
    times, never waiting for Syncthing (which moves files meanwhile); then Syncthing
    settles and a few last rounds of sync: nothing lost."""
    a, b = machines
    failures: list[str] = []

    def write(m: Machine) -> None:
        for i in range(ROUNDS):
            try:
                m.note(ARTICLES[i % len(ARTICLES)], f"{m.name} race {i}")
            except AssertionError as exc:  # gloss failed: record it, keep racing
                failures.append(str(exc))

    def sync(m: Machine) -> None:
        for _ in range(ROUNDS):
            try:
                m.sync()
            except AssertionError as exc:
                failures.append(str(exc))

    threads = [threading.Thread(target=f, args=(m,)) for m in (a, b) for f in (write, sync)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    settle(pair, a, b, rounds=3)
    assert len(a.written) == len(b.written) == ROUNDS
    assert_converged(pair, a, b)


# -- d. Syncthing conflict copies of gloss's files --------------------------------------------


def changed_by(m: Machine, pair: SyncthingPair, action) -> dict[str, bytes]:
    """The files of m's folder that `action` created or changed."""
    before = pair.contents(m.name)
    action()
    after = pair.contents(m.name)
    return {n: data for n, data in after.items() if before.get(n) != data}


@pytest.mark.parametrize("loser", ["a", "b"])
def test_a_syncthing_conflict_copy_loses_no_note(pair: SyncthingPair, machines,
                                                 loser: str) -> None:  # fmt: skip
    """What it provokes: while paused, the loser writes a note and syncs, so its own file
    (with v1 `<loser>.gloss`, rewritten; with v2 a new fact file) holds a note nothing else
    holds; the winner syncs a note of its own, then the same file name is planted on the
    winner's side holding the winner's own file's bytes, with a later mtime. On resume
    Syncthing sees one name changed on both devices: the later (the plant) wins, the
    loser's version becomes `*.sync-conflict-*` on both sides, and the loser's file name
    holds the winner's content. gloss must still bring the loser's note to both."""
    a, b = machines
    lose, win = (a, b) if loser == "a" else (b, a)
    pair.pause()
    lost_note = lose.note("6055", f"only in {lose.name}'s losing copy")
    theirs = changed_by(lose, pair, lose.sync)
    win.note("339b", f"{win.name}'s own note")
    ours = changed_by(win, pair, win.sync)
    assert theirs and ours, (theirs.keys(), ours.keys())
    plant_from = max(ours, key=lambda n: len(ours[n]))
    later = max((lose.folder / n).stat().st_mtime for n in theirs) + 30
    for name in theirs:  # the winner's bytes under the loser's file name, written atomically
        target = win.folder / name
        tmp = target.with_name(f".plant-{target.name}")
        tmp.write_bytes(ours[plant_from])
        os.utime(tmp, (later, later))
        tmp.replace(target)
    pair.resume()
    pair.wait_in_sync()
    copies = {side: pair.conflict_copies(side) for side in "ab"}
    assert copies["a"] and copies["a"] == copies["b"], copies
    for name in theirs:
        for side in "ab":  # the winner holds the other device's content under this name
            assert (pair.folder(side) / name).read_bytes() == ours[plant_from]
    assert {pair.contents(lose.name)[c] for c in copies["a"]} >= set(theirs.values())
    settle(pair, a, b)
    for m in (a, b):
        assert lost_note in m.notes(), f"{m.name} lacks the note of the losing copy"
    assert_converged(pair, a, b)
