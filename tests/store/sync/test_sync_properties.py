"""Sync as algebra and under failure: union is commutative, associative and idempotent over
random edit histories of three devices; SIGKILL at any point loses nothing."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import Library
from store.core.models import Filter
from store.sync.folder import SyncReport, check_device, merge_peer, publish
from store.sync.merge import check_peer
from tests.conftest import ROOT
from tests.store.sync.test_sync import fork, snapshot

OPS = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(
            [
                "note",
                "edit",
                "edit0",
                "edit0",
                "edit0",
                "delete",
                "tag",
                "untag",
                "read",
                "star",
                "sync",
            ]  # fmt: skip
        ),
        st.integers(0, 5),
    ),
    min_size=1,
    max_size=25,
)
TAG_NAMES = ["politics", "world/asia", "later"]
CONFLICTS: list[int] = []  # conflicts seen per example: the histories must produce some


def apply(libs: list[Library], dev: int, op: str, n: int, ids: list[str]) -> None:
    lib = libs[dev]
    aid = ids[n % len(ids)]
    notes = lib.notes()
    if op == "note":
        text = lib.get_article(aid).text
        lib.add_note(aid, f"note {dev}.{n}", n * 7, n * 7 + 12) if n % 2 else lib.add_note(
            aid, f"note {dev}.{n}"
        )
        assert text
    elif op == "edit" and notes:
        lib.edit_note(notes[n % len(notes)].id, f"edit {dev}.{n}")
    elif op == "edit0" and notes:  # the shared note: concurrent edits make conflicts
        lib.edit_note(notes[0].id, f"edit {dev}.{n}")
    elif op == "delete" and notes:
        lib.delete_note(notes[n % len(notes)].id)
    elif op == "tag":
        lib.tag(aid, add=[TAG_NAMES[n % 3]])
    elif op == "untag":
        lib.tag(aid, remove=[TAG_NAMES[n % 3]])
    elif op == "read":
        lib.set_read(aid, bool(n % 2))
    elif op == "star":
        lib.set_starred(aid, bool(n % 2))
    elif op == "sync":  # as through a sync folder: the other device publishes, we merge
        other = libs[(dev + 1 + n % 2) % 3]
        published = lib.path.parent / f"published-{other.device_id}.gloss"
        publish(other.handle, published)
        result = merge_peer(lib.handle, published, lib.path.parent)
        assert result.skipped is None, result.skipped


def union(work: Path, name: str, *paths: Path) -> Path:
    """Merge libraries left to right into a copy of the first; the copy's path."""
    out = work / f"{name}.db"
    with fork(paths[0], out) as lib:  # (a device of its own: a peer with our id is refused)
        for p in paths[1:]:
            result = merge_peer(lib.handle, p, work)
            assert result.skipped is None, result.skipped
        lib.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return out


def snap(path: Path) -> tuple:
    with Library.open(path) as lib:
        return snapshot(lib)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(ops=OPS)
