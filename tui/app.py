"""The gloss Textual app: wires the screens, the global keys and the command palette."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from pathlib import Path

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.filter import LineFilter
from textual.screen import Screen
from textual.theme import Theme

from tui import config, contrast, keymap
from tui.messages import Notice
from tui.opening import FirstScreen
from tui.screens.library import LibraryScreen
from tui.undo import UndoStack
from tui.widgets.safety import TerminalSafe

# The other screens (reader, search, dialogs, help) are imported when first opened, so that
# start-up imports only what the first screen shows.


class GlossApp(App[None]):
    """A terminal news reader for people who read closely."""

    CSS_PATH = "gloss.tcss"
    TITLE = "gloss"
    HELP_TITLE = "Everywhere"
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help", key_display="?", id="app.help"),
    ]

    def __init__(
        self,
        db_path: Path,
        import_paths: list[Path] | None = None,
        *,
        quit_on_open_error: bool = False,
        prefetched: Future[FirstScreen] | None = None,
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.quit_on_open_error = quit_on_open_error
        """Quit (return code 1, the error in `open_error`) if the library cannot be opened,
        as the `gloss` command does, instead of staying with nothing to show."""
        self.open_error: BaseException | None = None
        self.library_screen = LibraryScreen(self.db_path, list(import_paths or []), prefetched)
        self.last_sync_path: Path | str | None = None
        """The folder or file synced with last in this session, offered again."""
        self.undo_stack = UndoStack()
        """This session's edits, undone by u (tui.undo)."""
        self._terminal_safe = TerminalSafe(super().get_line_filters)
        self.settings = config.settings()
        """The config file's settings (read before the app starts; defaults if broken)."""
        self.set_keymap(keymap.usable(self.settings.keys))
        self._start_theme = self._first_theme()
        self.theme = self._start_theme

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables and our `$gloss-*` ones: text colours that read (WCAG AA)
        on the cursor, the selection, highlights and notes in this theme."""
        variables = super().get_css_variables()
        variables |= contrast.readable_variables(variables)
        self.theme_variables = variables
        return variables

    def _first_theme(self) -> str:
        """The config's theme if it names one, else the one last picked, else the default."""
        for name in (self.settings.theme, config.remembered_theme()):
            if name and name in self.available_themes:
                return name
        return self.theme

    def get_default_screen(self) -> Screen:
        return self.library_screen

    @property
    def _background_screens(self) -> list[Screen]:
        """The screens that show through the top one: none when it is opaque (the reader,
        the search). Textual's own list always holds the screen just under the top one, so
        each change to the covered library (a worker's state, a count) repainted the whole
        reader, twice, a moment after each `]` (4-8 ms of the UI thread, in the way of the
        next key)."""
        stack = self.screen_stack
        if stack and stack[-1].styles.background.a == 1:
            return []
        return super()._background_screens

    def get_line_filters(self) -> Sequence[LineFilter]:
        # every rendered line passes through TerminalSafe (which applies Textual's own
        # filters first) before it reaches the terminal
        return [self._terminal_safe]

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_picked)

    def on_ready(self) -> None:
        """The first frame is up: the garbage collector `gloss` held back runs again, and
        the config is checked (its problems are one line).

        What start-up made (Textual, the screens, the first rows) lives as long as the app:
        it is left out of the collector's passes (`gc.freeze`). A full pass walked all of it
        every few seconds of reading, 50 ms each, and the key pressed meanwhile waited."""
        gc.freeze()
        gc.enable()
        self._check_config()

    @work(thread=True, group="config", exit_on_error=False)
    def _check_config(self) -> None:
        found = keymap.config_problems(self.settings, self.available_themes, type(self))
        if self.settings.keys:  # (the bindings are all imported by now: no cost)
            wanted = keymap.applicable(self.settings.keys, keymap.all_bindings(type(self)))
            if wanted != keymap.usable(self.settings.keys):  # a clash: each keeps its key
                self.call_from_thread(self.set_keymap, wanted)
        if found:
            where = self.settings.path
            line = f"config {where}: {'; '.join(found)}"
            self.call_from_thread(self.notify, line, severity="warning", timeout=20, markup=False)

    def _theme_picked(self, theme: Theme) -> None:
        """A theme was picked (the command palette): remembered for the next start."""
        if theme.name == self._start_theme:
            return
        self._start_theme = theme.name
        self._remember_theme(theme.name)
        wanted = self.settings.theme
        if wanted and wanted in self.available_themes and wanted != theme.name:
            self.notify(
                f"config.toml sets theme = {wanted!r}, which the next start uses.", markup=False
            )

    @work(thread=True, group="state", exit_on_error=False)
    def _remember_theme(self, name: str) -> None:
        try:
            config.remember_theme(name)
        except OSError as exc:
            self.post_message(Notice(f"The theme could not be remembered: {exc}", "warning"))

    def on_load(self) -> None:
        self.library_screen.open_library()  # read the library while the screens are built

    def gloss_commands(self) -> list[SystemCommand]:
        """gloss's own entries in the command palette (ctrl+p)."""
        return [
            SystemCommand(
                "Import a folder…",
                "Import articles from a folder or file, or a Pocket, Omnivore, Wallabag,"
                " Readwise, Hypothesis, Kindle or Instapaper export",
                self.action_import,
            ),
            SystemCommand(
                "Fetch saved links",
                "Fetch the pages of saved links: each becomes the article, its highlights"
                " anchored in the text",
                self.library_screen.start_fetch,
            ),
            SystemCommand(
                "Entities",
                "The library's entities, the most widespread first: each opens its page"
                " (its articles, a timeline, the entities mentioned with it, your notes)",
                self.action_entities,
            ),
            SystemCommand(
                "Re-analyse entities",
                "Find named entities in articles that have none (loads the language model)",
                self.library_screen.start_reanalyse,
            ),
            SystemCommand(
                "Re-analyse all",
                "Find the named entities of every article again, with the current language"
                " model (after a model upgrade); progress shows at the bottom",
                lambda: self.library_screen.start_reanalyse(all_articles=True),
            ),
            SystemCommand(
                "Sync with a folder or library file…",
                "Merge the gloss libraries in a shared folder (or one library file), publish yours",
                self.action_sync,
            ),
        ]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from self.gloss_commands()

    def action_import(self) -> None:
        """Ask for a path, then import it in the library screen's worker."""
        from tui.screens.modals import PathPrompt

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.library_screen.start_import([path])

        self.push_screen(PathPrompt(), chosen)

    def action_entities(self) -> None:
        """Open the library's entity list."""
        lib = self.library_screen.lib
        if lib is None:
            self.notify("The library is not open.", severity="warning")
            return
        from tui.screens.entities import EntitiesScreen

        self.push_screen(EntitiesScreen(lib))

    def action_sync(self) -> None:
        """Ask for a hub (a folder or a URL) or a library file (the last one is offered), then
        sync with it."""
        from tui.screens.modals import PathPrompt

        def chosen(path: Path | str | None) -> None:
            if path is not None:
                self.last_sync_path = path
                self.library_screen.start_sync(path)

        prompt = PathPrompt(
            "Sync with a folder or a library file",
            value=str(self.last_sync_path or ""),
            placeholder="~/Sync/gloss",
            hint="A folder your sync tool shares (Syncthing, Dropbox, a USB stick), or a "
            "webdav:// or s3:// URL: gloss merges what is new there and adds what it lacks. "
            "Or one library file to merge with.",
            urls=True,
        )
        self.push_screen(prompt, chosen)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen, collect_bindings

        if not isinstance(self.screen, HelpScreen):
            palette = [("ctrl+p", command.title) for command in self.gloss_commands()]
            sections = [*collect_bindings(self.screen), ("Command palette", palette)]
            self.push_screen(HelpScreen(sections))

    async def action_quit(self) -> None:
        """Quit (ctrl+q), unless a screen would lose typed text: its `confirm_quit()` then
        takes the quit over (a note editor asks first)."""
        for screen in reversed(self.screen_stack):
            confirm = getattr(screen, "confirm_quit", None)
            if confirm is not None and confirm():
                return
        self.exit()

    def on_library_screen_open_failed(self, message: LibraryScreen.OpenFailed) -> None:
        if self.quit_on_open_error:
            self.open_error = message.error
            self.exit(return_code=1)

    def on_notice(self, message: Notice) -> None:
        self.notify(message.text, severity=message.severity, markup=False)  # type: ignore[arg-type]

    def on_unmount(self) -> None:
        if self.library_screen.lib is not None:
            self.library_screen.lib.close()
