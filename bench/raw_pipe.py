"""The baseline of the import bench: spaCy's `nlp.pipe` over the texts gloss would analyse,
with the components gloss loads and its batch size, in a process of its own (as
`gloss import` runs in one).

    python bench/raw_pipe.py TEXTS.json   # prints: model-load seconds, pipe seconds
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from store.ingest import entities

BATCH_SIZE = 32  # store.ingest.entities.Analyzer.analyse's default, which the importer uses


def main() -> None:
    texts = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    t = time.perf_counter()
    analyzer, why = entities.analyzer()  # the model and components gloss loads
    if analyzer is None:
        raise SystemExit(f"no model: {why}")
    loaded = time.perf_counter() - t
    t = time.perf_counter()
    for _doc in analyzer.nlp.pipe(texts, batch_size=BATCH_SIZE):  # type: ignore[attr-defined]
        pass
    print(f"{loaded:.3f} {time.perf_counter() - t:.3f}")


if __name__ == "__main__":
    main()
