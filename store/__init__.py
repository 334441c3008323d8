"""gloss's data layer: the library file, import, entities, notes, tags and state.

Nothing here imports Textual or Rich; the terminal lives in `tui`.
"""

from __future__ import annotations

from store.core.errors import GlossError
from store.library import Library

__all__ = ["GlossError", "Library"]
