"""The one tag rule of gloss: how a typed name becomes a tag, and which tags a name matches.

Names: `store.core.sanitize.normalise_tag` (lower case, spaces become '-', '/' nests:
" World / Asia " is world/asia, "Big Museums" is big-museums). Every way in uses it: the
CLI, the TUI's tag dialog, feeds, importers, sync checks and the search language.

Matching (`tag:` in search, a tag in the sidebar, `gloss list --tag`, `gloss export --tag`):
    world       world and every tag nested under it (world/asia, world/asia/china)
    =world      world only
    world*      every tag starting so (world, worldcup, world/asia)
    world/*     the same as world (kept for older saved queries)
"""

from __future__ import annotations

from store.core.sanitize import normalise_tag


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def tag_match(spec: str, column: str = "tag") -> tuple[str, list[object]]:
    """An SQL condition on `column` (a name from code) for the tags `spec` matches, and its
    arguments; InvalidInput for a name that cannot be a tag."""
    spec = spec.strip()
    if spec.startswith("="):
        return f"{column} = ?", [normalise_tag(spec[1:])]
    if spec.endswith("/*"):
        spec = spec[:-2]
    elif spec.endswith("*"):
        return f"{column} LIKE ? ESCAPE '\\'", [_like(normalise_tag(spec.rstrip("*"))) + "%"]
    name = normalise_tag(spec)
    return f"({column} = ? OR {column} LIKE ? ESCAPE '\\')", [name, _like(name) + "/%"]
