"""Other programs gloss runs for the user: the editor (ctrl+e in the note editor, `gloss config
edit`) and a configured browser (`o`). Commands are split like a shell would (shlex) and run
without one, so an address or a file name is always one argument, never shell code."""

from __future__ import annotations

import os
import shlex
import subprocess
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from tui.config import settings

if TYPE_CHECKING:
    from textual.app import App


class ProgramFailed(Exception):
    """The program could not be started or ended with an error (the message says which)."""


def editor_command() -> list[str]:
    """The editor: the config's `editor`, else $VISUAL, else $EDITOR, else vi."""
    chosen = settings().editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return split(chosen, "editor")


def split(command: str, what: str) -> list[str]:
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ProgramFailed(f"the {what} command {command!r} cannot be read ({exc})") from None
    if not argv:
        raise ProgramFailed(f"the {what} command is empty")
    return argv


def run_editor(path: Path) -> None:
    """Run the editor on `path` in this terminal and wait for it; ProgramFailed if it cannot
    start or fails."""
    argv = editor_command()
    try:
        done = subprocess.run([*argv, str(path)], check=False)
    except OSError as exc:
        raise ProgramFailed(f"the editor {argv[0]!r} could not start ({exc.strerror})") from None
    if done.returncode != 0:
        raise ProgramFailed(f"the editor {argv[0]!r} ended with an error ({done.returncode})")


def browser_argv(command: str, url: str) -> list[str]:
    """The configured browser's command for `url`: %s replaced by it, else it appended."""
    argv = split(command, "browser")
    if any("%s" in arg for arg in argv):
        return [arg.replace("%s", url) for arg in argv]
    return [*argv, url]


def start_browser(argv: list[str]) -> None:
    """Start a graphical browser, detached from the terminal (gloss does not wait for it)."""
    try:
        subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise ProgramFailed(f"the browser {argv[0]!r} could not start ({exc.strerror})") from None


def run_in_terminal(argv: list[str], what: str) -> None:
    """Run a program that uses the terminal (a text browser) and wait for it."""
    try:
        done = subprocess.run(argv, check=False)
    except OSError as exc:
        raise ProgramFailed(f"the {what} {argv[0]!r} could not start ({exc.strerror})") from None
    if done.returncode != 0:
        raise ProgramFailed(f"the {what} {argv[0]!r} ended with an error ({done.returncode})")


def suspended(app: App) -> AbstractContextManager[None]:
    """The terminal handed over to another program while the app waits (App.suspend); in a
    headless app (tests) there is no terminal to hand over, so nothing is done."""
    return nullcontext() if app.is_headless else app.suspend()


def browse_with_config(app: App, url: str) -> bool:
    """Open `url` with the config's `browser` command, if there is one (False if not). Runs in
    a worker thread; a text browser (`browser_in_terminal`) gets the terminal until it ends.
    A failure is a one-line notice."""
    command = settings().browser
    if not command:
        return False
    try:
        argv = browser_argv(command, url)
        if settings().browser_in_terminal:
            app.call_from_thread(_run_suspended, app, argv)
        else:
            start_browser(argv)
    except ProgramFailed as exc:
        app.call_from_thread(
            app.notify, f"{exc}; the address: {url}", severity="warning", markup=False
        )
    return True


def _run_suspended(app: App, argv: list[str]) -> None:
    with suspended(app):
        run_in_terminal(argv, "browser")
