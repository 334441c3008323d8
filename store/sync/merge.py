"""Reading a peer library safely and merging its facts: a checked, read-only private copy,
then a set union of facts (INSERT OR IGNORE) in one local transaction, then a rebuild of the
derived state of the articles it touched."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
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
    check_layout,
    feed_id,
    is_field,
    is_parents,
)

if TYPE_CHECKING:
    from store.core.handle import Handle

_FEED_OWNED = ("feeds", "feed_events")  # facts about feeds, touching no article


@dataclass
class PeerResult:
    """What one peer file gave us and will get from us."""

    path: str
    device: str | None = None
    received: int = 0
    sent: int = 0
    conflicts: int = 0
    refused: int = 0  # facts dropped because they carried unsafe text or were malformed
    refusals: list[str] = field(default_factory=list)  # why: "N <facts> <reason>" lines
    skipped: str | None = None  # why the file was not merged
    unchanged: bool = False  # the same file as at the last sync: nothing to read

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# -- reading a peer safely ---------------------------------------------------------------


def skip_reason(path: Path) -> str | None:
    name = path.name
    if name.startswith(".") or ".tmp" in name or name.endswith("~"):
        return "temporary file"
    for sibling in ("-wal", "-journal"):
        if Path(str(path) + sibling).exists():
            return f"in use (has a {sibling[1:]} file); try again when it is closed"
    return None


@contextlib.contextmanager
def private_copy(path: Path, workdir: Path):
    """Copy a peer's bytes to a private file and check it; LibraryError says why not."""
    try:
        before = path.stat()
        fd, tmp = tempfile.mkstemp(prefix="peer-", suffix=".db", dir=workdir)
        os.close(fd)
        shutil.copyfile(path, tmp)
        after = path.stat()
    except OSError as exc:
        raise LibraryError(f"cannot read: {exc.strerror or exc}") from None
    tmp_path = Path(tmp)
    try:
        if (before.st_size, before.st_mtime_ns, before.st_ino) != (
            after.st_size, after.st_mtime_ns, after.st_ino
        ):  # fmt: skip
            raise LibraryError("changed while being read; it will be merged next time")
        check_peer(tmp_path)
        yield tmp_path
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink()


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
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise LibraryError("damaged (quick_check failed)")
        if conn.execute("PRAGMA application_id").fetchone()[0] != db.APPLICATION_ID:
            raise LibraryError("an SQLite file, but not a gloss library")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > db.SCHEMA_VERSION:
            raise LibraryError(
                f"written by a newer gloss (schema {version}, this gloss knows "
                f"{db.SCHEMA_VERSION}); upgrade gloss to sync with it"
            )
        if version < 1:
            raise LibraryError("not a complete gloss library")
        return version
    except sqlite3.DatabaseError as exc:
        raise LibraryError(f"damaged or truncated ({exc})") from None
    finally:
        conn.close()


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
    conn.execute("ATTACH DATABASE ? AS peer", (f"{path.resolve().as_uri()}?mode=ro&immutable=1",))
    try:
        with h.write() as w:
            if hooks:
                hooks.begin(w)
            _merge(h, w, result, pack)
            if hooks:
                hooks.end(w)
    except sqlite3.OperationalError as exc:  # a file with gloss's ids but not its tables
        raise LibraryError(f"not laid out as a gloss library ({exc})") from None
    finally:
        conn.execute("DETACH DATABASE peer")


def _merge(h: Handle, w: sqlite3.Connection, result: PeerResult, pack: bool = False) -> None:
    device = w.execute("SELECT value FROM peer.meta WHERE key = 'device_id'").fetchone()
    result.device = device[0] if device else None
    version = 5 if pack else w.execute("PRAGMA peer.user_version").fetchone()[0]
    present = {r[0] for r in w.execute("SELECT name FROM peer.sqlite_master")}
    if not pack:  # (a pack's layout is checked exactly when it is opened)
        check_layout(w, version, present)
    touched: set[int] = set()
    analysed: set[int] = set()
    fresh: set[int] = set()
    entry_keys: set[tuple[str, str]] = set()
    refusals: dict[str, int] = {}
    for table in FACTS:
        if table not in present:  # an older schema: read what it has
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
    result.refused = sum(refusals.values())
    result.refusals = [f"{n} {why}" for why, n in refusals.items()]
    _observe(h, w, present)
    state.rebuild(w, touched)
    if entry_keys:  # one entry fetched as different texts on two machines
        from store.ingest.feeds import converge_entries

        converge_entries(w, entry_keys)
    entity_index.rebuild_entities(w, analysed, fresh)
    result.conflicts = _conflicts(w, touched)


# "Sent" counts what a reader calls facts.
COUNTED = (
    "articles", "analyses", "note_revisions", "events", "article_versions", "feeds",
    "feed_events", "feed_entries",
)  # fmt: skip
_NOUNS = {
    "articles": "articles", "note_revisions": "note revisions", "events": "events",
    "article_versions": "version links", "feeds": "feeds", "feed_events": "feed events",
    "feed_entries": "feed entries",
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
    w.execute(
        "CREATE TEMP TABLE merge_rows AS SELECT "
        + ", ".join(f'{source[c]} AS "{c}"' for c in cols)
        + f", ({check}) AS ok FROM peer.{table} p"
        f" WHERE NOT EXISTS (SELECT 1 FROM main.{table} m WHERE {missing})"
    )
    refused = w.execute("SELECT count(*) FROM temp.merge_rows WHERE NOT ok").fetchone()[0]
    if refused:
        refusals[f"{_NOUNS[table]} with unsafe or malformed values"] = refused
    if refs:  # nothing may hang off an article we do not have
        orphaned = " OR ".join(f'"{c}" IS NULL' for c in refs)
        n = w.execute(f"UPDATE temp.merge_rows SET ok = 0 WHERE ok AND ({orphaned})").rowcount
        if n:
            refusals[f"{_NOUNS[table]} about an article not merged"] = n
    if table == "article_versions":
        _refuse_cycles(w, refusals)
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
    refused = w.execute(  # (what the insert left out is still lacking)
        f"SELECT count(*) FROM peer.articles p WHERE CASE WHEN {lacking} THEN NOT ({check})"
        " ELSE 0 END"
    ).fetchone()[0]
    if refused:
        refusals[f"{_NOUNS['articles']} with unsafe or malformed values"] = refused
    new = [r[0] for r in w.execute("SELECT key FROM main.articles WHERE key > ?", (before,))]
    if pack:
        return received, new, 0
    sent = w.execute(
        "SELECT count(*) FROM main.articles m WHERE NOT EXISTS"
        " (SELECT 1 FROM peer.articles p WHERE p.id = m.id)"
    ).fetchone()[0]
    return received, new, sent


def _observe(h: Handle, w: sqlite3.Connection, present: set[str]) -> None:
    """Advance our clock past the newest stamp the peer has (unless far in the future)."""
    tables = ["note_revisions", "events"] + (["feed_events"] if "feed_events" in present else [])
    newest = w.execute(  # (a stamp that is not text is a refused fact's: it is not read)
        "SELECT max(h) FROM ("
        + " UNION ALL ".join(
            f"SELECT max(hlc) AS h FROM peer.{t} WHERE typeof(hlc) = 'text'" for t in tables
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
