"""Reading a peer library safely and merging its facts: a checked, read-only private copy,
then a set union of facts (INSERT OR IGNORE) in one local transaction, then a rebuild of the
derived state of the articles it touched."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.core import db, hlc, state
from store.core.errors import GlossError, LibraryError
from store.core.sanitize import has_unsafe, normalise_tag

if TYPE_CHECKING:
    from store.core.handle import Handle

# Columns of each fact table, in order; the key decides what "already have it" means.
FACTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "articles": (
        ("id", "title", "byline", "source", "published", "imported_at", "text", "structure"),
        ("id",),
    ),
    "analyses": (("article_id", "model", "analysed_at"), ("article_id", "model")),
    "entities": (
        ("article_id", "model", "start", "end", "label", "text"),
        ("article_id", "model", "start", "end", "label"),
    ),
    "sentences": (("article_id", "model", "start", "end"), ("article_id", "model", "start")),
    "note_revisions": (
        (
            "rev_id",
            "note_id",
            "parents",
            "article_id",
            "pos_start",
            "pos_end",
            "exact",
            "prefix",
            "suffix",
            "body",
            "deleted",
            "hlc",
            "device",
        ),
        ("rev_id",),
    ),  # fmt: skip
    "events": (("event_id", "article_id", "field", "value", "hlc", "device"), ("event_id",)),
    "article_versions": (("old_id", "new_id", "hlc", "device"), ("old_id", "new_id")),
    "feeds": (("feed_id", "url", "title", "hlc", "device"), ("feed_id",)),
    "feed_events": (("event_id", "feed_id", "field", "value", "hlc", "device"), ("event_id",)),
    "feed_entries": (
        ("feed_id", "guid", "article_id", "link", "published", "hlc", "device"),
        ("feed_id", "guid", "article_id"),
    ),
}
# Text a peer sends that will reach a terminal must already be what our import would store.
_CHECKS = {
    "articles": "gloss_clean(title) AND gloss_clean(byline) AND gloss_clean(text)"
    " AND gloss_clean(source) AND gloss_clean(published)",
    "entities": "gloss_clean(text) AND gloss_clean(label)",
    "note_revisions": "gloss_clean(body) AND gloss_clean(exact) AND gloss_clean(prefix)"
    " AND gloss_clean(suffix) AND gloss_clean(device)",
    "events": "gloss_field(field)",
    # A feed's id is the hash of its (http/https) URL; events and entries need their feed.
    "feeds": "p.feed_id = gloss_feed_id(url) AND gloss_clean(url) AND gloss_clean(title)"
    " AND length(title) <= 500 AND instr(title, char(10)) = 0",
    "feed_events": "p.feed_id IN (SELECT feed_id FROM main.feeds) AND ("
    " (field = 'subscribed' AND value IN ('0', '1'))"
    " OR (field = 'title' AND gloss_clean(value) AND length(value) <= 500"
    "     AND instr(value, char(10)) = 0)"
    " OR (field LIKE 'tag:%' AND gloss_field(field) AND value IN ('0', '1')))",
    "feed_entries": "p.feed_id IN (SELECT feed_id FROM main.feeds) AND gloss_clean(guid)"
    " AND gloss_clean(link) AND gloss_clean(published)",
}
_FEED_OWNED = ("feeds", "feed_events")  # facts about feeds, touching no article


@dataclass
class PeerResult:
    """What one peer file gave us and will get from us."""

    path: str
    device: str | None = None
    received: int = 0
    sent: int = 0
    conflicts: int = 0
    refused: int = 0  # facts dropped because they carried unsafe text
    skipped: str | None = None  # why the file was not merged
    unchanged: bool = False  # the same file as at the last sync: nothing to read

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _is_clean(value: object) -> int:
    if not isinstance(value, str):
        return 1
    return int(not has_unsafe(value) and unicodedata.is_normalized("NFC", value))


def _is_field(value: object) -> int:
    if value in ("read", "starred"):
        return 1
    if isinstance(value, str) and value.startswith("tag:"):
        try:
            return int(normalise_tag(value[4:]) == value[4:])
        except GlossError:
            return 0
    return 0


def _feed_id(value: object) -> str | None:
    from store.ingest.fetch import url_id

    try:
        return url_id(value) if isinstance(value, str) and len(value) <= 4000 else None
    except GlossError:
        return None


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
        header = path.read_bytes()[:16]
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


def _key_match(key: tuple[str, ...], a: str, b: str) -> str:
    return " AND ".join(f'{a}."{k}" = {b}."{k}"' for k in key)


def merge_file(h: Handle, path: Path, result: PeerResult) -> None:
    """Merge the facts of a checked peer copy into the library, in one transaction."""
    conn = h.conn
    conn.create_function("gloss_clean", 1, _is_clean, deterministic=True)
    conn.create_function("gloss_field", 1, _is_field, deterministic=True)
    conn.create_function("gloss_feed_id", 1, _feed_id, deterministic=True)
    conn.execute("ATTACH DATABASE ? AS peer", (f"{path.resolve().as_uri()}?mode=ro&immutable=1",))
    try:
        with h.write() as w:
            device = w.execute("SELECT value FROM peer.meta WHERE key = 'device_id'").fetchone()
            result.device = device[0] if device else None
            touched: set[str] = set()
            analysed: set[tuple[str, str]] = set()
            entry_keys: set[tuple[str, str]] = set()
            present = {r[0] for r in w.execute("SELECT name FROM peer.sqlite_master")}
            for table, (cols, key) in FACTS.items():
                if table not in present:  # an older schema: read what it has
                    continue
                (received, new), refused, sent = _merge_table(w, table, cols, key, analysed)
                result.received += received
                result.refused += refused
                result.sent += sent
                if table in _FEED_OWNED:
                    continue
                if table == "feed_entries":
                    entry_keys |= {(row[0], row[1]) for row in new}
                    touched |= {row[2] for row in new}
                    continue
                touched |= {row[0] for row in new}
                if table == "article_versions":
                    touched |= {row[1] for row in new}
                if table == "analyses":
                    analysed = {(row[0], row[1]) for row in new}
            _observe(h, w, present)
            state.rebuild(w, touched)
            if entry_keys:  # one entry fetched as different texts on two machines
                from store.ingest.feeds import converge_entries

                converge_entries(w, entry_keys)
            state.rebuild_entities(w, {aid for aid, _ in analysed})
            result.conflicts = _conflicts(w, touched)
    finally:
        conn.execute("DETACH DATABASE peer")


# Entities and sentences come with their analysis: an analysis we already have brought them
# (they are written in one transaction), so only those of new analyses are looked at.
_PER_ANALYSIS = ("entities", "sentences")
# "Sent" counts what a reader calls facts; entities and sentences travel with analyses.
COUNTED = (
    "articles", "analyses", "note_revisions", "events", "article_versions", "feeds",
    "feed_events", "feed_entries",
)  # fmt: skip


def _merge_table(
    w: sqlite3.Connection,
    table: str,
    cols: tuple[str, ...],
    key: tuple[str, ...],
    analysed: set[tuple[str, str]],
) -> tuple[list[tuple], int, int]:
    """Insert the peer's rows we lack: (owner keys of new rows, refused, sent). Rows move
    inside SQLite, through one scan of the peer into a temp table, never through Python."""
    missing = f"NOT EXISTS (SELECT 1 FROM main.{table} m WHERE {_key_match(key, 'm', 'p')})"
    check = _CHECKS.get(table, "1")
    if table == "article_versions":  # both versions must be here
        check = (
            "p.old_id IN (SELECT id FROM main.articles)"
            " AND p.new_id IN (SELECT id FROM main.articles)"
        )
    elif "article_id" in cols:  # nothing may hang off an article we do not have
        check = f"({check}) AND p.article_id IN (SELECT id FROM main.articles)"
    scope = ""
    if table in _PER_ANALYSIS:
        if not analysed:
            return [0, []], 0, 0  # type: ignore[list-item]
        w.execute("DROP TABLE IF EXISTS temp.merge_scope")
        w.execute(
            "CREATE TEMP TABLE merge_scope (article_id, model, PRIMARY KEY (article_id, model))"
        )
        w.executemany("INSERT INTO temp.merge_scope VALUES (?, ?)", sorted(analysed))
        scope = " AND (p.article_id, p.model) IN (SELECT article_id, model FROM temp.merge_scope)"
    names = ", ".join(f'"{c}"' for c in cols)
    w.execute("DROP TABLE IF EXISTS temp.merge_rows")
    pcols = ", ".join(f'p."{c}"' for c in cols)
    w.execute(
        f"CREATE TEMP TABLE merge_rows AS SELECT {pcols}, ({check}) AS ok"
        f" FROM peer.{table} p WHERE {missing}{scope}"
    )
    w.execute(
        f"INSERT OR IGNORE INTO main.{table} ({names}) SELECT {names} FROM temp.merge_rows WHERE ok"
    )
    refused = w.execute("SELECT count(*) FROM temp.merge_rows WHERE NOT ok").fetchone()[0]
    owner = (
        ('"id"',)
        if table == "articles"
        else ('"article_id"', '"model"')
        if table == "analyses"
        else ('"old_id"', '"new_id"')
        if table == "article_versions"  # (was "article_id": a string literal, one column)
        else ('"feed_id"',)
        if table in _FEED_OWNED
        else ('"feed_id"', '"guid"', '"article_id"')
        if table == "feed_entries"
        else ('"article_id"',)
    )
    distinct = "" if table == "analyses" else "DISTINCT "
    new = w.execute(f"SELECT {distinct}{', '.join(owner)} FROM temp.merge_rows WHERE ok").fetchall()
    received = w.execute("SELECT count(*) FROM temp.merge_rows WHERE ok").fetchone()[0]
    w.execute("DROP TABLE temp.merge_rows")
    sent = 0
    if table in COUNTED:
        sent = w.execute(
            f"SELECT count(*) FROM main.{table} p WHERE NOT EXISTS"
            f" (SELECT 1 FROM peer.{table} m WHERE {_key_match(key, 'm', 'p')})"
        ).fetchone()[0]
    return [received, new], refused, sent  # type: ignore[list-item]


def _observe(h: Handle, w: sqlite3.Connection, present: set[str]) -> None:
    """Advance our clock past the newest stamp the peer has (unless far in the future)."""
    feeds = " UNION ALL SELECT max(hlc) FROM peer.feed_events" if "feed_events" in present else ""
    newest = w.execute(
        "SELECT max(h) FROM (SELECT max(hlc) AS h FROM peer.note_revisions"
        f" UNION ALL SELECT max(hlc) FROM peer.events{feeds})"
    ).fetchone()[0]  # (a peer of schema 2 has no article_versions: it is not read)
    if not newest:
        return
    try:
        remote = hlc.Stamp.parse(newest)
    except ValueError:
        return
    stamp = hlc.observe(h.clock(), remote, h.device_id)
    h.set_meta(w, "hlc", str(stamp))


def _conflicts(w: sqlite3.Connection, touched: set[str]) -> int:
    if not touched:
        return 0
    marks = ",".join("?" * len(touched))
    return w.execute(
        f"SELECT count(*) FROM notes WHERE conflict = 1 AND article_id IN ({marks})",
        list(touched),
    ).fetchone()[0]
