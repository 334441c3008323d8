"""Import: files and folders → parsed, sanitised articles → entities in batches → the library.

Each batch of new articles is written in one transaction with its entities, sentences and
state rows, so an import killed at any point leaves a valid library, and a re-run skips what
is already there (ids are content hashes) and completes the rest. One file that cannot be
read, for whatever reason, is that file's failure in the report; the others import.
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.core import codec, entity_index, state
from store.core.errors import GlossError, ImportFailed
from store.core.ids import new_id
from store.core.models import FileResult, ImportReport
from store.core.sanitize import clean_line, normalise_tag
from store.find import reading
from store.ingest import entities
from store.ingest.parse import Parsed, kind_of, parse_file
from store.notes import versions

if TYPE_CHECKING:
    import sqlite3

    from store.core.handle import Handle

BATCH = 64
PARALLEL_ABOVE = 200
Progress = Callable[[int, int], None]
Stop = Callable[[], bool]
# A new article waiting to be stored: its result row (with article_id set), its parsed text
# and its source (path or URL).
Pending = tuple[FileResult, Parsed, str]
OnInsert = Callable[["sqlite3.Connection", int, str], None]


def article_id(title: str, text: str) -> str:
    """Content hash of the normalised title and the text: the same article gets the same id
    on every machine, and articles whose text alone is the same (one paywall notice, one
    cookie wall) stay apart. The separator is a control character, which sanitised text
    never holds, so no (title, text) pair hashes the same input as a legacy id's text."""
    key = f"{title_key(title)}\x1f{text}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def legacy_id(text: str) -> str:
    """The id articles were given before ids hashed the title: the text's hash alone."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def title_key(title: str) -> str:
    return unicodedata.normalize("NFC", clean_line(title)).casefold()


def known_id(h: Handle, title: str, text: str, seen: dict[str, str] | None = None) -> str:
    """The id an article gets: the hash of its text (as every article had before, and every
    machine of any version gives it), unless that id is taken, in the library or in `seen`
    (id -> title key of articles queued in this import), by an article with another title:
    then one text is shared by different articles (a paywall notice, a cookie wall) and this
    one is told apart by `article_id(title, text)`. So the same article gets one id on every
    machine and in every sync file, old or new, while a shared text does not collapse
    different articles into one."""
    legacy, key = legacy_id(text), title_key(title)
    holder = seen.get(legacy) if seen and legacy in seen else None
    if holder is None:
        row = h.conn.execute("SELECT title FROM articles WHERE id = ?", (legacy,)).fetchone()
        holder = title_key(row[0] or "") if row is not None else None
    return legacy if holder is None or holder == key else article_id(title, text)


def collect(paths: Iterable[Path], report: ImportReport) -> list[Path]:
    """Files to import: named files as they are, folders walked for known suffixes."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    p = Path(root, name)
                    if name.startswith("."):
                        continue
                    if kind_of(p):
                        files.append(p)
                    else:
                        report.skipped += 1
        elif path.exists():
            files.append(path)
        else:
            report.results.append(FileResult(str(path), "failed", reason="no such file or folder"))
    return files


def import_paths(
    h: Handle,
    paths: list[Path],
    progress: Progress | None = None,
    jobs: int = 0,
    stop: Stop | None = None,
) -> ImportReport:
    """Import files and folders; `stop()` true ends the import between articles (what is
    written stays: each batch of articles is one transaction)."""
    report = ImportReport()
    files = collect(paths, report)
    new: list[Pending] = []
    seen: dict[str, str] = {}
    for path in files:
        result = FileResult(str(path), "failed")
        report.results.append(result)
        try:
            parsed = parse_file(path)
            source = parsed.url or str(path.resolve())
        except ImportFailed as exc:
            result.reason = str(exc)
            continue
        except Exception as exc:  # a defect not known yet: this file fails, not the import
            result.reason = f"unexpected error ({type(exc).__name__}: {clean_line(str(exc))[:200]})"
            continue
        report.warnings += [f"{path}: {w}" for w in parsed.warnings]
        enqueue(h, result, parsed, source, seen, new)

    store_new(h, new, report, progress, jobs, stop=stop)
    return report


