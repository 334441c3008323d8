"""Sync with a hub that is a log of immutable files (sync v2).

Each device writes only its own files ("packs", store.sync.pack), each once, and never
changes them. A sync reads the files of the hub it has not merged yet, merges their facts,
then writes at most one new pack holding the facts this library has that the hub does not:
its cost grows with what changed, not with the library.

What a device remembers, per hub, in local tables (never synced, made by the first sync):
- `sync_journal`: one row per fact inserted since the first sync (triggers on every fact
  table), numbered by `seq`. A hub's `mark` is the journal position up to which the hub
  holds this library's facts; the next pack holds the facts after it.
- `sync_sent`: facts after a hub's mark that came from that hub (or that it was found to
  hold): never sent back to it. Facts received from one hub are carried to every other.
- `sync_files`: every file seen in the hub (its signature and what it was found to be),
  so an unchanged file is never read again; `sync_merged`: the digests of packs merged, so
  a copy of a pack under another name (a conflict copy, a duplicate) is not read again;
  `sync_own`: the packs this device wrote there. When one of them is no longer in the hub
  under any name (the hub was restored or wiped, or a sync tool replaced it), the hub may
  lack our facts: they are all published there again.
Compaction rolls this device's own small packs in a hub into one and removes them; a
device never modifies or removes a file it did not write.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from store.core.db import now_iso
from store.core.errors import LibraryError
from store.core.sanitize import clean_line
from store.sync import pack
from store.sync.hub import Entry, FolderHub, Hub
from store.sync.merge import PeerResult, merge_file
from store.sync.peer import merge_peer

if TYPE_CHECKING:
    from store.core.handle import Handle
    from store.sync.report import Progress, SyncReport

COMPACT_AT = 16  # own packs in a hub before the small ones are rolled into one
COMPACT_GRACE_S = 600  # a file in a folder hub younger than this is not rolled (nor removed)
MAX_LEGACY_BYTES = 64 << 30  # a whole-library file of gloss 1 in a hub
LEGACY_SUFFIX = ".gloss"

# Each fact table: its journal code, and how a journal row (a, b, c, d) names a row.
JOURNAL: dict[str, tuple[int, str, str]] = {
    # table: (code, the trigger's values for (a, b, c, d), the join of journal j to row x)
    "articles": (1, "new.key, NULL, NULL, NULL", "x.key = j.a"),
    "analyses": (2, "new.article, new.model, NULL, NULL", "x.article = j.a AND x.model = j.b"),
    "note_revisions": (3, "NULL, NULL, new.rev_id, NULL", "x.rev_id = j.c"),
    "events": (4, "NULL, NULL, new.event_id, NULL", "x.event_id = j.c"),
    "article_versions": (5, "new.old, new.new, NULL, NULL", "x.old = j.a AND x.new = j.b"),
    "feeds": (6, "NULL, NULL, new.feed_id, NULL", "x.feed_id = j.c"),
    "feed_events": (7, "NULL, NULL, new.event_id, NULL", "x.event_id = j.c"),
    "feed_entries": (
        8, "new.article, NULL, new.feed_id, new.guid",
        "x.article = j.a AND x.feed_id = j.c AND x.guid = j.d",
    ),
    "entity_corrections": (9, "NULL, NULL, new.correction_id, NULL", "x.correction_id = j.c"),
}  # fmt: skip
_COLUMNS = {  # the columns a pack holds of each table, in the pack's order
    "articles": "key, id, title, byline, source, published, imported_at, structure, text",
    "analyses": "article, model, analysed_at, entities, sentences",
    "note_revisions": "rev_id, note_id, parents, article, pos_start, pos_end, exact, prefix,"
    " suffix, body, deleted, hlc, device",
    "events": "event_id, article, field, value, hlc, device",
    "article_versions": "old, new, hlc, device",
    "feeds": "feed_id, url, title, hlc, device",
    "feed_events": "event_id, feed_id, field, value, hlc, device",
    "feed_entries": "feed_id, guid, article, link, published, hlc, device",
    "entity_corrections": "correction_id, article, pos_start, pos_end, exact, kind, value, hlc,"
    " device",
}
# the article columns of each table, for refs
_ARTICLE_COLS = {"articles": ("key",), "analyses": ("article",), "note_revisions": ("article",),
                 "events": ("article",), "article_versions": ("old", "new"),
                 "feed_entries": ("article",), "entity_corrections": ("article",)}  # fmt: skip
# the tables whose every fact is about one article: a full pack puts each one's facts in the
# segment holding that article (filled and compressed with it, its refs its own articles)
_BY_ARTICLE = ("analyses", "note_revisions", "events", "feed_entries", "entity_corrections")
# the tables a full pack's first segment holds: every feed entry needs its feed (checks)
_FEEDS = ("feeds", "feed_events")
# facts a hub's file may hold that we hold too, not yet sent there: then not sent (their
# key and every column compared, so a file cannot stop one of our facts by naming its key)
_HELD = {
    "note_revisions": (
        "rev_id", "note_id, parents, pos_start, pos_end, exact, prefix, suffix, body,"
        " deleted, hlc, device",
    ),
    "events": ("event_id", "field, value, hlc, device"),
    "entity_corrections": (
        "correction_id", "pos_start, pos_end, exact, kind, value, hlc, device",
    ),
}  # fmt: skip


def journaled(conn: sqlite3.Connection, schema: str = "main") -> list[str]:
    """The fact tables of JOURNAL this library holds (one made before a fact table was
    added to gloss has none of it until it is upgraded)."""
    have = {r[0] for r in conn.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'"
    )}  # fmt: skip
    return [t for t in JOURNAL if t in have]


def ensure_tables(h: Handle) -> None:
    """The local sync tables and the journal's triggers (made by the first sync; a trigger
    on a fact table added since, or upgraded into this library since, by the next)."""
    if h.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_hubs'"
    ).fetchone():
        _add_triggers(h)
        return
    with h.write() as w:
        w.execute(
            "CREATE TABLE IF NOT EXISTS sync_journal (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
            " tbl INTEGER NOT NULL, a INTEGER, b INTEGER, c TEXT, d TEXT)"
        )
        w.execute(
            "CREATE TABLE IF NOT EXISTS sync_sent (hub INTEGER NOT NULL, seq INTEGER NOT NULL,"
            " PRIMARY KEY (hub, seq)) WITHOUT ROWID"
        )
        w.execute(
            "CREATE TABLE IF NOT EXISTS sync_files (hub INTEGER NOT NULL, name TEXT NOT NULL,"
            " sig TEXT NOT NULL, digest TEXT, own INTEGER NOT NULL DEFAULT 0, verdict TEXT,"
            " PRIMARY KEY (hub, name)) WITHOUT ROWID"
        )
        w.execute("CREATE TABLE IF NOT EXISTS sync_merged (digest TEXT PRIMARY KEY) WITHOUT ROWID")
        w.execute(
            "CREATE TABLE IF NOT EXISTS sync_own (hub INTEGER NOT NULL, digest TEXT NOT NULL,"
            " name TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (hub, digest)) WITHOUT ROWID"
        )
        for table in journaled(w):
            _trigger(w, table)
        w.execute(  # last: its presence says the rest is there
            "CREATE TABLE IF NOT EXISTS sync_hubs (key INTEGER PRIMARY KEY, location TEXT NOT"
            " NULL UNIQUE, mark INTEGER, synced_at TEXT)"
        )


def _trigger(w: sqlite3.Connection, table: str) -> None:
    code, values, _ = JOURNAL[table]
    w.execute(
        f"CREATE TRIGGER IF NOT EXISTS {table}_journal AFTER INSERT ON {table} BEGIN"
        f" INSERT INTO sync_journal (tbl, a, b, c, d) VALUES ({code}, {values}); END"
    )


def _add_triggers(h: Handle) -> None:
    """Journal a fact table that has no trigger yet, and the rows it already holds: they
    were made (or merged) after the first sync, unjournaled, so no hub was sent them."""
    have = {r[0] for r in h.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    missing = [t for t in journaled(h.conn) if f"{t}_journal" not in have]
    if not missing:
        return
    with h.write() as w:
        for table in missing:
            code, values, _ = JOURNAL[table]
            w.execute(
                f"INSERT INTO sync_journal (tbl, a, b, c, d) SELECT {code},"
                f" {values.replace('new.', '')} FROM {table}"
            )
            _trigger(w, table)


@dataclass
class HubState:
    key: int
    mark: int | None  # None: nothing was ever published there
    files: dict[str, tuple[str, str | None, int, str | None]]  # name: (sig, digest, own, verdict)


def _state(h: Handle, location: str) -> HubState:
    row = h.conn.execute("SELECT key, mark FROM sync_hubs WHERE location = ?", (location,))
    known = row.fetchone()
    if known is None:
        with h.write() as w:
            w.execute("INSERT OR IGNORE INTO sync_hubs (location) VALUES (?)", (location,))
            known = w.execute(
                "SELECT key, mark FROM sync_hubs WHERE location = ?", (location,)
            ).fetchone()
    key, mark = known
    files = {
        name: (sig, digest, own, verdict)
        for name, sig, digest, own, verdict in h.conn.execute(
            "SELECT name, sig, digest, own, verdict FROM sync_files WHERE hub = ?", (key,)
        )
    }
    return HubState(key, mark, files)


# -- the whole sync with one hub ----------------------------------------------------------


@contextlib.contextmanager
def exclusive(h: Handle):
    """One sync of a library at a time (another waits, up to a minute); under it, the temp
    files a killed sync of this library left behind are removed."""
    import fcntl
    import time

    path = h.path.parent / f".{h.path.name}.sync-lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise LibraryError(f"cannot lock {path}: {exc.strerror or exc}") from None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LibraryError(
                        "another gloss is syncing this library; try again when it is done"
                    ) from None
                time.sleep(0.05)
        for stale in h.path.parent.glob(f"{temp_prefix(h)}*"):
            with contextlib.suppress(OSError):
                stale.unlink()
        yield
    finally:
        os.close(fd)


def temp_prefix(h: Handle) -> str:
    """The name every temp file of this library's syncs starts with (beside the library:
    never in a hub)."""
    return f".{h.path.name}.tmp-"


def _temp(h: Handle, kind: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f"{temp_prefix(h)}{kind}-", suffix=".db", dir=h.path.parent)
    os.close(fd)
    return Path(tmp)


def sync_hub(h: Handle, hub: Hub, report: SyncReport, progress: Progress | None) -> None:
    """Merge what is new in the hub, then publish what the hub lacks (one file at most)."""
    with exclusive(h):
        if isinstance(hub, FolderHub):
            hub.clean_temps(h.device_id)
        _sync_hub(h, hub, report, progress)


def _sync_hub(h: Handle, hub: Hub, report: SyncReport, progress: Progress | None) -> None:
    ensure_tables(h)
    st = _state(h, hub.location)
    report.hub = hub.location
    entries = hub.entries()
    listed = {e.name: e for e in entries}
    gone = [n for n in st.files if n not in listed]
    if gone:
        with h.write() as w:
            w.executemany(
                "DELETE FROM sync_files WHERE hub = ? AND name = ?", [(st.key, n) for n in gone]
            )
        for n in gone:
            del st.files[n]
    first = st.mark is None
    if first:  # before merging: what we have, not what we are about to receive from it
        _publish(h, hub, st, report, full=True)
    for e in entries:  # a bad file is read once, but named at every sync until it changes
        known = st.files.get(e.name)
        if (
            known and known[0] == e.sig and (known[3] or "").startswith("skipped: ")
            and not _readable_now(known[3])
        ):  # fmt: skip
            report.peers.append(
                _skip(PeerResult(_where(hub, e.name)), known[3][9:] + " (unchanged since)")
            )
    todo = [e for e in entries if _needs_reading(h, st, e)]
    for n, entry in enumerate(todo):
        if progress:
            progress(n, len(todo) + 1, entry.name)
        result = _read(h, hub, st, entry)
        if result is not None:
            report.peers.append(result)
    if progress:
        progress(len(todo), len(todo) + 1, "publishing")
    lost = _lost(h, st)
    if lost:
        with h.write() as w:
            w.execute("UPDATE sync_hubs SET mark = NULL WHERE key = ?", (st.key,))
            w.execute("DELETE FROM sync_sent WHERE hub = ?", (st.key,))
            w.execute("DELETE FROM sync_own WHERE hub = ?", (st.key,))
        st.mark = None
        report.messages.append(
            f"{lost} of this device's files are no longer in {hub.location}: everything this"
            " library holds is published there again"
        )
        _publish(h, hub, st, report, full=True)
    elif not first:
        _publish(h, hub, st, report, full=False)
    _compact(h, hub, st, report)
    if report.peers or report.published or report.compacted:  # (else: nothing is written)
        _prune(h)
        with h.write() as w:
            w.execute("UPDATE sync_hubs SET synced_at = ? WHERE key = ?", (now_iso(), st.key))


def _lost(h: Handle, st: HubState) -> int:
    """How many packs this device wrote to the hub are in it under no name now."""
    present = {d for (_, d, _, _) in st.files.values() if d}
    own = [r[0] for r in h.conn.execute("SELECT digest FROM sync_own WHERE hub = ?", (st.key,))]
    return sum(1 for d in own if d not in present)


def _needs_reading(h: Handle, st: HubState, e: Entry) -> bool:
    known = st.files.get(e.name)
    if (
        known is not None and known[0] == e.sig and known[3] != "waiting"
        and not _readable_now(known[3])
    ):  # fmt: skip
        return False
    parsed = pack.parse_name(e.name)
    if parsed is not None and known is None:  # a pack by its name: merged already?
        digest = _merged_digest(h, parsed[2])
        if digest is not None:
            _record(h, st, e, digest, 0, "merged")
            return False
    return True


_NEWER = re.compile(r"written by a newer gloss \(fact file format (\d{1,9})\)")


def _readable_now(verdict: str | None) -> bool:
    """A file skipped as written by a newer gloss, in a format this gloss reads: it was
    skipped before gloss was upgraded, and is read again now."""
    m = _NEWER.search(verdict or "")
    return m is not None and int(m.group(1)) <= pack.PACK_VERSION


def _merged_digest(h: Handle, prefix: str) -> str | None:
    row = h.conn.execute(
        "SELECT digest FROM sync_merged WHERE digest >= ? AND digest < ? LIMIT 1",
        (prefix, prefix + "g"),
    ).fetchone()
    return row[0] if row else None


def _record(
    h: Handle, st: HubState, e: Entry, digest: str | None, own: int, verdict: str | None,
    w: sqlite3.Connection | None = None,
) -> None:  # fmt: skip
    row = (st.key, e.name, e.sig, digest, own, verdict)
    sql = (
        "INSERT OR REPLACE INTO sync_files (hub, name, sig, digest, own, verdict)"
        " VALUES (?, ?, ?, ?, ?, ?)"
    )
    if w is not None:
        w.execute(sql, row)
    else:
        with h.write() as conn:
            conn.execute(sql, row)
    st.files[e.name] = (e.sig, digest, own, verdict)


# -- reading a file of the hub ------------------------------------------------------------


def _read(h: Handle, hub: Hub, st: HubState, e: Entry) -> PeerResult | None:
    """Merge one file of the hub if it holds facts; its result, or None for a file that is
    nobody's gloss file (recorded, so that it is not read again until it changes)."""
    result = PeerResult(_where(hub, e.name))
    try:
        head = hub.head(e.name)
    except LibraryError as exc:
        return _skip(result, str(exc))
    if pack.is_pack(head):
        return _read_pack(h, hub, st, e, result)
    if head.startswith(b"SQLite format 3\x00") or e.name.endswith(LEGACY_SUFFIX):
        return _read_legacy(h, hub, st, e, result)
    if "gloss" in e.name.lower():  # named like ours: say why it was not read
        _skip(result, "not a gloss file (neither a fact file nor a library)")
        _record(h, st, e, None, 0, f"skipped: {result.skipped}")
        return result
    _record(h, st, e, None, 0, "not a gloss file")
    return None


