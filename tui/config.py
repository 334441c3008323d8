"""The user's config file (config.toml), read once through `settings()`.

A broken file never stops gloss: bad TOML means every default, a key of the wrong type or an
unknown key means that key's default, and `settings().problems` says what was wrong in short
phrases that the app shows as one line. The key bindings are checked in tui.keymap, which
knows the bindings' ids. The theme last picked in the command palette is not written here
but in a state file of its own (`remembered_theme`, `remember_theme`).
"""

from __future__ import annotations

import json
import threading
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from store.core.paths import config_path, state_path

COLUMNS = ("unread", "star", "title", "byline", "date", "tags", "notes")
"""The article list's columns, in their default order."""
DEFAULT_DATE = "%Y-%m-%d"
DEFAULT_WIDTH = 88

TEMPLATE = f"""\
# gloss configuration. Every key is shown with its default; uncomment a line to change it.
# `gloss config path` prints where this file is, `gloss config edit` opens it.
# A mistake here is reported in one line when gloss starts, and that key keeps its default.

# The Textual theme (ctrl+p, "Change theme" lists them). Unset: the theme last picked in the
# command palette, else textual-dark. When set, it wins over the pick at every start.
# theme = "textual-dark"

# The widest a line of an article gets in the reader, in columns.
# reading_width = {DEFAULT_WIDTH}

# The command `o` opens an article's web address with, run without a shell; %s is replaced by
# the address (appended when there is no %s). Unset: the system's graphical browser.
# browser = "firefox %s"
# A browser that runs in the terminal (w3m, lynx): gloss gives it the terminal until it ends.
# browser_in_terminal = false

# The editor ctrl+e in the note editor opens the note in. Unset: $VISUAL, then $EDITOR, then vi.
# editor = "nvim"

# How dates are shown in the list and the reader (Python strftime codes).
# date_format = "{DEFAULT_DATE}"

# The article list's columns, in order; leave out the ones you do not want.
# list_columns = {json.dumps(list(COLUMNS))}

# Key bindings: a binding's id = one key, or several separated by commas. The ids are listed
# in the README ("Keys"); for example:
[keys]
# "library.star" = "x"
# "reader.highlight" = "H"
# "reader.next" = "right_square_bracket,l"
"""


@dataclass(frozen=True)
class Settings:
    """The config file's values, each its default where the file does not set it well."""

    path: Path
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id → keys (comma-separated), as written (checked in tui.keymap)."""
    theme: str | None = None
    reading_width: int = DEFAULT_WIDTH
    browser: str | None = None
    browser_in_terminal: bool = False
    editor: str | None = None
    date_format: str = DEFAULT_DATE
    list_columns: tuple[str, ...] = COLUMNS
    problems: tuple[str, ...] = ()
    """What was wrong in the file, as short phrases (nothing when it was fine or absent)."""


def settings() -> Settings:
    """The config file's settings, read once per file (the one cached way to read them)."""
    return _read(config_path())


@cache
def _read(path: Path) -> Settings:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings(path)
    except (OSError, UnicodeDecodeError) as exc:
        return Settings(path, problems=(f"cannot read it ({exc})",))
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:  # its message names the line and column
        return Settings(path, problems=(f"{exc}; every setting is at its default",))
    return parse(path, data)


def parse(path: Path, data: dict[str, Any]) -> Settings:
    """Settings from a parsed TOML table: a key that is unknown or of the wrong type is
    reported and keeps its default."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in data.items():
        check = CHECKS.get(key)
        if check is None:
            problems.append(f"unknown key `{key}`")
            continue
        converted, problem = check(value)
        if problem:
            problems.append(f"`{key}` {problem}")
        else:
            values[key] = converted
    return Settings(path, problems=tuple(problems), **values)


def _string(value: Any) -> tuple[Any, str]:
    if isinstance(value, str) and value.strip():
        return value.strip(), ""
    return None, "must be a non-empty string"


def _width(value: Any) -> tuple[Any, str]:
    if isinstance(value, int) and not isinstance(value, bool) and 20 <= value <= 1000:
        return value, ""
    return None, "must be a whole number of columns, 20 or more"


def _bool(value: Any) -> tuple[Any, str]:
    return (value, "") if isinstance(value, bool) else (None, "must be true or false")


def _date_format(value: Any) -> tuple[Any, str]:
    if not isinstance(value, str) or not value:
        return None, 'must be a strftime format such as "%d %b %Y"'
    try:
        datetime(2026, 9, 30, 23, 59).strftime(value)
    except ValueError as exc:
        return None, f"is not a date format ({exc})"
    return value, ""


def _columns(value: Any) -> tuple[Any, str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return None, f"must be a list of column names from {', '.join(COLUMNS)}"
    unknown = [v for v in value if v not in COLUMNS]
    if unknown:
        return None, f"has unknown columns {', '.join(unknown)} (known: {', '.join(COLUMNS)})"
    return tuple(dict.fromkeys(value)), ""


def _keys(value: Any) -> tuple[Any, str]:
    if not isinstance(value, dict):
        return None, 'must be a table: [keys] then lines such as "library.star" = "x"'
    wrong = [k for k, v in value.items() if not isinstance(v, str) or not v.strip()]
    if wrong:
        return None, f"values must be key names in quotes (not so for {', '.join(wrong)})"
    return dict(value), ""


CHECKS = {
    "keys": _keys,
    "theme": _string,
    "reading_width": _width,
    "browser": _string,
    "browser_in_terminal": _bool,
    "editor": _string,
    "date_format": _date_format,
    "list_columns": _columns,
}


def show_date(value: str | None, fmt: str | None = None) -> str:
    """A stored date (ISO 8601) as the config's `date_format` shows it; what cannot be read
    as a date is shown as its first ten characters, as before."""
    fmt = fmt or settings().date_format
    if not value or fmt == DEFAULT_DATE:
        return (value or "")[:10]
    try:
        return datetime.fromisoformat(value).strftime(fmt)
    except ValueError:
        return value[:10]


def date_width(fmt: str | None = None) -> int:
    """The widest a date gets in `fmt` (a long month and weekday name), for the list's column."""
    fmt = fmt or settings().date_format
    samples = (datetime(2026, 9, 30, 23, 59), datetime(2026, 12, 29, 23, 59))
    return max(len(d.strftime(fmt)) for d in samples)


def remembered_theme() -> str | None:
    """The theme last picked in the command palette, if any (a damaged state file: none)."""
    try:
        data = json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    theme = data.get("theme") if isinstance(data, dict) else None
    return theme if isinstance(theme, str) else None


_STATE_WRITE = threading.Lock()
"""One writer of the state file at a time: themes picked in quick succession (the palette,
a test) each start a worker, and two sharing the temporary file failed ("No such file")."""


def remember_theme(theme: str) -> None:
    """Keep the theme picked for the next start (in the state file, written whole)."""
    with _STATE_WRITE:
        _remember_theme(theme)


def _remember_theme(theme: str) -> None:
    path = state_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data = data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        data = {}
    data["theme"] = theme
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def write_template(path: Path) -> bool:
    """Create the config file from the commented template if it is missing; True if created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEMPLATE, encoding="utf-8")
    return True
