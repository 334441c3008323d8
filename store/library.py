"""The `Library`: one gloss library file and the one typed API over it.

Every capability is a method here or on a small typed sub-object (`lib.feeds`,
`lib.export`); the modules below take the library's narrow `Handle` (a per-thread
connection, write transactions, meta values and the clock), never the `Library`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.core import db
from store.core.errors import ImportFailed, InvalidInput, LibraryError
from store.core.handle import Handle
from store.core.models import (
    Article,
    ArticleSummary,
    EntityCount,
    Filter,
    ImportReport,
    Note,
)
from store.core.paths import default_db_path
from store.find import reading
from store.notes import annotations

if TYPE_CHECKING:  # search, sync, feeds and export are imported when first used
    from store.core.hlc import Stamp
    from store.core.watch import Watch
    from store.find.entity_page import EntityPage
    from store.find.search import Hit
    from store.ingest.links import FetchReport
    from store.ingest.services.apply import ServiceReport
    from store.ingest.subscriptions import Feeds
    from store.notes.corrections import Correction
    from store.notes.exchange import AnnotationReport
    from store.notes.exporter import Export
    from store.sync.report import SyncReport

ALL = Filter()
BUNDLED = "bundled_import"
"""The meta key of the bundled articles' import: "pending" until it completes, then "done"."""


def bundled_import_pending(path: Path) -> bool:
    """True when the library at `path` began importing the bundled articles and did not
    finish (a quit during the first start): read without opening it for writing."""
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (BUNDLED,)).fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return row is not None and row[0] == "pending"


