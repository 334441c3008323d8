"""`gloss` with one of its measures for keys during background jobs undone, so that the keys
bench can compare the two in the same session of measurements (bench/keys_bench.py):

    python bench/gloss_variant.py [--switch-interval SECONDS] [--no-settle] -- --db LIB

--switch-interval: the GIL switch interval while a job runs (tui.widgets.jobs.SWITCH_INTERVAL;
    Python's own is 0.005); --no-settle: the heap is not settled once the model is loaded
    (tui.widgets.jobs.settle_heap does nothing). The rest goes to `gloss` as given.
"""

from __future__ import annotations

import argparse
import sys


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--switch-interval", type=float)
    ap.add_argument("--no-settle", action="store_true")
    ap.add_argument("gloss", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    from tui.widgets import jobs

    if args.switch_interval is not None:
        jobs.SWITCH_INTERVAL = args.switch_interval
    if args.no_settle:
        jobs.settle_heap = lambda: None
    sys.argv = ["gloss", *(a for a in args.gloss if a != "--")]
    from tui.cli import main as gloss

    gloss()


if __name__ == "__main__":
    main()
