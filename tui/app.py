"""The gloss Textual app: wires the screens, the global keys and the command palette."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tui.messages import Notice
from tui.screens.help import HelpScreen, collect_bindings
from tui.screens.library import LibraryScreen
from tui.screens.modals import PathPrompt


class GlossApp(App[None]):
    """A terminal news reader for people who read closely."""

    CSS_PATH = "gloss.tcss"
    TITLE = "gloss"
    HELP_TITLE = "Everywhere"
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help", key_display="?"),
    ]

    def __init__(self, db_path: Path, import_paths: list[Path] | None = None) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.library_screen = LibraryScreen(self.db_path, list(import_paths or []))

    def get_default_screen(self) -> Screen:
        return self.library_screen

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Import a folder…", "Import articles from a folder or file", self.action_import
        )
        yield SystemCommand(
            "Re-analyse entities",
            "Find named entities in articles that have none (loads the language model)",
            self.library_screen.start_reanalyse,
        )

    def action_import(self) -> None:
        """Ask for a path, then import it in the library screen's worker."""

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.library_screen.start_import([path])

        self.push_screen(PathPrompt(), chosen)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(collect_bindings(self.screen)))

    def on_notice(self, message: Notice) -> None:
        self.notify(message.text, severity=message.severity, markup=False)  # type: ignore[arg-type]

    def on_unmount(self) -> None:
        if self.library_screen.lib is not None:
            self.library_screen.lib.close()
