"""Where gloss keeps its files, all from platformdirs: the library (user data folder,
overridable by GLOSS_DB or --db), the config file (user config folder, overridable by
GLOSS_CONFIG) and the small state the app remembers between runs (user state folder,
overridable by GLOSS_STATE)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path, user_state_path

APP_NAME = "gloss"
DB_ENV = "GLOSS_DB"
CONFIG_ENV = "GLOSS_CONFIG"
STATE_ENV = "GLOSS_STATE"


def default_db_path() -> Path:
    """The library path when none is given: $GLOSS_DB, else the user data folder."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    return user_data_path(APP_NAME) / "library.db"


def config_path() -> Path:
    """The config file: $GLOSS_CONFIG, else config.toml in the user config folder."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    return user_config_path(APP_NAME) / "config.toml"


def state_path() -> Path:
    """What the app remembers between runs (the last theme picked): $GLOSS_STATE, else
    state.json in the user state folder. Never the user's config file."""
    env = os.environ.get(STATE_ENV)
    if env:
        return Path(env).expanduser()
    return user_state_path(APP_NAME) / "state.json"
