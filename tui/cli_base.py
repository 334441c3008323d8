"""Helpers shared by the `gloss` commands (tui.cli, tui.cli_notes, tui.cli_feeds): one-line
errors, JSON and cleaned text output, and the library of the command's context."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from store import Library
from store.core.errors import LibraryError
from store.core.models import ArticleSummary
from store.core.sanitize import clean, clean_line


def fail(message: str, code: int = 1) -> None:
    click.echo(f"gloss: {clean_line(message)}", err=True)
    sys.exit(code)


def emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def out(text: str = "") -> None:
    """Print stored text defensively cleaned: a peer library may hold what import refused."""
    click.echo(clean(text))


@contextmanager
def library(ctx: click.Context) -> Iterator[Library]:
    from tui.opening import upgrade_progress

    lib = Library.open(ctx.obj, progress=upgrade_progress())  # (drawn only for an upgrade)
    if lib.readonly:
        click.echo(f"gloss: notice: {lib.path} is read-only: reading only", err=True)
    try:
        yield lib
    except sqlite3.DatabaseError as exc:  # damage found while reading, past the open checks
        raise LibraryError(damaged(lib.path, exc)) from None
    finally:
        lib.close()


def damaged(path: Path, exc: Exception) -> str:
    return (
        f"library {path} is damaged ({exc}); nothing was changed. Recover with"
        f" `sqlite3 {path} .recover | sqlite3 recovered.db`, or restore a backup or a sync peer"
    )


def article_arg(lib: Library, prefix: str) -> str:
    return lib.resolve(prefix)


def json_option(f: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(f)


def summary_line(a: ArticleSummary) -> str:
    flags = ("N" if not a.read else " ") + ("*" if a.starred else " ")
    date = (a.published or a.imported_at)[:10]
    extra = f"  [{', '.join(a.tags)}]" if a.tags else ""
    notes = f"  ({a.notes} note{'' if a.notes == 1 else 's'})" if a.notes else ""
    return f"{a.id[:8]} {flags} {date}  {a.title}{extra}{notes}"
