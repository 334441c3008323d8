"""Screens of the gloss app: the library, the reader, help and small dialogs."""

from pathlib import Path

_TUI = Path(__file__).resolve().parent.parent
READER_CSS = _TUI / "reader.tcss"
SEARCH_CSS = _TUI / "search.tcss"
DIALOGS_CSS = _TUI / "dialogs.tcss"
ENTITIES_CSS = _TUI / "entities.tcss"
"""Each screen but the library loads its layout when first shown (it applies app-wide from then
on, as Textual's screen CSS does): start-up parses and matches only the library's."""
