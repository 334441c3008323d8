"""Generate realistic libraries of any size without running spaCy on every article.

The shipped articles are analysed once; their paragraphs, with entity and sentence offsets,
are the templates. Each generated article is a shuffle of template paragraphs, so its
entities and sentences are the templates' shifted by offset. Notes anchor to real sentences.

The library is made by the store (an empty one, as `gloss` makes it), then filled in bulk:
its secondary indexes and triggers are dropped, facts and derived state are written in large
transactions (the state computed here, from what was generated, not per article through the
incremental code), and the indexes, full-text indexes and triggers are built at the end.
It is written to PATH.partial and renamed when complete. `python -m bench.generate_check`
verifies that the derived state equals what the store's own rebuild computes.

    python -m bench.generate PATH --articles 1000000 --notes 500000
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ulid import ULID

from bench.corpus import ARTICLES
from store.core import codec, exact_words, state
from store.core.entity_index import fold, label_bit
from store.core.models import Anchor
from store.ingest import entities
from store.ingest.importer import article_id
from store.ingest.parse import parse_file

TAGS = ["politics", "economy", "world/asia", "world/europe", "world/europe/uk", "science",
        "climate", "long-read", "to-check", "culture"]  # fmt: skip
WORDS = ("argument evidence source claim context follow later compare disagree important "
         "timeline quote figure check contradiction background motive policy").split()  # fmt: skip
BATCH = 20_000
"""Articles per transaction."""


@dataclass
class Para:
    text: str
    ents: list[tuple[int, int, str, str]]
    sents: list[tuple[int, int]]
    # (text folded as NOCASE folds it: ASCII only, label) -> mentions, and the texts seen
    mentions: Counter = field(default_factory=Counter)
    texts: dict[tuple[str, str], str] = field(default_factory=dict)  # (the least of them)
    labels: int = 0  # article_state.labels bits of its entities' labels


def templates() -> tuple[list[Para], str]:
    """Paragraphs of the shipped articles with their analysis, and the model name."""
    analyzer, why = entities.analyzer()
    if analyzer is None:
        raise SystemExit(f"generating needs a model: {why}")
    paras: list[Para] = []
    for path in sorted(ARTICLES.iterdir()):
        p = parse_file(path)
        texts = [p.text[s:e] for s, e in p.paragraphs]
        for text, a in zip(texts, analyzer.analyse(texts), strict=True):
            paras.append(Para(text, sorted((e.start, e.end, e.label, e.text) for e in a.entities),
                              [(s.start, s.end) for s in a.sentences]))  # fmt: skip
    for para in paras:
        for _, _, label, text in para.ents:
            k = (fold(text), label)
            para.mentions[k] += 1
            para.texts[k] = min(text, para.texts.get(k, text))
    return paras, analyzer.name


def _create(path: Path) -> None:
    """An empty library, made by the store as `gloss` makes one."""
    from store import Library

    Library.open(path).close()


def _build_schema(conn: sqlite3.Connection) -> list[str]:
    """Drop the secondary indexes and triggers (bulk loads go faster without them) and
    return their SQL, to recreate after the load."""
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
        " AND sql IS NOT NULL ORDER BY type = 'trigger', rowid"
    ).fetchall()
    for kind, name, _ in rows:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    return [sql for _, _, sql in rows]


def generate(
    path: Path,
    n_articles: int,
    n_notes: int,
    seed: int = 1,
    size: int = 3,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write a library of n_articles (about `size` KB each) and n_notes notes at path."""
    say = progress or (lambda msg: print(msg, flush=True))
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        say(f"[{time.perf_counter() - t0:6.1f}s] {msg}")

    rng = random.Random(seed)
    paras, model = templates()
    log(f"templates: {len(paras)} paragraphs analysed ({model})")
    partial = Path(f"{path}.partial")
    for p in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        p.unlink(missing_ok=True)
    _create(partial)
    conn = sqlite3.connect(partial, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")  # (from WAL; then OFF: scratch until renamed)
    conn.executescript(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -1048576;"
        " PRAGMA temp_store = MEMORY;"
    )
    device = conn.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()[0]
    rebuild_sql = _build_schema(conn)
    conn.execute("INSERT OR IGNORE INTO models (name) VALUES (?)", (model,))
    model_key = conn.execute("SELECT key FROM models WHERE name = ?", (model,)).fetchone()[0]
    for p in paras:
        p.labels = sum({label_bit(lab) for _, _, lab, _ in p.ents})
    now = int(time.time() * 1000)
    counter = 0

    def stamp() -> str:
        # the clock's format (store.core.hlc): the counter carries into the wall time, so
        # stamps keep increasing past 100,000 of them
        nonlocal counter
        counter += 1
        return f"{now + counter // 100000:013d}.{counter % 100000:05d}.{device}"

    rev_rowid = conn.execute("SELECT coalesce(max(rowid), 0) FROM note_revisions").fetchone()[0]
    notes_left = n_notes
    for start in range(0, n_articles, BATCH):
        arts, analyses, events, revs, notes, states, tags = [], [], [], [], [], [], []
        for i in range(start, min(start + BATCH, n_articles)):
            key = i + 1
            chosen: list[Para] = []
            length = 0
            target = rng.randint(size * 500, size * 1500)
            while length < target:
                chosen.append(rng.choice(paras))
                length += len(chosen[-1].text) + 2
            lead = f"Dispatch {i}."
            text_parts, offset = [lead], len(lead) + 2
            art_sents = [(0, len(lead))]
            art_ents: list[tuple[int, int, str]] = []
            labels = 0
            for para in chosen:
                text_parts.append(para.text)
                art_ents += [(offset + s, offset + e, lab) for s, e, lab, _ in para.ents]
                art_sents += [(offset + s, offset + e) for s, e in para.sents]
                offset += len(para.text) + 2
                labels |= para.labels
            text = "\n\n".join(text_parts)
            first = chosen[0].text.split(".")[0][:70]
            title = f"{first} ({i})"
            aid = article_id(title, text)
            arts.append((key, aid, title, "Generated Desk", f"gen://{i}", None,
                         f"2026-01-01T00:00:{i % 60:02d}.{i:06d}",
                         '{"sections": [], "paragraphs": []}', text))  # fmt: skip
            packed = codec.pack_entities(art_ents), codec.pack_sentences(art_sents)
            analyses.append((key, model_key, "2026-01-01T00:00:00", *packed))
            read = rng.random() < 0.6
            starred = rng.random() < 0.05
            for name, value in (("read", read), ("starred", starred)):
                if value:
                    events.append((str(ULID()), key, name, 1, stamp(), device))
            if rng.random() < 0.3:
                for tag in rng.sample(TAGS, rng.randint(1, 2)):
                    events.append((str(ULID()), key, f"tag:{tag}", 1, stamp(), device))
                    tags.append((key, tag))
            # notes spread evenly over the articles
            quota = notes_left // max(1, n_articles - i)
            if rng.random() < (notes_left / max(1, n_articles - i)) - quota:
                quota += 1
            n_body = 0
            for _ in range(quota):
                s, e = rng.choice(art_sents)
                a = Anchor.from_range(text, s, e)
                body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25)))
                rev_rowid += 1
                hlc, note_id = stamp(), str(ULID())
                revs.append((rev_rowid, str(ULID()), note_id, "[]", key, a.start, a.end,
                             a.exact, a.prefix, a.suffix, body, 0, hlc, device))  # fmt: skip
                notes.append((rev_rowid, note_id, key, hlc, 0, None))
                n_body += body != ""
                notes_left -= 1
            states.append((key, int(read), int(starred), n_body, quota - n_body, None, labels))
        conn.execute("BEGIN")
        q = conn.executemany
        q("INSERT INTO articles (key, id, title, byline, source, published, imported_at,"
          " structure, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", arts)  # fmt: skip
        q("INSERT INTO analyses (article, model, analysed_at, entities, sentences)"
          " VALUES (?, ?, ?, ?, ?)", analyses)  # fmt: skip
        q("INSERT INTO events (event_id, article, field, value, hlc, device)"
          " VALUES (?, ?, ?, ?, ?, ?)", events)  # fmt: skip
        q("INSERT INTO note_revisions (rowid, rev_id, note_id, parents, article, pos_start,"
          " pos_end, exact, prefix, suffix, body, deleted, hlc, device)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", revs)  # fmt: skip
        q("INSERT INTO notes (rev, note_id, article, created, conflict, heads)"
          " VALUES (?, ?, ?, ?, ?, ?)", notes)  # fmt: skip
        q("INSERT INTO article_state (article, read, starred, notes, highlights, superseded_by,"
          " labels) VALUES (?, ?, ?, ?, ?, ?, ?)", states)  # fmt: skip
        q("INSERT INTO article_tags (article, tag) VALUES (?, ?)", tags)
        conn.execute("COMMIT")
        log(f"generated {min(start + BATCH, n_articles):,}/{n_articles:,}")
    conn.execute("BEGIN")
    log("entity index (groups)")
    from store.core.regroup import regroup_all  # the index by groups, as the store makes it

    regroup_all(conn)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('hlc', ?)", (stamp(),))
    log("indexes")
    for sql in rebuild_sql:
        if sql.lstrip().upper().startswith("CREATE INDEX"):
            conn.execute(sql)
    log("full-text: articles")
    conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')")
    log("full-text: notes, tags")
    conn.execute("INSERT INTO notes_fts (notes_fts) VALUES ('rebuild')")
    conn.execute("INSERT INTO article_tagtext_fts (article_tagtext_fts) VALUES ('rebuild')")
    log("full-text: without stemming")
    for table in exact_words.TABLES:
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")
    for sql in rebuild_sql:
        if not sql.lstrip().upper().startswith("CREATE INDEX"):
            conn.execute(sql)
    log("counts")
    state.recount(conn)
    conn.execute("COMMIT")
    log("analyze")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    fd = os.open(partial, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    os.replace(partial, path)
    log(f"wrote {path}")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--notes", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.path.exists():
        raise SystemExit(f"{args.path} exists; generate into a new file")
    t = time.perf_counter()
    generate(args.path, args.articles, args.notes, args.seed)
    print(f"{args.path}: {args.articles:,} articles, {args.notes:,} notes "
          f"in {time.perf_counter() - t:.0f}s")  # fmt: skip


if __name__ == "__main__":
    main()
