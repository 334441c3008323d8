"""Starting the app on a library: upgrade an older one first, start reading the first screen
in a thread, then import Textual and run. Used by `gloss` alone (tui.cli's fast path) and by
the command tree when no subcommand is given."""

from __future__ import annotations

import gc
import sqlite3
import sys
from pathlib import Path

from tui.opening import BUNDLED_ARTICLES as BUNDLED_ARTICLES


def _bundled_pending(db_path: Path) -> bool:
    from store.library import bundled_import_pending

    return bundled_import_pending(db_path)


def run_app(db_path: Path) -> None:
    """Open the TUI on the library at db_path; a new library first imports the bundled
    articles (in the app's worker). A library that cannot be opened ends the app with its
    error, as one line."""
    # Start-up allocates much and frees little: the cyclic collector ran a hundred times
    # (23 ms) before the first frame. The app turns it back on once that frame is up.
    gc.disable()
    from tui.opening import prefetch, upgrade_first

    upgrade_first(db_path)  # an older library: upgraded first, with its progress on stderr

    # a new library imports the bundled articles; one whose first start was quit during
    # that import finishes it (marked pending in the library until it completes)
    new = not db_path.exists()
    bundled = BUNDLED_ARTICLES.is_dir() and (new or _bundled_pending(db_path))
    imports = [BUNDLED_ARTICLES] if bundled else []
    first_screen = prefetch(db_path, bundled=new and bundled)  # while Textual is imported

    from store.library import Library
    from tui.app import GlossApp

    Library.analyse_apart()  # spaCy in a process of its own: keys stay quick while it works

    app = GlossApp(db_path, imports, quit_on_open_error=True, prefetched=first_screen)
    app.run()
    if (error := app.open_error) is not None:
        if isinstance(error, sqlite3.DatabaseError):  # found past the open's own checks
            from store.core.errors import LibraryError
            from tui.cli_base import damaged

            if isinstance(error, sqlite3.OperationalError):  # busy, locked, I/O
                raise LibraryError(f"library {db_path}: {error}")
            raise LibraryError(damaged(db_path, error))
        raise error
    if app.return_code:
        sys.exit(app.return_code)