def test_merge_is_commutative_associative_idempotent(sample_library: Path, ops) -> None:
    work = Path(tempfile.mkdtemp(prefix="gloss-prop-"))
    try:
        libs = [fork(sample_library, work / f"dev{i}.db") for i in range(3)]
        ids = sorted(a.id for a in libs[0].list_articles())
        # a note every device has, so random edits on two devices make real conflicts
        libs[0].add_note(ids[0], "shared")
        apply(libs, 1, "sync", 1, ids)
        apply(libs, 2, "sync", 0, ids)
        for dev, op, n in ops:
            apply(libs, dev, op, n, ids)
        for lib in libs:
            lib.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            lib.close()
        a, b, c = (work / f"dev{i}.db" for i in range(3))
        ab = union(work, "ab", a, b)
        ba = union(work, "ba", b, a)
        assert snap(ab) == snap(ba)  # commutative
        ab_c = union(work, "ab_c", ab, c)
        bc = union(work, "bc", b, c)
        a_bc = union(work, "a_bc", a, bc)
        assert snap(ab_c) == snap(a_bc)  # associative
        assert snap(union(work, "aa", a, a)) == snap(a)  # idempotent
        assert snap(union(work, "ab_b", ab, b)) == snap(ab)
        # nothing any device wrote is lost: every note id of every device is in the union
        everything = snap(ab_c)
        for p in (a, b, c):
            with Library.open(p) as lib:
                revs = {r for (r,) in lib.conn.execute("SELECT rev_id FROM note_revisions")}
            with Library.open(ab_c) as merged:
                have = {r for (r,) in merged.conn.execute("SELECT rev_id FROM note_revisions")}
            assert revs <= have
        assert everything == snap(union(work, "cba", c, b, a))
        CONFLICTS.append(sum(n[3] for n in everything[0]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_histories_produced_conflicts() -> None:
    """Runs after the property test (file order): some histories must have had conflicts."""
    assert CONFLICTS and any(CONFLICTS), CONFLICTS


SYNC_LOOP = """
import sys, json
from pathlib import Path
from store import Library
lib = Library.open(sys.argv[1])
aid = lib.resolve("6055")
print("ready", flush=True)
i = 0
while True:
    n = lib.add_note(aid, f"crash-test {i}")
    print(json.dumps(n.id), flush=True)
    lib.sync(Path(sys.argv[2]))
    lib.sync(Path(sys.argv[3]))
    i += 1
"""


def test_sigkill_during_sync_loses_nothing(sample_library: Path, tmp_path: Path) -> None:
    folder = tmp_path / "Sync"
    folder.mkdir()
    target = tmp_path / "usb.gloss"
    a = fork(sample_library, tmp_path / "a.db")
    peer = fork(sample_library, tmp_path / "peer.db")
    for i in range(30):
        peer.add_note(peer.resolve("339b"), f"peer note {i}")
    peer.sync(folder)
    a.close()
    rng = random.Random(20261129)
    written: set[str] = set()
    kills = 0
    for _ in range(22):
        proc = subprocess.Popen(
            [sys.executable, "-c", SYNC_LOOP, str(tmp_path / "a.db"), str(folder), str(target)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.6))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
        kills += proc.returncode == -signal.SIGKILL
        written |= {json.loads(line) for line in out.splitlines() if line.startswith('"')}
        with Library.open(tmp_path / "a.db") as lib:  # the library opens and is whole
            assert lib.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            assert written <= {n.id for n in lib.notes()}
        for path in [*folder.glob("*.gloss"), *([target] if target.exists() else [])]:
            check_peer(path)  # every published file is a complete, valid library
    assert kills >= 20
    with Library.open(tmp_path / "a.db") as lib:  # a re-run converges with nothing lost
        report = lib.sync(folder)
        assert all(p.skipped is None for p in report.peers)
        assert lib.count(Filter(annotated=True)) >= 2
        assert written <= {n.id for n in lib.notes()}
        assert {f"peer note {i}" for i in range(30)} <= {n.body for n in lib.notes()}
        mine = snapshot(lib)
    peer.sync(folder)
    assert written <= {n.id for n in peer.notes()}
    assert snapshot(peer) == mine
    peer.close()


WRITER = """
import sys
from store import Library
lib = Library.open(sys.argv[1])
aid = lib.resolve("6055")
for i in range(int(sys.argv[2])):
    lib.add_note(aid, f"{sys.argv[3]} {i}")
"""


def test_writers_during_sync_lose_nothing(sample_library: Path, tmp_path: Path) -> None:
    folder = tmp_path / "Sync"
    folder.mkdir()
    lib = fork(sample_library, tmp_path / "lib.db")
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(lib.path), "60", name], cwd=ROOT)
        for name in ("left", "right")
    ]
    syncs = 0
    while any(p.poll() is None for p in procs):
        lib.sync(folder)
        syncs += 1
    assert [p.wait() for p in procs] == [0, 0] and syncs >= 1
    expected = {f"{side} {i}" for side in ("left", "right") for i in range(60)}
    assert {n.body for n in lib.notes()} == expected
    lib.sync(folder)
    other = fork(sample_library, tmp_path / "other.db")
    other.sync(folder)
    assert {n.body for n in other.notes()} == expected
    check_device(other.handle, SyncReport())
    lib.close()
    other.close()