def store_new(
    h: Handle,
    new: list[Pending],
    report: ImportReport,
    progress: Progress | None = None,
    jobs: int = 0,
    on_insert: OnInsert | None = None,
    stop: Stop | None = None,
) -> None:
    """Analyse (in batches, one nlp.pipe stream) and insert already-parsed new articles;
    `stop()` true ends it between articles: the ones analysed are written, the rest are
    left "stopped" (a later import of the same files brings them).

    Each batch is one transaction with its entities, tags, new-version links and state;
    `on_insert(conn, index, article_id)` runs inside it after each article, so facts that
    hang off an article (a feed entry) are written with it.
    """
    analyzer = None
    if new:
        analyzer, notice = entities.analyzer()
        if analyzer is None:
            report.warnings.append(
                f"{notice}; importing without entities (run `gloss reanalyze` later)"
            )
        elif notice is not None:  # e.g. the model asked for could not be loaded, another was
            report.warnings.append(notice)
    if jobs <= 0:  # auto: extra processes pay for their model load only on big imports
        jobs = (os.cpu_count() or 1) if len(new) >= PARALLEL_ABOVE else 1
    # One nlp.pipe stream over every new text (processes start once), consumed in batches.
    stream = analyzer.analyse((p.text for _, p, _ in new), n_process=jobs) if analyzer else None
    done = 0
    if progress:
        progress(0, len(new))
    for i in range(0, len(new), BATCH):
        batch = new[i : i + BATCH]
        analyses: list[Any] = []
        for _ in batch:  # (counted by article; asked to stop between two)
            if stop is not None and stop():
                break
            analyses.append(next(stream) if stream else None)
            if progress and stream:
                progress(done + len(analyses), len(new))
        if len(analyses) < len(batch):
            for result, _, _ in batch[len(analyses) :]:
                result.status, result.reason = "stopped", "the import was stopped"
            for result, _, _ in new[i + BATCH :]:
                result.status, result.reason = "stopped", "the import was stopped"
            report.stopped = True
            batch = batch[: len(analyses)]
        if not batch:
            break
        # Re-anchoring a new version's notes takes time: done before the write lock, and
        # used under it only if the version it was planned against is still the current one.
        plans = [_plan(h, r.article_id, p, src) for r, p, src in batch]  # type: ignore[arg-type]
        with h.write() as conn:
            for n, ((result, parsed, source), analysis) in enumerate(
                zip(batch, analyses, strict=True), start=i
            ):
                key = _insert(conn, result.article_id, parsed, source)  # type: ignore[arg-type]
                if analysis is not None and analyzer is not None:
                    _store_analysis(conn, key, analyzer.name, analysis)
                bad_tags = write_tags(h, conn, key, parsed.tags)
                report.warnings += [f"{result.path}: {t}" for t in bad_tags]
                result.status = "imported"
                old = versions.previous_version(conn, source, result.article_id)  # type: ignore[arg-type]
                if old is not None:
                    planned_old, places = plans[n - i]
                    moved = versions.supersede(
                        conn,
                        old,
                        result.article_id,
                        h.stamp(conn),
                        h.device_id,  # type: ignore[arg-type]
                        places=places if planned_old == old else None,
                    )
                    result.reason = (
                        f"new version of {old[:8]}: {moved['reanchored']} notes re-anchored,"
                        f" {moved['orphaned']} orphaned"
                    )
                if on_insert is not None:
                    on_insert(conn, n, result.article_id)  # type: ignore[arg-type]
            keys = list(state.keys_of(conn, [r.article_id for r, _, _ in batch]).values())  # type: ignore[misc]
            state.rebuild(conn, keys)
            entity_index.rebuild_entities(conn, keys)
        done += len(batch)
        if progress:
            progress(done, len(new))
        if report.stopped:
            break


def _plan(
    h: Handle, aid: str, parsed: Parsed, source: str
) -> tuple[str | None, versions.Places | None]:
    """(the version this article supersedes, where its notes go in the new text), read
    outside any write transaction."""
    old = versions.previous_version(h.conn, source, aid)
    return old, (versions.plan_places(h.conn, old, parsed.text) if old else None)


def enqueue(
    h: Handle, result: FileResult, parsed: Parsed, source: str, seen: dict[str, str],
    pending: list[Pending],
) -> None:  # fmt: skip
    """Give a parsed article its id and queue it, unless it is here already (or queued);
    `seen` maps the ids queued so far to their title keys."""
    aid = known_id(h, parsed.title, parsed.text, seen)
    result.article_id, result.title = aid, parsed.title
    if aid in seen or exists(h, aid):
        result.status, result.reason = "present", "already in library"
        return
    seen[aid] = title_key(parsed.title)
    pending.append((result, parsed, source))