class Library:
    """A gloss library file. Open with `Library.open(path)`; safe to share across threads."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.handle = Handle(path, readonly)

    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        create: bool = True,
        readonly: bool = False,
        progress: db.Progress | None = None,
    ) -> Library:
        """Open (and create or migrate) the library at path, or the default one. A library
        whose file or folder cannot be written opens read-only (`lib.readonly`). An older
        library is upgraded first, calling `progress(phase, done, total)` as it goes."""
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
            # read on this connection (it sees a WAL the file's header may lag behind); the
            # upgrade's code loads only for an older library, never on a current one's open
            if 0 < conn.execute("PRAGMA user_version").fetchone()[0] < db.SCHEMA_VERSION:
                lib.close()
                lib = cls._upgraded(path, progress)
                conn = lib.conn
            db.migrate(conn, path)
            db.ensure_speed_indexes(conn)
        except sqlite3.DatabaseError as exc:
            lib.close()
            raise LibraryError(f"cannot use library {path}: {exc}") from None
        except BaseException:
            lib.close()
            raise
        if lib.meta("device_home") is None:
            from store.sync.folder import record_home

            record_home(lib.handle)
        return lib

    @classmethod
    def _upgraded(cls, path: Path, progress: db.Progress | None) -> Library:
        """Upgrade the older library at path (a file swap, so with no connection of ours
        open), then open it afresh."""
        from store.core import upgrade

        try:
            upgrade.run(path, progress)
        except sqlite3.DatabaseError as exc:
            raise LibraryError(f"cannot upgrade library {path}: {exc}") from None
        return cls(path)

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

    # -- the file, its transactions and its clock (the handle's) -------------------------

    @property
    def path(self) -> Path:
        return self.handle.path

    @property
    def readonly(self) -> bool:
        return self.handle.readonly

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        return self.handle.conn

    def close(self) -> None:
        """Close this thread's connection (see Handle.close)."""
        self.handle.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def watch(self) -> Watch:
        """A `Watch` telling when another process changed the library file (store.core.watch)."""
        from store.core.watch import Watch

        return Watch(self.handle)

    def write(self) -> AbstractContextManager[sqlite3.Connection]:
        """One write transaction, taking the write lock up front."""
        return self.handle.write()

    def meta(self, key: str) -> str | None:
        return self.handle.meta(key)

    @property
    def device_id(self) -> str:
        return self.handle.device_id

    def stamp(self, conn: sqlite3.Connection) -> str:
        """The next clock stamp, persisted in the same transaction as the write using it."""
        return self.handle.stamp(conn)

    def clock(self) -> Stamp | None:
        """The last stamp this library issued (None before its first write)."""
        return self.handle.clock()

    def check(self, full: bool = False) -> list[str]:
        """SQLite's quick_check (or the complete integrity_check): ["ok"] or the problems."""
        return db.check(self.conn, full)

    # -- ids ------------------------------------------------------------------------------

    def resolve(self, prefix: str) -> str:
        """The full article id for a unique prefix (like git); NotFound or AmbiguousId."""
        return self.handle.resolve(prefix.strip().lower(), "articles", "id", "article", "[0-9a-f]")

    def resolve_note(self, prefix: str) -> str:
        """The full note id for a unique prefix."""
        return self.handle.resolve(prefix.strip().upper(), "notes", "note_id", "note", "[0-9A-Z]")

    # -- reading (store.find.reading) -------------------------------------------------------

    def count(self, f: Filter = ALL) -> int:
        """How many articles the filter takes."""
        return reading.count(self.handle, f)

    def list_articles(
        self,
        f: Filter = ALL,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ArticleSummary]:
        """Articles the filter takes (among `ids`, when given), newest import first;
        `limit`/`offset` page through them."""
        return reading.list_articles(self.handle, f, ids, limit, offset)

    def sort_list(self, sort: str) -> None:
        """Keep `sort` (a name of store.find.reading.SORTS) as the list's order, making the
        index it reads if missing (once; it reads every article). Not in a read-only one."""
        if sort not in reading.SORTS:
            raise InvalidInput(f"no such order: {sort!r} (one of {', '.join(reading.SORTS)})")
        if self.readonly:
            return
        reading.ensure_sort_index(self.handle, sort)
        with self.write() as conn:
            self.handle.set_meta(conn, "list_sort", sort)

    def list_sort(self) -> str:
        """The list's order kept by `sort_list` ("" : newest import first)."""
        sort = self.meta("list_sort") or ""
        return sort if sort in reading.SORTS else ""

    def neighbour(self, article_id: str, step: int, f: Filter = ALL) -> str | None:
        """The next (step > 0) or previous article in list order among those `f` takes."""
        return reading.neighbour(self.handle, article_id, step, f)

    def position(self, article_id: str, f: Filter = ALL) -> int | None:
        """The index of `article_id` in the filtered list, or None when it is not in it."""
        return reading.position(self.handle, article_id, f)

    def summary(self, article_id: str) -> ArticleSummary:
        return reading.summary(self.handle, article_id)

    def get_article(self, article_id: str) -> Article:
        """One article with its entities, sentences and notes."""
        return reading.get_article(self.handle, article_id)

    def notes(self, article_id: str | None = None, conflicts: bool = False) -> list[Note]:
        """Current notes and highlights, in document order (article-level notes first)."""
        return reading.notes(self.handle, article_id, conflicts)

    def note(self, note_id: str) -> Note:
        return reading.note(self.handle, note_id)

    def stats(self) -> dict[str, int]:
        """Counts for the header: articles, unread, starred, notes, highlights."""
        return reading.stats(self.handle)

    def has_feeds(self) -> bool:
        """True when the library has ever subscribed to a feed."""
        return reading.has_feeds(self.handle)

    def tags(self) -> list[tuple[str, int]]:
        """Every tag in use with its article count, sorted by name."""
        return reading.tags(self.handle)

    def entities(
        self,
        article_id: str | None = None,
        label: str | None = None,
        limit: int | None = None,
        all_labels: bool = False,
    ) -> list[EntityCount]:
        """Entities with mention counts, for one article (most mentioned first) or the whole
        library (in most articles first; names only unless `all_labels` or a `label` is
        given: store.find.entity_page.ranked)."""
        if article_id is None:
            from store.find import entity_page

            return entity_page.ranked(self.handle, label, all_labels, limit)
        return reading.entities(self.handle, article_id, label, limit)

    def articles_mentioning(
        self, text: str, label: str | None = None, exclude: str | None = None, limit: int = 200
    ) -> list[ArticleSummary]:
        """Articles whose entities include `text` (optionally with this label)."""
        return reading.articles_mentioning(self.handle, text, label, exclude, limit)

    # -- entity corrections (store.notes.corrections) ---------------------------------------

    def correct_entity(
        self, article_id: str, start: int, end: int, kind: str, value: str | None = None
    ) -> Correction:
        """Correct the entity at text[start:end]: kind label (relabel, or mark a passage as
        an entity with label `value`), remove, alias (into the group named `value`), split,
        name (the group's name; empty: automatic) or reset; applied at once."""
        from store.notes.corrections import correct

        return correct(self.handle, article_id, start, end, kind, value)

    def corrections(self, article_id: str | None = None) -> list[Correction]:
        """Entity corrections (of one article, or of every current one), latest first."""
        from store.notes.corrections import corrections

        return corrections(self.handle, article_id)

    def export_training(self, base: Path | str) -> dict[str, int]:
        """Every corrected article as spaCy training data: base.spacy and base.jsonl."""
        from store.notes.corrections import export_training

        return export_training(self.handle, str(base))

    def unanalysed(self, model: str | None = None) -> list[str]:
        """Ids of articles with no analysis (by `model`, when given)."""
        return reading.unanalysed(self.handle, model)

    def search(self, query: str, limit: int = 50) -> list[Hit]:
        """Search articles, notes, quotes, tags and entities (the language: store.find.query)."""
        from store.find import search

        return search.search(self.conn, query, limit)

    # -- notes, highlights, tags, read and starred (store.notes.annotations) ----------------

    def find_quote(self, article_id: str, quote: str) -> tuple[int, int]:
        """Where a passage sits in the article; InvalidInput if it is not there."""
        return annotations.find_quote(self.handle, article_id, quote)

    def add_note(
        self, article_id: str, body: str, start: int | None = None, end: int | None = None
    ) -> Note:
        """A note on text[start:end], or on the whole article when no range is given."""
        return annotations.add_note(self.handle, article_id, body, start, end)

    def highlight(self, article_id: str, start: int, end: int) -> Note:
        """Highlight text[start:end] (a note without a body)."""
        return annotations.highlight(self.handle, article_id, start, end)

    def edit_note(self, note_id: str, body: str) -> Note:
        """A new revision superseding every current head (this also resolves a conflict)."""
        return annotations.edit_note(self.handle, note_id, body)

    def delete_note(self, note_id: str) -> None:
        """A tombstone revision; the note's history stays in the facts."""
        annotations.delete_note(self.handle, note_id)

    def restore_note(self, note_id: str) -> Note:
        """Undo a deletion: a new revision bringing the note back as it was."""
        return annotations.restore_note(self.handle, note_id)

    def set_read(self, article_id: str, read: bool = True) -> None:
        annotations.set_read(self.handle, article_id, read)

    def set_read_many(
        self, f: Filter | None = None, ids: Sequence[str] | None = None, read: bool = True
    ) -> list[str]:
        """Mark every article `f` takes (or these ids) read or unread, in one transaction;
        the ids of those whose state changed."""
        return annotations.set_read_many(self.handle, f, ids, read)

    def set_starred(self, article_id: str, starred: bool = True) -> None:
        annotations.set_starred(self.handle, article_id, starred)

    def tag(
        self,
        article_id: str,
        add: list[str] | tuple[str, ...] = (),
        remove: list[str] | tuple[str, ...] = (),
    ) -> tuple[str, ...]:
        """Add and remove tags (normalised; nested with '/'); returns the article's tags."""
        return annotations.tag(self.handle, article_id, add, remove)

    def import_annotations(self, path: Path | str) -> AnnotationReport:
        """Attach the notes of a gloss JSON or W3C annotation file; a per-entry report."""
        from store.notes.exchange import import_file

        return import_file(self.handle, Path(path))

    @cached_property
    def export(self) -> Export:
        """Choosing articles and writing them out (store.notes.export)."""
        from store.notes.exporter import Export

        return Export(self.handle)

    # -- import, analysis and feeds (store.ingest) -----------------------------------------

    def import_paths(
        self,
        paths: Iterable[Path | str],
        progress: Callable[[int, int], None] | None = None,
        jobs: int = 0,
        stop: Callable[[], bool] | None = None,
    ) -> ImportReport:
        """Import files and folders (recursively); jobs=0 picks processes by size; `stop()`
        true ends it between articles (report.stopped)."""
        from store.ingest.importer import import_paths

        return import_paths(self.handle, [Path(p) for p in paths], progress, jobs, stop)

    def mark_bundled_import(self) -> None:
        """Note that the bundled articles are to be imported into this (new) library: until
        `import_bundled` completes, each start resumes it."""
        if self.meta(BUNDLED) is None:
            with self.write() as conn:
                self.handle.set_meta(conn, BUNDLED, "pending")

    def bundled_import_pending(self) -> bool:
        """True while the bundled articles' import was begun here and not completed."""
        return self.meta(BUNDLED) == "pending"

    def import_bundled(
        self,
        folder: Path,
        progress: Callable[[int, int], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> ImportReport:
        """Import the bundled articles (a new library's first start), stopping between
        articles when `stop()` says so; marked done only when every one is in, so the next
        start finishes a stopped one (the articles already here are skipped by their id)."""
        from store.ingest.importer import import_paths

        self.mark_bundled_import()
        report = import_paths(self.handle, [folder], progress, stop=stop)
        if not report.stopped:
            with self.write() as conn:
                self.handle.set_meta(conn, BUNDLED, "done")
        return report

    def import_export(
        self,
        service: str | None,
        path: Path | str,
        progress: Callable[[int, int], None] | None = None,
        jobs: int = 0,
    ) -> ServiceReport:
        """Import another service's export (Omnivore, Pocket, …; None: detected from the
        file); ImportFailed when the file is not that service's export."""
        from store.ingest import services
        from store.ingest.services.apply import import_export

        path = Path(path)
        module = services.reader(service) if service else services.detect(path)
        if module is None:
            raise ImportFailed(
                f"{path}: not an export gloss knows ({', '.join(services.SERVICES)})"
            )
        return import_export(self.handle, module, path, progress, jobs)

    def detect_export(self, path: Path | str) -> str | None:
        """The service whose export this file is, or None."""
        from store.ingest import services

        module = services.detect(Path(path))
        return module.NAME if module is not None else None

    def saved_links(self, prefixes: Sequence[str] = ()) -> list[tuple[str, str]]:
        """(id, URL) of the saved links not fetched yet (whose id starts with a prefix)."""
        from store.ingest.links import pending

        return pending(self.handle, prefixes)

    def fetch_links(
        self,
        links: Sequence[tuple[str, str]],
        progress: Callable[[int, int], None] | None = None,
        limits: Any = None,
    ) -> FetchReport:
        """Fetch saved links' pages: each becomes the article, with the link's notes."""
        from store.ingest.links import fetch_links

        return fetch_links(self.handle, links, progress, limits)

    def reanalyze(
        self, all_articles: bool = False, progress: Callable[[int, int], None] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> tuple[int, str | None]:  # fmt: skip
        """Compute entities for articles that lack them: (count, the model's notice if any;
        with no model at all, the count is 0 and the notice says why); `stop()` true ends
        it between two articles, the batches written kept."""
        from store.ingest.importer import reanalyze

        return reanalyze(self.handle, all_articles, progress, stop)

    @staticmethod
    def analyse_apart() -> None:
        """Run the language model in a child process from now on, for every library of this
        process (store.ingest.entities_apart): a program whose own threads must stay quick
        while it analyses (the app) asks for this before its first import or re-analysis."""
        from store.ingest import entities

        entities.analyse_apart()

    def can_analyse(self) -> bool:
        """True when a spaCy model loads (it is loaded, once, to find out)."""
        from store.ingest import entities

        return entities.analyzer()[0] is not None

    @cached_property
    def feeds(self) -> Feeds:
        """Feed subscriptions, refresh, saved pages and OPML (store.ingest.feeds)."""
        from store.ingest.subscriptions import Feeds

        return Feeds(self.handle)

    # -- sync (store.sync) ------------------------------------------------------------------

    def sync(
        self, target: Path | str, progress: Callable[[int, int, str], None] | None = None
    ) -> SyncReport:
        """Sync with a hub (a folder, or a WebDAV or S3 URL) or a library file
        (store.sync.folder)."""
        from store.sync.folder import sync

        return sync(self.handle, target, progress)

    # -- one entity across the library (store.find.entity_page) -----------------------------

    def entity_page(
        self, name: str, label: str | None = None, limit: int = 50, offset: int = 0
    ) -> EntityPage:
        """The page of an entity (any spelling of its name, with this label or its most
        common one): totals, timeline, co-mentions, a page of its articles newest first with
        the sentence of each first mention, and notes on passages mentioning it. NotFound
        when the library has no such entity."""
        from store.find import entity_page

        return entity_page.entity_page(self.handle, name, label, limit, offset)

    def entity_suggestions(self, name: str, label: str | None = None) -> list[str]:
        """Names in the library close to `name` (for an entity not found)."""
        from store.find import entity_page

        return entity_page.suggest(self.handle, name, label)


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
