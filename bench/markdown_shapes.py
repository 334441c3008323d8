"""Markdown import on pathological shapes and on real articles, by size.

Each shape is a generator of n characters: inline runs that keep markdown-it's inline rules
busy (`[a](`, `![`, `[`, `*_`, `_`, `*`, backticks, `<`, `&`, `\\`, long link destinations,
link titles, `<!--`, autolinks), block shapes (`>` lines, nested lists, `#` lines, setext
lines, reference definitions, `<` lines, fence lines, short lines, blank lines), `real`: the
two shipped Markdown articles repeated, and `real_links`: the same with links, emphasis and
code spans on many words. Every case runs in its own subprocess with a timeout, timed twice:
`gloss` is parse_markdown (what an import costs), `markdown-it` the bare
MarkdownIt("commonmark").parse it wraps (what parse_markdown cost before it was bounded).
Times are wall-clock and CPU seconds of the parse on this machine (CPU time is the steadier
when others share the machine).

Run: `.venv/bin/python -m bench.markdown_shapes` (100 KB and 1 MB, both parsers);
`--sizes 10M --impl gloss` for the import limit; `--shapes real,link_open` for some.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ("002_central_bank_rates.md", "004_museum_reopens.md")


def _rep(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def _real(n: int) -> str:
    from store.ingest.parse.markdown import split_front_matter

    bodies = [split_front_matter((ROOT / "articles" / name).read_text())[1] for name in REAL]
    return "---\ntitle: Real articles, repeated\n---\n" + _rep("\n\n".join(bodies) + "\n\n", n)


def _real_links(n: int) -> str:
    """The real articles with markup on many words: a link on every 6th (a long URL), emphasis
    on every 15th, a code span on every 25th: heavier inline markup than most articles."""
    words = _real(n).split(" ")
    for i in range(len(words)):
        if i % 6 == 3 and words[i].isalpha():
            words[i] = f"[{words[i]}](https://example.org/news/2026/04/{words[i].lower()}-{i})"
        elif i % 15 == 7 and words[i].isalpha():
            words[i] = f"*{words[i]}*"
        elif i % 25 == 11 and words[i].isalpha():
            words[i] = f"`{words[i]}`"
    return " ".join(words)[:n]


def _list_indent(n: int) -> str:
    return _rep("".join("  " * i + "- a\n" for i in range(30)), n)


SHAPES: dict[str, Callable[[int], str]] = {
    "real": _real,
    "real_links": _real_links,
    "link_open": lambda n: _rep("[a](", n),
    "image_open": lambda n: _rep("![a](", n),
    "bang_bracket": lambda n: _rep("![", n),
    "brackets": lambda n: _rep("[", n),
    "link_dest_long": lambda n: _rep("[a](" + "x" * 10_000, n),
    "link_title": lambda n: _rep('[a](b "', n),
    "html_comment": lambda n: _rep("a <!--", n),
    "autolink_open": lambda n: _rep("<a:", n),
    "star_a": lambda n: _rep("*a ", n),
    "emph_mix": lambda n: _rep("*_", n),
    "underscores": lambda n: "a" + _rep("_", n),
    "stars": lambda n: "a" + _rep("*", n),
    "backtick_a": lambda n: _rep("`a", n),
    "lt": lambda n: _rep("<", n),
    "amp": lambda n: _rep("&", n),
    "backslash": lambda n: _rep("\\", n),
    "quote_lines": lambda n: _rep("> ", n // 3) + "a\n" + _rep("> a\n", n - n // 3),
    "quote_nest": lambda n: _rep(">" * 200 + " a\n", n),
    "list_indent": _list_indent,
    "list_nest_line": lambda n: _rep("- ", n) + "a",
    "hashes": lambda n: _rep("# a\n", n),
    "setext": lambda n: _rep("a\n=\n", n),
    "refdefs": lambda n: _rep("[a]: b\n", n),
    "lt_lines": lambda n: _rep("<\n", n),
    "fence_lines": lambda n: _rep("```\n", n),
    "short_lines": lambda n: _rep("a\n", n),
    "paragraphs": lambda n: _rep("a\n\n", n),
    "blank_lines": lambda n: _rep("\n", n),
}


def one(shape: str, size: int, impl: str) -> dict:
    """Time one parse in this process; the outcome is the text length or the one-line error."""
    from markdown_it import MarkdownIt

    from store.core.errors import ImportFailed
    from store.ingest.parse.markdown import parse_markdown

    raw = SHAPES[shape](size)
    md = MarkdownIt("commonmark")
    t, cpu = time.perf_counter(), time.process_time()
    try:
        if impl == "markdown-it":
            outcome = f"{len(md.parse(raw))} tokens"
        else:
            p = parse_markdown(raw)
            warned = "".join(f"; warned: {w}" for w in p.warnings)
            outcome = f"{len(p.text):,} chars{warned}"
    except ImportFailed as exc:
        outcome = f"ImportFailed: {exc}"
    return {
        "seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "outcome": outcome
    }  # fmt: skip


def case(shape: str, size: int, impl: str, timeout: float) -> dict:
    cmd = [sys.executable, "-m", "bench.markdown_shapes", "--one", shape, str(size), impl]
    try:
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"seconds": None, "cpu": None, "outcome": f"timed out after {timeout:g} s"}
    if out.returncode:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        return {"seconds": None, "cpu": None, "outcome": f"crashed: {last}"}
    return json.loads(out.stdout)


def _size(text: str) -> int:
    units = {"K": 1_000, "M": 1_000_000}
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100K,1M", help="comma-separated, e.g. 100K,1M,10M")
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated shape names")
    ap.add_argument("--impl", default="gloss,markdown-it", help="gloss, markdown-it or both")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per case")
    ap.add_argument("--one", nargs=3, metavar=("SHAPE", "SIZE", "IMPL"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), args.one[2])))
        return
    sizes = [_size(s) for s in args.sizes.split(",")]
    impls = args.impl.split(",")
    print(_row("shape", "size", "impl", "wall s", "cpu s", "cpu us/ch", "outcome"))
    for shape in args.shapes.split(","):
        for size in sizes:
            for impl in impls:
                r = case(shape, size, impl, args.timeout)
                wall, cpu = r["seconds"], r["cpu"]
                cols = ["-"] * 3 if cpu is None else [
                    f"{wall:.2f}", f"{cpu:.2f}", f"{cpu / size * 1e6:.2f}"
                ]  # fmt: skip
                print(_row(shape, f"{size:,}", impl, *cols, r["outcome"]), flush=True)


def _row(shape: str, size: str, impl: str, wall: str, cpu: str, per: str, outcome: str) -> str:
    return f"{shape:15} {size:>10} {impl:11} {wall:>7} {cpu:>7} {per:>9}  {outcome}"


if __name__ == "__main__":
    main(sys.argv[1:])