def exists(h: Handle, aid: str) -> bool:
    """True when the library holds an article with this id."""
    return h.conn.execute("SELECT 1 FROM articles WHERE id = ?", (aid,)).fetchone() is not None


def _insert(conn: sqlite3.Connection, aid: str, p: Parsed, source: str) -> int:
    """Insert the article (unless it is here already); its local key."""
    structure = {"sections": [s._asdict() for s in p.sections], "paragraphs": p.paragraphs}
    conn.execute(
        "INSERT OR IGNORE INTO articles (id, title, byline, source, published, imported_at,"
        " structure, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            aid,
            p.title,
            p.byline,
            source,
            p.published,
            p.saved or _now(),
            json.dumps(structure),
            p.text,
        ),
    )
    return conn.execute("SELECT key FROM articles WHERE id = ?", (aid,)).fetchone()[0]


def model_key(conn: sqlite3.Connection, name: str) -> int:
    """The local key of an analysis model's name (added when new)."""
    conn.execute("INSERT OR IGNORE INTO models (name) VALUES (?)", (name,))
    return conn.execute("SELECT key FROM models WHERE name = ?", (name,)).fetchone()[0]


def _store_analysis(conn: sqlite3.Connection, key: int, model: str, a: entities.Analysis) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO analyses (article, model, analysed_at, entities, sentences)"
        " VALUES (?, ?, ?, ?, ?)",
        (key, model_key(conn, model), _now(),
         codec.pack_entities((e.start, e.end, e.label) for e in a.entities),
         codec.pack_sentences((s.start, s.end) for s in a.sentences)),
    )  # fmt: skip


def write_tags(h: Handle, conn: sqlite3.Connection, key: int, tags: list[str]) -> list[str]:
    """Tag an article (one stamped event a tag, inside the caller's transaction); the
    reasons of the tags that cannot be one."""
    bad: list[str] = []
    for raw in tags:
        try:
            name = normalise_tag(raw)
        except GlossError as exc:
            bad.append(str(exc))
            continue
        conn.execute(
            "INSERT INTO events (event_id, article, field, value, hlc, device)"
            " VALUES (?, ?, ?, 1, ?, ?)",
            (new_id(), key, f"tag:{name}", h.stamp(conn), h.device_id),
        )
    return bad


def reanalyze(
    h: Handle, all_articles: bool = False, progress: Progress | None = None,
    stop: Stop | None = None,
) -> tuple[int, str | None]:  # fmt: skip
    """Analyse articles lacking entities from the current model: (count, notice).

    The notice is the model's, whenever there is one (a named model that could not be
    loaded, with the one used instead); with no model at all the count is 0 and the
    notice says why. `stop()` true ends it between two articles: the batches written
    are kept, the one under way is dropped (it is written as one transaction)."""
    analyzer, notice = entities.analyzer()
    if analyzer is None:
        return 0, notice
    ids = (
        [r[0] for r in h.conn.execute("SELECT id FROM articles")]
        if all_articles
        else reading.unanalysed(h, analyzer.name)
    )
    done = 0
    if progress:
        progress(0, len(ids))  # (the total, before the first batch's minute of work)
    for i in range(0, len(ids), BATCH):
        batch = ids[i : i + BATCH]
        texts = [reading.article_text(h, a) for a in batch]
        analyses = []
        stream = analyzer.analyse(texts)
        for analysis in stream:  # (a batch is many seconds: counted by article)
            if stop is not None and stop():
                stream.close()  # type: ignore[attr-defined]
                return done, notice
            analyses.append(analysis)
            if progress:
                progress(done + len(analyses), len(ids))
        with h.write() as conn:
            keys = state.keys_of(conn, batch)
            if all_articles:
                # the postings of the blobs about to go are found by decoding them
                entity_index.forget_entities(conn, keys.values())
                model = model_key(conn, analyzer.name)
                conn.executemany(
                    "DELETE FROM analyses WHERE article = ? AND model = ?",
                    [(k, model) for k in keys.values()],
                )
            for aid, analysis in zip(batch, analyses, strict=True):
                if aid in keys:
                    _store_analysis(conn, keys[aid], analyzer.name, analysis)
            entity_index.rebuild_entities(conn, keys.values())
        done += len(batch)
        if progress:
            progress(done, len(ids))
    return done, notice


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
