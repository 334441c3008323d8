"""How well `store.core.entity_groups.group` finds one entity per real-world thing, against
hand-labelled articles (tests/fixtures/entity_groups/*.json: the real model's mentions and
which of its name mentions name one thing): pairwise precision and recall (the pairs of
mentions placed in one group, against the gold pairs) per article and overall, for the
first version (equal names and label) and the alias rules; then the time `group` takes on
a long synthetic article, against the first version.

    python -m bench.groups_quality [--fixtures DIR] [--mentions 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from store.core.entity_groups import Group, group, normal_key

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "entity_groups"
Grouper = Callable[[str, Sequence[tuple[int, int, str]]], list[Group]]


def equal_names(text: str, mentions: Sequence[tuple[int, int, str]]) -> list[Group]:
    """The first version: one group per normalised text and label."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, (start, end, label) in enumerate(mentions):
        groups.setdefault((normal_key(text[start:end]), label), []).append(i)
    return [
        Group(text[mentions[m[0]][0] : mentions[m[0]][1]], label, tuple(m))
        for (_, label), m in groups.items()
    ]


def load(path: Path) -> dict[str, Any]:
    """One fixture: its text, (start, end, label) mentions and gold groups of mention indexes."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["mentions"] = [(s, e, label) for s, e, label, _ in doc["mentions"]]
    return doc


def _pairs(cells: Mapping[Any, int]) -> int:
    return sum(n * (n - 1) // 2 for n in cells.values())


def score(doc: Mapping[str, Any], grouper: Grouper) -> tuple[int, int, int]:
    """(pairs predicted, pairs in gold, pairs in both) over the gold-labelled mentions."""
    gold = {i: k for k, g in enumerate(doc["gold"]) for i in g["members"]}
    pred = {i: k for k, g in enumerate(grouper(doc["text"], doc["mentions"])) for i in g.members}
    both = Counter((pred[i], gold[i]) for i in gold)
    return _pairs(Counter(pred[i] for i in gold)), _pairs(Counter(gold.values())), _pairs(both)


def _ratio(num: int, den: int) -> str:
    return f"{num / den:.3f}" if den else "  -  "


def quality(fixtures: Path = FIXTURES) -> dict[str, Any]:
    """Print and return precision and recall per article and overall, for both versions."""
    versions: dict[str, Grouper] = {"equal names": equal_names, "alias rules": group}
    totals = {name: [0, 0, 0] for name in versions}
    rows = []
    print(f"{'article':10} {'title':40} " + "  ".join(f"{n:>17}" for n in versions))
    print(f"{'':51}" + "  ".join(f"{'P':>8} {'R':>8}" for _ in versions))
    for path in sorted(fixtures.glob("*.json")):
        doc = load(path)
        row: dict[str, Any] = {"article": doc["article"], "title": doc["title"]}
        cells = []
        for name, grouper in versions.items():
            pred, gold, both = score(doc, grouper)
            totals[name] = [a + b for a, b in zip(totals[name], (pred, gold, both), strict=True)]
            row[name] = {"pred_pairs": pred, "gold_pairs": gold, "both": both}
            cells.append(f"{_ratio(both, pred):>8} {_ratio(both, gold):>8}")
        rows.append(row)
        print(f"{path.stem:10} {doc['title'][:40]:40} " + "  ".join(cells))
    overall = {}
    cells = []
    for name, (pred, gold, both) in totals.items():
        overall[name] = {"precision": both / pred if pred else 1.0, "recall": both / gold}
        cells.append(f"{_ratio(both, pred):>8} {_ratio(both, gold):>8}")
    print(f"{'overall':51}" + "  ".join(cells) + f"   ({len(rows)} articles)")
    return {"articles": rows, "overall": overall}


def synthetic(n: int, seed: int = 15) -> tuple[str, list[tuple[int, int, str]]]:
    """A long article of n mentions: people with full names and surnames, places,
    acronyms, numbers, as a long news story has them."""
    rnd = random.Random(seed)
    given = [f"Given{k}" for k in range(60)]
    family = [f"Family{k}" for k in range(150)]
    parts, mentions, pos = [], [], 0
    for _ in range(n):
        kind = rnd.random()
        if kind < 0.3:
            name, label = f"{rnd.choice(given)} {rnd.choice(family)}", "PERSON"
        elif kind < 0.55:
            name, label = rnd.choice(family), rnd.choice(("PERSON", "ORG"))
        elif kind < 0.7:
            name, label = f"North {rnd.choice(family)} Council", "ORG"
        elif kind < 0.8:
            name, label = "NFC", "ORG"
        else:
            name, label = str(rnd.randrange(100)), "CARDINAL"
        parts.append(f"{name} said ")
        mentions.append((pos, pos + len(name), label))
        pos += len(name) + 6
    return "".join(parts), mentions


def timing(n: int, runs: int = 5) -> dict[str, float]:
    """Median seconds of both versions on one synthetic article of n mentions."""
    text, mentions = synthetic(n)
    out = {}
    for name, grouper in (("equal names", equal_names), ("alias rules", group)):
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            grouper(text, mentions)
            samples.append(time.perf_counter() - t)
        out[name] = sorted(samples)[runs // 2]
    ratio = out["alias rules"] / out["equal names"]
    print(f"group() on {n:,} mentions: equal names {out['equal names'] * 1000:.1f} ms, "
          f"alias rules {out['alias rules'] * 1000:.1f} ms ({ratio:.1f}x)")  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixtures", type=Path, default=FIXTURES)
    ap.add_argument("--mentions", type=int, default=5000)
    args = ap.parse_args()
    quality(args.fixtures)
    for n in (args.mentions // 10, args.mentions):
        timing(n)


if __name__ == "__main__":
    main()
