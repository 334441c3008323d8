"""Reading a peer library safely and merging its facts: a checked, read-only private copy,
then a set union of facts (INSERT OR IGNORE) in one local transaction, then a rebuild of the
derived state of the articles it touched."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sqlite3
import stat
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from store.core import db, entity_index, hlc, state
from store.core.errors import LibraryError
from store.sync.analyses import is_clean, merge_analyses
from store.sync.checks import (
    ARTICLE_REFS,
    CHECKS,
    FACTS,
    OPTIONAL,
    STAMP_GLOB,
    check_layout,
    due,
    feed_id,
    is_article_id,
    is_correction,
    is_field,
    is_parents,
    is_structure,
    why_refused,
)

if TYPE_CHECKING:
    from store.core.handle import Handle

_FEED_OWNED = ("feeds", "feed_events")  # facts about feeds, touching no article

# A peer is read only if it is at most this large: twice the 8 KB-per-article budget of a
# million-article library (the copy needs as much free disk besides).
MAX_PEER_BYTES = 16 * 1024**3
_SPARE_BYTES = 64 * 1024**2  # free disk left after a peer's copy (for the merge itself)
# A merge (checks, copy of the facts, rebuild of what they touched) must finish in this
# time, else it is rolled back and the peer skipped: a minute plus a second per megabyte
# of the peer, about ten times what a first sync of 10,000 articles takes on a laptop
# (about 9 MB/s). It bounds what a crafted file (a planner trap, a huge fact) can cost.
MERGE_SECONDS = 60.0
MERGE_BYTES_PER_SECOND = 1_000_000.0
PROGRESS_OPS = 1000  # SQLite steps of one statement between two looks at the clock
# Facts stamped further ahead of our clock than hlc.MAX_DRIFT_MS: not merged, counted as
# waiting (the same file, read again once they are due, gives them).
WAITS = "stamped more than a day ahead of this machine's clock (merged when due)"
# Facts of a table this library does not have yet (made before it, not upgraded): they wait.
NOT_YET = "of a kind this library has no table for yet (merged once it is upgraded)"


@dataclass
class PeerResult:
    """What one peer file gave us and will get from us."""

    path: str
    device: str | None = None
    received: int = 0
    sent: int = 0
    conflicts: int = 0
    refused: int = 0  # facts dropped because they carried unsafe text or were malformed
    waiting: int = 0  # facts stamped too far ahead of our clock: not merged yet, not refused
    refusals: list[str] = field(default_factory=list)  # why (and what waits): "N <facts> <reason>"
    skipped: str | None = None  # why the file was not merged
    unchanged: bool = False  # the same file as at the last sync: nothing to read

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# -- reading a peer safely ---------------------------------------------------------------


def skip_reason(path: Path) -> str | None:
    name = path.name
    if name.startswith(".") or ".tmp" in name or name.endswith("~"):
        return "temporary file"
    with contextlib.suppress(OSError):  # (a FIFO or a device would block or never end)
        if not stat.S_ISREG(path.stat().st_mode):
            return "not a regular file"
    for sibling in ("-wal", "-journal"):
        if Path(str(path) + sibling).exists():
            return f"in use (has a {sibling[1:]} file); try again when it is closed"
    return None


@contextlib.contextmanager
def private_copy(path: Path, workdir: Path):
    """Copy a peer's bytes to a private file and check it; LibraryError says why not. A peer
    is first checked from its header (a regular file, not too large, gloss's ids), so a
    file that is not a library is never copied; the copy never outlives this block."""
    try:
        before = path.stat()
    except OSError as exc:
        raise LibraryError(f"cannot read: {exc.strerror or exc}") from None
    _check_before_copy(path, before)
    free = None
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(workdir).free
    if free is not None and before.st_size + _SPARE_BYTES > free:
        raise LibraryError(
            f"not enough free space to copy it ({before.st_size:,} bytes, {free:,} free)"
        )
    fd, tmp = _temp(workdir)
    tmp_path = Path(tmp)
    try:
        try:
            os.close(fd)
            shutil.copyfile(path, tmp)
            after = path.stat()
        except OSError as exc:
            doing = "copy it" if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else "read"
            raise LibraryError(f"cannot {doing}: {exc.strerror or exc}") from None
        if (before.st_size, before.st_mtime_ns, before.st_ino) != (
            after.st_size, after.st_mtime_ns, after.st_ino
        ) or tmp_path.stat().st_size != before.st_size:  # fmt: skip
            raise LibraryError("changed while being read; it will be merged next time")
        check_peer(tmp_path)
        yield tmp_path
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink()


def _temp(workdir: Path) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(prefix="peer-", suffix=".db", dir=workdir)
    except OSError as exc:
        raise LibraryError(f"cannot copy it: {exc.strerror or exc}") from None


def _check_before_copy(path: Path, st: os.stat_result) -> None:
    """LibraryError unless the peer is a regular file of a bounded size whose first 100
    bytes (SQLite's header) name a gloss library of a schema we read."""
    if not stat.S_ISREG(st.st_mode):
        raise LibraryError("not a regular file")
    if st.st_size > MAX_PEER_BYTES:
        raise LibraryError(f"larger than {MAX_PEER_BYTES:,} bytes ({st.st_size:,}); not read")
    try:  # (non-blocking: a FIFO put in its place since the stat must not hang us)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise LibraryError("not a regular file")
            header = os.pread(fd, 100, 0)
        finally:
            os.close(fd)
    except OSError as exc:
        raise LibraryError(f"cannot read: {exc.strerror or exc}") from None
    if len(header) < 100 or header[:16] != b"SQLite format 3\x00":
        raise LibraryError("not an SQLite file")
    page = int.from_bytes(header[16:18], "big")
    if (
        not (page == 1 or (512 <= page <= 32768 and page & (page - 1) == 0))
        or header[21:24] != b"\x40\x20\x20"
    ):  # the page size and payload fractions SQLite itself requires
        raise LibraryError("damaged or truncated (file is not a database)")
    _check_ids(
        int.from_bytes(header[68:72], "big", signed=True),
        int.from_bytes(header[60:64], "big", signed=True),
    )


def _check_ids(application_id: int, version: int) -> None:
    if application_id != db.APPLICATION_ID:
        raise LibraryError("an SQLite file, but not a gloss library")
    if version > db.SCHEMA_VERSION:
        raise LibraryError(
            f"written by a newer gloss (schema {version}, this gloss knows "
            f"{db.SCHEMA_VERSION}); upgrade gloss to sync with it"
        )
    if version < 1:
        raise LibraryError("not a complete gloss library")


def check_peer(path: Path) -> int:
    """quick_check, application_id and schema version of a peer copy; its user_version."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise LibraryError(f"not readable ({exc})") from None
    try:
        with path.open("rb") as f:  # (not read_bytes: the file can be gigabytes)
            header = f.read(16)
        if header != b"SQLite format 3\x00":
            raise LibraryError("not an SQLite file")
        with _deadline(conn, path) as late:
            try:
                if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise LibraryError("damaged (quick_check failed)")
            except sqlite3.OperationalError:
                if late:
                    raise LibraryError(late[0]) from None
                raise
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        _check_ids(conn.execute("PRAGMA application_id").fetchone()[0], version)
        return version
    except sqlite3.DatabaseError as exc:
        raise LibraryError(f"damaged or truncated ({exc})") from None
    finally:
        conn.close()


@contextlib.contextmanager
def _deadline(conn: sqlite3.Connection, path: Path):
    """Interrupt the statements of `conn` once a peer of this size has had its time (see
    MERGE_SECONDS); the list yielded then holds the reason, for the caller to raise."""
    seconds = MERGE_SECONDS + path.stat().st_size / MERGE_BYTES_PER_SECOND
    end = time.monotonic() + seconds
    late: list[str] = []

    def check() -> int:
        if time.monotonic() > end:
            if not late:
                late.append(f"took too long (more than {seconds:.0f} s); not merged")
            return 1
        return 0

    conn.set_progress_handler(check, PROGRESS_OPS)
    try:
        yield late
    finally:
        conn.set_progress_handler(None, 0)


# -- merging ------------------------------------------------------------------------------


def _peer_article(version: int, column: str, refs: str = "articles") -> str:
    """SQL for our key of the article a peer row (alias p) names in `column`; NULL when we
    do not hold it. A schema-5 peer names it by its own key (a pack maps its keys to ids in
    `refs`), an older one by the hex id."""
    if version >= 5:
        return (
            f"(SELECT a.key FROM peer.{refs} px JOIN main.articles a ON a.id = px.id"
            f' WHERE px.key = p."{column}")'
        )
    return f'(SELECT a.key FROM main.articles a WHERE a.id = p."{ARTICLE_REFS[column]}")'


def _ours_in_peer(version: int, column: str) -> str:
    """SQL for what a peer row holds for the article our row (alias m) names in `column`."""
    if version >= 5:
        return (
            "(SELECT px.key FROM main.articles a JOIN peer.articles px ON px.id = a.id"
            f' WHERE a.key = m."{column}")'
        )
    return f'(SELECT a.id FROM main.articles a WHERE a.key = m."{column}")'


class Hooks(Protocol):
    """What a caller runs inside a merge's transaction: at its start and before its end."""

    def begin(self, w: sqlite3.Connection) -> None: ...
    def end(self, w: sqlite3.Connection) -> None: ...


def merge_file(
    h: Handle, path: Path, result: PeerResult, pack: bool = False, hooks: Hooks | None = None
) -> None:
    """Merge the facts of a checked peer copy into the library, in one transaction. A pack
    (store.sync.pack, its layout checked exactly) holds only facts: what we send is not
    counted against it."""
    conn = h.conn
    conn.create_function("gloss_clean", 1, is_clean, deterministic=True)
    conn.create_function("gloss_field", 1, is_field, deterministic=True)
    conn.create_function("gloss_parents", 2, is_parents, deterministic=True)
    conn.create_function("gloss_feed_id", 1, feed_id, deterministic=True)
    conn.create_function("gloss_structure", 2, is_structure, deterministic=True)
    conn.create_function("gloss_article_id", 3, is_article_id, deterministic=True)
    conn.create_function("gloss_correction", 2, is_correction, deterministic=True)
    conn.execute("ATTACH DATABASE ? AS peer", (f"{path.resolve().as_uri()}?mode=ro&immutable=1",))
    try:
        with _deadline(conn, path) as late:
            try:
                with h.write() as w:
                    if hooks:
                        hooks.begin(w)
                    _merge(h, w, result, pack)
                    if hooks:
                        hooks.end(w)
            except (sqlite3.OperationalError, LibraryError) as exc:
                if late:  # interrupted (rolled back): the deadline, not the file's layout
                    raise LibraryError(late[0]) from None
                if isinstance(exc, LibraryError):
                    raise
                # a file with gloss's ids but not its tables
                raise LibraryError(f"not laid out as a gloss library ({exc})") from None
    finally:
        conn.execute("DETACH DATABASE peer")


def _merge(h: Handle, w: sqlite3.Connection, result: PeerResult, pack: bool = False) -> None:
    version = 5 if pack else w.execute("PRAGMA peer.user_version").fetchone()[0]
    # only real tables: a view (a recursive one never ends) or a virtual table is not read
    present = {r[0] for r in w.execute("SELECT name FROM peer.sqlite_master WHERE type = 'table'")}
    if not pack:  # (a pack's layout is checked exactly when it is opened)
        check_layout(w, version, present)
    device = w.execute("SELECT value FROM peer.meta WHERE key = 'device_id'").fetchone()
    result.device = device[0] if device else None
    # A pack with our id that we did not write (we skip our own by digest) holds facts of
    # this library's: restored from a backup, say. A whole library with it is a copy.
    if (
        not pack
        and result.device == h.device_id
        and h.meta(f"published:{Path(result.path).resolve()}") is None
    ):
        # (a library file we publish to keeps our id: `gloss sync FILE` merges it back)
        raise LibraryError(
            f"has this library's own device id ({h.device_id}): a copy of this library, not merged"
        )
    touched: set[int] = set()
    analysed: set[int] = set()
    corrected: set[int] = set()
    fresh: set[int] = set()
    entry_keys: set[tuple[str, str]] = set()
    refusals: dict[str, int] = {}
    ours = {r[0] for r in w.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")}
    for table in FACTS:
        if table not in present or (table in OPTIONAL and version < 5):
            continue  # an older schema (or a version-1 pack): read what it has
        if table not in ours:  # a library not upgraded yet: read again once it is
            n = w.execute(f"SELECT count(*) FROM peer.{table}").fetchone()[0]
            if n:
                refusals[f"{_NOUNS[table]} {NOT_YET}"] = n
            continue
        received, new, sent = _merge_table(w, table, version, refusals, pack)
        result.received += received
        result.sent += sent
        if table == "articles":
            touched |= set(new)
            fresh = set(new)  # articles new here: no postings of theirs to forget
            if "analyses" in present:  # analyses next: nothing else refers to them
                got, analysed, sent = merge_analyses(w, version, refusals, pack)
                result.received += got
                result.sent += sent
        elif table == "feed_entries":
            entry_keys |= {(row[0], row[1]) for row in new}
            touched |= {row[2] for row in new}
        elif table not in _FEED_OWNED:
            touched |= {k for row in new for k in row}
            if table == "entity_corrections":
                corrected = {row[0] for row in new}
    for line in result.refusals:  # a pack's earlier segments: one count per reason a file
        n, why = line.split(" ", 1)
        refusals[why] = refusals.get(why, 0) + int(n)
    result.waiting = sum(n for why, n in refusals.items() if why.endswith((WAITS, NOT_YET)))
    result.refused = sum(refusals.values()) - result.waiting
    result.refusals = [f"{n} {why}" for why, n in refusals.items()]
    _observe(h, w, present)
    state.rebuild(w, touched)
    if entry_keys:  # one entry fetched as different texts on two machines
        from store.ingest.feeds import converge_entries

        converge_entries(w, entry_keys)
    # (a correction changes what its article's entities are, as a new analysis does)
    entity_index.rebuild_entities(w, analysed | corrected, fresh)
    result.conflicts = _conflicts(w, touched)


# "Sent" counts what a reader calls facts.
COUNTED = (
    "articles", "analyses", "note_revisions", "events", "article_versions", "feeds",
    "feed_events", "feed_entries", "entity_corrections",
)  # fmt: skip
_NOUNS = {
    "articles": "articles", "note_revisions": "note revisions", "events": "events",
    "article_versions": "version links", "feeds": "feeds", "feed_events": "feed events",
    "feed_entries": "feed entries", "entity_corrections": "entity corrections",
}  # fmt: skip


def _merge_table(
    w: sqlite3.Connection, table: str, version: int, refusals: dict[str, int], pack: bool = False
) -> tuple[int, list[tuple], int]:
    """Insert the peer's rows we lack: (received, owner keys of new rows, sent). Rows move
    inside SQLite, through one scan of the peer into a temp table, never through Python;
    a column naming an article is re-keyed to ours through the peer's public ids."""
    cols, key = FACTS[table]
    refs = [c for c in cols if c in ARTICLE_REFS]
    refs_table = "refs" if pack else "articles"
    source = {c: _peer_article(version, c, refs_table) if c in refs else f'p."{c}"' for c in cols}
    missing = " AND ".join(f'm."{k}" = {source[k]}' for k in key)
    check = CHECKS.get(table, "1")
    names = ", ".join(f'"{c}"' for c in cols)
    if table == "articles":
        return _merge_articles(w, names, missing, check, refusals, pack)
    w.execute("DROP TABLE IF EXISTS temp.merge_rows")
    w.execute(  # (why: the first check a row fails, NULL when it passes them all)
        "CREATE TEMP TABLE merge_rows AS SELECT "
        + ", ".join(f'{source[c]} AS "{c}"' for c in cols)
        + f", {why_refused(table, _NOUNS[table])} AS why, 1 AS ok, ({due()}) AS due"
        f" FROM peer.{table} p WHERE NOT EXISTS (SELECT 1 FROM main.{table} m WHERE {missing})"
    )
    w.execute("UPDATE temp.merge_rows SET ok = 0 WHERE why IS NOT NULL")
    for why, n in w.execute(
        "SELECT why, count(*) FROM temp.merge_rows WHERE why IS NOT NULL GROUP BY why"
    ).fetchall():
        refusals[why] = refusals.get(why, 0) + n
    n = w.execute("UPDATE temp.merge_rows SET ok = 0 WHERE ok AND NOT due").rowcount
    if n:  # a later stamp is neither merged nor adopted: it waits until it is due
        refusals[f"{_NOUNS[table]} {WAITS}"] = n
    if refs:  # nothing may hang off an article we do not have
        orphaned = " OR ".join(f'"{c}" IS NULL' for c in refs)
        n = w.execute(f"UPDATE temp.merge_rows SET ok = 0 WHERE ok AND ({orphaned})").rowcount
        if n:
            refusals[f"{_NOUNS[table]} about an article not merged"] = n
    if table == "article_versions":
        _refuse_cycles(w, refusals)
    if table == "entity_corrections":
        _refuse_spans(w, refusals)
    if table == "note_revisions":
        _refuse_passages(w, refusals)
        _refuse_revision_cycles(w, refusals)
    w.execute(
        f"INSERT OR IGNORE INTO main.{table} ({names}) SELECT {names} FROM temp.merge_rows WHERE ok"
    )
    received = w.execute("SELECT count(*) FROM temp.merge_rows WHERE ok").fetchone()[0]
    owner = (
        ("feed_id", "guid", "article") if table == "feed_entries"
        else ("feed_id",) if table in _FEED_OWNED else tuple(refs)
    )  # fmt: skip
    new = w.execute(f"SELECT DISTINCT {', '.join(owner)} FROM temp.merge_rows WHERE ok").fetchall()
    w.execute("DROP TABLE temp.merge_rows")
    sent = 0
    if table in COUNTED and not pack:
        back = " AND ".join(
            f'p."{ARTICLE_REFS[k] if version < 5 else k}" = {_ours_in_peer(version, k)}'
            if k in refs else f'p."{k}" = m."{k}"'
            for k in key
        )  # fmt: skip
        sent = w.execute(
            f"SELECT count(*) FROM main.{table} m WHERE NOT EXISTS"
            f" (SELECT 1 FROM peer.{table} p WHERE {back})"
        ).fetchone()[0]
    return received, new, sent


def _refuse_passages(w: sqlite3.Connection, refusals: dict[str, int]) -> None:
    """Refuse each new revision whose passage is not inside its article's text: both ends
    NULL (a note on the whole article) or 0 <= start < end <= the text's length, as the
    annotation code writes them (a highlight is never empty)."""
    n = w.execute(
        "UPDATE temp.merge_rows SET ok = 0 WHERE ok AND NOT coalesce("
        "(pos_start IS NULL AND pos_end IS NULL) OR (pos_start >= 0 AND pos_start < pos_end"
        " AND pos_end <= (SELECT length(a.text) FROM main.articles a"
        " WHERE a.key = merge_rows.article)), 0)"
    ).rowcount
    if n:
        why = "note revisions with a passage outside the article text"
        refusals[why] = refusals.get(why, 0) + n


def _refuse_spans(w: sqlite3.Connection, refusals: dict[str, int]) -> None:
    """Refuse each new entity correction whose span is not inside its article's text
    (0 <= start < end <= its length) or whose quote is not the text there: a correction
    names a span of the text it was made on, and the article it names is that text."""
    text = "(SELECT a.text FROM main.articles a WHERE a.key = merge_rows.article)"
    for why, test in (
        ("with a span outside the article text",
         f"pos_start >= 0 AND pos_start < pos_end AND pos_end <= length({text})"),
        ("whose quote is not the article text at their span",
         f"substr({text}, pos_start + 1, pos_end - pos_start) = exact"),
    ):  # fmt: skip
        n = w.execute(
            f"UPDATE temp.merge_rows SET ok = 0 WHERE ok AND NOT coalesce(({test}), 0)"
        ).rowcount
        if n:
            why = f"entity corrections {why}"
            refusals[why] = refusals.get(why, 0) + n


def _refuse_revision_cycles(w: sqlite3.Connection, refusals: dict[str, int]) -> None:
    """Refuse each new revision that would be its own ancestor: one of its parents descends
    from it, through the revisions of its note held and those accepted before it (in stamp
    order). Every revision of a cycle is some other's parent, so none is a head: the note
    would vanish. Only a revision with parents that some revision names as a parent can
    close one: in a peer's usual stamp order (parents first) no search runs at all."""
    rows = w.execute(
        "SELECT rowid, rev_id, note_id, parents FROM temp.merge_rows WHERE ok AND parents != '[]'"
        " ORDER BY hlc, rev_id"
    ).fetchall()
    if not rows:
        return
    notes = sorted({r[2] for r in rows})
    graph: dict[str, list[str]] = {}  # revision -> its parents
    for i in range(0, len(notes), 500):
        chunk = notes[i : i + 500]
        for rev, parents in w.execute(
            "SELECT rev_id, parents FROM main.note_revisions WHERE parents != '[]' AND note_id"
            f" IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            with contextlib.suppress(ValueError, TypeError):
                graph[rev] = json.loads(parents)
    named = {p for parents in graph.values() for p in parents}  # revisions with children
    budget = [_MAX_SEARCH]
    refused = []
    for rowid, rev, _, parents in rows:
        mine = json.loads(parents)  # (checked by gloss_parents: a list of ids)
        if rev in named and _reaches(graph, mine, rev, budget):
            refused.append((rowid,))
        else:
            graph[rev] = mine
            named.update(mine)
    if refused:
        w.executemany("UPDATE temp.merge_rows SET ok = 0 WHERE rowid = ?", refused)
        why = "note revisions that would close a cycle"
        refusals[why] = refusals.get(why, 0) + len(refused)


_MAX_SEARCH = 1_000_000  # revisions visited per peer looking for cycles; then refuse


def _reaches(graph: dict[str, list[str]], start: list[str], target: str, budget: list[int]):
    """True if `target` is among `start` or their ancestors in `graph`, or if the search
    runs past the peer's budget (a crafted graph must not cost quadratic time)."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        rev = todo.pop()
        budget[0] -= 1
        if rev == target or budget[0] < 0:
            return True
        if rev not in seen:
            seen.add(rev)
            todo.extend(graph.get(rev, ()))
    return False


_MAX_CHAIN = 10_000  # versions of one article followed before a link is refused anyway


def _refuse_cycles(w: sqlite3.Connection, refusals: dict[str, int]) -> None:
    """Refuse each new version link (old -> new) that would close a cycle: old = new, or
    old among the newer versions of new (the links held plus those accepted before it, in
    stamp order). An article in a cycle would be superseded for good, on every machine."""
    rows = w.execute(
        "SELECT rowid, old, new FROM temp.merge_rows WHERE ok ORDER BY hlc, old, new"
    ).fetchall()
    for rowid, old, new in rows:
        if old == new:
            why = "version links from an article to itself"
        else:
            found, depth = w.execute(
                "WITH RECURSIVE newer (k, d) AS (SELECT ?1, 0 UNION SELECT v.new, d + 1"
                " FROM newer JOIN main.article_versions v ON v.old = newer.k WHERE d < ?3)"
                " SELECT coalesce(max(k = ?2), 0), max(d) FROM newer",
                (new, old, _MAX_CHAIN),
            ).fetchone()
            if not found and depth < _MAX_CHAIN:
                w.execute(
                    "INSERT OR IGNORE INTO main.article_versions (old, new, hlc, device)"
                    " SELECT old, new, hlc, device FROM temp.merge_rows WHERE rowid = ?",
                    (rowid,),
                )
                continue
            why = "version links that would close a cycle"
        w.execute("UPDATE temp.merge_rows SET ok = 0 WHERE rowid = ?", (rowid,))
        refusals[why] = refusals.get(why, 0) + 1


def _merge_articles(
    w: sqlite3.Connection,
    names: str,
    missing: str,
    check: str,
    refusals: dict[str, int],
    pack: bool = False,
) -> tuple[int, list[int], int]:
    """Articles straight from the peer, never through a temp table (their texts are most of
    a library: a peer's whole text in memory is what bounded memory rules out). New rows
    take keys above every key we had."""
    before = w.execute("SELECT coalesce(max(key), 0) FROM main.articles").fetchone()[0]
    lacking = f"NOT EXISTS (SELECT 1 FROM main.articles m WHERE {missing})"
    # CASE: the checks (a Python function per column) run on the rows we lack only; as two
    # ANDed terms SQLite checked every article of the peer first (99% of a sync's checks)
    received = w.execute(
        f"INSERT OR IGNORE INTO main.articles ({names}) SELECT {names} FROM peer.articles p"
        f" WHERE CASE WHEN {lacking} THEN ({check}) ELSE 0 END"
    ).rowcount
    for why, n in w.execute(  # (what the insert left out is still lacking: only those)
        f"SELECT {why_refused('articles', _NOUNS['articles'])} AS why, count(*)"
        f" FROM peer.articles p WHERE {lacking} GROUP BY why"
    ).fetchall():
        if why is not None:
            refusals[why] = refusals.get(why, 0) + n
    new = [r[0] for r in w.execute("SELECT key FROM main.articles WHERE key > ?", (before,))]
    if pack:
        return received, new, 0
    sent = w.execute(
        "SELECT count(*) FROM main.articles m WHERE NOT EXISTS"
        " (SELECT 1 FROM peer.articles p WHERE p.id = m.id)"
    ).fetchone()[0]
    return received, new, sent


def _observe(h: Handle, w: sqlite3.Connection, present: set[str]) -> None:
    """Advance our clock past the newest stamp the peer has that is due (not far ahead): a
    fact made here next is stamped after every one merged (a later correction wins)."""
    tables = ["note_revisions", "events"] + [
        t for t in ("feed_events", "entity_corrections") if t in present
    ]
    newest = w.execute(  # (a stamp that is not one, or is not due yet, is not read)
        "SELECT max(h) FROM ("
        + " UNION ALL ".join(
            f"SELECT max(hlc) AS h FROM peer.{t} p WHERE typeof(hlc) = 'text'"
            f" AND hlc GLOB '{STAMP_GLOB}' AND {due()}"
            for t in tables
        )
        + ")"
    ).fetchone()[0]  # (a peer of schema 2 has no article_versions: it is not read)
    if not newest:
        return
    try:
        remote = hlc.Stamp.parse(newest)
    except ValueError:
        return
    stamp = hlc.observe(h.clock(), remote, h.device_id)
    h.set_meta(w, "hlc", str(stamp))


def _conflicts(w: sqlite3.Connection, touched: set[int]) -> int:
    keys = sorted(touched)
    total = 0
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        total += w.execute(
            f"SELECT count(*) FROM notes WHERE conflict = 1 AND article IN"
            f" ({','.join('?' * len(chunk))})",
            chunk,
        ).fetchone()[0]
    return total
