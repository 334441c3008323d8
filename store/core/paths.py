"""Where the library lives: platformdirs' user data folder, overridable by GLOSS_DB or --db."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "gloss"
DB_ENV = "GLOSS_DB"


def default_db_path() -> Path:
    """The library path when none is given: $GLOSS_DB, else the user data folder."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    return user_data_path(APP_NAME) / "library.db"
