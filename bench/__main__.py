"""`make bench`: run every benchmark (or the ones named), print each, write bench/results.json.

python -m bench                 # all, in full
python -m bench startup import  # some; the others keep their last figures
python -m bench.startup_bench --help   # one, with its own sizes (quick runs)
"""

from __future__ import annotations

import sys

from bench import (
    frames_bench,
    import_bench,
    open_bench,
    search_bench,
    startup_bench,
    sync_bench,
)
from bench.results import save

BENCHES = {
    "startup": startup_bench.run,
    "open": open_bench.run,
    "frames": frames_bench.run,
    "import": import_bench.run,
    "search": search_bench.run,
    "sync": sync_bench.run,
}


def main(argv: list[str]) -> None:
    unknown = [name for name in argv if name not in BENCHES]
    if unknown:
        choose = ", ".join(BENCHES)
        raise SystemExit(f"unknown benchmark {', '.join(unknown)}; choose from {choose}")
    results = {}
    for name in argv or list(BENCHES):
        print(f"== {name}", flush=True)
        results[name] = BENCHES[name]()
    print(f"wrote {save(results, keep_others=bool(argv))}")


if __name__ == "__main__":
    main(sys.argv[1:])
