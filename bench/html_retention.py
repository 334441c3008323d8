"""How much of a page's main text gloss keeps, next to trafilatura alone, and what debris is left.

python -m bench.html_retention [PAGE.html ...] [--json]

For every HTML page (tests/fixtures/html/*.html and articles/*.html, or the pages named), the
words gloss stores (title and text) are compared, as a multiset, with the words of
`trafilatura.extract(raw, output_format="txt", include_tables=True)`. A word is a run of
letters and digits (`\\w+`), so trafilatura's table pipes and list dashes count on neither side.

- kept: the share of trafilatura's words that gloss keeps (100% = none lost). A word that
  trafilatura ran together with the next and gloss keeps apart counts as kept ("kept split").
- kept*: the same against trafilatura told to leave reader comments out, as gloss does.
- debris: what must never reach stored text: HTML tags, `**`, `#` heading marks, `|`, and
  character references. (On pages of code, `<T>`, `**` and `|x|` are the code itself.)
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import trafilatura

from store.core.errors import ImportFailed
from store.core.sanitize import clean, decode
from store.ingest.parse.html import parse_html

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "tests" / "fixtures" / "html").glob("*.html")) + sorted(
    (ROOT / "articles").glob("*.html")
)
_WORD = re.compile(r"\w+")
DEBRIS = {
    "<tag": re.compile(r"</?[A-Za-z][^<>\n]{0,200}>|<!--"),
    "**": re.compile(r"\*\*"),
    "#": re.compile(r"(?m)^#{1,6}[ \t]|##"),
    "|": re.compile(r"\|"),
    "&ref;": re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,30});"),
}


def words(text: str | None) -> Counter[str]:
    return Counter(_WORD.findall(clean(text or "")))


def kept(base: Counter[str], ours: Counter[str], text: str) -> tuple[float, list[str], int]:
    """Share of base's words (with multiplicity) that ours keeps, the ones lost, and how many
    were kept split: trafilatura ran two words together ("workerconst") that gloss keeps
    apart (the end of one code block and the start of the next)."""
    total = sum(base.values())
    seq = _WORD.findall(clean(text))
    joined = {"".join(seq[i : i + n]) for n in (2, 3) for i in range(len(seq) - n + 1)}
    missing = list((base - ours).elements())
    lost = sorted(w for w in missing if w not in joined)
    share = 1.0 if total == 0 else 1 - len(lost) / total
    return share, lost, len(missing) - len(lost)


def measure(path: Path) -> dict:
    raw = decode(path.read_bytes(), path.name)
    try:
        p = parse_html(raw, name=path.name)
        text, status = p.text, "; ".join(p.warnings) or "ok"
        stored = f"{p.title}\n{p.text}"
    except ImportFailed as exc:
        stored, text, status = "", "", f"refused: {exc}"
    ours = words(stored)
    base = words(trafilatura.extract(raw, output_format="txt", include_tables=True))
    main = words(
        trafilatura.extract(raw, output_format="txt", include_tables=True, include_comments=False)
    )
    share, missing, _ = kept(base, ours, stored)
    share_main, missing_main, split = kept(main, ours, stored)
    return {
        "page": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
        "trafilatura_words": sum(base.values()),
        "gloss_words": sum(ours.values()),
        "kept": round(share, 4),
        "kept_without_comments": round(share_main, 4),
        "missing": missing[:12],
        "missing_without_comments": missing_main[:12],
        "kept_split": split,
        "debris": {name: len(rx.findall(text)) for name, rx in DEBRIS.items()},
        "status": status,
    }


def run(paths: list[Path] | None = None) -> list[dict]:
    return [measure(p) for p in paths or PAGES]


def main(argv: list[str]) -> None:
    as_json = "--json" in argv
    rows = run([Path(a) for a in argv if a != "--json"])
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    print(f"{'page':44} {'traf':>5} {'gloss':>5} {'kept':>7} {'kept*':>7}  debris  status")
    for r in rows:
        debris = sum(r["debris"].values())
        print(
            f"{r['page'][-44:]:44} {r['trafilatura_words']:5} {r['gloss_words']:5} "
            f"{r['kept']:7.1%} {r['kept_without_comments']:7.1%}  {debris:6}  {r['status']}"
        )
        if r["missing_without_comments"]:
            print(f"{'':44} missing*: {' '.join(r['missing_without_comments'])}")
        if debris:
            print(f"{'':44} debris: {r['debris']}")
        if r["kept_split"]:
            print(f"{'':44} kept split: {r['kept_split']} words trafilatura ran together")
    print("kept: share of trafilatura's words gloss stores; kept*: trafilatura without comments")


if __name__ == "__main__":
    main(sys.argv[1:])