def _read_pack(h: Handle, hub: Hub, st: HubState, e: Entry, result: PeerResult) -> PeerResult:
    try:
        with hub.reading(e.name) as src:
            size = _size(src)
            digest = pack.digest_of(src)
            if h.conn.execute("SELECT 1 FROM sync_merged WHERE digest = ?", (digest,)).fetchone():
                _record(h, st, e, digest, 0, "merged")
                result.unchanged = True
                return result
            hooks = _Hooks(h, st, e, digest, result)
            for path in pack.segments(src, size, lambda: _temp(h, "pack")):
                # one transaction each (the merge names the file's device); the file is
                # recorded after the last
                merge_file(h, path, result, pack=True, hooks=hooks)
            with h.write() as w:
                hooks.finish(w)
    except LibraryError as exc:
        _skip(result, str(exc))
        if not _transient(str(exc)):
            _record(h, st, e, None, 0, f"skipped: {result.skipped}")
        return result
    except Exception as exc:  # a bug a file found: skip it (rolled back), never stop the sync
        return _skip(
            result, f"could not be merged: {type(exc).__name__}: {exc}"
        )  # (again next time)
    return result


def _read_legacy(h: Handle, hub: Hub, st: HubState, e: Entry, result: PeerResult) -> PeerResult:
    """A whole library in the hub (gloss 1 wrote `<device>.gloss`; a machine not upgraded
    yet still does): merged, once per version of it, with the same checks."""
    if e.size > MAX_LEGACY_BYTES:
        _record(h, st, e, None, 0, "too large")
        return _skip(result, f"larger than {MAX_LEGACY_BYTES >> 30} GiB, the limit")
    if isinstance(hub, FolderHub):
        merged = merge_peer(h, hub.folder / e.name, h.path.parent, hooks=_LegacyHooks(h, st))
    else:
        with hub.reading(e.name) as src, _spooled(src, _temp(h, "peer")) as local:
            merged = merge_peer(h, local, h.path.parent, hooks=_LegacyHooks(h, st))
    merged.path = _where(hub, e.name)
    if merged.skipped is None:
        _record(h, st, e, None, 0, "waiting" if merged.waiting else "merged")
    elif not _transient(merged.skipped):
        _record(h, st, e, None, 0, f"skipped: {merged.skipped}")
    return merged


