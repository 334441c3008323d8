"""Realistic article texts for benchmarks, made from the shipped samples without spaCy."""

from __future__ import annotations

import random
from pathlib import Path

from store.ingest.parse import parse_file

ARTICLES = Path(__file__).resolve().parent.parent / "articles"


def paragraphs() -> list[str]:
    """Every paragraph of the shipped articles."""
    out: list[str] = []
    for path in sorted(ARTICLES.iterdir()):
        p = parse_file(path)
        out += [p.text[s:e] for s, e in p.paragraphs]
    return out


def texts(n: int, paras: int = 8, seed: int = 7) -> list[tuple[str, str]]:
    """n distinct (title, body) pairs of `paras` paragraphs each, shuffled from the samples."""
    rng = random.Random(seed)
    pool = paragraphs()
    out = []
    for i in range(n):
        body = "\n\n".join(rng.choice(pool) for _ in range(paras))
        out.append((f"Generated article {i}", body))
    return out


def write_files(folder: Path, items: list[tuple[str, str]]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (title, body) in enumerate(items):
        path = folder / f"{i:06d}.txt"
        path.write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        paths.append(path)
    return paths
