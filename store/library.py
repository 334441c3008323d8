"""The `Library`: one gloss library file and the typed API over it.

Each thread gets its own connection (the TUI's workers share one Library object). Writes run
in `BEGIN IMMEDIATE` transactions, so two processes on one library queue instead of failing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store import db
from store.annotations import Annotations
from store.errors import AmbiguousId, LibraryError, NotFound
from store.models import (
    Anchor,
    Article,
    ArticleSummary,
    Entity,
    EntityCount,
    ImportReport,
    Note,
    Section,
    Sentence,
)
from store.paths import default_db_path

if TYPE_CHECKING:  # search is imported when first used: a faster start
    from store.search import Hit

_SUMMARY_SQL = (
    "SELECT a.id, a.title, a.byline, a.source, a.published, a.imported_at,"
    " s.read, s.starred, s.notes, s.highlights,"
    " (SELECT group_concat(tag, char(31)) FROM"
    "   (SELECT tag FROM article_tags t WHERE t.article_id = a.id ORDER BY tag))"
    " FROM articles a JOIN article_state s ON s.article_id = a.id"
)


def _summary(row: Sequence) -> ArticleSummary:
    return ArticleSummary(
        row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), bool(row[7]),
        row[8], row[9], tuple(row[10].split("\x1f")) if row[10] else (),
    )  # fmt: skip


def _note(row: Sequence) -> Note:
    (note_id, article_id, rev_id, heads, ps, pe, exact, prefix, suffix, body, created,
     updated, conflict) = row  # fmt: skip
    anchor = Anchor(ps, pe, exact, prefix or "", suffix or "") if ps is not None else None
    orphan = Anchor(-1, -1, exact, prefix or "", suffix or "") if ps is None and exact else None
    versions = tuple(h["body"] for h in json.loads(heads)) if conflict else ()
    return Note(note_id, article_id, body, anchor, created, updated, rev_id, bool(conflict),
                versions, orphan)  # fmt: skip


# The list order of list_articles: newest import first, then newest row.
_KEY_SQL = "SELECT imported_at, rowid FROM articles WHERE id = ?"

NOTE_COLUMNS = (
    "note_id, article_id, rev_id, heads, pos_start, pos_end, exact, prefix, suffix, body,"
    " created, updated, conflict"
)


class Library(Annotations):
    """A gloss library file. Open with `Library.open(path)`; safe to share across threads."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = path
        self.readonly = readonly
        self._local = threading.local()

    @classmethod
    def open(
        cls, path: Path | str | None = None, create: bool = True, readonly: bool = False
    ) -> Library:
        """Open (and create or migrate) the library at path, or the default one. A library
        whose file or folder cannot be written opens read-only (`lib.readonly`)."""
        path = Path(path) if path is not None else default_db_path()
        _check_header(path)
        if path.is_file() and (
            readonly or not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)
        ):
            return cls._open_readonly(path)
        if not path.exists():
            if not create:
                raise LibraryError(f"no library at {path}")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LibraryError(f"cannot create {path.parent}: {exc.strerror}") from None
        elif path.is_dir():
            raise LibraryError(f"{path} is a folder, not a library file")
        lib = cls(path)
        conn = lib.conn
        try:
            db.migrate(conn, path)
        except sqlite3.DatabaseError as exc:
            lib.close()
            raise LibraryError(f"cannot use library {path}: {exc}") from None
        except BaseException:
            lib.close()
            raise
        if lib.meta("device_home") is None:
            from store.sync import record_home

            record_home(lib)
        return lib

    @classmethod
    def _open_readonly(cls, path: Path) -> Library:
        lib = cls(path, readonly=True)
        try:
            _, version = db.check_identity(lib.conn, path)
        except BaseException:
            lib.close()
            raise
        if version != db.SCHEMA_VERSION:
            lib.close()
            raise LibraryError(
                f"{path} is read-only and was made by an older gloss; it cannot be upgraded"
                " here: copy it somewhere writable"
            )
        return lib

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = db.connect(self.path, self.readonly)
        return conn

    def close(self) -> None:
        """Close this thread's connection now. Another thread's connection closes as soon as
        that thread is done with it: the connections are dropped, never closed from here, as
        closing a connection while another thread steps a query on it crashes the process."""
        conn = getattr(self._local, "conn", None)
        self._local = threading.local()  # the only reference to the other threads' connections
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions and the clock ---------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the write lock up front."""
        if self.readonly:
            raise LibraryError(f"library {self.path} is read-only; changes cannot be saved")
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LibraryError(_describe(exc, self.path)) from None
        try:
            yield conn
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise LibraryError(_describe(exc, self.path)) from None
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def device_id(self) -> str:
        return self.meta("device_id") or ""

    def stamp(self, conn: sqlite3.Connection) -> str:
        """The next clock stamp, persisted in the same transaction as the write using it."""
        from store import hlc  # imported with the first write: a faster start

        last = self.meta("hlc")
        stamp = hlc.tick(hlc.Stamp.parse(last) if last else None, self.device_id)
        self._set_meta(conn, "hlc", str(stamp))
        return str(stamp)

    # -- ids ----------------------------------------------------------------------------------

    def resolve(self, prefix: str) -> str:
        """The full article id for a unique prefix (like git); NotFound or AmbiguousId."""
        return self._resolve(prefix.strip().lower(), "articles", "id", "article", "[0-9a-f]")

    def resolve_note(self, prefix: str) -> str:
        """The full note id for a unique prefix."""
        return self._resolve(prefix.strip().upper(), "notes", "note_id", "note", "[0-9A-Z]")

    def _resolve(self, prefix: str, table: str, col: str, what: str, chars: str) -> str:
        if not re.fullmatch(f"{chars}{{1,64}}", prefix):
            raise NotFound(f"no {what} with id {prefix!r}")
        rows = self.conn.execute(
            f"SELECT {col} FROM {table} WHERE {col} >= ? AND {col} < ? ORDER BY {col} LIMIT 2",
            (prefix, prefix + "\uffff"),
        ).fetchall()
        if not rows:
            raise NotFound(f"no {what} with id {prefix!r}")
        if len(rows) > 1:
            raise AmbiguousId(f"{what} id {prefix!r} is ambiguous; give more characters")
        return rows[0][0]

    # -- reading --------------------------------------------------------------------------------

    def count(self, **filters: object) -> int:
        """How many articles match the filters of list_articles."""
        if not any(filters.values()):  # the whole library: two b-tree counts, no scan
            return self.conn.execute(
                "SELECT (SELECT count(*) FROM article_state)"
                " - (SELECT count(*) FROM article_state WHERE superseded_by IS NOT NULL)"
            ).fetchone()[0]
        where, args = _filters(**filters)  # type: ignore[arg-type]
        # article_state is narrow: count there unless a filter needs the articles table
        sql = "SELECT count(*) FROM article_state s"
        if filters.get("title") or filters.get("ids") is not None:  # they need `a`
            sql += " JOIN articles a ON a.id = s.article_id"
        return self.conn.execute(sql + where, args).fetchone()[0]

    def list_articles(
        self,
        tag: str | None = None,
        unread: bool = False,
        starred: bool = False,
        annotated: bool = False,
        title: str | None = None,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        feed: str | None = None,
    ) -> list[ArticleSummary]:
        """Articles, newest import first, filtered; `limit`/`offset` page through them."""
        where, args = _filters(tag, unread, starred, annotated, title, ids, feed)
        sql = _SUMMARY_SQL + where + " ORDER BY a.imported_at DESC, a.rowid DESC"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [limit, offset]
        return [_summary(r) for r in self.conn.execute(sql, args)]

    def neighbour(self, article_id: str, step: int, **filters: Any) -> str | None:
        """The next (step > 0) or previous article after `article_id` in list order among
        those matching `filters`; keyset-based, so it works even when the current article
        no longer matches (it was just marked read under an "unread" filter)."""
        key = self.conn.execute(_KEY_SQL, (article_id,)).fetchone()
        if key is None:
            return None
        where, args = _filters(**filters)
        if step > 0:
            cond, order = "(a.imported_at, a.rowid) < (?, ?)", "DESC"
        else:
            cond, order = "(a.imported_at, a.rowid) > (?, ?)", "ASC"
        where = f"{where} AND {cond}" if where else f" WHERE {cond}"
        row = self.conn.execute(
            "SELECT a.id FROM articles a JOIN article_state s ON s.article_id = a.id"
            f"{where} ORDER BY a.imported_at {order}, a.rowid {order} LIMIT 1",
            [*args, *key],
        ).fetchone()
        return row[0] if row else None

    def position(self, article_id: str, **filters: Any) -> int | None:
        """The index of `article_id` in the filtered list, or None when it is not in it."""
        key = self.conn.execute(_KEY_SQL, (article_id,)).fetchone()
        if key is None:
            return None
        base = "SELECT count(*) FROM articles a JOIN article_state s ON s.article_id = a.id"
        where, args = _filters(**filters, ids=[article_id])
        if not self.conn.execute(base + where, args).fetchone()[0]:
            return None
        where, args = _filters(**filters)
        cond = "(a.imported_at, a.rowid) > (?, ?)"
        where = f"{where} AND {cond}" if where else f" WHERE {cond}"
        return self.conn.execute(base + where, [*args, *key]).fetchone()[0]

    def summary(self, article_id: str) -> ArticleSummary:
        rows = self.list_articles(ids=[article_id])
        if not rows:
            raise NotFound(f"no article with id {article_id!r}")
        return rows[0]

    def get_article(self, article_id: str) -> Article:
        """One article with its entities, sentences and notes."""
        summary = self.summary(article_id)
        text, structure = self.conn.execute(
            "SELECT text, structure FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        struct = json.loads(structure)
        model_row = self.conn.execute(
            "SELECT model FROM analyses WHERE article_id = ? ORDER BY analysed_at DESC LIMIT 1",
            (article_id,),
        ).fetchone()
        model = model_row[0] if model_row else None
        entities = tuple(
            Entity(*r)
            for r in self.conn.execute(
                "SELECT start, end, label, text FROM entities WHERE article_id = ? AND model = ?"
                " ORDER BY start, end",
                (article_id, model),
            )
        )
        sentences = tuple(
            Sentence(*r)
            for r in self.conn.execute(
                "SELECT start, end FROM sentences WHERE article_id = ? AND model = ?"
                " ORDER BY start",
                (article_id, model),
            )
        )
        paragraphs = tuple(tuple(p) for p in struct.get("paragraphs", []))
        sections = tuple(Section(**s) for s in struct.get("sections", []))
        if not sentences:  # not analysed: each paragraph and heading is one passage
            spans = sorted([*paragraphs, *((s.start, s.end) for s in sections)])
            sentences = tuple(Sentence(s, e) for s, e in spans)
        return Article(summary, text, sections, paragraphs, entities, sentences,  # type: ignore[arg-type]
                       tuple(self.notes(article_id)), model)  # fmt: skip

    def notes(self, article_id: str | None = None, conflicts: bool = False) -> list[Note]:
        """Current notes and highlights, in document order (article-level notes first)."""
        sql = f"SELECT {NOTE_COLUMNS} FROM notes"
        clauses, args = [], []
        if article_id is not None:
            clauses.append("article_id = ?")
            args.append(article_id)
        if conflicts:
            clauses.append("conflict = 1")
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY article_id, pos_start IS NOT NULL, pos_start, created"
        return [_note(r) for r in self.conn.execute(sql, args)]

    def note(self, note_id: str) -> Note:
        row = self.conn.execute(
            f"SELECT {NOTE_COLUMNS} FROM notes WHERE note_id = ?", (note_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no note with id {note_id!r}")
        return _note(row)

    def stats(self) -> dict[str, int]:
        """Counts for the header: articles, unread, starred, notes, highlights."""
        row = self.conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE read = 0), count(*) FILTER (WHERE starred),"
            " coalesce(sum(notes), 0), coalesce(sum(highlights), 0) FROM article_state"
            " WHERE superseded_by IS NULL"
        ).fetchone()
        return dict(zip(("articles", "unread", "starred", "notes", "highlights"), row, strict=True))

    def tags(self) -> list[tuple[str, int]]:
        """Every tag in use with its article count, sorted by name."""
        sql = "SELECT tag, count(*) FROM article_tags"
        superseded = "SELECT article FROM article_state WHERE superseded_by IS NOT NULL"
        if self.conn.execute(f"SELECT EXISTS ({superseded})").fetchone()[0]:
            sql += f" WHERE article NOT IN ({superseded})"  # (the usual case needs no filter)
        return list(self.conn.execute(sql + " GROUP BY tag ORDER BY tag"))

    def entities(
        self, article_id: str | None = None, label: str | None = None, limit: int | None = None
    ) -> list[EntityCount]:
        """Entities with mention counts, for one article or the whole library."""
        clauses, args = [], []
        if article_id is not None:
            clauses.append("article = (SELECT rowid FROM articles WHERE id = ?)")
            args.append(article_id)
        if label:
            clauses.append("label = ?")
            args.append(label.upper())
        sql = (
            "SELECT min(text), label, sum(mentions), count(*) FROM entity_index"
            + (" WHERE " + " AND ".join(clauses) if clauses else "")
            + " GROUP BY text, label ORDER BY sum(mentions) DESC, label, min(text)"
        )
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [EntityCount(*r) for r in self.conn.execute(sql, args)]

    def articles_mentioning(
        self, text: str, label: str | None = None, exclude: str | None = None, limit: int = 200
    ) -> list[ArticleSummary]:
        """Articles whose entities include `text` (optionally with this label)."""
        sql = (
            "SELECT a.id FROM entity_index e JOIN articles a ON a.rowid = e.article"
            " WHERE e.text = ?"
        )
        args: list[object] = [text]
        if label:
            sql += " AND e.label = ?"
            args.append(label)
        ids = [r[0] for r in self.conn.execute(sql, args) if r[0] != exclude][:limit]
        return self.list_articles(ids=ids)

    def unanalysed(self, model: str | None = None) -> list[str]:
        """Ids of articles with no analysis (by `model`, when given)."""
        if model is None:
            sql = "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM analyses)"
            return [r[0] for r in self.conn.execute(sql)]
        sql = (
            "SELECT id FROM articles"
            " WHERE id NOT IN (SELECT article_id FROM analyses WHERE model = ?)"
        )
        return [r[0] for r in self.conn.execute(sql, (model,))]

    def sync(self, target: Path | str, progress: Callable[[int, int, str], None] | None = None):
        """Sync with a folder or a library file; see store.sync. Returns a SyncReport."""
        from store.sync import sync

        return sync(self, Path(target), progress)

    def search(self, query: str, limit: int = 50) -> list[Hit]:
        """Search articles, notes, quotes, tags and entities; see store.query for the language."""
        from store import search

        return search.search(self.conn, query, limit)

    # -- import ------------------------------------------------------------------------------

    def import_paths(
        self,
        paths: Iterable[Path | str],
        progress: Callable[[int, int], None] | None = None,
        jobs: int = 0,
    ) -> ImportReport:
        """Import files and folders (recursively); jobs=0 picks processes by size."""
        from store.importer import import_paths

        return import_paths(self, [Path(p) for p in paths], progress, jobs)

    def reanalyze(
        self, all_articles: bool = False, progress: Callable[[int, int], None] | None = None
    ) -> tuple[int, str | None]:
        """Compute entities for articles that lack them; (count, warning if no model)."""
        from store.importer import reanalyze

        return reanalyze(self, all_articles, progress)


def _filters(
    tag: str | None = None,
    unread: bool = False,
    starred: bool = False,
    annotated: bool = False,
    title: str | None = None,
    ids: Sequence[str] | None = None,
    feed: str | None = None,
) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    if feed:
        clauses.append("s.article_id IN (SELECT article_id FROM feed_entries WHERE feed_id = ?)")
        args.append(feed)
    if tag:
        from store.sanitize import normalise_tag

        name = normalise_tag(tag)
        clauses.append(
            "s.article_id IN"
            " (SELECT article_id FROM article_tags WHERE tag = ? OR tag LIKE ? ESCAPE '\\')"
        )
        args += [name, name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%"]
    if unread:
        clauses.append("s.read = 0")
    if starred:
        clauses.append("s.starred = 1")
    if annotated:
        clauses.append("(s.notes > 0 OR s.highlights > 0)")
    if title:
        clauses.append("instr(lower(a.title), lower(?)) > 0")
        args.append(title)
    if ids is not None:
        clauses.append(f"a.id IN ({','.join('?' * len(ids))})")
        args += list(ids)
    else:  # an article replaced by a newer version of it is not listed
        clauses.append("s.superseded_by IS NULL")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def _check_header(path: Path) -> None:
    """Refuse a non-empty file that is not SQLite before SQLite can write to it."""
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return
        with open(path, "rb") as f:
            header = f.read(16)
    except OSError as exc:
        raise LibraryError(f"cannot read {path}: {exc.strerror or exc}") from None
    if header != b"SQLite format 3\x00":
        raise LibraryError(
            f"{path} is not a readable SQLite database (not a gloss library); nothing was"
            " changed. If it is your library, restore it from a backup or a sync peer"
        )


def _describe(exc: sqlite3.OperationalError, path: Path) -> str:
    msg = str(exc)
    if "locked" in msg or "busy" in msg:
        return f"library {path} is busy (another gloss is writing); try again"
    if "readonly" in msg:
        return f"library {path} is read-only; changes cannot be saved"
    return f"library {path}: {msg}"
