"""`make bench`: run every benchmark (or the ones named), print each, write bench/results.json.

    python -m bench                 # all, in full
    python -m bench startup import  # some; the others keep their last figures
    python -m bench.startup_bench --help   # one, with its own sizes (quick runs)

Each benchmark's module is imported when it runs, so one that cannot even be imported fails
alone, with the others' figures written.
"""

from __future__ import annotations

import importlib
import sys
import traceback

from bench.results import save

BENCHES = {
    "startup": "bench.startup_bench",
    "open": "bench.open_bench",
    "frames": "bench.frames_bench",
    "import": "bench.import_bench",
    "search": "bench.search_bench",
    "counts": "bench.counts_bench",
    "sync": "bench.sync_bench",
    "anchor": "bench.anchor_bench",
    "export": "bench.export_bench",
    "entity_page": "bench.entity_page_bench",
    "edit": "bench.edit_bench",
    "keys": "bench.keys_bench",
}


def main(argv: list[str]) -> None:
    unknown = [name for name in argv if name not in BENCHES]
    if unknown:
        choose = ", ".join(BENCHES)
        raise SystemExit(f"unknown benchmark {', '.join(unknown)}; choose from {choose}")
    results, failed = {}, []
    for name in argv or list(BENCHES):
        print(f"== {name}", flush=True)
        try:
            results[name] = importlib.import_module(BENCHES[name]).run()
        except (Exception, SystemExit):  # one failing benchmark does not stop the others
            traceback.print_exc()
            failed.append(name)
    print(f"wrote {save(results, keep_others=bool(argv) or bool(failed))}")
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main(sys.argv[1:])
