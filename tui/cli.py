"""The `gloss` command's entry point.

`gloss` alone (or with `--db PATH`) starts the app at once: the subcommands (click, the
store's write side) are loaded only when one is given (tui.cli_commands), and the library is
opened and counted in a thread started before Textual is imported (tui.opening), so neither
is on the way to the first screen. Every expected failure is one line on stderr with a
non-zero exit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def fail(message: str, code: int = 1) -> None:
    """One line on stderr, then exit (without loading click, as tui.cli_base.fail would)."""
    from store.core.sanitize import clean_line

    print(f"gloss: {clean_line(message)}", file=sys.stderr, flush=True)
    sys.exit(code)


def app_only(argv: list[str]) -> Path | None:
    """The library to open if `argv` only starts the app (nothing, `--db PATH` or
    `--db=PATH`); None for anything else, which the command tree parses."""
    if not argv:
        value = None
    elif len(argv) == 2 and argv[0] == "--db":
        value = argv[1]
    elif len(argv) == 1 and argv[0].startswith("--db="):
        value = argv[0].removeprefix("--db=")
    else:
        return None
    if value is not None and (not value or value.startswith("-")):
        return None  # let click say what is wrong with it
    value = value or os.environ.get("GLOSS_DB")  # (click ignores an empty variable too)
    if value:
        return Path(value)
    from store.core.paths import default_db_path

    return default_db_path()


def main() -> None:
    """Entry point: run the app or a command, turning every expected failure into one line."""
    try:
        db_path = app_only(sys.argv[1:])
        if db_path is not None:
            from tui.launch import run_app

            run_app(db_path)
        else:
            from tui.cli_commands import run

            run()
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        from store.core.errors import GlossError

        if isinstance(exc, GlossError):
            fail(f"error: {exc}")
        if os.environ.get("GLOSS_DEBUG"):  # a bug: still one line, with a way to see it
            raise
        fail(f"internal error ({type(exc).__name__}: {exc}); set GLOSS_DEBUG=1 for details", 70)