def _transient(reason: str) -> bool:
    """A reason that may not hold at the next sync: the file is read again then."""
    return any(
        w in reason
        for w in ("in use", "changed while", "busy", "cannot read", "could not be merged",
                  "cannot be unpacked", "took too long", "No space")
    )  # fmt: skip


@contextlib.contextmanager
def _spooled(src: IO[bytes], path: Path):
    try:
        import shutil

        with path.open("wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


class _Hooks:
    """Run inside each merge transaction of a pack's segments: what came from the hub is
    not sent back to it. Once every segment is merged, the file and its digest are
    recorded (`finish`)."""

    def __init__(self, h: Handle, st: HubState, e: Entry, digest: str, result: PeerResult):
        self.h, self.st, self.e, self.digest, self.result = h, st, e, digest, result
        self.before = 0

    def begin(self, w: sqlite3.Connection) -> None:
        self.before = _top(w)

    def end(self, w: sqlite3.Connection) -> None:
        _held(w, self.st, self.before)

    def finish(self, w: sqlite3.Connection) -> None:
        waiting = bool(self.result.waiting)
        if not waiting:
            w.execute("INSERT OR IGNORE INTO sync_merged (digest) VALUES (?)", (self.digest,))
        _record(self.h, self.st, self.e, self.digest, 0, "waiting" if waiting else "merged", w)


class _LegacyHooks:
    def __init__(self, h: Handle, st: HubState) -> None:
        self.h, self.st, self.before = h, st, 0

    def begin(self, w: sqlite3.Connection) -> None:
        self.before = _top(w)

    def end(self, w: sqlite3.Connection) -> None:
        _held(w, self.st, self.before)


def _size(f: IO[bytes]) -> int:
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(0)
    return size


def _top(w: sqlite3.Connection) -> int:
    return w.execute("SELECT coalesce(max(seq), 0) FROM sync_journal").fetchone()[0]


def _held(w: sqlite3.Connection, st: HubState, before: int) -> None:
    """Facts the peer file held: those it gave us (journal rows after `before`), and ours
    after the hub's mark that it holds exactly (never sent to it, then)."""
    w.execute(
        "INSERT OR IGNORE INTO sync_sent (hub, seq) SELECT ?, seq FROM sync_journal WHERE seq > ?",
        (st.key, before),
    )
    peer = {r[0] for r in w.execute("SELECT name FROM peer.sqlite_master WHERE type = 'table'")}
    for table, (key, cols) in _HELD.items():
        if table not in peer or table not in journaled(w):  # (an older file or library)
            continue
        code = JOURNAL[table][0]
        same = " AND ".join(f"p.{c} IS x.{c}" for c in cols.replace(" ", "").split(","))
        w.execute(
            f"INSERT OR IGNORE INTO sync_sent (hub, seq) SELECT ?, j.seq FROM sync_journal j"
            f" JOIN main.{table} x ON x.{key} = j.c WHERE j.tbl = {code} AND j.seq > ?"
            f" AND j.seq <= ? AND EXISTS (SELECT 1 FROM peer.{table} p WHERE p.{key} = x.{key}"
            f" AND {same})",
            (st.key, st.mark or 0, before),
        )


def _where(hub: Hub, name: str) -> str:
    return str(hub.folder / name) if isinstance(hub, FolderHub) else f"{hub.location}/{name}"


def _skip(result: PeerResult, reason: str) -> PeerResult:
    """The file was not merged (its transaction rolled back): nothing received from it."""
    result.skipped = clean_line(" ".join(reason.split()))
    result.received = result.sent = result.refused = result.conflicts = 0
    result.refusals = []
    return result


# -- publishing ---------------------------------------------------------------------------


def _publish(h: Handle, hub: Hub, st: HubState, report: SyncReport, full: bool) -> None:
    """Write one pack with the facts after the hub's mark that it does not hold (`full`:
    every fact this library holds); nothing when there are none."""
    conn = h.conn
    top = _top(conn)
    if full:
        have = conn.execute(
            "SELECT " + " OR ".join(f"EXISTS (SELECT 1 FROM {t})" for t in journaled(conn))
        ).fetchone()[0]
    else:
        have = conn.execute(
            "SELECT 1 FROM sync_journal j WHERE seq > ? AND seq <= ? AND NOT EXISTS (SELECT 1"
            " FROM sync_sent s WHERE s.hub = ? AND s.seq = j.seq) LIMIT 1",
            (st.mark or 0, top, st.key),
        ).fetchone()
    if not have:
        _set_mark(h, st, top)
        return
    counts: dict[str, int] = {}
    digest, name, size = _put(h, hub, _segments(h, st, full, top, counts), _next_seq(h))
    with h.write() as w:
        _own(h, hub, st, w, name, digest, size)
        w.execute("UPDATE sync_hubs SET mark = ? WHERE key = ?", (top, st.key))
        w.execute("DELETE FROM sync_sent WHERE hub = ? AND seq <= ?", (st.key, top))
    st.mark = top
    report.published = _where(hub, name)
    report.up_to_date = False
    report.written_bytes += size
    report.sent += sum(counts.values())


def _put(h: Handle, hub: Hub, segments: Iterable[bytes], seq: int) -> tuple[str, str, int]:
    """Write the pack of these segments into the hub under its final name: (digest, name,
    bytes)."""
    got: dict[str, int | str] = {}

    def write(out: IO[bytes]) -> str:
        start = out.tell()
        got["digest"] = digest = pack.write(out, segments)
        got["size"] = out.tell() - start
        return digest

    try:
        name = hub.publish(
            h.device_id, write, lambda d: pack.pack_name(h.device_id, seq, d), _temp(h, "up")
        )
    except OSError as exc:  # (a transport turns its own into LibraryError; this is ours)
        raise LibraryError(f"cannot write a fact file: {exc.strerror or exc}") from None
    finally:
        if hasattr(segments, "close"):
            segments.close()  # a generator stopped early: its temp file is removed
    return str(got["digest"]), name, int(got["size"])


def _own(
    h: Handle, hub: Hub, st: HubState, w: sqlite3.Connection, name: str, digest: str, size: int
) -> None:
    """Record a pack this device has just put in the hub (with the signature the hub gives
    it now: should the file change, it is read again)."""
    sig = hub.sig(name) or ""
    w.execute(
        "INSERT OR REPLACE INTO sync_own (hub, digest, name, size) VALUES (?, ?, ?, ?)",
        (st.key, digest, name, size),
    )
    w.execute("INSERT OR IGNORE INTO sync_merged (digest) VALUES (?)", (digest,))
    _record(h, st, Entry(name, size, sig), digest, 1, "own", w)


def _set_mark(h: Handle, st: HubState, top: int) -> None:
    with h.write() as w:
        w.execute("UPDATE sync_hubs SET mark = ? WHERE key = ?", (top, st.key))
        w.execute("DELETE FROM sync_sent WHERE hub = ? AND seq <= ?", (st.key, top))
    st.mark = top


def _next_seq(h: Handle) -> int:
    with h.write() as w:
        seq = int(h.meta("sync_pack_seq") or 0) + 1
        h.set_meta(w, "sync_pack_seq", str(seq))
    return seq


def _segments(
    h: Handle, st: HubState, full: bool, top: int, counts: dict[str, int]
) -> Iterator[bytes]:
    """The segment databases of a pack, filled one at a time (each is compressed while the
    next one fills); `counts` adds up their rows. A later sync's pack is one segment: the
    facts of the journal after the hub's mark that the hub does not hold. A full one has a
    segment of the feeds (subscriptions and their events: a feed entry needs its feed), then
    one per SEGMENT_ARTICLES articles (with every fact about them: analyses, notes, events,
    feed entries, corrections), then one of the rest (versions).
    Facts are never changed or removed, so segments filled one after another hold every
    fact up to `top` (and maybe a few after it, which a later pack holds again: harmless)."""
    conn = h.conn
    if not full:
        conn.execute("DROP TABLE IF EXISTS temp.pub")
        conn.execute(
            "CREATE TEMP TABLE pub AS SELECT tbl, a, b, c, d FROM sync_journal j"
            " WHERE seq > ? AND seq <= ? AND NOT EXISTS (SELECT 1 FROM sync_sent s"
            " WHERE s.hub = ? AND s.seq = j.seq)",
            (st.mark or 0, top, st.key),
        )
        try:
            sql = {}
            for table in journaled(conn):
                code, _, join = JOURNAL[table]
                cols = _COLUMNS[table]
                picked = ", ".join(f"x.{c.strip()}" for c in cols.split(","))
                sql[table] = (
                    f"SELECT DISTINCT {picked} FROM temp.pub j JOIN main.{table} x ON {join}"
                    f" WHERE j.tbl = {code}",
                    (),
                )
            yield _segment(h, sql, counts)
        finally:
            conn.execute("DROP TABLE IF EXISTS temp.pub")
        return
    tables = journaled(conn)
    by_article = [t for t in _BY_ARTICLE if t in tables]
    # the feeds first: a feed entry in an article's segment is taken only if its feed is known
    feeds = [t for t in _FEEDS if t in tables]
    if feeds and conn.execute("SELECT 1 FROM main.feeds LIMIT 1").fetchone():
        yield _segment(h, {t: (f"SELECT {_COLUMNS[t]} FROM main.{t}", ()) for t in feeds}, counts)
    low = 0
    while True:
        row = conn.execute(
            "SELECT max(key) FROM (SELECT key FROM articles WHERE key > ? ORDER BY key LIMIT ?)",
            (low, pack.SEGMENT_ARTICLES),
        ).fetchone()
        if row[0] is None:
            break
        high = row[0]
        sql = {"articles": (f"SELECT {_COLUMNS['articles']} FROM main.articles"
                            " WHERE key > ? AND key <= ?", (low, high))}  # fmt: skip
        for t in by_article:  # (each through its index on article)
            sql[t] = (f"SELECT {_COLUMNS[t]} FROM main.{t} WHERE article > ? AND article <= ?",
                      (low, high))  # fmt: skip
        yield _segment(h, sql, counts, own_refs=True)  # (facts of these articles only)
        low = high
    rest = {t: (f"SELECT {_COLUMNS[t]} FROM main.{t}", ())
            for t in tables if t not in by_article and t not in feeds}  # fmt: skip
    # (and an article added since its range was read, with its facts: harmless, see above)
    rest["articles"] = (f"SELECT {_COLUMNS['articles']} FROM main.articles WHERE key > ?", (low,))
    for t in by_article:
        rest[t] = (f"SELECT {_COLUMNS[t]} FROM main.{t} WHERE article <= 0 OR article > ?",
                   (low,))  # fmt: skip
    yield _segment(h, rest, counts)


def _segment(
    h: Handle, sql: dict[str, tuple[str, tuple]], counts: dict[str, int], own_refs: bool = False
) -> bytes:
    """One segment database (its bytes): the rows each SELECT gives its table, with their
    refs and models. `own_refs`: every fact in it is about an article it holds (a full
    pack's article segment), so its refs are its articles' keys and ids, read from it."""
    conn = h.conn
    conn.execute("ATTACH DATABASE ':memory:' AS pk")  # (in memory: a segment is ~20 MB)
    try:
        conn.deserialize(pack.empty(), name="pk")
        conn.execute("BEGIN")
        try:
            for table, (select, args) in sql.items():
                n = conn.execute(
                    f"INSERT INTO pk.{table} ({_COLUMNS[table]}) {select}", args
                ).rowcount
                counts[table] = counts.get(table, 0) + n
            if own_refs:  # (half the cost of looking each key up in the library again)
                conn.execute("INSERT INTO pk.refs (key, id) SELECT key, id FROM pk.articles")
            else:
                refs = " UNION ".join(
                    f"SELECT {c} FROM pk.{t}" for t, cs in _ARTICLE_COLS.items() for c in cs
                )
                conn.execute(
                    f"INSERT INTO pk.refs (key, id) SELECT key, id FROM main.articles"
                    f" WHERE key IN ({refs})"
                )
            conn.execute(
                "INSERT INTO pk.models (key, name) SELECT key, name FROM main.models"
                " WHERE key IN (SELECT model FROM pk.analyses)"
            )
            conn.executemany("INSERT INTO pk.meta (key, value) VALUES (?, ?)", _meta_rows(h))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        version = pack.settle(conn, "pk")  # (no correction in it: a version-1 segment)
        conn.execute("UPDATE pk.meta SET value = ? WHERE key = 'format'", (str(version),))
        return conn.serialize(name="pk")
    finally:
        conn.execute("DETACH DATABASE pk")


# -- compaction and pruning ---------------------------------------------------------------


def _compact(h: Handle, hub: Hub, st: HubState, report: SyncReport) -> None:
    """Roll this device's own packs in the hub, all but the largest, into one, once there
    are COMPACT_AT of them; then remove the rolled ones (ours: no one else's is touched)."""
    mine = dict(h.conn.execute("SELECT digest, size FROM sync_own WHERE hub = ?", (st.key,)))
    # every file holding bytes this device wrote, under its name or a sync tool's conflict
    # copy of it (named as ours too: a device removes nothing it did not write)
    own = sorted(
        ((n, d) for n, (_, d, _, _) in st.files.items()
         if d in mine and n.startswith(f"{h.device_id}-")),
        key=lambda nd: (mine[nd[1]], nd[0]),
    )  # fmt: skip
    if len(own) < COMPACT_AT:
        return
    # A file written in the last COMPACT_GRACE_S may still be on its way to the other
    # machines through the sync tool: removed then, their pull fails ("no such file").
    # Such files wait for a later compaction; the largest file always stays.
    ages = {n: hub.age(n) for n, _ in own}
    young = {n for n, a in ages.items() if a is not None and a < COMPACT_GRACE_S}
    rolled = [nd for nd in own[:-1] if nd[0] not in young]
    if not rolled:
        return
    out = _temp(h, "roll")
    try:
        pack.create(out).close()
        for name, _ in rolled:
            with hub.reading(name) as src:
                size = _size(src)
                for path in pack.segments(src, size, lambda: _temp(h, "pack")):
                    _roll_into(out, path)
        _meta(out, h.device_id, compacted=len(rolled))
        digest, name, size = _put(h, hub, iter([out.read_bytes()]), _next_seq(h))
        with h.write() as w:
            _own(h, hub, st, w, name, digest, size)
    except LibraryError as exc:
        report.messages.append(f"compaction of this device's files skipped: {exc}")
        return
    finally:
        with contextlib.suppress(OSError):
            out.unlink()
    for old, d in rolled:  # only now that the rolled file is in place
        try:
            hub.remove(old)
        except LibraryError:
            continue
        with h.write() as w:
            w.execute("DELETE FROM sync_files WHERE hub = ? AND name = ?", (st.key, old))
            if not any(v[1] == d for n, v in st.files.items() if n != old):
                w.execute("DELETE FROM sync_own WHERE hub = ? AND digest = ?", (st.key, d))
        st.files.pop(old, None)
    report.compacted = len(rolled)
    report.written_bytes += size


def _roll_into(out: Path, path: Path) -> None:
    roll = sqlite3.connect(out, isolation_level=None)
    try:
        roll.execute("PRAGMA journal_mode = OFF")
        roll.execute("ATTACH DATABASE ? AS src", (f"{path.resolve().as_uri()}?mode=ro",))
        held = {r[0] for r in roll.execute("SELECT name FROM src.sqlite_master")}
        roll.execute("BEGIN")
        for table in pack.TABLES:  # (a version-1 segment has no corrections)
            if table != "meta" and table in held:
                roll.execute(f"INSERT OR IGNORE INTO main.{table} SELECT * FROM src.{table}")
        roll.execute("COMMIT")
    finally:
        roll.close()


def _meta_rows(h: Handle, **extra: object) -> list[tuple[str, str]]:
    return [("device_id", h.device_id), ("created", now_iso()), ("format", "1")] + [
        (k, str(v)) for k, v in extra.items()
    ]


def _meta(path: Path, device: str, **extra: object) -> None:
    """The meta of a rolled pack database, settled to the oldest version that holds it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        version = pack.settle(conn)
        conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [("device_id", device), ("created", now_iso()), ("format", str(version))]
            + [(k, str(v)) for k, v in extra.items()],
        )
    finally:
        conn.close()


def _prune(h: Handle) -> None:
    """Journal rows every hub holds already are not needed (a new hub gets everything)."""
    with h.write() as w:
        low, unset = w.execute("SELECT min(mark), count(*) - count(mark) FROM sync_hubs").fetchone()
        if low and not unset:
            w.execute("DELETE FROM sync_journal WHERE seq <= ?", (low,))
