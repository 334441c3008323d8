"""`gloss` with one of its measures for keys undone, so that the keys bench can compare the
two in the same session of measurements (bench/keys_bench.py):

    python bench/gloss_variant.py [--model-in-process] [--no-freeze] -- --db LIB

--model-in-process: the language model runs in a worker thread of the app, as it did before
    (`Library.analyse_apart` is not called; store.ingest.entities_apart);
--no-freeze: what start-up made is not left out of the cyclic collector's passes
    (`gc.freeze` in `GlossApp.on_ready` does nothing). The rest goes to `gloss` as given.
"""

from __future__ import annotations

import argparse
import gc
import sys


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-in-process", action="store_true")
    ap.add_argument("--no-freeze", action="store_true")
    ap.add_argument("gloss", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if args.model_in_process:
        from store.library import Library

        Library.analyse_apart = staticmethod(lambda: None)  # type: ignore[method-assign]
    if args.no_freeze:
        gc.freeze = lambda: None
    sys.argv = ["gloss", *(a for a in args.gloss if a != "--")]
    from tui.cli import main as gloss

    gloss()


if __name__ == "__main__":
    main()
