"""The `[keys]` table of the config: which entries Textual's keymap can apply, and what is wrong
with the others (unknown binding ids, key names Textual does not know, two actions on one key
in one screen).

A binding's id is `<screen>.<action>`; bindings whose ids share the part before the dot are on
one screen (or in a widget that only that screen shows), so one key may mean one of them only.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from textual.binding import Binding
from textual.keys import Keys, _normalize_key_list, key_to_character

from tui.config import Settings

MODIFIERS = {"ctrl", "shift", "alt", "meta", "super", "hyper"}
RESERVED = {"ctrl+q": "quit", "ctrl+c": "copy or quit", "ctrl+p": "command palette"}
"""Keys the app's Textual bindings take before any screen sees them."""
_NAMED = {key.value.rpartition("+")[2] for key in Keys} - {"<any>", "<ignore>"}


def bad_key(key: str) -> bool:
    """Whether Textual would never send `key` (one key of a binding, normalised)."""
    *modifiers, base = key.split("+") if key != "+" else ["+"]
    if not base or any(m not in MODIFIERS for m in modifiers):
        return True
    return not (len(base) == 1 or base in _NAMED or key_to_character(base) is not None)


def normalise(keys: str) -> list[str]:
    """`keys` (comma-separated, as written in a config or a Binding) in Textual's long form."""
    return [k for k in _normalize_key_list(keys).split(",") if k]


def usable(keys: dict[str, str]) -> dict[str, str]:
    """The entries of `keys` whose every key is a key name Textual knows."""
    return {
        bid: value
        for bid, value in keys.items()
        if normalise(value) and not any(bad_key(k) for k in normalise(value))
    }


def all_bindings(app: type) -> list[Binding]:
    """Every Binding with an id that `app` (the App class: passed in, as it imports this
    module) and gloss's screens and widgets declare (importing them)."""
    import sys

    import tui.screens
    import tui.widgets

    modules = [sys.modules[app.__module__]]
    for package in (tui.screens, tui.widgets):
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            modules.append(importlib.import_module(info.name))
    found: dict[tuple[str, str, str], Binding] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                for binding in value.__dict__.get("BINDINGS", ()):
                    if isinstance(binding, Binding) and binding.id:
                        found[(binding.id, binding.key, binding.action)] = binding
    return list(found.values())


def problems(keys: dict[str, str], bindings: Iterable[Binding]) -> list[str]:
    """What is wrong with the `[keys]` entries, as short phrases: unknown ids, bad key names,
    and keys that the config gives to two bindings of one screen (at least one of them
    rebound by the config: the defaults are gloss's own business)."""
    bindings = list(bindings)
    known = {b.id for b in bindings}
    found: list[str] = []
    for bid, value in keys.items():
        if bid not in known:
            found.append(f"unknown binding id `{bid}`")
        elif not normalise(value):
            found.append(f"`{bid}` has no key")
        elif bad := [k for k in normalise(value) if bad_key(k)]:
            found.append(f"`{bid}`: unknown key name {', '.join(bad)}")
    applied = usable({bid: v for bid, v in keys.items() if bid in known})
    for bid, value in applied.items():
        for key in normalise(value):
            if key in RESERVED:
                found.append(f"{key} (`{bid}`) is Textual's {RESERVED[key]}, which wins")
    for (screen, key), ids in _clashes(applied, bindings):
        found.append(f"{key} is bound twice in {screen} ({', '.join(sorted(ids))})")
    return found


def _clashes(
    applied: dict[str, str], bindings: list[Binding]
) -> list[tuple[tuple[str, str], set[str]]]:
    """((screen, key), binding ids) for each key that `applied` (usable entries with known
    ids) gives to two bindings of one screen, at least one of them rebound by it."""
    by_key: dict[tuple[str, str], set[str]] = {}
    for binding in bindings:
        assert binding.id is not None
        screen = binding.id.partition(".")[0]
        for key in normalise(applied.get(binding.id, binding.key)):
            by_key.setdefault((screen, key), set()).add(binding.id)
    return [(where, ids) for where, ids in sorted(by_key.items())
            if len(ids) > 1 and ids & applied.keys()]  # fmt: skip


def applicable(keys: dict[str, str], bindings: Iterable[Binding]) -> dict[str, str]:
    """The keymap to apply: the usable entries, less those that would take a key another
    binding of their screen has (reported by `problems`): each of those bindings keeps
    its key, and the other binding keeps its own."""
    bindings = list(bindings)
    known = {b.id for b in bindings}
    applied = usable({bid: v for bid, v in keys.items() if bid in known})
    while clashes := _clashes(applied, bindings):  # (dropping one may free another)
        for _, ids in clashes:
            for bid in ids & applied.keys():
                applied.pop(bid)
    return applied


def config_problems(settings: Settings, themes: Iterable[str], app: type) -> list[str]:
    """Everything wrong with the config file, as short phrases: what `settings` found, a
    theme not among `themes`, and the `[keys]` table's problems."""
    found = list(settings.problems)
    if settings.theme and settings.theme not in set(themes):
        found.append(f"unknown theme `{settings.theme}`")
    if settings.keys:
        found += problems(settings.keys, all_bindings(app))
    return found
