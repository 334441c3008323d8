"""Generate realistic libraries of any size without running spaCy on every article.

The shipped articles are analysed once; their paragraphs, with entity and sentence offsets,
are the templates. Each generated article is a shuffle of template paragraphs, so its
entities and sentences are the templates' shifted by offset. Notes anchor to real sentences.

    python -m bench.generate PATH --articles 100000 --notes 50000
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

from ulid import ULID

from bench.corpus import ARTICLES
from store import Library
from store.core.models import Anchor
from store.ingest import entities
from store.ingest.importer import article_id
from store.ingest.parse import parse_file

TAGS = ["politics", "economy", "world/asia", "world/europe", "world/europe/uk", "science",
        "climate", "long-read", "to-check", "culture"]  # fmt: skip
WORDS = ("argument evidence source claim context follow later compare disagree important "
         "timeline quote figure check contradiction background motive policy").split()  # fmt: skip


@dataclass
class Para:
    text: str
    ents: list[tuple[int, int, str, str]]
    sents: list[tuple[int, int]]


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
            paras.append(Para(text, [(e.start, e.end, e.label, e.text) for e in a.entities],
                              [(s.start, s.end) for s in a.sentences]))  # fmt: skip
    return paras, analyzer.name


def generate(path: Path, n_articles: int, n_notes: int, seed: int = 1, size: int = 3) -> Path:
    """Write a library of n_articles (about `size` KB each) and n_notes notes at path."""
    rng = random.Random(seed)
    paras, model = templates()
    lib = Library.open(path)
    device = lib.device_id
    now = int(time.time() * 1000)
    counter = 0

    def stamp() -> str:
        nonlocal counter
        counter += 1
        return f"{now:013d}.{counter % 100000:05d}.{device}"

    article_rows, sentence_index = [], []
    batch = 2000
    notes_left = n_notes
    for start in range(0, n_articles, batch):
        rows, ents, sents, events, states, revs = [], [], [], [], [], []
        for i in range(start, min(start + batch, n_articles)):
            chosen: list[Para] = []
            length = 0
            target = rng.randint(size * 500, size * 1500)
            while length < target:
                chosen.append(rng.choice(paras))
                length += len(chosen[-1].text) + 2
            lead = f"Dispatch {i}."
            text_parts, offset = [lead], len(lead) + 2
            art_sents = [(0, len(lead))]
            art_ents: list[tuple[int, int, str, str]] = []
            for para in chosen:
                text_parts.append(para.text)
                art_ents += [(offset + s, offset + e, lab, t) for s, e, lab, t in para.ents]
                art_sents += [(offset + s, offset + e) for s, e in para.sents]
                offset += len(para.text) + 2
            text = "\n\n".join(text_parts)
            first = chosen[0].text.split(".")[0][:70]
            title = f"{first} ({i})"
            aid = article_id(title, text)
            structure = {"sections": [], "paragraphs": []}
            rows.append((aid, title, "Generated Desk", f"gen://{i}", None,
                         f"2026-01-01T00:00:{i % 60:02d}.{i:06d}", text,
                         json.dumps(structure)))  # fmt: skip
            ents += [(aid, model, s, e, lab, t) for s, e, lab, t in art_ents]
            sents += [(aid, model, s, e) for s, e in art_sents]
            read = rng.random() < 0.6
            starred = rng.random() < 0.05
            for field, value in (("read", read), ("starred", starred)):
                if value:
                    events.append((str(ULID()), aid, field, 1, stamp(), device))
            if rng.random() < 0.3:
                for tag in rng.sample(TAGS, rng.randint(1, 2)):
                    events.append((str(ULID()), aid, f"tag:{tag}", 1, stamp(), device))
            states.append(aid)
            # notes spread evenly over the articles
            quota = notes_left // max(1, n_articles - i)
            if rng.random() < (notes_left / max(1, n_articles - i)) - quota:
                quota += 1
            for _ in range(quota):
                s, e = rng.choice(art_sents)
                a = Anchor.from_range(text, s, e)
                body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 25)))
                revs.append((str(ULID()), str(ULID()), "[]", aid, a.start, a.end, a.exact,
                             a.prefix, a.suffix, body, 0, stamp(), device))  # fmt: skip
                notes_left -= 1
            article_rows.append(aid)
            sentence_index.append(len(art_sents))
        with lib.write() as conn:
            conn.executemany("INSERT OR IGNORE INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            conn.executemany(
                "INSERT OR IGNORE INTO analyses VALUES (?, ?, ?)",
                [(r[0], model, "2026-01-01T00:00:00") for r in rows],
            )
            conn.executemany("INSERT OR IGNORE INTO entities VALUES (?, ?, ?, ?, ?, ?)", ents)
            conn.executemany("INSERT OR IGNORE INTO sentences VALUES (?, ?, ?, ?)", sents)
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", events)
            conn.executemany(
                "INSERT INTO note_revisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", revs
            )
            from store.core import state

            state.rebuild(conn, states)
            state.rebuild_entities(conn, states)
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('hlc', ?)", (stamp(),))
        print(f"\r  generated {min(start + batch, n_articles):,}/{n_articles:,}", end="",
              flush=True)  # fmt: skip
    print()
    lib.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    lib.close()
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
